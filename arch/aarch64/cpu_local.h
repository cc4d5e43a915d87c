/* Each CPU's own data, which TPIDR_EL1 points at while the kernel runs (EL0 cannot read
   it): the logical number (arch::cpu_index), the top of the CPU's kernel stack, where
   the next entry from EL0 saves the thread, and the CPU's run queue for the entry's
   Yield. Offsets for the assembly (a C header: the .S files include it); user_mode.cpp
   checks them against arch::aarch64::CpuLocal. */
#ifndef ARCH_AARCH64_CPU_LOCAL_H
#define ARCH_AARCH64_CPU_LOCAL_H

#define CPU_INDEX 0       /* u32: the logical number, 0 for the boot CPU */
#define CPU_KERNEL_SP 8   /* top of this CPU's kernel stack: each EL0 entry starts there */
#define CPU_REGS 16       /* register file the next EL0 entry saves into */
#define CPU_RUN_QUEUE 24  /* this CPU's run queue (microkernel/sched/fast_yield.h) */
#define CPU_SYSCALL 32    /* what the svc entry calls first (arch::set_syscall_path) */
#define CPU_LOCAL_SIZE 64 /* (a cache line each: no false sharing) */

#endif
