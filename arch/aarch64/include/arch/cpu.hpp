// Inline CPU primitives the portable kernel uses.
#pragma once

#include <base/types.hpp>

namespace arch {

namespace aarch64 {
/// Set once at boot when PMCCNTR_EL0 was found and started (cpu_init in init.cpp).
extern bool g_cycle_counter_on;
} // namespace aarch64

/// `tlbi ...is` reaches every CPU of the inner-shareable domain: no remote calls needed.
constexpr bool kTlbBroadcast = true;

/// This CPU's logical number (microkernel/smp.hpp): the first field of its CpuLocal,
/// which TPIDR_EL1 points at (arch/aarch64/cpu_local.h).
inline kernel::u32 cpu_index() {
    kernel::u64 local;
    asm("mrs %0, tpidr_el1" : "=r"(local));
    return *reinterpret_cast<const kernel::u32*>(local);
}
/// This CPU's run queue (kernel::fast_yield_run_queue), from its CpuLocal (CPU_RUN_QUEUE, 24).
inline void* cpu_run_queue() {
    kernel::u64 local;
    asm("mrs %0, tpidr_el1" : "=r"(local));
    return *reinterpret_cast<void* const*>(local + 24);
}

/// Unmask IRQs (PSTATE.I). FIQs stay masked: nothing routes to them.
inline void interrupts_enable() { asm volatile("msr daifclr, #2" ::: "memory"); }
inline void interrupts_disable() { asm volatile("msr daifset, #2" ::: "memory"); }
inline void wait_for_interrupt() { asm volatile("wfi" ::: "memory"); }
/// (WFI wakes for a pending IRQ even while PSTATE.I masks it.)
inline void sleep_until_interrupt() { asm volatile("wfi; msr daifclr, #2; isb; msr daifset, #2" ::: "memory"); }
/// wait_for_interrupt() ends for an interrupt pending while masked (and leaves it pending).
constexpr bool kWaitEndsMasked = true;

/// In a spin loop: a hint that this CPU waits for another (and, under QEMU's one-thread
/// round robin, -icount, it gives the other CPUs their turn).
inline void cpu_relax() { asm volatile("yield" ::: "memory"); }

/// PMCCNTR_EL0 when the PMU is there (under `-icount` it counts guest instructions),
/// else the virtual counter, which runs at CNTFRQ_EL0 and is coarse.
inline kernel::u64 read_cycle_counter() {
    kernel::u64 v;
    if (aarch64::g_cycle_counter_on)
        asm volatile("isb; mrs %0, pmccntr_el0" : "=r"(v));
    else
        asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}

} // namespace arch
