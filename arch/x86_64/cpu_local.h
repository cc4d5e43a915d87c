/* Each CPU's own data. While the kernel runs, the GS base (IA32_GS_BASE) points at it and
   IA32_KERNEL_GS_BASE holds the user's GS base; swapgs exchanges the two at every
   crossing (user_entry.S). It holds the logical number (arch::cpu_index), the top of the
   CPU's kernel stack, where the next entry from user mode saves the thread, the CPU's run
   queue for the entry's Yield, the function its syscall entry calls, and a slot for the user's rsp while syscall entry has no
   register free. Offsets for the assembly (a C header); user_mode.cpp checks them. */
#ifndef ARCH_X86_64_CPU_LOCAL_H
#define ARCH_X86_64_CPU_LOCAL_H

#define CPU_INDEX 0       /* u32: the logical number, 0 for the boot CPU */
#define CPU_KERNEL_SP 8   /* top of this CPU's kernel stack (its TSS.rsp0 too) */
#define CPU_REGS 16       /* register file the next entry from user mode saves into */
#define CPU_RUN_QUEUE 24  /* this CPU's run queue (microkernel/sched/fast_yield.h) */
#define CPU_SCRATCH 32    /* the user's rsp (or rsi) for a few instructions of syscall entry */
#define CPU_SELF 40       /* this CpuLocal's own address, for C++ */
#define CPU_SYSCALL 48    /* what syscall entry calls first (arch::set_syscall_path) */
#define CPU_FPU_LIVE 56   /* u8: CR0.TS is clear (the lazy FPU) */
#define CPU_ACTIVE_PCID 58 /* u16: the PCID in CR3 (0 also without PCIDE) */
#define CPU_LOCAL_SIZE 64

#define MSR_KERNEL_GS_BASE 0xc0000102

#endif
