// Tiny CPU primitives the portable kernel calls inline.
#pragma once

#include <base/types.hpp>

namespace arch {

/// invlpg and INVPCID act on this CPU only: the kernel sends the others remote calls.
constexpr bool kTlbBroadcast = false;

/// This CPU's logical number (microkernel/smp.hpp): the first field of its CpuLocal, which
/// the GS base points at while the kernel runs (arch/x86_64/cpu_local.h).
inline kernel::u32 cpu_index() {
    kernel::u64 index; // (movl zeroes the upper half: said, GCC indexes with it as it is)
    asm("movl %%gs:0, %k0" : "=r"(index));
    if (index >= 64) __builtin_unreachable();
    return static_cast<kernel::u32>(index);
}
/// This CPU's run queue (kernel::fast_yield_run_queue), from its CpuLocal (CPU_RUN_QUEUE, 24).
inline void* cpu_run_queue() {
    void* queue;
    asm("movq %%gs:24, %0" : "=r"(queue));
    return queue;
}

inline void interrupts_enable() { asm volatile("sti" ::: "memory"); }
inline void interrupts_disable() { asm volatile("cli" ::: "memory"); }
/// Sleep until the next interrupt (returns after it was handled).
inline void wait_for_interrupt() { asm volatile("hlt" ::: "memory"); }
/// (STI's one-instruction shadow: an interrupt pending before it ends the HLT.)
inline void sleep_until_interrupt() { asm volatile("sti; hlt; cli" ::: "memory"); }
/// Does wait_for_interrupt() end for an interrupt pending while masked? HLT with IF clear
/// does not (only NMI, INIT, SMI end it).
constexpr bool kWaitEndsMasked = false;

/// In a spin loop: a hint that this CPU waits for another (and, under QEMU's one-thread
/// round robin, -icount, it gives the other CPUs their turn).
inline void cpu_relax() { asm volatile("pause" ::: "memory"); }

/// The time-stamp counter; under QEMU -icount it counts guest instructions.
inline kernel::u64 read_cycle_counter() {
    kernel::u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (kernel::u64{hi} << 32) | lo;
}

} // namespace arch
