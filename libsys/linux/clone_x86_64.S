// The x86_64 Linux host's half of clone_fn and the illegal instruction (libsys/linux/proc.cpp).
// The child of a clone onto a new stack must never return into the parent's frames, so
// it starts here, on its own stack, and ends in linux_clone_exit.

    .text
    .globl linux_clone_fn
    .type linux_clone_fn, @function
// long linux_clone_fn(int (*fn)(void*), void* arg, void* stack_top, unsigned long flags,
//                     int* parent_tid, int* child_tid, unsigned long tls)
//   rdi fn, rsi arg, rdx stack_top, rcx flags, r8 parent_tid, r9 child_tid, 8(%rsp) tls
linux_clone_fn:
    and $-16, %rdx              // the child's calls need a 16-byte aligned stack
    sub $16, %rdx
    mov %rdi, 0(%rdx)           // fn and arg travel on the child's stack: after the
    mov %rsi, 8(%rdx)           // syscall the child has no other registers of ours
    mov %rcx, %rdi              // clone(flags, newsp, parent_tid, child_tid, tls)
    mov %rdx, %rsi
    mov %r8, %rdx
    mov %r9, %r10
    mov 8(%rsp), %r8
    mov $56, %eax               // SYS_clone
    syscall
    test %rax, %rax
    jz 1f
    ret                         // parent: the child's tid, or -errno
1:  xor %ebp, %ebp              // child: the outermost frame
    pop %rax                    // fn
    pop %rdi                    // arg; %rsp is back at the aligned top
    call *%rax
    mov %eax, %edi
    call linux_clone_exit       // never returns
    ud2
    .size linux_clone_fn, . - linux_clone_fn

    .globl sys_illegal_instruction
    .type sys_illegal_instruction, @function
sys_illegal_instruction:
    ud2                         // #UD: SIGILL
    jmp sys_illegal_instruction
    .size sys_illegal_instruction, . - sys_illegal_instruction



    .globl linux_sigreturn
    .type linux_sigreturn, @function
// The restorer of every handler libsys/linux installs (SA_RESTORER): rt_sigreturn.
linux_sigreturn:
    mov $15, %eax               // SYS_rt_sigreturn
    syscall
    ud2
    .size linux_sigreturn, .-linux_sigreturn

.section .note.GNU-stack, "", @progbits
