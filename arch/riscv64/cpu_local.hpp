// The per-CPU area trap_entry.S reaches through sscratch on an entry from user mode.
// Included by assembly (offsets only) and C++ (the struct, checked against the offsets).
//
// The sscratch invariant: sscratch is 0 whenever the CPU runs in S-mode, and holds this
// CPU's area whenever it runs in U-mode. The first instruction of the trap vector swaps
// sp with sscratch, so a zero tells a kernel trap (swap back, keep the kernel stack)
// from a user one (sp now points here, sscratch holds the user's sp).
#pragma once

#define CPU_KERNEL_SP 0   /* top of this CPU's kernel stack: each user entry starts there */
#define CPU_REGS 8        /* register file the next user entry saves into */
#define CPU_SCRATCH 16    /* t0 of the user, parked while t0 is the base register */

#ifndef __ASSEMBLER__

#include <cstddef>
#include <microkernel/types.hpp>

namespace arch::riscv64 {

struct CpuLocal {
    char* kernel_sp;
    kernel::u64* regs;
    kernel::u64 scratch;
};
static_assert(offsetof(CpuLocal, kernel_sp) == CPU_KERNEL_SP);
static_assert(offsetof(CpuLocal, regs) == CPU_REGS);
static_assert(offsetof(CpuLocal, scratch) == CPU_SCRATCH);

/// One CPU for now (the boot hart); an array indexed by hart when SMP comes.
extern CpuLocal g_cpu;

} // namespace arch::riscv64

#endif // __ASSEMBLER__
