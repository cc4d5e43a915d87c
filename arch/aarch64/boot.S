// arm64 Image header and the first instructions. Entered by U-Boot's booti or QEMU's
// -kernel loader with x0 = devicetree physical address, MMU and D-cache off, at EL2 or
// EL1, at a 2 MiB aligned physical address that has nothing to do with the link address:
// until the MMU is on, every address is computed PC-relative (adr/adrp).
#include "cpu_local.h"
#if CPU_LOCAL_SIZE != 64
#error "aarch64_secondary_entry indexes aarch64_cpus with a shift by 6"
#endif

// Early translation table attributes; slots match pte.hpp's kMair (checked in init.cpp).
.equ MAIR_VALUE,     0xff00               // slot 0 Device-nGnRnE, slot 1 Normal WB
.equ DESC_TABLE,     0x3
.equ DESC_BLOCK,     0x1
.equ DESC_AF,        (1 << 10)
.equ DESC_SH_INNER,  (3 << 8)
.equ DESC_NORMAL,    (1 << 2) | DESC_SH_INNER | DESC_AF | DESC_BLOCK
.equ DESC_PXN,       (1 << 53)
.equ DESC_UXN,       (1 << 54)
.equ BLOCK_DEVICE,   (0 << 2) | DESC_AF | DESC_BLOCK | DESC_PXN | DESC_UXN
.equ BLOCK_RAM,      DESC_NORMAL | DESC_PXN | DESC_UXN   // direct map: never executed
.equ BLOCK_CODE,     DESC_NORMAL | DESC_UXN              // kernel image, identity map
.equ RAM_START_GB,   1      // QEMU virt: devices below 1 GiB, RAM from 0x40000000
.equ DIRECT_MAP_GB,  4      // the early direct map covers physical [0, 4 GiB)

// TCR_EL1: 48-bit VA in both halves, 4 KiB granule, walks inner shareable write-back,
// the ASID taken from TTBR0 (A1 = 0): it tags the user half's translations.
.equ TCR_VALUE, (16 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (0 << 14) | (16 << 16) | (1 << 24) | (1 << 26) | (3 << 28) | (2 << 30)
// SCTLR_EL1: RES1 bits, then M (MMU), C (D-cache), SA (SP alignment check), I (I-cache).
.equ SCTLR_RES1,  0x30d00800
.equ SCTLR_VALUE, SCTLR_RES1 | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 12)

.macro adr_l reg, sym
    adrp \reg, \sym
    add \reg, \reg, :lo12:\sym
.endm

.macro enable_mmu
    // MAIR, TCR (IPS and ASID width from the CPU), the early tables, then the MMU on.
    // The primary and every secondary run it alike; clobbers x1..x4.
    ldr x1, =MAIR_VALUE
    msr mair_el1, x1
    ldr x1, =TCR_VALUE
    mrs x2, id_aa64mmfr0_el1
    and x2, x2, #0xf                // PARange
    cmp x2, #5
    mov x3, #5
    csel x2, x2, x3, lo             // at most 48 bits: 52 needs TCR.DS and LPA2 tables
    bfi x1, x2, #32, #3             // IPS = the physical address size the CPU has
    mrs x2, id_aa64mmfr0_el1
    ubfx x2, x2, #4, #4             // ASIDBits: 2 = 16 bits, 0 = 8 bits
    cmp x2, #2
    orr x3, x1, #(1 << 36)          // TCR.AS: 16-bit ASIDs, set before any TLB entry is
    csel x1, x3, x1, eq             // tagged (the width must not change under them)
    msr tcr_el1, x1
    adr_l x1, early_root0
    msr ttbr0_el1, x1
    adr_l x1, early_root1
    msr ttbr1_el1, x1
    isb
    tlbi vmalle1                    // nothing the firmware cached may survive
    ic iallu
    dsb nsh
    isb
    ldr x1, =SCTLR_VALUE
    msr sctlr_el1, x1
    isb
.endm

// Continue at \target at EL1: from EL2 through drop_from_el2, from EL1 at once; EL3 is
// firmware's business, not ours (park). Leaves the entry EL in x21, the target in x22.
.macro continue_at_el1 target
    adr x22, \target
    mrs x21, CurrentEL
    lsr x21, x21, #2
    cmp x21, #2
    b.eq drop_from_el2
    cmp x21, #1
    b.ne park
.endm

