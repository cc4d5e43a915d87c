// The first instructions of another CPU (arch::start_cpu, smp.cpp). A startup IPI starts
// it in real mode at TRAMPOLINE (CS = TRAMPOLINE >> 4, IP = 0), where start_cpu copied
// this code. It goes to protected mode, then to long mode on entry.S's early page tables
// (their identity map of the low 4 GiB covers this page, their upper half the kernel
// and the direct map), and jumps to x86_64_ap_start(index) at its link address on the
// stack start_cpu gave it. Every address is TRAMPOLINE plus an offset into this code:
// AT(label).

#define TRAMPOLINE 0x8000
#define AT(label) (TRAMPOLINE + (label) - x86_64_ap_trampoline)
#define EFER_MSR 0xc0000080

    .section .init.text, "ax"
    .code16
    .globl x86_64_ap_trampoline
x86_64_ap_trampoline:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl AT(ap_gdtr)
    mov %cr0, %eax
    or $1, %eax                              // protected mode
    mov %eax, %cr0
    ljmpl $0x08, $AT(ap_protected)

    .code32
ap_protected:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $((1 << 5) | (1 << 7)), %eax          // PAE, global pages (as entry.S)
    mov %eax, %cr4
    mov AT(x86_64_ap_cr3), %eax
    mov %eax, %cr3
    mov $EFER_MSR, %ecx
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax         // long mode enable, no-execute enable
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax    // paging, write-protect in ring 0
    mov %eax, %cr0
    ljmp $0x18, $AT(ap_long)

    .code64
ap_long:
    mov AT(x86_64_ap_stack), %rsp
    mov %rsp, %rsi                           // x86_64_ap_start(index, stack_top)
    mov AT(x86_64_ap_index), %edi
    mov AT(x86_64_ap_entry), %rax
    xor %ebp, %ebp
    push $0                                  // no return address: the frame chain ends
    jmp *%rax

    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff                 // 0x08: 32-bit ring 0 code
    .quad 0x00cf92000000ffff                 // 0x10: ring 0 data
    .quad 0x00af9a000000ffff                 // 0x18: 64-bit ring 0 code
ap_gdtr:
    .short ap_gdtr - ap_gdt - 1
    .long AT(ap_gdt)
    // Filled in by start_cpu in the copy, for each CPU.
    .balign 8
    .globl x86_64_ap_cr3, x86_64_ap_stack, x86_64_ap_entry, x86_64_ap_index
x86_64_ap_cr3:   .quad 0                     // entry.S's early tables (physical, < 4 GiB)
x86_64_ap_stack: .quad 0
x86_64_ap_entry: .quad 0
x86_64_ap_index: .quad 0
    .globl x86_64_ap_trampoline_end
x86_64_ap_trampoline_end:

    .section .note.GNU-stack, "", @progbits
