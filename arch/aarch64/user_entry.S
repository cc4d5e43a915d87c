// The two crossings between EL1 and EL0: aarch64_enter_user (the tail of
// arch::return_to_user) and aarch64_user_entry (every exception taken from EL0, reached
// from the "lower EL, AArch64" slots of vectors.S).
//
// Invariants both sides rely on:
// - The kernel runs at EL1h (SPSel = 1) with IRQs masked, on the CPU's kernel stack
//   (cpu_local.h: CPU_KERNEL_SP of the CpuLocal TPIDR_EL1 points at). While EL0 runs,
//   nothing of the kernel is on that stack: enter_user leaves SP_EL1 exactly at its top,
//   so an exception from EL0 finds an empty stack and every entry starts afresh there.
// - The CpuLocal's CPU_REGS names the register file that the last enter_user restored;
//   the next entry saves into it.
// - FP/SIMD is switched lazily (arch::fpu_switch): neither crossing saves or loads it.
//   The kernel's C++ never touches it (-mgeneral-regs-only), so the registers keep the
//   FPU owner's values while anyone else runs, with EL0 access trapped (CPACR_EL1.FPEN).
// - Taking an exception masks D, A, I and F, so the entry path runs with everything
//   masked until the kernel chooses to idle; enter_user masks them again itself, since
//   an IRQ between writing ELR/SPSR and eret would overwrite them.
// Register file indices and FPU area offsets: <arch/context.hpp>.
#include "cpu_local.h"
#include <arch/context.hpp>
#include <microkernel/sched/fast_yield.h>

#define REG(i) ((i) * 8)

.section .text

