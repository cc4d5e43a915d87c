// The supervisor trap vector (stvec, direct mode): every exception and interrupt lands
// here, from S-mode (the kernel) or from U-mode (a user thread); riscv64_enter_user is
// the way back to U-mode.
//
// Telling the two apart: sscratch is 0 while the kernel runs and points at this CPU's
// CpuLocal while a user thread runs (cpu_local.hpp). The first instruction swaps sp and
// sscratch, so sp == 0 afterwards means a kernel trap.
//
// Kernel traps: all 31 general registers are saved on the interrupted kernel stack,
// because a fatal trap prints them and an interrupt (taken only while the kernel idles)
// must return to code that never expected to be interrupted. Layout matches struct
// TrapFrame in riscv64.hpp: x1..x31, then sepc, sstatus, scause, stval.
//
// User traps: the registers go into the thread's register file (the layout of
// <arch/context.hpp>) that return_to_user last installed, and riscv64_user_trap runs on
// a fresh kernel stack; it never comes back here.
#include <arch/context.hpp>
#include "cpu_local.hpp"
#include <microkernel/sched/fast_yield.h>

#define FRAME_SIZE (36 * 8)     // 35 slots, rounded up to keep sp 16-byte aligned
#define SLOT(n) ((n) * 8)
#define SEPC SLOT(31)
#define SSTATUS SLOT(32)
#define SCAUSE SLOT(33)
#define STVAL SLOT(34)
#define SSTATUS_FS (3 << 13)    // FP state; both bits set = Dirty
#define SCAUSE_ECALL_FROM_U 8

// Byte offsets in the register file of the two registers the user path saves last and
// restores last (sp arrives through sscratch; t0 is the base register), and of the IP.
#define FIND_SLOT(n, index) .if n == 2; .set SP_SLOT, index * 8; .elseif n == 5; .set T0_SLOT, index * 8; .endif;
    RISCV64_USER_REG_LAYOUT(FIND_SLOT)
    .set    IP_SLOT, RISCV64_USER_REG_IP * 8

    .section .text
    .balign 4
    .globl riscv64_trap_entry
riscv64_trap_entry:
    csrrw   sp, sscratch, sp
    bnez    sp, from_user
    // From S-mode: sp is 0 and sscratch holds the kernel sp; swap back, which also
    // restores the sscratch == 0 invariant for a nested trap.
    csrrw   sp, sscratch, sp
    addi    sp, sp, -FRAME_SIZE
    sd      x1, SLOT(0)(sp)
    .irp    n, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    sd      x\n, SLOT(\n - 1)(sp)
    .endr
    addi    t0, sp, FRAME_SIZE
    sd      t0, SLOT(1)(sp)     // x2 as it was before the trap
    csrr    t0, sepc
    sd      t0, SEPC(sp)
    csrr    t0, sstatus
    sd      t0, SSTATUS(sp)
    csrr    t0, scause
    sd      t0, SCAUSE(sp)
    csrr    t0, stval
    sd      t0, STVAL(sp)

    mv      a0, sp
    call    riscv64_trap

    // The handler may have changed sepc (to skip an instruction) or sstatus.SPIE/SPP.
    ld      t0, SEPC(sp)
    csrw    sepc, t0
    ld      t0, SSTATUS(sp)
    csrw    sstatus, t0
    ld      x1, SLOT(0)(sp)
    .irp    n, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    ld      x\n, SLOT(\n - 1)(sp)
    .endr
    addi    sp, sp, FRAME_SIZE
    sret

from_user:
    // sp = this CPU's CpuLocal, sscratch = the user's sp, every other register the
    // user's. The trap cleared sstatus.SIE, so nothing interrupts this path, and the
    // user's stack is never touched (it may be anything). t0 becomes the base register
    // for the register file once its user value is parked in CpuLocal.
    sd      t0, CPU_SCRATCH(sp)
    // The null system call first (microkernel/sched/fast_yield.h): a native thread's ecall
    // of Yield with nothing else to run refreshes the thread's slice and returns at once.
    // t0 is parked; a7, which holds the number (5), is borrowed until the call is known
    // to be the thread's own Yield (a Linux thread's 5 is setxattr: the whole path, every
    // register as the thread left it); then a0, the result register, leaves 0.
    addi    t0, a7, -FAST_YIELD_SYSCALL     // (the number first: any other call pays two)
    bnez    t0, 1f
    csrr    t0, scause
    addi    t0, t0, -SCAUSE_ECALL_FROM_U
    bnez    t0, 1f
    ld      a7, CPU_RUN_QUEUE(sp)
    ld      t0, FAST_YIELD_RQ_BUSY(a7)
    bnez    t0, 5f                              // someone else may run: the whole path
    ld      a7, FAST_YIELD_RQ_CURRENT(a7)
    lbu     t0, FAST_YIELD_LINUX_ABI(a7)
    bnez    t0, 5f                              // Linux's 5: the whole path
    lw      t0, FAST_YIELD_TIME_SLICE(a7)
    sw      t0, FAST_YIELD_REMAINING(a7)
    li      t0, 1
    sb      t0, FAST_YIELD_SLICE_EXPIRED(a7)
    csrr    t0, sepc
    addi    t0, t0, 4                           // after the ecall
    csrw    sepc, t0
    li      a0, 0
    li      a7, FAST_YIELD_SYSCALL              // (the number stays as it was)
    ld      t0, CPU_SCRATCH(sp)
    csrrw   sp, sscratch, sp                    // the user's sp; sscratch = CpuLocal again
    sret
