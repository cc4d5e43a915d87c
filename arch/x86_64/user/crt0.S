// The entry of every x86_64 user program. The kernel starts it with %rsp pointing at
// argc, followed by the argv pointers and a null (the System V initial stack).
// When main returns, libsys_main_returned ends the process through procserv (exit_group
// with main's status); a root task has no procserv, so it returns and the program traps (ud2: #UD, which
// becomes a fault message to the thread's fault endpoint) and keeps trapping if resumed.
    .section .text._start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp              // the outermost frame, for debuggers and unwinders
    mov (%rsp), %rdi            // argc
    lea 8(%rsp), %rsi           // argv
    and $-16, %rsp              // the ABI wants %rsp 16-byte aligned at a call
    call main
    mov %eax, %edi              // main's status
    call libsys_main_returned   // exit_group under procserv; returns for a root task
1:  ud2
    jmp 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits

    // The mark of a libsys program: procserv runs an ELF without it as a Linux program
    // (docs/procserv.md, "Linux programs"). A note "microkernel", type 1, no descriptor.
    .section .note.microkernel, "a", @note
    .balign 4
    .long 12, 0, 1
    .asciz "microkernel"
    .balign 4
