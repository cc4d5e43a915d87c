// Interrupt and exception entry stubs. Each pushes a zero where the CPU pushed no error
// code, then its vector, so that every trap reaches trap_common with the same frame
// (struct TrapFrame in x86_64.hpp). The kernel is built with -mgeneral-regs-only, so the
// general registers are all the state a handler can clobber.

    .text
    .altmacro

// Exceptions that push an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX.
.macro stub vector
    .balign 8
trap_stub_\vector:
    .if !((\vector == 8) || (\vector == 10) || (\vector == 11) || (\vector == 12) || (\vector == 13) || (\vector == 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30))
    pushq $0
    .endif
    pushq $\vector
    jmp trap_common
.endm

// A stub for every vector: besides the exceptions (0..31), the spurious 8259 vectors
// (32..47), the LAPIC timer (48), device lines (64 up) and the LAPIC spurious vector
// (255), a stray vector must reach a handler that ignores it rather than a #GP.
.set v, 0
.rept 256
    stub %v
    .set v, v + 1
.endr

// Traps from user mode (RPL 3 in the saved CS) leave for user_entry.S: the kernel's
// entry from CPL 3 saves into the thread's register file rather than onto this stack.
// What stays here are traps taken in the kernel: interrupts while idling, and bugs.
trap_common:
    testb $3, 24(%rsp)      // [0] vector [8] error [16] rip [24] cs
    jnz x86_64_user_trap_entry
    push %rax
    push %rcx
    push %rdx
    push %rbx
    push %rbp
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi          // 22 quadwords pushed: rsp is 16-byte aligned here
    cld
    call x86_64_trap
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rbp
    pop %rbx
    pop %rdx
    pop %rcx
    pop %rax
    add $16, %rsp           // vector and error code
    iretq

.macro stub_address vector
    .quad trap_stub_\vector
.endm

    .section .rodata
    .balign 8
    .global trap_stubs
trap_stubs:                 // [0..255]: read by descriptors.cpp
.set v, 0
.rept 256
    stub_address %v
    .set v, v + 1
.endr

    .section .note.GNU-stack, "", @progbits
