// The raw system call of aarch64 user programs (libsys/include/sys/syscall.hpp).
// Registers (docs/abi.md): number in x8, capability/result in x0, MessageInfo in x1,
// message registers 0..3 in x2..x5, badge out in x6; the instruction is `svc #0`.
// The kernel saves and restores every register, so only x0..x6 come back changed.

// SysRegs offsets: nr +0, cap +8, info +16, mr[0..3] +24..+48, badge +56.

// void sys_trap(SysRegs* r)
    .section .text.sys_trap, "ax", %progbits
    .globl sys_trap
    .type sys_trap, %function
sys_trap:
    str x19, [sp, #-16]!        // x19 (callee-saved) keeps `r` across the svc
    mov x19, x0
    ldp x8, x0, [x19, #0]       // nr, cap
    ldp x1, x2, [x19, #16]      // info, mr0
    ldp x3, x4, [x19, #32]      // mr1, mr2
    ldr x5, [x19, #48]          // mr3
    svc #0
    stp x0, x1, [x19, #8]       // cap (0 or -errno), info
    stp x2, x3, [x19, #24]      // mr0, mr1
    stp x4, x5, [x19, #40]      // mr2, mr3
    str x6, [x19, #56]          // badge
    ldr x19, [sp], #16
    ret
    .size sys_trap, . - sys_trap

// u64 sys_read_tls(): TPIDR_EL0, which the kernel restores from the register file.
    .section .text.sys_read_tls, "ax", %progbits
    .globl sys_read_tls
    .type sys_read_tls, %function
sys_read_tls:
    mrs x0, tpidr_el0
    ret
    .size sys_read_tls, . - sys_read_tls

// u64 sys_read_counter(): PMCCNTR_EL0, the cycle counter the kernel starts at boot
// (init.cpp start_cycle_counter) and opens to EL0 (user_mode.cpp, PMUSERENR_EL0.CR);
// under QEMU -icount it counts guest instructions. On a CPU without a PMU this traps
// (undefined instruction) instead of reading CNTVCT_EL0, whose 1/16 resolution would
// make the per-operation figures meaningless.
    .section .text.sys_read_counter, "ax", %progbits
    .globl sys_read_counter
    .type sys_read_counter, %function
sys_read_counter:
    mrs x0, pmccntr_el0
    ret
    .size sys_read_counter, . - sys_read_counter

// u64 sys_yield_check(): Yield with known values in x1..x5, x7, x9..x28 and x8 (the
// number: kept); 0 if all survive and x0 (the result) is 0, else a mask (bit n: xn
// changed; bit 63: the result). x6 (the badge) is not checked.
    .section .text.sys_yield_check, "ax", %progbits
    .globl sys_yield_check
    .type sys_yield_check, %function
sys_yield_check:
    stp x29, x30, [sp, #-96]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
    stp x27, x28, [sp, #80]
    .irp n, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
    mov x\n, #(\n * 0x101)
    .endr
    mov x0, #0x7777
    mov x8, #5                  // Yield
    svc #0
    mov x29, xzr                // the mask (x29 is saved: free now)
    cbz x0, 1f
    orr x29, x29, #(1 << 63)
1:  cmp x8, #5
    b.eq 1f
    orr x29, x29, #(1 << 8)
1:
    .irp n, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
    mov x30, #(\n * 0x101)
    cmp x\n, x30
    b.eq 1f
    orr x29, x29, #(1 << \n)
1:
    .endr
    mov x0, x29
    ldp x19, x20, [sp, #16]
    ldp x21, x22, [sp, #32]
    ldp x23, x24, [sp, #48]
    ldp x25, x26, [sp, #64]
    ldp x27, x28, [sp, #80]
    ldp x29, x30, [sp], #96
    ret
    .size sys_yield_check, . - sys_yield_check

.section .note.GNU-stack, "", %progbits

// u64 sys_spin(u64 n): n iterations of exactly two instructions (benchmark calibration:
// under -icount the counter must advance by 2n plus a constant).
    .text
    .globl sys_spin
    .type sys_spin, %function
sys_spin:
1:  subs x0, x0, #1
    b.ne 1b
    ret
    .size sys_spin, . - sys_spin

// [[noreturn]] void sys_illegal_instruction(): udf, permanently undefined, so the thread
// takes an Undefined Instruction exception and procserv reports SIGILL.
    .section .text.sys_illegal_instruction, "ax", %progbits
    .globl sys_illegal_instruction
    .type sys_illegal_instruction, %function
sys_illegal_instruction:
    udf #0
    b sys_illegal_instruction
    .size sys_illegal_instruction, . - sys_illegal_instruction

// void sys_touch_fpu(): one FP/SIMD instruction (d0 is the caller's to clobber), so that
// the thread holds the FP/SIMD registers (benchmarks: a call right after FP work).
    .section .text.sys_touch_fpu, "ax", %progbits
    .globl sys_touch_fpu
    .type sys_touch_fpu, %function
sys_touch_fpu:
    fmov d0, xzr
    ret
    .size sys_touch_fpu, . - sys_touch_fpu
