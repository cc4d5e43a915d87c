// The raw system call of riscv64 user programs (libsys/include/sys/syscall.hpp).
// Registers as docs/abi.md assigns them: number a7, capability/result a0, info a1,
// message registers a2..a5, badge a6 (out only); the instruction is ecall. The kernel
// restores every other register as it was, so only the struct pointer needs keeping
// across the ecall: in s0, callee-saved, saved on the stack first.

// struct SysRegs offsets (syscall.hpp static_asserts the size; the fields are fixed).
#define NR 0
#define CAP 8
#define INFO 16
#define MR0 24
#define BADGE 56

    .section .text.sys_trap, "ax", @progbits
    .globl sys_trap
    .type sys_trap, @function
// void sys_trap(SysRegs* r)
sys_trap:
    addi    sp, sp, -16         // keeps the 16-byte alignment the ABI requires
    sd      s0, 0(sp)
    mv      s0, a0
    ld      a7, NR(s0)
    ld      a0, CAP(s0)
    ld      a1, INFO(s0)
    ld      a2, MR0 + 0(s0)
    ld      a3, MR0 + 8(s0)
    ld      a4, MR0 + 16(s0)
    ld      a5, MR0 + 24(s0)
    ecall
    sd      a0, CAP(s0)
    sd      a1, INFO(s0)
    sd      a2, MR0 + 0(s0)
    sd      a3, MR0 + 8(s0)
    sd      a4, MR0 + 16(s0)
    sd      a5, MR0 + 24(s0)
    sd      a6, BADGE(s0)
    ld      s0, 0(sp)
    addi    sp, sp, 16
    ret
    .size sys_trap, . - sys_trap

    .section .text.sys_read_tls, "ax", @progbits
    .globl sys_read_tls
    .type sys_read_tls, @function
// u64 sys_read_tls(void): the thread pointer, which the kernel sets (Thread.SetTls)
// and user code never writes (the psABI reserves tp for the thread's TLS).
sys_read_tls:
    mv      a0, tp
    ret
    .size sys_read_tls, . - sys_read_tls

    .section .text.sys_read_counter, "ax", @progbits
    .globl sys_read_counter
    .type sys_read_counter, @function
// u64 sys_read_counter(void): instret (the kernel opens it to U mode through
// scounteren); it counts retired instructions, with or without QEMU -icount.
sys_read_counter:
    rdinstret a0
    ret
    .size sys_read_counter, . - sys_read_counter

// u64 sys_yield_check(): Yield with known values in ra, a1..a5, t0..t6, s0..s11 and a7
// (the number: kept); 0 if all survive and a0 (the result) is 0, else a mask (bit n: xn
// changed; bit 63: the result). a6 (the badge), gp and tp are not checked.
    .section .text.sys_yield_check, "ax", @progbits
    .globl sys_yield_check
    .type sys_yield_check, @function
sys_yield_check:
    addi    sp, sp, -112
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    .irp n, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27
    sd      x\n, ((\n - 15) * 8)(sp)
    .endr
    .irp n, 1, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    li      x\n, (\n * 0x101)
    .endr
    li      a0, 0x7777
    li      a7, 5               // Yield
    ecall
    li      a6, 0               // the mask (a6 is not checked: free)
    beqz    a0, 1f
    li      a0, 1
    slli    a0, a0, 63
    or      a6, a6, a0
1:  li      a0, 5
    beq     a7, a0, 1f
    li      a0, 1
    slli    a0, a0, 17
    or      a6, a6, a0
1:
    .irp n, 1, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    li      a0, (\n * 0x101)
    beq     x\n, a0, 1f
    li      a0, 1
    slli    a0, a0, \n
    or      a6, a6, a0
1:
    .endr
    mv      a0, a6
    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    .irp n, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27
    ld      x\n, ((\n - 15) * 8)(sp)
    .endr
    addi    sp, sp, 112
    ret
    .size sys_yield_check, . - sys_yield_check

.section .note.GNU-stack, "", @progbits

# u64 sys_spin(u64 n): n iterations of exactly two instructions (benchmark calibration:
# under -icount the counter must advance by 2n plus a constant).
    .text
    .globl sys_spin
    .type sys_spin, @function
sys_spin:
1:  addi a0, a0, -1
    bnez a0, 1b
    ret
    .size sys_spin, . - sys_spin

// [[noreturn]] void sys_illegal_instruction(): the all-zero instruction, which the ISA
// defines as illegal, so the thread takes an illegal-instruction exception and procserv
// reports SIGILL.
    .section .text.sys_illegal_instruction, "ax", @progbits
    .globl sys_illegal_instruction
    .type sys_illegal_instruction, @function
sys_illegal_instruction:
    .4byte 0
    j sys_illegal_instruction
    .size sys_illegal_instruction, . - sys_illegal_instruction

// void sys_touch_fpu(): one FP instruction (ft0 is the caller's to clobber), so that the
// thread holds the FP registers (benchmarks: a call right after FP work).
    .section .text.sys_touch_fpu, "ax", @progbits
    .globl sys_touch_fpu
    .type sys_touch_fpu, @function
sys_touch_fpu:
    fmv.d.x ft0, zero
    ret
    .size sys_touch_fpu, . - sys_touch_fpu