5:  li      a7, FAST_YIELD_SYSCALL
1:  ld      t0, CPU_REGS(sp)
#define SAVE_PLAIN(n, index) .if (n != 2) && (n != 5); sd x##n, index * 8(t0); .endif;
    RISCV64_USER_REG_LAYOUT(SAVE_PLAIN)
    // Everything but sp and t0 is saved, so any register is free now. Reading sscratch
    // also zeroes it: from here on the CPU is in the kernel (invariant above).
    csrrw   t1, sscratch, zero
    sd      t1, SP_SLOT(t0)
    ld      t1, CPU_SCRATCH(sp)
    sd      t1, T0_SLOT(t0)
    // An ecall resumes after itself (whatever the system call does with the thread: a
    // blocked thread resumes there too once woken); other traps at the instruction.
    csrr    t1, sepc
    csrr    a0, scause
    addi    t2, a0, -SCAUSE_ECALL_FROM_U
    bnez    t2, 1f
    addi    t1, t1, 4                           // ecall has no compressed form
1:  sd      t1, IP_SLOT(t0)
    // The FP registers are not saved: they belong to the lazy FPU's owner, whoever runs
    // (arch::fpu_switch).
    // The kernel runs with FS = Off, as since boot (entry.S); the registers keep their
    // values meanwhile.
    li      t1, SSTATUS_FS
    csrc    sstatus, t1
    // gp keeps the user's value in the kernel, which never uses it (no linker
    // relaxation); tp becomes this CPU's CpuLocal (the user's is saved).
    mv      tp, sp
    // Each user entry starts at the top of the kernel stack: the kernel is not
    // preemptible, so nothing of the kernel lives on it while a user thread runs.
    ld      sp, CPU_KERNEL_SP(sp)
    // A system call goes straight to the portable kernel; the rest to the decoding below.
    bnez    t2, 2f
    ld      t0, CPU_SYSCALL(tp)             // kernel::on_user_syscall_fast(): returns if not fast
    jalr    t0                              // (with several CPUs on_user_syscall_locked: never)
    call    _ZN6kernel15on_user_syscallEv       // kernel::on_user_syscall(), [[noreturn]]
    ebreak
2:  csrr    a1, stval           // (a0: scause)
    call    riscv64_user_trap   // [[noreturn]]
    ebreak                      // a return would be a kernel bug: trap loudly

// void riscv64_fpu_save(void* area): f0..f31 and fcsr into a thread's FPU area.
// The caller has set sstatus.FS (not Off) so that these instructions do not trap.
    .globl riscv64_fpu_save
riscv64_fpu_save:
    .option push
    .option arch, +d            // the kernel is built without F/D: only here and in fpu_load
    .irp    n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    fsd     f\n, \n * 8(a0)
    .endr
    frcsr   t0
    .option pop
    sd      t0, RISCV64_FPU_FCSR(a0)
    ret

// void riscv64_fpu_load(const void* area): f0..f31 and fcsr from a thread's FPU area.
// The caller has set sstatus.FS (not Off) so that these instructions do not trap.
    .globl riscv64_fpu_load
riscv64_fpu_load:
    .option push
    .option arch, +d
    .irp    n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    fld     f\n, \n * 8(a0)
    .endr
    ld      t0, RISCV64_FPU_FCSR(a0)
    fscsr   t0
    .option pop
    ret

// void riscv64_enter_user(u64* regs, CpuLocal* cpu): the last step of return_to_user,
// which has masked interrupts, sanitized the register file and set sstatus for U-mode.
// Interrupts stay masked until the sret: with sscratch already non-zero, an interrupt
// taken here in S-mode would be mistaken for a user trap.
    .globl riscv64_enter_user
riscv64_enter_user:
    mv      t0, a0
    ld      t1, IP_SLOT(t0)
    csrw    sepc, t1
    csrw    sscratch, a1
#define LOAD_PLAIN(n, index) .if n != 5; ld x##n, index * 8(t0); .endif;
    RISCV64_USER_REG_LAYOUT(LOAD_PLAIN)
    ld      t0, T0_SLOT(t0)     // the base register last
    sret

    .section .note.GNU-stack, "", @progbits
