// Internal interfaces between the parts of arch/x86_64 (not seen by the portable core).
#pragma once

#include "cpu_local.h"

#include <microkernel/boot_info.hpp>
#include <base/result.hpp>
#include <microkernel/smp.hpp>

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
/// Device lines (I/O APIC GSIs) 0..kDeviceLines-1 arrive at kDeviceVectorBase + GSI.
constexpr u8 kDeviceVectorBase = 64;
constexpr u32 kDeviceLines = 160;
constexpr u8 kIpiVector = 240;      ///< the kernel's inter-processor interrupt (send_ipi)
constexpr u8 kSpuriousVector = 255;
static_assert(kDeviceVectorBase + kDeviceLines <= kSpuriousVector);

/// GDT selectors. The user ones are laid out as SYSRET expects (STAR[63:48] = 0x18:
/// SS = 0x20, 64-bit CS = 0x28).
constexpr u16 kKernelCode = 0x08;
constexpr u16 kKernelData = 0x10;
constexpr u16 kUserData = 0x20 | 3;
constexpr u16 kUserCode = 0x28 | 3;
constexpr u16 kTssSelector = 0x30;

/// Each CPU's own data, which the GS base points at in the kernel (cpu_local.h has the
/// offsets; user_mode.cpp checks them).
struct CpuLocal {
    u32 index;             ///< logical number (arch::cpu_index)
    u64 kernel_sp;         ///< top of the CPU's kernel stack
    u64* regs;             ///< where the next entry from user mode saves the thread
    void* run_queue;       ///< the CPU's run queue: the entry's Yield, arch::cpu_run_queue
    u64 scratch;           ///< syscall entry's parking slot
    CpuLocal* self;        ///< this CpuLocal's address
    void (*syscall)();     ///< what syscall entry calls (arch::set_syscall_path)
    bool fpu_live;         ///< CR0.TS is clear (the lazy FPU: user_mode.cpp)
    u16 active_pcid;       ///< the PCID in CR3 (0 also without PCIDE)
};
/// This CPU's CpuLocal (through its self pointer).
inline CpuLocal& this_cpu() {
    CpuLocal* self;
    asm("mov %%gs:%c1, %0" : "=r"(self) : "i"(CPU_SELF));
    return *self;
}
/// This CPU's fpu_live and active_pcid (cpu_local.h), one instruction each way.
inline bool cpu_fpu_live() {
    bool v;
    asm volatile("movb %%gs:%c1, %0" : "=q"(v) : "i"(CPU_FPU_LIVE));
    return v;
}
inline void set_cpu_fpu_live(bool v) { asm volatile("movb %0, %%gs:%c1" ::"q"(v), "i"(CPU_FPU_LIVE) : "memory"); }
inline u16 cpu_active_pcid() {
    u16 v;
    asm volatile("movw %%gs:%c1, %0" : "=r"(v) : "i"(CPU_ACTIVE_PCID));
    return v;
}
inline void set_cpu_active_pcid(u16 v) { asm volatile("movw %0, %%gs:%c1" ::"r"(v), "i"(CPU_ACTIVE_PCID) : "memory"); }
/// The kernel's page tables (what activate_page_table loaded), for the CPUs started later.
kernel::PhysAddr kernel_root();
/// Point this CPU's GS base at its CpuLocal, `index` of x86_64_cpus (boot, once per CPU).
void cpu_local_init(u32 index, u64 kernel_sp);
/// Software-enable this CPU's local APIC (timer_start does it on the boot CPU).
void lapic_enable();
/// The local APIC id of each CPU by logical number (start.cpp, smp.cpp), for send_ipi.
extern u32 g_apic_id[kernel::kMaxCpus];

/// What trap_common (vectors.S) pushes, lowest address first.
struct TrapFrame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
    u64 vector, error;
    u64 rip, cs, rflags, rsp, ss; // pushed by the CPU
};
static_assert(sizeof(TrapFrame) == 22 * 8);

void console_init();
/// Load the GDT (with the boot CPU's TSS) and the IDT. Everything lives in the image's
/// .data/.bss, so it stays reachable after the switch to the kernel's own tables. Each
/// CPU's TSS takes its ring-0 stack from its CpuLocal (cpu_local_init runs first).
void descriptors_init();
/// The same tables on another CPU (smp.cpp), with its own TSS.
void descriptors_init_cpu(kernel::u32 index);
/// Prepare the CPU for user mode: x87/SSE enabled (CR0, CR4), FSGSBASE when present, and
/// the syscall MSRs pointing at user_entry.S.
void user_mode_init();
/// What user_mode_init decided, on a CPU started later: control registers and the
/// syscall MSRs.
void user_mode_init_cpu();
/// Remap both 8259s away from the exception vectors and mask all their lines.
void pic_disable();
/// Remember where the local APIC is (physical); the timer uses it via the direct map.
void lapic_set_base(u64 phys);
void lapic_eoi();
/// This CPU's local APIC ID, the destination of device interrupts.
u32 lapic_id();
/// Send an inter-processor interrupt: `command` is the ICR's low half (vector, delivery
/// mode, level...), to the local APIC `apic_id`; waits until the APIC has sent it.
void lapic_send(u32 apic_id, u32 command);

/// Interrupt controllers found in the ACPI MADT (the PC defaults when there is none).
struct ApicInfo {
    struct IoApic {
        u64 address;
        u32 gsi_base; ///< the GSI of its pin 0
    };
    /// An ISA IRQ that is not wired to the GSI of the same number, or not edge-triggered
    /// active-high (MPS INTI flags: bits 1..0 polarity, 3..2 trigger mode).
    struct IsaOverride {
        u8 irq;
        u32 gsi;
        u16 flags;
    };
    u64 lapic = 0xfee00000; ///< architectural default, overridden by the MADT
    IoApic ioapic[4] = {};
    unsigned ioapic_count = 0;
    IsaOverride overrides[16] = {};
    unsigned override_count = 0;
    /// The CPUs' local APIC ids (MADT entries enabled or online-capable), in its order.
    kernel::FixedList<u64, kernel::kListedCpus> cpus;
    kernel::u32 cpus_listed = 0; ///< how many the MADT lists (`cpus` keeps the first kListedCpus)
    bool from_madt = false;
};
/// `rsdp` is a copy of the RSDP (multiboot2 ACPI tag) or nullptr to search the BIOS
/// areas for it. Tables are read through the early direct map.
ApicInfo find_apics(const u8* rsdp, usize rsdp_size);

/// Device interrupts: every I/O APIC pin is routed, masked, to its own vector
/// kDeviceVectorBase + GSI (ioapic.cpp). Called once with the local APIC base known.
void ioapic_init(const ApicInfo& apics);
/// The GSI ISA IRQ `irq` arrives at (the MADT's override, or the same number).
u32 isa_irq_line(u8 irq);
/// Handle interrupt `vector` if it is a device line's: call kernel::on_device_interrupt
/// and EOI. False for every other vector.
bool handle_device_interrupt(u64 vector);

} // namespace arch::x86_64

// Every CPU's CpuLocal by logical number (user_mode.cpp).
extern "C" arch::x86_64::CpuLocal x86_64_cpus[kernel::kMaxCpus];
