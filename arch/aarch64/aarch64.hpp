// Internal interface between the aarch64 files (not seen by the portable kernel).
#pragma once

#include "cpu_local.h"

#include <microkernel/arch.hpp>
#include <microkernel/fdt.hpp>
#include <microkernel/smp.hpp>

// System register access; the register name must be a literal.
#define AARCH64_READ_SYSREG(reg)                             \
    __extension__({                                          \
        kernel::u64 sysreg_value_;                           \
        asm volatile("mrs %0, " #reg : "=r"(sysreg_value_)); \
        sysreg_value_;                                       \
    })
#define AARCH64_WRITE_SYSREG(reg, v) \
    asm volatile("msr " #reg ", %0" ::"r"(static_cast<kernel::u64>(v)) : "memory")

extern "C" {
// vectors.S / boot.S
extern char aarch64_vectors[];
extern char aarch64_semihost_hlt[];
kernel::u64 aarch64_semihost(kernel::u64 op, const void* block);
void aarch64_switch_ttbr1(kernel::u64 root_phys, kernel::u64 phys_minus_virt);
void aarch64_secondary_entry(); // a started CPU's first instruction (physical, MMU off)
}

namespace arch::aarch64 {

using kernel::u32;
using kernel::u64;

/// What vectors.S saves; field order is the assembly's.
struct TrapFrame {
    u64 x[31];
    u64 sp, elr, spsr, esr, far;
};
static_assert(sizeof(TrapFrame) == 36 * 8);

/// Device registers, reached through the direct map (early blocks, then BootInfo::mmio).
inline volatile u32* mmio32(u64 phys) {
    return reinterpret_cast<volatile u32*>(kDirectMapBase + phys);
}

/// PL011 from /chosen stdout-path or the first "arm,pl011"; returns its window. Turns on
/// its receive interrupts (the GIC line stays masked until user space claims it).
kernel::Result<kernel::PhysRange> console_init(const kernel::fdt::Tree& tree);

constexpr u32 kSpiBase = 32; ///< devicetree SPI n is GIC INTID 32 + n
constexpr u32 kPpiBase = 16; ///< devicetree PPI n is GIC INTID 16 + n
/// The INTID named by the `index`th specifier of a GIC "interrupts" property (three
/// cells: 0 = SPI or 1 = PPI, number, flags).
kernel::Result<u32> gic_intid(const kernel::fdt::Prop& interrupts, u32 index);

/// The GIC (v2 or v3) and the generic timer's interrupt from the devicetree; adds the GIC's windows
/// to info.mmio and enables the distributor and CPU interface (everything masked, every
/// SPI set up for irq_set_masked).
kernel::Result<void> irq_init(const kernel::fdt::Tree& tree, kernel::BootInfo& info);
/// This CPU's GIC CPU interface on, its SGI for send_ipi enabled (irq_init does it for the
/// boot CPU; each other CPU once it runs).
void gic_cpu_init();
/// Acknowledge, handle and end every pending interrupt (from the IRQ vector); `tick`:
/// timer ticks reach the kernel (kernel::on_timer_tick), else they only re-arm. Says what
/// came: kIrqTick (the timer), kIrqOther (anything else), both, or neither (spurious).
constexpr kernel::u32 kIrqTick = 1, kIrqOther = 2;
kernel::u32 irq_handle(bool tick = true);

/// GICv3 (gicv3.cpp), for timer.cpp's GIC driver: what differs from GICv2.
namespace gicv3 {
/// The distributor (turned off; its base is returned) and the redistributor regions,
/// from the GIC's node; their windows go to info.mmio.
kernel::Result<u64> init(const kernel::fdt::Tree& tree, kernel::fdt::Node gic, kernel::BootInfo& info);
/// SPIs kSpiBase..end-1 in group 1, routed to `boot_mpidr`'s CPU (`gicd`: init's base).
void route_spis(u64 gicd, u32 end, u64 boot_mpidr);
void enable_distributor(u64 gicd);
/// This CPU's redistributor (awake, its SGIs and PPIs off at `priority`, group 1) and its
/// CPU interface (system registers on, every priority let through).
void cpu_init(u32 priority);
void enable_local(u32 intid); ///< an SGI or PPI, on this CPU
u32 acknowledge();            ///< ICC_IAR1_EL1's INTID (1020..1023: none)
void end(u32 intid);          ///< ICC_EOIR1_EL1
void send_sgi(u32 cpu, u32 sgi);
} // namespace gicv3

/// Each CPU's own data, which TPIDR_EL1 points at (cpu_local.h has the offsets).
struct alignas(64) CpuLocal {
    kernel::u32 index;     ///< logical number (arch::cpu_index)
    u64 kernel_sp;         ///< top of the CPU's kernel stack
    u64* regs;             ///< where the next entry from EL0 saves the thread
    void* run_queue;       ///< the CPU's run queue: the entry's Yield, arch::cpu_run_queue
    void (*syscall)();     ///< what the svc entry calls (arch::set_syscall_path)
    bool fpu_live;         ///< EL0 may use FP/SIMD (CPACR_EL1.FPEN), as last written
};
/// This CPU's CpuLocal (TPIDR_EL1).
inline CpuLocal& this_cpu() {
    CpuLocal* local;
    asm("mrs %0, tpidr_el1" : "=r"(local));
    return *local;
}
/// Start PMCCNTR_EL0 on this CPU if there is a PMU (init.cpp; every CPU at its start).
void start_cycle_counter();

/// Physical minus virtual address of the kernel image (set once by aarch64_boot).
extern u64 g_phys_minus_virt;

/// Remember the PSCI conduit (/psci "method") for poweroff's fallback.
void power_init(const kernel::fdt::Tree& tree);

/// FP/SIMD access, ASID width, EL0 counter access (user_mode.cpp); after the PMU is set
/// up, before any thread runs.
void user_mode_init();
/// Open the lower half (TCR.EPD0 clear) onto an empty root, for good: called once the
/// kernel's own tables are in TTBR1 and the boot identity map is gone from TTBR0.
void open_user_half();

} // namespace arch::aarch64

// Every CPU's CpuLocal, by logical number (user_mode.cpp; boot.S points TPIDR_EL1 at one).
extern "C" arch::aarch64::CpuLocal aarch64_cpus[kernel::kMaxCpus];
