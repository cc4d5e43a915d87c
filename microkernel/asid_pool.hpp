// Address-space identifiers (x86_64 PCIDs, aarch64 ASIDs, riscv64 ASIDs): tags the TLB
// keeps with each user translation, so switching spaces need not flush. The pool hands
// out ids 1..count-1 (0 means "no id": every switch to such a space flushes) and takes
// them back when a space is destroyed, after the arch has flushed the id's entries.
// When all are in use, new spaces get 0: slower, never wrong.
#pragma once

#include <base/types.hpp>

namespace kernel {

class AsidPool {
  public:
    static constexpr u32 kMaxIds = 4096; ///< PCIDs are 12 bits; more would buy nothing here

    /// Use ids below `count` (the arch's number of identifiers, 0 or 1: none).
    void init(u32 count) {
        count_ = count < kMaxIds ? count : kMaxIds;
        for (u64& w : used_) w = 0;
        if (count_) used_[0] = 1; // id 0 is "none"
        next_ = 1;
    }
    u16 claim() {
        for (u32 n = 1; n < count_; ++n) {
            u32 id = next_;
            next_ = next_ + 1 < count_ ? next_ + 1 : 1;
            if (!(used_[id / 64] >> (id % 64) & 1)) {
                used_[id / 64] |= u64{1} << (id % 64);
                return static_cast<u16>(id);
            }
        }
        return 0;
    }
    void release(u16 id) {
        if (id && id < count_) used_[id / 64] &= ~(u64{1} << (id % 64));
    }
    u32 count() const { return count_; }

  private:
    u64 used_[kMaxIds / 64] = {};
    u32 count_ = 0;
    u32 next_ = 1;
};

} // namespace kernel
