// The entry of every aarch64 user program. The kernel starts it with sp pointing at
// argc, followed by the argv pointers and a null (the System V initial stack).
// When main returns, libsys_main_returned ends the process through procserv (exit_group
// with main's status); a root task has no procserv, so it returns and the program traps (udf: an
// undefined instruction, which becomes a fault message to the thread's fault endpoint)
// and keeps trapping if resumed.
    .section .text._start, "ax", %progbits
    .globl _start
    .type _start, %function
_start:
    mov x29, #0                 // the outermost frame record, for debuggers and unwinders
    mov x30, #0
    mov x9, sp                  // read through x9: sp-based loads fault unless sp is aligned
    ldr x0, [x9]                // argc
    add x1, x9, #8              // argv
    and x9, x9, #~15            // the ABI wants sp 16-byte aligned, always
    mov sp, x9
    bl main                     // w0 = main's status
    bl libsys_main_returned     // exit_group under procserv; returns for a root task
1:  udf #0
    b 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits

    // The mark of a libsys program: procserv runs an ELF without it as a Linux program
    // (docs/procserv.md, "Linux programs"). A note "microkernel", type 1, no descriptor.
    .section .note.microkernel, "a", %note
    .balign 4
    .long 12, 0, 1
    .asciz "microkernel"
    .balign 4
