// Exception vectors (VBAR_EL1) and the semihosting call. Every entry from EL1 saves the
// whole register file into a TrapFrame (aarch64.hpp) on the current stack and calls
// aarch64_trap(kind, frame); if that returns, the frame is restored and we eret.
// Entries from EL0 go to aarch64_user_entry (user_entry.S) instead.

.equ FRAME_SIZE, 36 * 8     // x0..x30, sp, elr, spsr, esr, far (16-byte multiple)

.macro vector kind
    .balign 0x80
    sub sp, sp, #FRAME_SIZE
    stp x0, x1, [sp, #0]
    mov x0, #\kind
    b trap_common
.endm

// From EL0 the kernel stack is empty (user_entry.S): park x0 and x1 at its top and let
// aarch64_user_entry save the thread's state into its register file. A synchronous
// exception from AArch64 (kind 8) that is an svc (EC 0x15) goes to aarch64_user_svc
// instead, decoded here, in the vector's own slot.
.macro user_vector kind
    .balign 0x80
    stp x0, x1, [sp, #-16]!
.if \kind == 8
    mrs x0, esr_el1
    ubfx x0, x0, #26, #6
    cmp x0, #0x15
    b.eq aarch64_user_svc
.endif
    mov x0, #\kind
    b aarch64_user_entry
.endm

.section .text.vectors, "ax"      // first in .text (kernel.ld), which is 2 KiB aligned
.balign 2048
.globl aarch64_vectors
aarch64_vectors:
    // kind = 4 * origin + type; origin: 0 EL1 with SP_EL0, 1 EL1 with SP_EL1,
    // 2 EL0 AArch64, 3 EL0 AArch32; type: 0 sync, 1 IRQ, 2 FIQ, 3 SError.
    .irp kind, 0, 1, 2, 3, 4, 5, 6, 7
    vector \kind
    .endr
    .irp kind, 8, 9, 10, 11, 12, 13, 14, 15
    user_vector \kind
    .endr

trap_common:
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    add x1, sp, #FRAME_SIZE         // the interrupted code's SP
    stp x30, x1, [sp, #240]
    mrs x2, elr_el1
    mrs x3, spsr_el1
    stp x2, x3, [sp, #256]
    mrs x2, esr_el1
    mrs x3, far_el1
    stp x2, x3, [sp, #272]
    mov x1, sp
    bl aarch64_trap
    // The handler may have changed elr (stepping over an instruction) or x0.
    ldp x2, x3, [sp, #256]
    msr elr_el1, x2
    msr spsr_el1, x3
    ldp x0, x1, [sp, #0]
    ldp x2, x3, [sp, #16]
    ldp x4, x5, [sp, #32]
    ldp x6, x7, [sp, #48]
    ldp x8, x9, [sp, #64]
    ldp x10, x11, [sp, #80]
    ldp x12, x13, [sp, #96]
    ldp x14, x15, [sp, #112]
    ldp x16, x17, [sp, #128]
    ldp x18, x19, [sp, #144]
    ldp x20, x21, [sp, #160]
    ldp x22, x23, [sp, #176]
    ldp x24, x25, [sp, #192]
    ldp x26, x27, [sp, #208]
    ldp x28, x29, [sp, #224]
    ldr x30, [sp, #240]
    add sp, sp, #FRAME_SIZE
    eret

// u64 aarch64_semihost(u64 op, const void* block): the Arm semihosting trap. Without
// QEMU's -semihosting the HLT is undefined; aarch64_trap recognises this address and
// returns past it with x0 = -1.
.globl aarch64_semihost, aarch64_semihost_hlt
aarch64_semihost:
aarch64_semihost_hlt:
    hlt #0xf000
    ret

.section .note.GNU-stack, "", %progbits
