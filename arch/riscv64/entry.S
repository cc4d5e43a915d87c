// riscv64 kernel entry: the RISC-V Image header, then early boot in S-mode.
//
// Entered from U-Boot's booti or directly from OpenSBI's fw_jump with a0 = hart id,
// a1 = physical address of the devicetree, paging off, interrupts masked. We run at
// whatever physical address we were loaded to, so until paging is on every address is
// formed PC-relatively (lla) and nothing absolute is dereferenced.

#include "cpu_local.hpp"

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
// A and D are preset: an implementation may fault instead of setting them (Svade).
#define LEAF_RW (PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D)
#define LEAF_RWX (LEAF_RW | PTE_X)
#define LEAF_RX (PTE_V | PTE_R | PTE_X | PTE_A | PTE_D)
#define SATP_SV39 (8 << 60)
#define DIRECT_MAP_SLOT 256     // root index of kDirectMapBase = 0xffffffc000000000
#define KERNEL_SLOT 510         // root index of kKernelBase = 0xffffffff80000000
#define DIRECT_MAP_GIB 4        // RAM starts at 2 GiB on virt; MMIO lies below it

// What every hart does first, the boot hart and the others alike: interrupts off, and
// the kernel is soft-float: with sstatus.FS = Off any FP instruction traps instead of
// silently using user state (only the user entry and exit turn it on, to save and
// restore that state). gp and tp still hold the firmware's pointers (U-Boot's global
// data, OpenSBI's scratch): cleared (tp becomes the hart's CpuLocal once it runs high).
// a0 and a1, the firmware's arguments, are kept in s0 and s1.
.macro hart_setup
    csrw    sie, zero
    csrci   sstatus, 2
    li      t0, 3 << 13
    csrc    sstatus, t0
    mv      gp, zero
    mv      tp, zero
    mv      s0, a0
    mv      s1, a1
.endm

    .section .text.head, "ax"
    .globl _start
_start:
    // Image header (Linux Documentation/arch/riscv/boot-image-header.rst), 64 bytes.
    .option push
    .option norvc               // code0 must be one 4-byte instruction
    j       real_start          // code0
    nop                         // code1
    .option pop
    .dword  0x200000            // text_offset: booti puts us at RAM base + 2 MiB, past OpenSBI
    .dword  __image_size        // image_size: the whole footprint, .bss included
    .dword  0                   // flags: little-endian
    .word   2                   // version 0.2
    .word   0                   // res1
    .dword  0                   // res2
    .ascii  "RISCV\0\0\0"       // magic (deprecated, still checked by some loaders)
    .ascii  "RSC\x05"           // magic2
    .word   0                   // res3 (PE/COFF offset: none)

real_start:
    hart_setup                  // s0 = hart id, s1 = devicetree physical address

    // Only one hart may boot. OpenSBI's HSM keeps the others stopped, but an SBI v0.1
    // loader, or U-Boot handing over every hart it holds, sends more than one here; the
    // losers of this race wait to be started as the other CPUs are (join_later). The
    // flag lives in .data, so it is 0 in every freshly loaded image.
    lla     t0, boot_lottery
    li      t1, 1
    amoadd.w t1, t1, (t0)
    bnez    t1, join_later

    // The megapage mapping of the kernel needs a 2 MiB aligned load address (the header's
    // text_offset asks loaders for it); say so through the SBI console if not.
    lla     s2, __kernel_start  // runtime physical base of the image
    slli    t0, s2, 64 - 21
    bnez    t0, misaligned

    lla     t0, __bss_start
    lla     t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    lla     s3, early_root

    // Direct map: root[256 + i] = gigapage at i GiB, read/write, not executable.
    li      t0, DIRECT_MAP_SLOT * 8
    add     t0, s3, t0
    li      t1, LEAF_RW         // PTE for physical address 0
    li      t2, (1 << 30) >> 2  // one GiB in PPN-field units
    li      t3, DIRECT_MAP_GIB
3:  sd      t1, 0(t0)
    add     t1, t1, t2
    addi    t0, t0, 8
    addi    t3, t3, -1
    bnez    t3, 3b

    // Kernel image: root[510] -> early_kernel_l1, whose entries are 2 MiB megapages of
    // the image from its link address kKernelBase (index 0) on. RWX until kernel::main
    // builds the final W^X tables.
    lla     t0, early_kernel_l1
    srli    t1, t0, 12
    slli    t1, t1, 10
    ori     t1, t1, PTE_V
    li      t2, KERNEL_SLOT * 8
    add     t2, s3, t2
    sd      t1, 0(t2)
    lla     t1, __kernel_end
    sub     t1, t1, s2          // image size
    li      t2, (1 << 21) - 1
    add     t1, t1, t2
    srli    t1, t1, 21          // number of megapages
    srli    t2, s2, 2
    ori     t2, t2, LEAF_RWX
    li      t3, (1 << 21) >> 2
