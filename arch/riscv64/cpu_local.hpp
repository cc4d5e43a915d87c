// Each CPU's own data: trap_entry.S reaches it through sscratch on an entry from user
// mode, and the kernel keeps it in tp while it runs (the user's tp is in the register
// file). Included by assembly (offsets only) and C++ (the struct, checked against the
// offsets).
//
// The sscratch invariant: sscratch is 0 whenever the CPU runs in S-mode, and holds this
// CPU's area whenever it runs in U-mode. The first instruction of the trap vector swaps
// sp with sscratch, so a zero tells a kernel trap (swap back, keep the kernel stack)
// from a user one (sp now points here, sscratch holds the user's sp).
#pragma once

#define CPU_KERNEL_SP 0   /* top of this CPU's kernel stack: each user entry starts there */
#define CPU_REGS 8        /* register file the next user entry saves into */
#define CPU_SCRATCH 16    /* t0 of the user, parked while t0 is the base register */
#define CPU_RUN_QUEUE 24  /* this CPU's run queue (microkernel/sched/fast_yield.h) */
#define CPU_INDEX 32      /* u32: the logical number, 0 for the boot hart (arch::cpu_index) */
#define CPU_SYSCALL 40    /* what the ecall entry calls first (arch::set_syscall_path) */
#define CPU_LOCAL_SIZE 64 /* (a cache line each: no false sharing) */
#define RISCV64_MAX_HARTS 64 /* hart ids entry.S's join_later can wait for (kernel::kMaxCpus) */

#ifndef __ASSEMBLER__

#include <cstddef>
#include <base/types.hpp>

namespace arch::riscv64 {

struct alignas(64) CpuLocal {
    char* kernel_sp;
    kernel::u64* regs;
    kernel::u64 scratch;
    void* run_queue;
    kernel::u32 index;
    void (*syscall)();  ///< what the ecall entry calls (arch::set_syscall_path)
    bool fpu_live;      ///< the thread return_to_user last resumed owns the FP registers
    kernel::u64 next_deadline; ///< the time CSR's value at this hart's next timer tick
};
static_assert(offsetof(CpuLocal, kernel_sp) == CPU_KERNEL_SP);
static_assert(offsetof(CpuLocal, regs) == CPU_REGS);
static_assert(offsetof(CpuLocal, scratch) == CPU_SCRATCH);
static_assert(offsetof(CpuLocal, run_queue) == CPU_RUN_QUEUE && CPU_RUN_QUEUE == 24); // (arch/cpu.hpp reads it there)
static_assert(offsetof(CpuLocal, index) == CPU_INDEX);
static_assert(offsetof(CpuLocal, syscall) == CPU_SYSCALL);
static_assert(sizeof(CpuLocal) == CPU_LOCAL_SIZE);

/// This CPU's own data: tp, while the kernel runs.
inline CpuLocal& this_cpu() {
    CpuLocal* local;
    asm("mv %0, tp" : "=r"(local));
    return *local;
}

} // namespace arch::riscv64

#endif // __ASSEMBLER__
