// Declarations shared by the riscv64 arch sources (not part of the portable contract).
#pragma once

#include "cpu_local.hpp"

#include <microkernel/arch.hpp>
#include <microkernel/smp.hpp>

namespace arch::riscv64 {

using kernel::u64;

/// Supervisor CSRs by number, so that one typed accessor serves them all.
enum class Csr : kernel::u16 {
    sstatus = 0x100,
    sie = 0x104,
    stvec = 0x105,
    sscratch = 0x140,
    sepc = 0x141,
    scause = 0x142,
    stval = 0x143,
    sip = 0x144,
    scounteren = 0x106,
    satp = 0x180,
    time = 0xc01,
};

template <Csr C>
inline u64 csr_read() {
    u64 v;
    asm volatile("csrr %0, %1" : "=r"(v) : "i"(static_cast<unsigned>(C)) : "memory");
    return v;
}
template <Csr C>
inline void csr_write(u64 v) {
    asm volatile("csrw %0, %1" ::"i"(static_cast<unsigned>(C)), "r"(v) : "memory");
}
template <Csr C>
inline void csr_set(u64 bits) {
    asm volatile("csrs %0, %1" ::"i"(static_cast<unsigned>(C)), "r"(bits) : "memory");
}
template <Csr C>
inline void csr_clear(u64 bits) {
    asm volatile("csrc %0, %1" ::"i"(static_cast<unsigned>(C)), "r"(bits) : "memory");
}

constexpr u64 kSieSsie = u64{1} << 1; ///< supervisor software interrupt enable (IPIs)
constexpr u64 kSieStie = u64{1} << 5; ///< supervisor timer interrupt enable
constexpr u64 kSieSeie = u64{1} << 9; ///< supervisor external interrupt enable
constexpr u64 kCauseInterrupt = u64{1} << 63;
constexpr u64 kIrqSupervisorSoftware = 1; ///< an IPI (SBI send_ipi sets sip.SSIP)
constexpr u64 kIrqSupervisorTimer = 5;
constexpr u64 kIrqSupervisorExternal = 9;

/// What trap_entry.S pushes, in its order.
struct TrapFrame {
    u64 x[31]; ///< x[i] holds register x(i + 1)
    u64 sepc;
    u64 sstatus;
    u64 scause;
    u64 stval;
};
static_assert(sizeof(TrapFrame) == 35 * 8);

/// Devices and facts found at boot, used by the arch functions afterwards.
struct Platform {
    u64 test_device = 0;       ///< sifive_test physical address, 0 = none
    u64 timebase_hz = 0;
    unsigned asid_bits = 0;    ///< ASIDLEN, probed by activate_page_table
    u64 image_phys = 0;        ///< where the kernel image was loaded
    u64 hart_id[kernel::kMaxCpus] = {}; ///< each CPU's hart id by logical number (send_ipi)
    bool rfence = false;       ///< the firmware has SBI RFENCE (shootdowns: flush_user_elsewhere)
    /// The kernel's root table (activate_page_table): every user root shares its upper
    /// half (prepare_user_root), and the harts started later load it.
    kernel::PhysAddr kernel_root{};
};
extern Platform g_platform;

/// Point the console at the NS16550 the devicetree describes; it enables the UART's
/// receive interrupt, which reaches the CPU once the PLIC source is unmasked.
void console_use_uart(u64 phys, unsigned reg_shift);
/// The UART's PLIC source (from its `interrupts`), once the PLIC is known to have it.
void console_use_irq(kernel::u32 source);

/// Take over the PLIC at `phys` with `sources` sources, using `context` (the boot hart's
/// S-mode one): every source masked, priority 1, threshold 0, sie.SEIE set.
void plic_init(u64 phys, kernel::u32 sources, kernel::u32 context);
/// True if `source` is a PLIC source user space can own (1..ndev).
bool plic_has_source(kernel::u32 source);
/// Called for the supervisor external interrupt, from S-mode (riscv64_trap) or U-mode
/// (riscv64_user_trap): claims one source, calls kernel::on_device_interrupt, completes.
void external_interrupt();

/// Called for the supervisor software interrupt, from S-mode or U-mode: an IPI
/// (arch::send_ipi); clears sip.SSIP and calls kernel::on_ipi.
void software_interrupt();

/// Called for the supervisor timer interrupt from S-mode (riscv64_trap): re-arms and
/// calls kernel::on_timer_tick. (From U-mode user_mode.cpp's user_tick re-arms, then
/// tries kernel::on_user_tick_unlocked first.)
void timer_interrupt();
/// timer_interrupt's first half: the next tick's deadline (this hart's), sip.STIP cleared.
void rearm_timer();


} // namespace arch::riscv64

// Every hart's CpuLocal by logical number (platform.cpp; entry.S points tp at one).
extern "C" arch::riscv64::CpuLocal riscv64_cpus[kernel::kMaxCpus];
