// AArch64 stage-1 translation table descriptors, 4 KiB granule, 48-bit VA (four levels).
// Level numbers are the portable walker's (0 = 4 KiB pages ... 3 = root); the Arm ARM
// calls the same levels 3 ... 0. Pure constexpr: unit tests include this on the host.
#pragma once

#include <microkernel/paging.hpp>

namespace arch::aarch64 {

using kernel::MemType;
using kernel::PageAttr;
using kernel::PhysAddr;
using kernel::u64;

/// MAIR_EL1 attribute slots. boot.S programs exactly kMair; init checks that it did.
constexpr u64 kMairDeviceIndex = 0; ///< Device-nGnRnE: MMIO, no gathering or reordering
constexpr u64 kMairNormalIndex = 1; ///< Normal, inner and outer write-back RW-allocate
constexpr u64 kMair = (u64{0x00} << (8 * kMairDeviceIndex)) | (u64{0xff} << (8 * kMairNormalIndex));

struct PteFormat {
    static constexpr unsigned kLevels = 4;

    // Descriptor bits (Arm ARM D8.3).
    static constexpr u64 kValid = u64{1} << 0;
    static constexpr u64 kTableOrPage = u64{1} << 1; ///< table at levels 1..3, page at 0
    static constexpr u64 kAttrIndxShift = 2;
    static constexpr u64 kAttrIndxMask = u64{7} << kAttrIndxShift;
    static constexpr u64 kApUser = u64{1} << 6;      ///< AP[1]: EL0 may access
    static constexpr u64 kApReadOnly = u64{1} << 7;  ///< AP[2]: no writes at any EL
    static constexpr u64 kShInner = u64{3} << 8;     ///< inner shareable (all cores)
    static constexpr u64 kAccessFlag = u64{1} << 10; ///< set up front: no AF faults
    static constexpr u64 kNotGlobal = u64{1} << 11;  ///< TLB entry tagged with the ASID
    static constexpr u64 kPxn = u64{1} << 53;
    static constexpr u64 kUxn = u64{1} << 54;
    static constexpr u64 kAddressMask = 0x0000fffffffff000; ///< OA bits [47:12]

    static constexpr u64 table(PhysAddr pa) { return (pa.value & kAddressMask) | kValid | kTableOrPage; }

    static constexpr u64 leaf(PhysAddr pa, PageAttr attr, unsigned level) {
        u64 pte = (pa.value & leaf_mask(level)) | kValid | kAccessFlag | kShInner;
        if (level == 0) pte |= kTableOrPage; // a level-0 "page" uses the table encoding
        pte |= (attr.type == MemType::Device ? kMairDeviceIndex : kMairNormalIndex) << kAttrIndxShift;
        if (!attr.write) pte |= kApReadOnly;
        if (!attr.global) pte |= kNotGlobal;
        // The kernel never runs user code and user code never runs kernel code: each
        // mapping is executable at most at the privilege level it belongs to.
        if (attr.user) {
            pte |= kApUser | kPxn;
            if (!attr.exec) pte |= kUxn;
        } else {
            pte |= kUxn;
            if (!attr.exec) pte |= kPxn;
        }
        return pte;
    }

    static constexpr bool is_present(u64 pte) { return (pte & kValid) != 0; }

    static constexpr bool is_table(u64 pte, unsigned level) {
        return level > 0 && (pte & (kValid | kTableOrPage)) == (kValid | kTableOrPage);
    }

    static constexpr PhysAddr address(u64 pte, unsigned level) {
        return PhysAddr{pte & (is_table(pte, level) ? kAddressMask : leaf_mask(level))};
    }

    static constexpr PageAttr attr(u64 pte, unsigned) {
        PageAttr a;
        a.user = (pte & kApUser) != 0;
        a.write = (pte & kApReadOnly) == 0;
        a.exec = (pte & (a.user ? kUxn : kPxn)) == 0;
        a.global = (pte & kNotGlobal) == 0;
        a.type = ((pte & kAttrIndxMask) >> kAttrIndxShift) == kMairDeviceIndex ? MemType::Device
                                                                                : MemType::Normal;
        return a;
    }

    /// Pages at level 0, blocks of 2 MiB and 1 GiB at levels 1 and 2; the root only
    /// holds tables (4 KiB granule).
    /// (Taking execute away at both levels is right for any leaf: see leaf().)
    static constexpr u64 restrict(u64 pte, unsigned, bool drop_write, bool drop_exec) {
        if (drop_write) pte |= kApReadOnly;
        if (drop_exec) pte |= kUxn | kPxn;
        return pte;
    }

    static constexpr bool leaf_allowed(unsigned level) { return level <= 2; }

  private:
    /// Output address bits of a leaf at `level`: a block's low bits must be zero.
    static constexpr u64 leaf_mask(unsigned level) {
        return kAddressMask & ~(kernel::level_size(level) - 1);
    }
};

} // namespace arch::aarch64
