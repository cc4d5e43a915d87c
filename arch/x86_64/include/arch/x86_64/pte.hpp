// x86_64 4-level page-table entries (Intel SDM vol. 3, 4.5). Pure encoding: no
// privileged instructions, so host unit tests include it as it is.
#pragma once

#include <microkernel/paging.hpp>

namespace arch::x86_64 {

using kernel::MemType;
using kernel::PageAttr;
using kernel::PhysAddr;
using kernel::u64;

/// Bits of a page-table entry at any level.
struct PteBits {
    static constexpr u64 kPresent = u64{1} << 0;
    static constexpr u64 kWrite = u64{1} << 1;
    static constexpr u64 kUser = u64{1} << 2;
    static constexpr u64 kWriteThrough = u64{1} << 3; // PWT
    static constexpr u64 kCacheDisable = u64{1} << 4; // PCD
    static constexpr u64 kAccessed = u64{1} << 5;
    static constexpr u64 kDirty = u64{1} << 6;
    static constexpr u64 kPageSize = u64{1} << 7;     // PS: a 2 MiB / 1 GiB leaf
    static constexpr u64 kGlobal = u64{1} << 8;
    static constexpr u64 kNoExecute = u64{1} << 63;   // needs EFER.NXE
    /// Physical address bits 12..51 (the architectural maximum, MAXPHYADDR <= 52).
    static constexpr u64 kAddress = 0x000ffffffffff000;
};

struct PteFormat {
    static constexpr unsigned kLevels = 4;

    /// Set by the arch at boot from CPUID 0x80000001 EDX bit 26. A plain flag (not a
    /// CPUID call) so that host tests can exercise both answers.
    static inline bool has_1g_pages = false;

    /// Table entries allow everything; rights are enforced at the leaf only, so one
    /// table can hold leaves of any mix of rights. (x86 ANDs W and U and ORs NX along
    /// the walk.)
    static constexpr u64 table(PhysAddr pa) {
        return (pa.value & PteBits::kAddress) | PteBits::kPresent | PteBits::kWrite | PteBits::kUser;
    }

    static constexpr u64 leaf(PhysAddr pa, PageAttr attr, unsigned level) {
        u64 pte = (pa.value & address_mask(level, true)) | PteBits::kPresent;
        if (attr.write) pte |= PteBits::kWrite;
        if (attr.user) pte |= PteBits::kUser;
        if (attr.global) pte |= PteBits::kGlobal;
        if (!attr.exec) pte |= PteBits::kNoExecute;
        // With the reset PAT, PCD|PWT selects entry 3: uncacheable, right for MMIO.
        if (attr.type == MemType::Device) pte |= PteBits::kCacheDisable | PteBits::kWriteThrough;
        if (level > 0) pte |= PteBits::kPageSize;
        return pte;
    }

    static constexpr bool is_present(u64 pte) { return (pte & PteBits::kPresent) != 0; }

    /// Level 3 entries always point at tables (PS is reserved there); level 0 entries
    /// never do; in between PS tells a leaf from a table.
    static constexpr bool is_table(u64 pte, unsigned level) {
        if (level == 0) return false;
        if (level >= 3) return true;
        return (pte & PteBits::kPageSize) == 0;
    }

    static constexpr PhysAddr address(u64 pte, unsigned level) {
        return PhysAddr{pte & address_mask(level, !is_table(pte, level))};
    }

    static constexpr PageAttr attr(u64 pte, unsigned) {
        PageAttr a;
        a.write = (pte & PteBits::kWrite) != 0;
        a.exec = (pte & PteBits::kNoExecute) == 0;
        a.user = (pte & PteBits::kUser) != 0;
        a.global = (pte & PteBits::kGlobal) != 0;
        a.type = (pte & PteBits::kCacheDisable) ? MemType::Device : MemType::Normal;
        return a;
    }

    static constexpr u64 restrict(u64 pte, unsigned, bool drop_write, bool drop_exec) {
        if (drop_write) pte &= ~PteBits::kWrite;
        if (drop_exec) pte |= PteBits::kNoExecute;
        return pte;
    }

    static bool leaf_allowed(unsigned level) {
        return level <= 1 || (level == 2 && has_1g_pages);
    }

  private:
    /// In a 2 MiB / 1 GiB leaf, bit 12 is the PAT bit and the bits below the page size
    /// are reserved, so the frame address starts at the page size.
    static constexpr u64 address_mask(unsigned level, bool is_leaf) {
        if (!is_leaf || level == 0) return PteBits::kAddress;
        return PteBits::kAddress & ~(kernel::level_size(level) - 1);
    }
};

} // namespace arch::x86_64
