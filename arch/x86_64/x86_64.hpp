// Internal interfaces between the parts of arch/x86_64 (not seen by the portable core).
#pragma once

#include <microkernel/boot_info.hpp>
#include <microkernel/result.hpp>

namespace arch::x86_64 {

using kernel::u16;
using kernel::u32;
using kernel::u64;
using kernel::u8;
using kernel::usize;

// Interrupt vectors. The 8259s are remapped above the exceptions and masked; they can
// still raise spurious IRQ 7/15, which arrive at kPicBase + 7 / + 15 and are ignored.
constexpr u8 kPicBase = 32;
constexpr u8 kTimerVector = 48;
constexpr u8 kSpuriousVector = 255;

/// GDT selectors. The user ones are laid out as SYSRET expects (STAR[63:48] = 0x18:
/// SS = 0x20, 64-bit CS = 0x28).
constexpr u16 kKernelCode = 0x08;
constexpr u16 kKernelData = 0x10;
constexpr u16 kUserData = 0x20 | 3;
constexpr u16 kUserCode = 0x28 | 3;
constexpr u16 kTssSelector = 0x30;

/// What trap_common (vectors.S) pushes, lowest address first.
struct TrapFrame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
    u64 vector, error;
    u64 rip, cs, rflags, rsp, ss; // pushed by the CPU
};
static_assert(sizeof(TrapFrame) == 22 * 8);

void console_init();
/// Load the GDT (with the TSS) and the IDT. Everything lives in the image's .data/.bss,
/// so it stays reachable after the switch to the kernel's own tables.
void descriptors_init();
/// Prepare the CPU for user mode: x87/SSE enabled (CR0, CR4), FSGSBASE when present, and
/// the syscall MSRs pointing at user_entry.S.
void user_mode_init();
/// Remap both 8259s away from the exception vectors and mask all their lines.
void pic_disable();
/// Remember where the local APIC is (physical); the timer uses it via the direct map.
void lapic_set_base(u64 phys);
void lapic_eoi();

/// Interrupt controllers found in the ACPI MADT (the PC defaults when there is none).
struct ApicInfo {
    u64 lapic = 0xfee00000; ///< architectural default, overridden by the MADT
    u64 ioapic[4] = {};
    unsigned ioapic_count = 0;
    bool from_madt = false;
};
/// `rsdp` is a copy of the RSDP (multiboot2 ACPI tag) or nullptr to search the BIOS
/// areas for it. Tables are read through the early direct map.
ApicInfo find_apics(const u8* rsdp, usize rsdp_size);

} // namespace arch::x86_64
