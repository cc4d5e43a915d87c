// Boot entry. GRUB (multiboot2) and QEMU -kernel (multiboot1) both enter _start in
// 32-bit protected mode, paging off, with the magic in eax and the info's physical
// address in ebx. This code runs at its physical (= link) address in .boot; it builds
// the early page tables, switches to long mode and calls x86_64_start in the higher half.

#define KERNEL_BASE 0xffffffff80000000
#define PHYS(sym) ((sym) - KERNEL_BASE)

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB1_HEADER_MAGIC 0x1badb002
// multiboot1 flags: page-align modules, memory info, and the a.out kludge address
// fields (QEMU's -kernel loader only takes a 64-bit ELF through those fields).
#define MB1_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))
#define MB2_BOOT_MAGIC 0x36d76289
#define MB1_BOOT_MAGIC 0x2badb002

#define EFER_MSR 0xc0000080
#define COM1 0x3f8

    .section .boot.header, "a"
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long 0                                  // i386 (32-bit protected mode entry)
    .long mb2_header_end - mb2_header
    .long 0x100000000 - (MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
    .balign 8
    .short 6, 0                              // module alignment: page-align modules
    .long 8
    .balign 8
    .short 0, 0                              // end tag
    .long 8
mb2_header_end:

    .balign 4
mb1_header:
    .long MB1_HEADER_MAGIC
    .long MB1_FLAGS
    .long 0x100000000 - (MB1_HEADER_MAGIC + MB1_FLAGS)
    .long mb1_header                         // header_addr
    .long __boot_start                       // load_addr: the file from .boot on
    .long __mb1_load_end                     // end of the file's loaded part
    .long __mb1_bss_end                      // end of .bss, zeroed by the loader
    .long _start                             // entry_addr

    .section .boot.text, "ax"
    .code32
    .global _start
    .type _start, @function
_start:
    cli
    cld
    mov %eax, %ebp                           // magic, kept for x86_64_start
    mov %ebx, %esi                           // boot info (physical)

    lea msg_bad_magic, %ebx
    cmp $MB2_BOOT_MAGIC, %ebp
    je 1f
    cmp $MB1_BOOT_MAGIC, %ebp
    jne boot_fail
1:
    // The kernel needs long mode and NX (it maps data non-executable).
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    bt $29, %edx
    jnc no_long_mode
    bt $20, %edx
    jnc no_long_mode

    // Zero .bss ourselves rather than trust every loader to do it: it holds the
    // stack and the early page tables.
    mov $__bss_start_phys, %edi
    mov $__mb1_bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $PHYS(boot_stack_top), %esp

    // Early tables (7 pages): PML4, a PDPT for the low 4 GiB, a PDPT for the top
    // 1 GiB, and four page directories of 2 MiB pages covering 0..4 GiB. The low PDPT
    // serves both the identity map (PML4[0], needed across the switch) and the direct
    // map (PML4[256] = kDirectMapBase); the top one maps kKernelBase to 0.
    mov $PHYS(early_tables), %edi
    lea 0x1003(%edi), %eax                   // low PDPT | present | write
    mov %eax, (%edi)
    mov %eax, 256 * 8(%edi)
    lea 0x2003(%edi), %eax                   // top PDPT
    mov %eax, 511 * 8(%edi)
    lea 0x3003(%edi), %eax                   // PD 0
    mov %eax, 0x2000 + 510 * 8(%edi)         // kKernelBase -> PD 0 (first GiB)
    xor %ecx, %ecx
2:  mov %eax, 0x1000(%edi, %ecx, 8)          // low PDPT[i] -> PD i
    add $0x1000, %eax
    inc %ecx
    cmp $4, %ecx
    jne 2b
    mov $0x83, %eax                          // present | write | 2 MiB page
    xor %ecx, %ecx
3:  mov %eax, 0x3000(%edi, %ecx, 8)
    add $0x200000, %eax
    inc %ecx
    cmp $2048, %ecx
    jne 3b

    mov %cr4, %eax
    or $((1 << 5) | (1 << 7)), %eax          // PAE, global pages
    mov %eax, %cr4
    mov %edi, %cr3
    mov $EFER_MSR, %ecx
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax         // long mode enable, no-execute enable
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax    // paging, write-protect in ring 0, protected mode
    mov %eax, %cr0

    lgdt early_gdtr
    ljmp $0x08, $long_mode

no_long_mode:
    lea msg_no_long_mode, %ebx               // after cpuid, which clobbers ebx
    // Print the NUL-terminated message at ebx on COM1 (usable uninitialised under
    // QEMU) and exit QEMU with the panic status.
boot_fail:
    mov $COM1, %dx
4:  movb (%ebx), %al
    test %al, %al
    jz 5f
    outb %al, %dx
    inc %ebx
    jmp 4b
5:  mov $0xf4, %dx
    mov $4, %eax                             // status 3 (kernel::kPanicStatus) + 1
    outl %eax, %dx
6:  hlt
    jmp 6b

    .code64
long_mode:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $boot_stack_top, %rsp
    mov %ebp, %edi                           // x86_64_start(magic, info_phys)
    mov %esi, %esi
    movabs $x86_64_start, %rax
    call *%rax
    ud2

    .section .boot.data, "a"
    .balign 8
early_gdt:
    .quad 0
    .quad 0x00af9a000000ffff                 // 0x08: 64-bit ring 0 code
    .quad 0x00cf92000000ffff                 // 0x10: ring 0 data
early_gdtr:
    .short early_gdtr - early_gdt - 1
    .long early_gdt
msg_bad_magic:
    .asciz "x86_64: not started by a multiboot loader\r\n"
msg_no_long_mode:
    .asciz "x86_64: this CPU lacks long mode or NX\r\n"

    .bss
    .balign 4096
    .global early_tables
early_tables:
    .skip 7 * 4096

    // Stack of the boot thread (x86_64_start and kernel::main), used from the 32-bit
    // entry on (at its physical address, then at its link address).
    .section .kstack, "aw", @nobits
    .balign 16
boot_stack:
    .skip 16384
    .global boot_stack_top
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
