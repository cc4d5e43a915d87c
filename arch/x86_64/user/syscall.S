// The x86_64 system-call stubs of libsys/include/sys/syscall.hpp. Register use is
// docs/abi.md's: number rax, cap/result rdi, info rsi, mr0..mr3 rdx r10 r8 r9, badge
// r12 (out). The syscall instruction itself overwrites rcx (return RIP) and r11
// (RFLAGS); the kernel restores every other register from the thread's register file,
// so callee-saved registers survive except r12, which carries the badge back.
//
// SysRegs offsets (fixed, static_asserted in syscall.hpp): nr 0, cap 8, info 16,
// mr[0..3] 24 32 40 48, badge 56.

    .text

// void sys_trap(SysRegs* r)
    .globl sys_trap
    .type sys_trap, @function
sys_trap:
    push %rbx                   // callee-saved: holds r across the syscall
    push %r12                   // callee-saved for our caller, but the badge comes back in it
    mov %rdi, %rbx
    mov 0(%rbx), %rax
    mov 8(%rbx), %rdi
    mov 16(%rbx), %rsi
    mov 24(%rbx), %rdx
    mov 32(%rbx), %r10
    mov 40(%rbx), %r8
    mov 48(%rbx), %r9
    syscall
    mov %rdi, 8(%rbx)
    mov %rsi, 16(%rbx)
    mov %rdx, 24(%rbx)
    mov %r10, 32(%rbx)
    mov %r8, 40(%rbx)
    mov %r9, 48(%rbx)
    mov %r12, 56(%rbx)
    pop %r12
    pop %rbx
    ret
    .size sys_trap, . - sys_trap

// u64 sys_read_tls(): FS base, read directly. The kernel enables CR4.FSGSBASE when the
// CPU has it (scripts/run starts QEMU with +fsgsbase); on a CPU without it this
// instruction raises #UD, which reaches the thread's fault handler.
    .globl sys_read_tls
    .type sys_read_tls, @function
sys_read_tls:
    rdfsbase %rax
    ret
    .size sys_read_tls, . - sys_read_tls

// u64 sys_read_counter(): the TSC (user_mode.cpp keeps CR4.TSD clear). Under QEMU
// -icount it counts guest instructions. No serialising fence: under QEMU rdtsc is not
// reordered, and a fence would add its own cost to every measurement.
    .globl sys_read_counter
    .type sys_read_counter, @function
sys_read_counter:
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    ret
    .size sys_read_counter, . - sys_read_counter

// u64 sys_yield_check(): Yield with known values in rbx rbp rsi rdx r8 r9 r10 r13 r14 r15
// and rax (the number: kept); 0 if all survive and rdi (the result) is 0, else a mask
// (bit n: the n-th register of that list changed; bit 63: the result). r12 (the badge)
// and rcx, r11 (the instruction's) are not checked.
    .text
    .globl sys_yield_check
    .type sys_yield_check, @function
sys_yield_check:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov $0x1111111111111111, %rbx
    mov $0x2222222222222222, %rbp
    mov $0x3333333333333333, %rsi
    mov $0x4444444444444444, %rdx
    mov $0x5555555555555555, %r8
    mov $0x6666666666666666, %r9
    mov $0x7777777777777777, %r10
    mov $0x9999999999999999, %r13
    mov $0xaaaaaaaaaaaaaaaa, %r14
    mov $0xbbbbbbbbbbbbbbbb, %r15
    mov $0xcccccccccccccccc, %rdi
    mov $5, %eax                    // Yield
    syscall
    xor %ecx, %ecx                  // the mask
    cmp $5, %rax
    je 1f
    or $1 << 10, %rcx
1:  mov $0x1111111111111111, %r11
    cmp %r11, %rbx
    je 1f
    or $1 << 0, %rcx
1:  mov $0x2222222222222222, %r11
    cmp %r11, %rbp
    je 1f
    or $1 << 1, %rcx
1:  mov $0x3333333333333333, %r11
    cmp %r11, %rsi
    je 1f
    or $1 << 2, %rcx
1:  mov $0x4444444444444444, %r11
    cmp %r11, %rdx
    je 1f
    or $1 << 3, %rcx
1:  mov $0x5555555555555555, %r11
    cmp %r11, %r8
    je 1f
    or $1 << 4, %rcx
1:  mov $0x6666666666666666, %r11
    cmp %r11, %r9
    je 1f
    or $1 << 5, %rcx
1:  mov $0x7777777777777777, %r11
    cmp %r11, %r10
    je 1f
    or $1 << 6, %rcx
1:  mov $0x9999999999999999, %r11
    cmp %r11, %r13
    je 1f
    or $1 << 7, %rcx
1:  mov $0xaaaaaaaaaaaaaaaa, %r11
    cmp %r11, %r14
    je 1f
    or $1 << 8, %rcx
1:  mov $0xbbbbbbbbbbbbbbbb, %r11
    cmp %r11, %r15
    je 1f
    or $1 << 9, %rcx
1:  test %rdi, %rdi
    jz 1f
    bts $63, %rcx
1:  mov %rcx, %rax
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret
    .size sys_yield_check, . - sys_yield_check

    .section .note.GNU-stack, "", @progbits

// u64 sys_spin(u64 n): n iterations of exactly two instructions (benchmark calibration:
// under -icount the counter must advance by 2n plus a constant).
    .text
    .globl sys_spin
    .type sys_spin, @function
sys_spin:
    mov %rdi, %rax
1:  dec %rax
    jnz 1b
    ret
    .size sys_spin, . - sys_spin

// [[noreturn]] void sys_illegal_instruction(): ud2, the architecturally undefined
// opcode, so the thread takes #UD and procserv reports SIGILL (tests/programs/proc).
    .text
    .globl sys_illegal_instruction
    .type sys_illegal_instruction, @function
sys_illegal_instruction:
    ud2
    jmp sys_illegal_instruction
    .size sys_illegal_instruction, . - sys_illegal_instruction

// void sys_touch_fpu(): one SSE instruction (xmm0 is the caller's to clobber), so that
// the thread holds the FP/SIMD registers (benchmarks: a call right after FP work).
    .text
    .globl sys_touch_fpu
    .type sys_touch_fpu, @function
sys_touch_fpu:
    pxor %xmm0, %xmm0
    ret
    .size sys_touch_fpu, . - sys_touch_fpu
