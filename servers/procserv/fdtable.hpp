// A descriptor table: procserv's pure logic for it, with no kernel calls, so that the
// host's unit tests check it (tests/unit/test_fdtable.cpp). Its memory comes from the
// owner (procserv's heap; a test's malloc) through the two functions it is given.
#pragma once

#include "result.hpp"

#include <cstdint>

namespace procserv {

struct OpenFile;

class FdTable {
  public:
    using u64 = std::uint64_t;
    using Alloc = void* (*)(u64 bytes); ///< zeroed memory, or null
    using Free = void (*)(void* p);
    static constexpr u64 kFirst = 16;  ///< entries of a new table
    static constexpr u64 kMax = 4096;  ///< as RLIMIT_NOFILE: EMFILE beyond

    /// Room for `size` entries (doubling). ENOMEM.
    Result<void> reserve(u64 size, Alloc alloc, Free free);
    /// The lowest free descriptor (the table grows if it is full). EMFILE; ENOMEM.
    Result<long> lowest_free(Alloc alloc, Free free);
    /// The open file at `fd`, or null (not open, or past the table).
    OpenFile* at(u64 fd) const { return fd < size_ ? fd_[fd] : nullptr; }
    /// Put `f` at `fd`, which lowest_free() gave or reserve() made room for, with its
    /// close-on-exec flag.
    void put(u64 fd, OpenFile* f, bool cloexec = false) {
        fd_[fd] = f;
        cloexec_[fd] = cloexec;
    }
    bool cloexec(u64 fd) const { return fd < size_ && cloexec_[fd]; }
    void set_cloexec(u64 fd, bool on) { cloexec_[fd] = on; }
    /// Empty `fd`: it is the lowest free one again if it is below the others.
    void take(u64 fd) {
        fd_[fd] = nullptr;
        if (fd < low_) low_ = fd;
    }
    u64 size() const { return size_; }
    /// Give the entries back (the files must have been dropped); the table is empty.
    void release(Free free);

  private:
    OpenFile** fd_;
    bool* cloexec_; // after the entries, in the same allocation
    u64 size_;
    u64 low_; ///< no descriptor below it is free
};

} // namespace procserv
