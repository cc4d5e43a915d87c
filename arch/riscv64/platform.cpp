// The small arch hooks: the kernel's tables, starting the other harts and interrupting
// them, poweroff, undefined instruction.
#include "riscv64.hpp"
#include "sbi.hpp"

#include <base/boot_only.hpp>

extern "C" {
void _start();                  // entry.S: the image's first instruction
void riscv64_secondary_entry(); // entry.S: a started hart's first instruction (physical)
extern char boot_stack_top[];   // entry.S: the boot hart's kernel stack
extern kernel::u64 riscv64_cpu_mailbox[RISCV64_MAX_HARTS];
extern kernel::u64 riscv64_kernel_satp;
}

// Every hart's CpuLocal by logical number (entry.S points tp at one), and the satp of the
// kernel's tables, for the harts started later.
arch::riscv64::CpuLocal riscv64_cpus[kernel::kMaxCpus] = {
    {boot_stack_top, nullptr, 0, nullptr, 0, kernel::on_user_syscall_fast, false, 0}};
kernel::u64 riscv64_kernel_satp;
static_assert(RISCV64_MAX_HARTS == kernel::kMaxCpus);

namespace arch {

// ASID 0 for the kernel. The sfence.vma before the write orders earlier page-table
// stores before the new walks; the one after drops every translation cached from the
// boot tables (including their identity and 4 GiB direct-map gigapages).
//
// satp.ASID is WARL: the bits a hart does not implement read back as zero, so writing
// all ones tells ASIDLEN. Running briefly under that ASID is harmless: same tables, and
// the full fence afterwards drops whatever was cached under it.
BOOT_ONLY void activate_page_table(kernel::PhysAddr root) {
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
    g_platform.kernel_root = root;
    riscv64_kernel_satp = kSatpModeSv39 | (root.value >> 12);
}

namespace {
constexpr const char* kHsmRefused = "the firmware refused (SBI HSM hart_start)";
/// The physical address of kernel code (what HSM starts a hart at: paging is off there).
BOOT_ONLY kernel::u64 physical(void (*code)()) {
    return reinterpret_cast<kernel::u64>(code) - kKernelBase + riscv64::g_platform.image_phys;
}

/// Send `hart` to riscv64_secondary_entry with `number` (a logical CPU number, or
/// RISCV64_MAX_HARTS: park there), wherever it waits.
BOOT_ONLY const char* send_hart(kernel::u64 hart, kernel::u64 number) {
    using namespace riscv64;
    const sbi::Ret r = sbi::hart_start(hart, physical(riscv64_secondary_entry), number);
    if (hart >= RISCV64_MAX_HARTS) return r.error == 0 ? nullptr : kHsmRefused;
    // The hart may be in the image already, waiting in join_later for its number (a hart
    // that HSM starts never reads the mailbox). HSM then says it runs, or, in 2 of 1,500
    // boots through OpenSBI 1.1 and U-Boot (none of 1,500 without U-Boot), that it was
    // stopped: hart_start succeeds and HSM's status reads "started" right after it, while
    // the hart waited in join_later all along. Either way it takes its number here.
    asm volatile("fence rw, w" ::: "memory");
    __atomic_store_n(&riscv64_cpu_mailbox[hart], number, __ATOMIC_RELEASE);
    return r.error == 0 || r.error == sbi::kErrAlreadyAvailable ? nullptr : kHsmRefused;
}
} // namespace

BOOT_ONLY const char* start_cpu(kernel::u32 index, kernel::u64 hart, kernel::u64 stack_top) {
    using namespace riscv64;
    g_platform.hart_id[index] = hart;
    riscv64_cpus[index] = CpuLocal{reinterpret_cast<char*>(stack_top), nullptr, 0, kernel::fast_yield_run_queue(index),
                                   index, kernel::on_user_syscall_fast, false, 0};
    return send_hart(hart, index);
}

BOOT_ONLY bool park_cpu(kernel::u64 hart) { return send_hart(hart, RISCV64_MAX_HARTS) == nullptr; }

BOOT_ONLY const char* send_cpu_to_image(kernel::u64 hart) {
    return riscv64::sbi::hart_start(hart, physical(_start), 0).error == 0 ? nullptr : kHsmRefused;
}

} // namespace arch

// A started hart, high, on its own stack: the kernel's tables as on the boot hart (the
// ASID probe again included), then the kernel.
extern "C" BOOT_ONLY [[noreturn]] void riscv64_cpu_start(kernel::u32 index) {
    using namespace arch::riscv64;
    csr_write<Csr::scounteren>(0b111); // as riscv64_init: user mode reads the counters
    arch::activate_page_table(arch::riscv64::g_platform.kernel_root);
    csr_set<Csr::sie>(kSieSsie); // IPIs; its timer starts when it joins (timer_start_cpu); no device interrupts
    kernel::on_cpu_start(index);
}

namespace arch {

SMP_ONLY bool flush_user_elsewhere(kernel::u64 cpus, kernel::u64 va, kernel::u16 asid, bool all) {
    using namespace riscv64;
    if (!g_platform.rfence) return false;
    u64 harts = 0;
    for (u64 left = cpus; left; left &= left - 1) { // (each CPU's bit, lowest first)
        const kernel::u32 cpu = static_cast<kernel::u32>(__builtin_ctzll(left));
        if (g_platform.hart_id[cpu] >= 64) return false; // (one mask from hart 0; else the caller's IPIs)
        harts |= u64{1} << g_platform.hart_id[cpu];
    }
    asm volatile("fence rw, rw" ::: "memory"); // the table change, before they look again
    return sbi::remote_sfence_vma_asid(harts, 0, all ? 0 : va, all ? ~u64{0} : kernel::kPageSize, asid).error == 0;
}

SMP_ONLY void send_ipi(kernel::u32 cpu) {
    using namespace riscv64;
    asm volatile("fence rw, rw" ::: "memory"); // what the target is to see, before it is woken
    sbi::send_ipi(1, g_platform.hart_id[cpu]);
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