.cfi_sections .debug_frame           // unwind info for gdb only, nothing loaded
.section .text.head, "ax"
.globl _start
_start:
    b primary_entry         // code0
    .long 0                 // code1
    .quad 0                 // text_offset: the image starts on the 2 MiB boundary itself
    .quad __image_size      // image_size, .bss included, so the loader leaves room for it
    .quad 0xa               // flags: little endian, 4 KiB pages, any 2 MiB aligned base
    .quad 0, 0, 0           // res2..res4
    .ascii "ARM\x64"        // magic
    .long 0                 // res5 (no PE/COFF header)

primary_entry:
    mov x19, x0                     // devicetree, physical
    adr x20, _start                 // where we were loaded
    tst x20, #0x1fffff              // the 2 MiB blocks below need an aligned base
    b.ne park
    continue_at_el1 at_el1
at_el1:
    msr daifset, #0xf

    // Zero .bss (page tables and stack live there); the Image does not include it.
    adr_l x1, __bss_start
    adr_l x2, __bss_end
1:  stp xzr, xzr, [x1], #16
    cmp x1, x2
    b.lo 1b

    // TTBR1 root: slot 0 covers the direct map, slot 511 the top 512 GiB (the kernel).
    adr_l x1, early_root1
    adr_l x2, early_direct_1g
    orr x3, x2, #DESC_TABLE
    str x3, [x1]
    adr_l x4, early_kernel_1g
    orr x3, x4, #DESC_TABLE
    str x3, [x1, #511 * 8]

    // Direct map in 1 GiB blocks: devices below RAM, then normal memory.
    ldr x3, =BLOCK_DEVICE
    str x3, [x2]
    ldr x3, =BLOCK_RAM
    mov x5, #RAM_START_GB
2:  orr x6, x3, x5, lsl #30
    str x6, [x2, x5, lsl #3]
    add x5, x5, #1
    cmp x5, #DIRECT_MAP_GB
    b.lo 2b

    // The kernel: 0xffffffff80000000 is slot 510 of the top 512 GiB, then 2 MiB blocks.
    adr_l x2, early_kernel_2m
    orr x3, x2, #DESC_TABLE
    str x3, [x4, #510 * 8]
    ldr x5, =__image_size
    sub x5, x5, #1
    lsr x5, x5, #21
    add x5, x5, #1                  // number of 2 MiB blocks
    ldr x3, =BLOCK_CODE
    orr x3, x3, x20
3:  str x3, [x2], #8
    add x3, x3, #0x200000
    subs x5, x5, #1
    b.ne 3b

    // TTBR0: identity map of the 1 GiB around the image, for the instructions that run
    // between turning the MMU on and jumping high (and activate_page_table's switch).
    adr_l x1, early_root0
    adr_l x2, early_identity_1g
    orr x3, x2, #DESC_TABLE
    lsr x4, x20, #39
    str x3, [x1, x4, lsl #3]
    ldr x3, =BLOCK_CODE
    lsr x4, x20, #30
    and x4, x4, #511
    orr x3, x3, x4, lsl #30
    str x3, [x2, x4, lsl #3]

    // The tables were written with the D-cache off; the walker will read through the
    // cache, so drop any stale lines for .bss (the loader cleaned, but did not promise
    // to invalidate, what it touched).
    dsb sy
    mrs x3, ctr_el0
    ubfx x3, x3, #16, #4
    mov x4, #4
    lsl x4, x4, x3                  // D-cache line size in bytes
    adr_l x1, __bss_start
    adr_l x2, __bss_end
4:  dc ivac, x1
    add x1, x1, x4
    cmp x1, x2
    b.lo 4b
    dsb sy

    enable_mmu
    ldr x1, =high_entry             // absolute: the link address
    br x1

high_entry:
    .cfi_startproc
    .cfi_undefined x30              // outermost frame: debuggers stop unwinding here
    adr_l x1, boot_stack_top
    mov sp, x1
    adr_l x1, aarch64_cpus          // this CPU's own data: aarch64_cpus[0]
    msr tpidr_el1, x1
    adr_l x1, aarch64_vectors
    msr vbar_el1, x1
    isb
    mov x0, x19
    mov x1, x20
    mov x2, x21
    mov x29, xzr                    // end of the frame chain for debuggers
    bl aarch64_boot                 // (dtb_phys, load_phys, entry_el), never returns
    .cfi_endproc
park:
    wfe
    b park

// At EL2 (QEMU -M virt,virtualization=on, or a hypervisor-less board): give EL1 the
// counters and FP, trap nothing, and continue at EL1 at x22 with the same registers.
drop_from_el2:
    mov x1, #(1 << 31)              // HCR_EL2.RW: EL1 is AArch64; everything else off
    msr hcr_el2, x1
    mov x1, #3                      // CNTHCTL_EL2.EL1PCTEN|EL1PCEN: physical timer at EL1
    msr cnthctl_el2, x1
    msr cntvoff_el2, xzr            // virtual counter == physical counter
    mov x1, #0x33ff                 // CPTR_EL2: RES1 bits only, no traps
    msr cptr_el2, x1
    mrs x1, pmcr_el0
    ubfx x1, x1, #11, #5            // MDCR_EL2.HPMN = PMCR.N: every counter to EL1
    msr mdcr_el2, x1
    msr vttbr_el2, xzr
    mrs x1, id_aa64pfr0_el1
    ubfx x1, x1, #24, #4            // ID_AA64PFR0_EL1.GIC: a GICv3 CPU interface?
    cbz x1, 1f
    mov x1, #0x9                    // ICC_SRE_EL2.Enable|SRE: EL1 may use its ICC_* registers
    msr S3_4_C12_C9_5, x1
    isb
1:  ldr x1, =SCTLR_RES1             // MMU off at EL1 until we turn it on
    msr sctlr_el1, x1
    mov x1, #0x3c5                  // SPSR: EL1h, D A I F masked
    msr spsr_el2, x1
    msr elr_el2, x22
    eret

// Another CPU, started by PSCI CPU_ON (arch::start_cpu, machine.cpp) with x0 = its
// logical number, MMU off, at EL2 or EL1 as the boot CPU was. It turns the MMU on with
// the early tables the boot CPU left (their identity map still covers this code), then
// continues high on its own stack (aarch64_cpus[x0], cpu_local.h) in aarch64_cpu_start.
.section .init.text, "ax"
.globl aarch64_secondary_entry
aarch64_secondary_entry:
    msr daifset, #0xf
    mov x19, x0
    continue_at_el1 secondary_at_el1
secondary_at_el1:
    enable_mmu
    ldr x1, =secondary_high
    br x1
secondary_high:
    .cfi_startproc
    .cfi_undefined x30
    adr_l x1, aarch64_cpus          // this CPU's own data: aarch64_cpus[x19]
    add x1, x1, x19, lsl #6
    msr tpidr_el1, x1
    ldr x2, [x1, #CPU_KERNEL_SP]
    mov sp, x2
    adr_l x1, aarch64_vectors
    msr vbar_el1, x1
    isb
    mov x0, x19
    mov x29, xzr
    bl aarch64_cpu_start            // (index), never returns
    .cfi_endproc
    b park

// void aarch64_switch_ttbr1(u64 root_phys, u64 phys_minus_virt)
// Replace the kernel half's tables while executing from the identity map, so that no
// translation being replaced is in use (block -> page changes need that on hardware),
// then close the lower half: after this only the core's tables exist. Boot only.
.section .init.text, "ax"
.globl aarch64_switch_ttbr1
aarch64_switch_ttbr1:
    adr x2, 1f
    add x2, x2, x1
    br x2                           // to 1f through the identity map
1:  dsb ishst                       // the core's table writes reach the walker
    msr ttbr1_el1, x0
    isb
    tlbi vmalle1
    dsb nsh
    isb
    ldr x2, =2f
    br x2                           // back to the high half, through the new tables
2:  mrs x2, tcr_el1
    orr x2, x2, #(1 << 7)           // EPD0: no walks for the lower half
    msr tcr_el1, x2
    msr ttbr0_el1, xzr
    isb
    tlbi vmalle1
    dsb nsh
    isb
    ret

.section .bss.page_aligned, "aw", %nobits
.balign 4096
early_root1:        .skip 4096
early_direct_1g:    .skip 4096
early_kernel_1g:    .skip 4096
early_kernel_2m:    .skip 4096
early_root0:        .skip 4096
early_identity_1g:  .skip 4096

// The boot stack is also the boot CPU's kernel stack of user mode: once kernel::main
// starts the first thread, every entry from EL0 begins at its top again (user_entry.S,
// through aarch64_cpus[0], user_mode.cpp).
.section .bss.boot_stack, "aw", %nobits
.balign 16
.globl aarch64_kernel_stack_top
boot_stack:         .skip 16384
boot_stack_top:
aarch64_kernel_stack_top:

.section .note.GNU-stack, "", %progbits
