// The entry of every riscv64 user program. The kernel starts it with sp pointing at
// argc, followed by the argv pointers and a null (the System V initial stack).
// When main returns, libsys_main_returned ends the process through procserv (exit_group
// with main's status); a root task has no procserv, so it returns and the program traps (unimp: an
// illegal instruction, which becomes a fault message to the thread's fault endpoint)
// and keeps trapping if resumed.
// gp is left alone: user code is built with -mno-relax, so nothing is gp-relative.
    .section .text._start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    li fp, 0                    // the outermost frame, for debuggers and unwinders
    li ra, 0
    ld a0, 0(sp)                // argc
    addi a1, sp, 8              // argv
    andi sp, sp, -16            // the ABI wants sp 16-byte aligned
    call main                   // a0 = main's status
    call libsys_main_returned   // exit_group under procserv; returns for a root task
1:  unimp
    j 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits

    // The mark of a libsys program: procserv runs an ELF without it as a Linux program
    // (docs/procserv.md, "Linux programs"). A note "microkernel", type 1, no descriptor.
    .section .note.microkernel, "a", @note
    .balign 4
    .long 12, 0, 1
    .asciz "microkernel"
    .balign 4
