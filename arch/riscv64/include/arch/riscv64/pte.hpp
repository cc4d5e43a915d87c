// Sv39 page-table entries (RISC-V privileged spec, "Sv39: Page-Based 39-bit Virtual-Memory
// System"). Pure constexpr so that the host unit tests check the very same encoding.
//
//   63  62-61  60-54  53-10  9-8  7 6 5 4 3 2 1 0
//   N   PBMT   0      PPN    RSW  D A G U X W R V
//
// Three levels (level 2 = root, 1 GiB per entry; level 1 = 2 MiB; level 0 = 4 KiB) and a
// leaf may sit at any of them. An entry with V set and R/W/X clear points at the next
// table; anything with R, W or X set is a leaf.
#pragma once

#include <microkernel/paging.hpp>

namespace arch::riscv64 {

struct PteFormat {
    using u64 = kernel::u64;

    static constexpr unsigned kLevels = 3;

    static constexpr u64 kValid = u64{1} << 0;
    static constexpr u64 kRead = u64{1} << 1;
    static constexpr u64 kWrite = u64{1} << 2;
    static constexpr u64 kExec = u64{1} << 3;
    static constexpr u64 kUser = u64{1} << 4;
    static constexpr u64 kGlobal = u64{1} << 5;
    static constexpr u64 kAccessed = u64{1} << 6;
    static constexpr u64 kDirty = u64{1} << 7;
    /// RSW bit 8 (reserved for software, ignored by the MMU): remembers MemType::Device.
    /// Without the Svpbmt extension (QEMU 7.2's virt CPU lacks it) Sv39 has no memory-type
    /// field; the platform's PMAs make the MMIO regions uncached and strongly ordered
    /// whatever the PTE says, so the marker only lets attr() give back what map() got.
    static constexpr u64 kSwDevice = u64{1} << 8;
    static constexpr unsigned kPpnShift = 10;
    static constexpr u64 kPpnMask = ((u64{1} << 44) - 1) << kPpnShift; // bits 53..10
    static constexpr u64 kLeafMask = kRead | kWrite | kExec;

    static constexpr u64 ppn_bits(kernel::PhysAddr pa) {
        return ((pa.value >> 12) << kPpnShift) & kPpnMask;
    }

    /// Non-leaf: only V. The spec reserves A, D and U in non-leaf entries (must be zero),
    /// and G there would make the whole subtree global, which the walker does not intend.
    static constexpr u64 table(kernel::PhysAddr pa) { return ppn_bits(pa) | kValid; }

    /// Leaf. R is always set: the kernel has no write-only or execute-only mappings, and
    /// W without R is a reserved encoding. A and D are set up front because the spec lets
    /// an implementation fault instead of updating them (Svade); D on a read-only page is
    /// allowed and harmless.
    static constexpr u64 leaf(kernel::PhysAddr pa, kernel::PageAttr attr, unsigned /*level*/) {
        u64 pte = ppn_bits(pa) | kValid | kRead | kAccessed | kDirty;
        if (attr.write) pte |= kWrite;
        if (attr.exec) pte |= kExec;
        if (attr.user) pte |= kUser;
        if (attr.global) pte |= kGlobal;
        if (attr.type == kernel::MemType::Device) pte |= kSwDevice;
        return pte;
    }

    static constexpr bool is_present(u64 pte) { return (pte & kValid) != 0; }

    /// Level 0 entries are always leaves: a pointer there is a page fault in hardware.
    static constexpr bool is_table(u64 pte, unsigned level) {
        return level > 0 && is_present(pte) && (pte & kLeafMask) == 0;
    }

    static constexpr kernel::PhysAddr address(u64 pte, unsigned /*level*/) {
        return kernel::PhysAddr{((pte & kPpnMask) >> kPpnShift) << 12};
    }

    static constexpr kernel::PageAttr attr(u64 pte, unsigned /*level*/) {
        return kernel::PageAttr{
            .write = (pte & kWrite) != 0,
            .exec = (pte & kExec) != 0,
            .user = (pte & kUser) != 0,
            .global = (pte & kGlobal) != 0,
            .type = (pte & kSwDevice) ? kernel::MemType::Device : kernel::MemType::Normal,
        };
    }

    /// Gigapages (level 2), megapages (level 1) and pages (level 0) are all architectural.
    /// (R stays, so the entry stays a leaf.)
    static constexpr u64 restrict(u64 pte, unsigned, bool drop_write, bool drop_exec) {
        if (drop_write) pte &= ~kWrite;
        if (drop_exec) pte &= ~kExec;
        return pte;
    }

    static constexpr bool leaf_allowed(unsigned level) { return level < kLevels; }
};

/// satp.MODE value for Sv39, already shifted into place.
constexpr kernel::u64 kSatpModeSv39 = kernel::u64{8} << 60;
/// satp.ASID: bits 44..59 (up to 16 bits; a hart implements the low ASIDLEN of them).
constexpr unsigned kSatpAsidShift = 44;

} // namespace arch::riscv64
