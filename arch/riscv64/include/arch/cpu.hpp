// The few riscv64 instructions the portable kernel needs, inline.
#pragma once

#include <base/types.hpp>

namespace arch {

/// sfence.vma acts on this hart only: the kernel sends the others remote calls.
constexpr bool kTlbBroadcast = false;

/// This CPU's logical number (microkernel/smp.hpp), from its CpuLocal, which tp points
/// at while the kernel runs (arch/riscv64/cpu_local.hpp: CPU_INDEX, 32).
inline kernel::u32 cpu_index() {
    kernel::u64 index; // (below 64, said: GCC then indexes with it as lwu leaves it)
    asm("lwu %0, 32(tp)" : "=r"(index));
    if (index >= 64) __builtin_unreachable();
    return static_cast<kernel::u32>(index);
}
/// This CPU's run queue (kernel::fast_yield_run_queue), from its CpuLocal (CPU_RUN_QUEUE, 24).
inline void* cpu_run_queue() {
    void* queue;
    asm("ld %0, 24(tp)" : "=r"(queue));
    return queue;
}

/// sstatus.SIE gates every supervisor interrupt (the per-source enables are in sie).
inline void interrupts_enable() { asm volatile("csrsi sstatus, 2" ::: "memory"); }
inline void interrupts_disable() { asm volatile("csrci sstatus, 2" ::: "memory"); }

/// wfi may return early (the spec allows it to be a no-op); callers loop.
inline void wait_for_interrupt() { asm volatile("wfi" ::: "memory"); }
/// (WFI wakes for an interrupt pending in sip & sie even while sstatus.SIE masks it.)
inline void sleep_until_interrupt() { asm volatile("wfi; csrsi sstatus, 2; csrci sstatus, 2" ::: "memory"); }
/// wait_for_interrupt() ends for an interrupt pending while masked (and leaves it pending).
constexpr bool kWaitEndsMasked = true;

/// In a spin loop: Zihintpause's PAUSE, a hint that this CPU waits for another (encoded as
/// a FENCE that does nothing, so any core runs it).
inline void cpu_relax() { asm volatile(".4byte 0x0100000f" ::: "memory"); }

/// The cycle CSR (OpenSBI opens it to S-mode through mcounteren). Under QEMU
/// `-icount shift=0` both cycle and instret count guest instructions, one per retired
/// instruction; without -icount they follow host time and mean nothing (DESIGN.md).
inline kernel::u64 read_cycle_counter() {
    kernel::u64 v;
    asm volatile("rdcycle %0" : "=r"(v));
    return v;
}

} // namespace arch