4:  sd      t2, 0(t0)
    add     t2, t2, t3
    addi    t0, t0, 8
    addi    t1, t1, -1
    bnez    t1, 4b

    // Identity gigapage around the running code, only for the instruction after the
    // satp write; removed again from the high half.
    srli    s4, s2, 30          // root index = GiB number (physical < 256 GiB)
    slli    t0, s4, 30
    srli    t0, t0, 2
    ori     t0, t0, LEAF_RX
    slli    t1, s4, 3
    add     t1, s3, t1
    sd      t0, 0(t1)

    srli    t0, s3, 12
    li      t1, SATP_SV39
    or      t0, t0, t1
    sfence.vma                  // order the table stores before the walks they enable
    csrw    satp, t0
    sfence.vma

    lla     t0, high_entry_address
    ld      t0, 0(t0)           // absolute: the link-time (high) address of high_entry
    jr      t0

high_entry:
    // From here on lla yields high addresses: the PC is in the kernel's mapping.
    lla     sp, boot_stack_top
    lla     tp, riscv64_cpus    // this hart's own data: riscv64_cpus[0] (cpu_local.hpp)
    lla     t0, early_root
    slli    t1, s4, 3
    add     t0, t0, t1
    sd      zero, 0(t0)         // the identity gigapage is not needed any more
    sfence.vma
    lla     t0, riscv64_trap_entry
    csrw    stvec, t0           // direct mode: the address is 4-byte aligned
    csrw    sscratch, zero
    mv      a0, s0
    mv      a1, s1
    mv      a2, s2
    call    riscv64_init        // [[noreturn]]
park:
    wfi
    j       park

// A hart that lost the lottery waits until the boot hart gives it a logical number in
// riscv64_cpu_mailbox[hart id] (arch::start_cpu does, for every hart it starts: HSM's
// answer does not tell reliably whether it is here), then starts as a hart that HSM
// started. Only the paging-off path touches the mailbox, by its physical address; it is
// in .data, never cleared by the boot hart.
join_later:
    li      t0, RISCV64_MAX_HARTS
    bgeu    s0, t0, park
    lla     t0, riscv64_cpu_mailbox
    slli    t1, s0, 3
    add     t0, t0, t1
1:  ld      a1, 0(t0)
    beqz    a1, 1b
    fence   r, rw
    mv      a0, s0
    j       riscv64_secondary_entry

misaligned:
    lla     s3, misaligned_msg
5:  lbu     a0, 0(s3)
    beqz    a0, park
    li      a7, 1               // legacy SBI console_putchar
    ecall
    addi    s3, s3, 1
    j       5b

// A hart that SBI HSM hart_start started (arch::start_cpu, platform.cpp) or join_later
// sent: a0 = hart id, a1 = its logical number, S-mode, paging off. The kernel's tables
// (riscv64_kernel_satp) do not map this code at its physical address, so the first fetch
// after the satp write faults, to stvec: the high address of what follows.
    .section .init.text, "ax"
    .globl  riscv64_secondary_entry
riscv64_secondary_entry:
    hart_setup                  // s0 = hart id, s1 = its logical number
    li      t0, RISCV64_MAX_HARTS
    bgeu    s1, t0, park        // (arch::park_cpu: a hart the kernel does not run)
    lla     t0, secondary_high_address
    ld      t0, 0(t0)
    csrw    stvec, t0
    lla     t0, riscv64_kernel_satp
    ld      t0, 0(t0)
    sfence.vma
    csrw    satp, t0
    sfence.vma                  // (fetching this one already faults)
    j       park
    .balign 4
secondary_high:
    lla     tp, riscv64_cpus    // this hart's own data: riscv64_cpus[s1]
    li      t0, CPU_LOCAL_SIZE
    mul     t0, t0, s1
    add     tp, tp, t0
    ld      sp, CPU_KERNEL_SP(tp)
    lla     t0, riscv64_trap_entry
    csrw    stvec, t0
    csrw    sscratch, zero
    mv      a0, s1
    call    riscv64_cpu_start   // [[noreturn]]
    j       park

    .section .rodata
    .balign 8
high_entry_address:
    .dword  high_entry
secondary_high_address:
    .dword  secondary_high
misaligned_msg:
    .asciz  "riscv64: kernel not loaded at a 2 MiB aligned address, halting\r\n"

    .section .data
    .balign 4
boot_lottery:
    .word   0
    .balign 8
    .globl  riscv64_cpu_mailbox
riscv64_cpu_mailbox:
    .space  8 * RISCV64_MAX_HARTS

    .section .bss.page_tables, "aw", @nobits
    .balign 4096
early_root:
    .space  4096
early_kernel_l1:
    .space  4096

    .section .bss.stack, "aw", @nobits
    .balign 16
boot_stack:
    .space  32768
    .globl boot_stack_top
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
