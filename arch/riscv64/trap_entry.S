// The supervisor trap vector (stvec, direct mode): every exception and interrupt lands
// here. All 31 general registers are saved, because a fatal trap prints them and an
// interrupt must return to code that never expected to be interrupted. Layout matches
// struct TrapFrame in riscv64.hpp: x1..x31, then sepc, sstatus, scause, stval.
//
// Only the kernel runs for now, so the trap uses the interrupted kernel stack; entering
// from user mode will need the sscratch stack swap (sscratch is kept 0 for that).

#define FRAME_SIZE (36 * 8)     // 35 slots, rounded up to keep sp 16-byte aligned
#define SLOT(n) ((n) * 8)
#define SEPC SLOT(31)
#define SSTATUS SLOT(32)
#define SCAUSE SLOT(33)
#define STVAL SLOT(34)

    .section .text
    .balign 4
    .globl riscv64_trap_entry
riscv64_trap_entry:
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

    .section .note.GNU-stack, "", @progbits