// [[noreturn]] void aarch64_enter_user(u64* regs (x0))
// Sanitized by arch::return_to_user, or as an exception from EL0 saved them (SPSR says
// EL0t, IRQs unmasked; ELR and SP lower-half addresses), so the eret can only land in EL0.
.globl aarch64_enter_user
.type aarch64_enter_user, %function
aarch64_enter_user:                             // (IRQs masked: return_to_user did it)
    mrs x4, tpidr_el1
    str x0, [x4, #CPU_REGS]
    ldp x2, x3, [x0, #REG(AARCH64_REG_IP)]      // ip, sp
    msr elr_el1, x2
    msr sp_el0, x3
    ldp x2, x3, [x0, #REG(AARCH64_REG_SPSR)]    // spsr, TPIDR_EL0
    msr spsr_el1, x2
    msr tpidr_el0, x3

    // The kernel stack is empty from here on: the next entry from EL0 starts at its top.
    ldr x4, [x4, #CPU_KERNEL_SP]
    mov sp, x4
    // (The kernel's page-table writes reach the walker before EL0 runs: leave_to_user's
    // dsb ishst, or activate_user_space's.)

    ldr x8, [x0, #REG(AARCH64_REG_X8)]
    ldp x2, x3, [x0, #REG(AARCH64_REG_X0 + 2)]
    ldp x4, x5, [x0, #REG(AARCH64_REG_X0 + 4)]
    ldp x6, x7, [x0, #REG(AARCH64_REG_X0 + 6)]  // x6 and x7 (index 9, 10)
    ldp x9, x10, [x0, #REG(AARCH64_REG_X9 + 0)]
    ldp x11, x12, [x0, #REG(AARCH64_REG_X9 + 2)]
    ldp x13, x14, [x0, #REG(AARCH64_REG_X9 + 4)]
    ldp x15, x16, [x0, #REG(AARCH64_REG_X9 + 6)]
    ldp x17, x18, [x0, #REG(AARCH64_REG_X9 + 8)]
    ldp x19, x20, [x0, #REG(AARCH64_REG_X9 + 10)]
    ldp x21, x22, [x0, #REG(AARCH64_REG_X9 + 12)]
    ldp x23, x24, [x0, #REG(AARCH64_REG_X9 + 14)]
    ldp x25, x26, [x0, #REG(AARCH64_REG_X9 + 16)]
    ldp x27, x28, [x0, #REG(AARCH64_REG_X9 + 18)]
    ldp x29, x30, [x0, #REG(AARCH64_REG_X9 + 20)]
    ldp x0, x1, [x0, #REG(AARCH64_REG_X0)]      // the base last (no writeback: allowed)
    eret
    dsb nsh                                     // never executed: stops straight-line
    isb                                         // speculation past the eret
.size aarch64_enter_user, . - aarch64_enter_user

// Save the user's registers into the register file (its address in x1), the user's x0
// and x1 from [sp], sp back at the top of the kernel stack. Leaves x0 alone.
// (With keep_local, x0 keeps this CPU's CpuLocal for after it.)
.macro save_user_registers keep_local=0
.if \keep_local
    mrs x0, tpidr_el1
    ldr x1, [x0, #CPU_REGS]
.else
    mrs x1, tpidr_el1
    ldr x1, [x1, #CPU_REGS]
.endif
    str x8, [x1, #REG(AARCH64_REG_X8)]
    stp x2, x3, [x1, #REG(AARCH64_REG_X0 + 2)]
    stp x4, x5, [x1, #REG(AARCH64_REG_X0 + 4)]
    stp x6, x7, [x1, #REG(AARCH64_REG_X0 + 6)]
    stp x9, x10, [x1, #REG(AARCH64_REG_X9 + 0)]
    stp x11, x12, [x1, #REG(AARCH64_REG_X9 + 2)]
    stp x13, x14, [x1, #REG(AARCH64_REG_X9 + 4)]
    stp x15, x16, [x1, #REG(AARCH64_REG_X9 + 6)]
    stp x17, x18, [x1, #REG(AARCH64_REG_X9 + 8)]
    stp x19, x20, [x1, #REG(AARCH64_REG_X9 + 10)]
    stp x21, x22, [x1, #REG(AARCH64_REG_X9 + 12)]
    stp x23, x24, [x1, #REG(AARCH64_REG_X9 + 14)]
    stp x25, x26, [x1, #REG(AARCH64_REG_X9 + 16)]
    stp x27, x28, [x1, #REG(AARCH64_REG_X9 + 18)]
    stp x29, x30, [x1, #REG(AARCH64_REG_X9 + 20)]
    // From here x2..x30 are free.
    ldp x2, x3, [sp], #16                       // the user's x0, x1; sp back at the top
    stp x2, x3, [x1, #REG(AARCH64_REG_X0)]
    mrs x2, elr_el1                             // after an svc: the next instruction
    mrs x3, sp_el0
    stp x2, x3, [x1, #REG(AARCH64_REG_IP)]
    mrs x2, spsr_el1
    mrs x3, tpidr_el0
    stp x2, x3, [x1, #REG(AARCH64_REG_SPSR)]
.endm

// An svc from AArch64, sent here by its vector (vectors.S) with the user's x0 and x1
// pushed at [sp] (sp = kernel stack top - 16) and every other register still the
// user's. (The kernel keeps no frame records: x29 and x30 need no clearing for a
// debugger's backtrace.)
.globl aarch64_user_svc
.type aarch64_user_svc, %function
aarch64_user_svc:
    // The null system call first (microkernel/sched/fast_yield.h): a native thread's Yield
    // with nothing else to run refreshes the thread's slice and returns at once (a Linux
    // thread's 5 is setxattr: the whole path). x0 and x1 are free (the user's are at
    // [sp]); x0, the result register, leaves 0.
    cmp x8, #FAST_YIELD_SYSCALL                 // (the number first: any other call pays two)
    b.ne 1f
    mrs x0, tpidr_el1
    ldr x0, [x0, #CPU_RUN_QUEUE]
    ldr x1, [x0, #FAST_YIELD_RQ_BUSY]
    cbnz x1, 1f                                 // someone else may run: the whole path
    ldr x0, [x0, #FAST_YIELD_RQ_CURRENT]
    ldrb w1, [x0, #FAST_YIELD_LINUX_ABI]
    cbnz w1, 1f                                 // Linux's 5: the whole path
    ldr w1, [x0, #FAST_YIELD_TIME_SLICE]
    str w1, [x0, #FAST_YIELD_REMAINING]
    mov w1, #1
    strb w1, [x0, #FAST_YIELD_SLICE_EXPIRED]
    ldp x0, x1, [sp], #16                       // the user's x0 and x1; sp back at the top
    mov x0, xzr
    eret
    dsb nsh
    isb
1:  save_user_registers keep_local=1
    // Straight to the portable kernel: its fastpath, then (if that did not apply) the rest.
    // (With several CPUs the CPU's call is kernel::on_user_syscall_locked: never returns.)
    ldr x0, [x0, #CPU_SYSCALL]
    blr x0                                      // kernel::on_user_syscall_fast(): returns if not fast
    bl _ZN6kernel15on_user_syscallEv            // kernel::on_user_syscall(), [[noreturn]]
    brk #0x1
.size aarch64_user_svc, . - aarch64_user_svc

// Every other exception from EL0 (AArch64 or not) arrives here from its vector slot with
//   x0 = the vector kind (4 * origin + type, as vectors.S numbers them),
//   the user's x0 and x1 pushed at [sp] (sp = kernel stack top - 16),
//   every other register still the user's, ELR/SPSR/ESR/FAR describing the exception.
// It saves the whole user state and calls aarch64_user_trap(kind), or for an IRQ from
// EL0 AArch64 aarch64_user_irq(kind) (where a tick may go without the big kernel lock),
// which never return.
.globl aarch64_user_entry
.type aarch64_user_entry, %function
aarch64_user_entry:
    save_user_registers
    cmp x0, #9
    b.eq 1f
    bl aarch64_user_trap                        // (kind), [[noreturn]]
    brk #0x1                                    // it did return: stop here, not in EL0
1:  bl aarch64_user_irq                         // (kind), [[noreturn]]
    brk #0x1
.size aarch64_user_entry, . - aarch64_user_entry

// void aarch64_fpu_switch(void* from (x0, or null), void* to (x1)): the lazy FPU's
// switch (arch::fpu_switch). q0-q31, FPSR and FPCR into `from`, then out of `to`. EL1 may
// use FP/SIMD whatever CPACR_EL1.FPEN says of EL0; the kernel's C++ never does.
.globl aarch64_fpu_switch
.type aarch64_fpu_switch, %function
aarch64_fpu_switch:
    cbz x0, 1f
    stp q0, q1, [x0, #0]
    stp q2, q3, [x0, #32]
    stp q4, q5, [x0, #64]
    stp q6, q7, [x0, #96]
    stp q8, q9, [x0, #128]
    stp q10, q11, [x0, #160]
    stp q12, q13, [x0, #192]
    stp q14, q15, [x0, #224]
    stp q16, q17, [x0, #256]
    stp q18, q19, [x0, #288]
    stp q20, q21, [x0, #320]
    stp q22, q23, [x0, #352]
    stp q24, q25, [x0, #384]
    stp q26, q27, [x0, #416]
    stp q28, q29, [x0, #448]
    stp q30, q31, [x0, #480]
    mrs x2, fpsr
    mrs x3, fpcr
    str x2, [x0, #AARCH64_FPU_FPSR]            // (stp reaches only 504)
    str x3, [x0, #AARCH64_FPU_FPCR]
1:  ldp q0, q1, [x1, #0]
    ldp q2, q3, [x1, #32]
    ldp q4, q5, [x1, #64]
    ldp q6, q7, [x1, #96]
    ldp q8, q9, [x1, #128]
    ldp q10, q11, [x1, #160]
    ldp q12, q13, [x1, #192]
    ldp q14, q15, [x1, #224]
    ldp q16, q17, [x1, #256]
    ldp q18, q19, [x1, #288]
    ldp q20, q21, [x1, #320]
    ldp q22, q23, [x1, #352]
    ldp q24, q25, [x1, #384]
    ldp q26, q27, [x1, #416]
    ldp q28, q29, [x1, #448]
    ldp q30, q31, [x1, #480]
    ldr x2, [x1, #AARCH64_FPU_FPSR]
    ldr x3, [x1, #AARCH64_FPU_FPCR]
    msr fpsr, x2
    msr fpcr, x3
    ret
.size aarch64_fpu_switch, . - aarch64_fpu_switch

.section .note.GNU-stack, "", %progbits
