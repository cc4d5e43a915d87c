// The small arch hooks: address-space switch, poweroff, undefined instruction.
#include "riscv64.hpp"
#include "sbi.hpp"

namespace arch {

// ASID 0 for the kernel. The sfence.vma before the write orders earlier page-table
// stores before the new walks; the one after drops every translation cached from the
// boot tables (including their identity and 4 GiB direct-map gigapages).
//
// satp.ASID is WARL: the bits a hart does not implement read back as zero, so writing
// all ones tells ASIDLEN. Running briefly under that ASID is harmless: same tables, and
// the full fence afterwards drops whatever was cached under it.
void activate_page_table(kernel::PhysAddr root) {
    using namespace riscv64;
    constexpr u64 kAsidMask = 0xffff;
    asm volatile("sfence.vma" ::: "memory");
    csr_write<Csr::satp>(kSatpModeSv39 | (kAsidMask << kSatpAsidShift) | (root.value >> 12));
    u64 asid = (csr_read<Csr::satp>() >> kSatpAsidShift) & kAsidMask;
    csr_write<Csr::satp>(kSatpModeSv39 | (root.value >> 12));
    asm volatile("sfence.vma" ::: "memory");
    unsigned bits = 0; // the implemented bits are the low ASIDLEN ones
    while (asid >> bits & 1) ++bits;
    g_platform.asid_bits = bits;
    remember_kernel_root(root);
}

// QEMU's sifive_test device: 0x5555 = pass (QEMU exits 0), (code << 16) | 0x3333 = fail
// (QEMU exits with code). SBI SRST is the fallback for machines without it; under QEMU
// it also ends in exit status 0, whatever the status, so it cannot report a failure.
[[noreturn]] void poweroff(int status) {
    using namespace riscv64;
    if (u64 dev = g_platform.test_device) {
        auto* reg = reinterpret_cast<volatile kernel::u32*>(kDirectMapBase + dev);
        *reg = status == 0 ? 0x5555u : (static_cast<kernel::u32>(status & 0xffff) << 16) | 0x3333u;
    }
    constexpr u64 kShutdown = 0, kNoReason = 0, kSystemFailure = 1;
    sbi::call(sbi::Eid::Reset, 0, kShutdown, status == 0 ? kNoReason : kSystemFailure);
    sbi::call(sbi::Eid::LegacyShutdown, 0);
    for (;;) asm volatile("wfi");
}

// An all-zero instruction parcel is defined to be illegal, with or without the C
// extension (gas' `unimp` is instead a write to the read-only cycle CSR).
void trigger_undefined_instruction() { asm volatile(".4byte 0x00000000" ::: "memory"); }

} // namespace arch
