// The name service's table: a service name, the process that registered it and the slot
// (in procserv's cap space) of the endpoint capability procserv keeps for it. procserv's
// pure logic, with no kernel calls, so that the host's unit tests check it
// (tests/unit/test_names.cpp). Entries come from the owner's allocator (procserv's heap;
// a test's malloc) through the functions it is given.
#pragma once

#include "result.hpp"

#include <cstdint>

namespace procserv {

class NameTable {
  public:
    using u64 = std::uint64_t;
    using Alloc = void* (*)(u64 bytes); ///< zeroed memory, or null
    using Free = void (*)(void* p);
    static constexpr u64 kMaxName = 63; ///< bytes, without the NUL (procserv_abi.hpp)

    struct Entry {
        char name[kMaxName + 1];
        int owner; ///< pid
        u64 slot;
        Entry* next; ///< in its bucket
    };

    /// Register `name` (1..kMaxName bytes, NUL-terminated). EINVAL: empty or too long;
    /// EEXIST: taken; ENOMEM.
    Result<void> add(const char* name, int owner, u64 slot, Alloc alloc);
    /// The entry of `name`, or null.
    const Entry* find(const char* name) const;
    /// Remove `name` as `owner` would: its slot (for the caller to free). ENOENT: no such
    /// name; EACCES: another process registered it.
    Result<u64> remove(const char* name, int owner, Free free);
    /// Remove every name of `owner` (its process ended), calling gone(slot) for each.
    template <class F>
    void remove_owner(int owner, Free free, F&& gone) {
        for (Entry*& head : buckets_)
            for (Entry** link = &head; *link;) {
                Entry* e = *link;
                if (e->owner != owner) {
                    link = &e->next;
                    continue;
                }
                *link = e->next;
                gone(e->slot);
                free(e);
                --count_;
            }
    }
    u64 count() const { return count_; }

  private:
    static constexpr u64 kBuckets = 64;
    static u64 bucket(const char* name);
    Entry* buckets_[kBuckets];
    u64 count_;
};

} // namespace procserv
