// User mode (docs/porting.md, "User mode"): fresh thread state, switching the lower half
// of the address space, leaving for EL0 (sanitize here, restore in user_entry.S) and
// turning every exception from EL0 into a kernel::UserTrap.
#include "aarch64.hpp"

#include <arch/context.hpp>
#include <base/boot_only.hpp>

#include <cstddef>

extern "C" {
// user_entry.S: restore `regs` (already sanitized) and eret to EL0.
// (Not [[noreturn]], though it never returns: called last, it is jumped to.)
void aarch64_enter_user(kernel::u64* regs);
// Each CPU's own data (cpu_local.h), TPIDR_EL1's target: the boot CPU's is ready
// before the first instruction of C++ (boot.S), the others' are filled by start_cpu.
extern char aarch64_kernel_stack_top[]; // boot.S: the boot CPU's kernel stack
arch::aarch64::CpuLocal aarch64_cpus[kernel::kMaxCpus] = {
    {0, reinterpret_cast<kernel::u64>(aarch64_kernel_stack_top), nullptr, nullptr, kernel::on_user_syscall_fast,
     false}};
// The lazy FPU's save and load (arch::fpu_switch).
void aarch64_fpu_switch(void* from, void* to);
}

namespace arch::aarch64 {

static_assert(offsetof(CpuLocal, index) == CPU_INDEX);
static_assert(offsetof(CpuLocal, kernel_sp) == CPU_KERNEL_SP);
static_assert(offsetof(CpuLocal, regs) == CPU_REGS);
static_assert(offsetof(CpuLocal, run_queue) == CPU_RUN_QUEUE && CPU_RUN_QUEUE == 24); // (arch/cpu.hpp reads it there)
static_assert(offsetof(CpuLocal, syscall) == CPU_SYSCALL);
static_assert(sizeof(CpuLocal) == CPU_LOCAL_SIZE);

namespace {

using kernel::TrapKind;
using kernel::UserTrap;

// SPSR_EL1 bits a thread may keep: the condition flags. Everything else is forced to 0,
// which means M[4:0] = EL0t in AArch64 state, D A I F clear (IRQs reach the kernel while
// EL0 runs), and no SS, IL, PAN, UAO, TCO, SSBS or BTYPE left over from whatever value a
// WriteRegisters call put in the file.
constexpr u64 kSpsrUserMask = u64{0xf} << 28;

constexpr u64 kCpacrFpen = u64{3} << 20;    ///< CPACR_EL1.FPEN: which ELs FP/SIMD traps at
constexpr u64 kCpacrFpenAll = u64{3} << 20; ///< FPEN: at neither EL
constexpr u64 kCpacrFpenEl1 = u64{1} << 20; ///< FPEN: at EL0 only (the lazy FPU's trap)
constexpr u64 kEcFpAccess = 0x07;           ///< ESR_EL1.EC of an FP/SIMD access FPEN trapped
constexpr u64 kTcrEpd0 = u64{1} << 7;       ///< no table walks for TTBR0 (boot.S sets it)
constexpr u64 kTcrAs = u64{1} << 36;        ///< 16-bit ASIDs (boot.S sets it if it can)
constexpr u64 kCntkctlEl0Vcten = u64{1} << 1; ///< EL0 may read CNTVCT_EL0 (and CNTFRQ)
constexpr u64 kPmuserenrCr = u64{1} << 2;   ///< EL0 may read PMCCNTR_EL0

/// Widest ASID the CPU takes (8 or 16 bits); larger identifiers are treated as 0.
unsigned g_asid_bits = 8;
constexpr unsigned kTlbiAsidShift = 48; ///< TTBR0_EL1.ASID and a TLBI operand's ASID

/// The lower half's root while no user space is loaded: a table with no valid entry.
/// boot.S closes the lower half (TCR.EPD0); open_user_half loads this and opens it for
/// good once the kernel runs on its own tables, so that activate_user_space only writes
/// TTBR0 and deactivate_user_space comes back here.
alignas(4096) constinit u64 g_empty_user_root[512] = {};
u64 empty_user_root_phys() { return reinterpret_cast<u64>(g_empty_user_root) + g_phys_minus_virt; }

/// Is an exception class's fault status one that a mapping could cure? Address size,
/// translation, access flag and permission faults are; alignment, external aborts, TLB
/// conflicts and the like are not and go to the fault handler as OtherFault.
bool is_translation_fault(u64 esr) {
    u64 fsc = esr & 0x3f;
    return (fsc >> 2) <= 3;
}

UserTrap decode_sync(u64 esr) {
    UserTrap trap{TrapKind::OtherFault};
    trap.code = esr;
    u64 ec = (esr >> 26) & 0x3f;
    switch (ec) {
    case 0x20: // instruction abort from a lower EL
    case 0x24: // data abort from a lower EL
        if (!is_translation_fault(esr)) break;
        trap.kind = TrapKind::PageFault;
        trap.address = AARCH64_READ_SYSREG(far_el1);
        trap.exec = ec == 0x20;
        // WnR; cache maintenance (CM, bit 8) reports WnR = 1 but writes nothing.
        trap.write = ec == 0x24 && ((esr >> 6) & 1) && !((esr >> 8) & 1);
        break;
    case kEcFpAccess: // FP/SIMD with CPACR_EL1.FPEN trapping EL0: the lazy FPU's trap
        trap.kind = TrapKind::FpuUnavailable;
        break;
    case 0x00: // unknown reason: undefined instructions and EL1-only system registers
    case 0x0e: // illegal execution state
    case 0x18: // trapped MSR/MRS/system instruction (DAIF, cache maintenance at EL0)
        trap.kind = TrapKind::IllegalInstruction;
        break;
    default: // breakpoints, PC/SP alignment, WFI/WFE, FP exceptions...: code = ESR
        break;
    }
    return trap;
}

} // namespace

void open_user_half() {
    // Onto a root with nothing in it (ASID 0: nothing of it is ever cached).
    AARCH64_WRITE_SYSREG(ttbr0_el1, empty_user_root_phys());
    asm volatile("isb" ::: "memory");
    AARCH64_WRITE_SYSREG(tcr_el1, AARCH64_READ_SYSREG(tcr_el1) & ~kTcrEpd0);
    asm volatile("isb" ::: "memory");
}

BOOT_ONLY void user_mode_init() {
    // FP/SIMD at EL1 (only aarch64_fpu_switch uses it: the C++ is -mgeneral-regs-only);
    // at EL0 it traps until a thread owns the registers (the lazy FPU, return_to_user).
    AARCH64_WRITE_SYSREG(cpacr_el1, (AARCH64_READ_SYSREG(cpacr_el1) & ~kCpacrFpen) | kCpacrFpenEl1);
    // boot.S chose the ASID width (from ID_AA64MMFR0_EL1.ASIDBits) before the MMU went
    // on; TCR says which.
    g_asid_bits = AARCH64_READ_SYSREG(tcr_el1) & kTcrAs ? 16 : 8;
    // Nothing from the firmware may leak into EL0 through its read-only TLS register.
    AARCH64_WRITE_SYSREG(tpidrro_el0, 0);
    AARCH64_WRITE_SYSREG(tpidr_el0, 0);
    // User programs time themselves (benchmarks): the counters, read only.
    AARCH64_WRITE_SYSREG(cntkctl_el1, AARCH64_READ_SYSREG(cntkctl_el1) | kCntkctlEl0Vcten);
    if (g_cycle_counter_on) AARCH64_WRITE_SYSREG(pmuserenr_el0, kPmuserenrCr);
    asm volatile("isb" ::: "memory");
}

} // namespace arch::aarch64

void arch::init_user_registers(kernel::u64* regs, kernel::u64 ip, kernel::u64 sp) {
    for (kernel::u32 i = 0; i < abi::kRegCount; ++i) regs[i] = 0;
    regs[abi::kRegIp] = ip;
    regs[abi::kRegSp] = sp;
    regs[aarch64::kRegSpsr] = 0; // EL0t, AArch64, D A I F clear, flags clear
}

void arch::init_fpu_area(void* fpu_area) {
    // Zero is the reset state: all registers 0, FPCR round-to-nearest with no traps.
    auto* p = static_cast<volatile kernel::u8*>(fpu_area);
    for (kernel::usize i = 0; i < aarch64::kFpuBytes; ++i) p[i] = 0;
}

void arch::prepare_user_root(kernel::PhysAddr, kernel::PhysWindow) {
    // Nothing to share: the kernel lives in TTBR1, a user root only ever holds user pages.
}

kernel::u32 arch::asid_count() { return kernel::u32{1} << arch::aarch64::g_asid_bits; }

void arch::activate_user_space(kernel::PhysAddr root, kernel::u16 asid) {
    using namespace arch::aarch64;
    u64 tag = asid; // (below asid_count(), as every ASID the kernel hands out)
    // The kernel's writes to the new tables complete before the walker may read them.
    asm volatile("dsb ishst" ::: "memory");
    // Root and ASID change in one write, so no walk pairs the new table with the old tag.
    AARCH64_WRITE_SYSREG(ttbr0_el1, root.value | tag << kTlbiAsidShift);
    asm volatile("isb" ::: "memory");
    // A tagged space's entries stay cached: the kernel flushes them by tag when they go
    // stale. Untagged spaces all share ASID 0, so whatever a previous one left under it
    // goes (after the switch, so that no walk of the old root can refill it).
    if (tag == 0) asm volatile("tlbi aside1, xzr\n dsb nsh\n isb" ::: "memory");
}

void arch::fpu_switch(void* from, void* to) { aarch64_fpu_switch(from, to); }

void arch::set_syscall_path(void (*syscall)()) {
    aarch64::CpuLocal& c = aarch64::this_cpu();
    c.syscall = syscall;
}

void arch::leave_to_user(kernel::u64* regs, bool checked, bool fpu_live, kernel::PhysAddr space_root,
                         kernel::u16 space_asid) {
    using namespace arch::aarch64;
    // The kernel's page-table writes (map, unmap) reach the walker before EL0 runs:
    // activate_user_space's barrier does it, or this one.
    if (space_root.value) activate_user_space(space_root, space_asid);
    else asm volatile("dsb ishst" ::: "memory");
    // Sanitize in the file itself, so that what the kernel reports later is what ran.
    // Lower-half addresses have bits 63:48 clear (T0SZ = 16, no top-byte ignore); any
    // other IP or SP becomes 0, so the first fetch or stack access faults in EL0. What
    // an exception from EL0 saved needs none of it (SPSR says EL0t, with only the flags
    // EL0 can change; ELR was executing; SP_EL0 is used in EL0 only).
    if (!checked) {
        regs[kRegSpsr] &= kSpsrUserMask;
        if (regs[abi::kRegIp] >> 48) regs[abi::kRegIp] = 0;
        if (regs[abi::kRegSp] >> 48) regs[abi::kRegSp] = 0;
    }
    // (CPACR_EL1.FPEN written only when it changes; the eret synchronizes: no isb needed for EL0)
    if (bool& live = this_cpu().fpu_live; fpu_live != live) {
        u64 cpacr = AARCH64_READ_SYSREG(cpacr_el1) & ~kCpacrFpen;
        AARCH64_WRITE_SYSREG(cpacr_el1, cpacr | (fpu_live ? kCpacrFpenAll : kCpacrFpenEl1));
        live = fpu_live;
    }
    aarch64_enter_user(regs);
}

namespace {
/// An IRQ from EL0 on a CPU other than the boot CPU, where only its timer and IPIs arrive
/// (devices go to the boot CPU): the IPIs' remote calls are answered without the lock
/// (their caller holds it), and a tick with nothing else to do than charge a thread alone
/// on its CPU needs none (on_user_tick_unlocked returns when it does). Else the lock, as
/// for every entry.
SMP_ONLY [[noreturn, gnu::noinline]] void other_cpu_irq() {
    using namespace arch::aarch64;
    const u32 seen = irq_handle(false);
    if (seen == kIrqTick) kernel::on_user_tick_unlocked();
    kernel::kernel_enter();
    if (seen & kIrqTick) kernel::on_timer_tick();
    kernel::on_user_trap(UserTrap{TrapKind::Interrupt});
}
} // namespace

// Called by aarch64_user_entry (user_entry.S) on the empty kernel stack, IRQs masked,
// with the thread's registers saved (FP/SIMD stays in the registers: lazy FPU). `kind` is
// the vector number:
// 4 * origin + type, origin 2 = EL0 AArch64, 3 = EL0 AArch32 (never entered: SPSR.M[4]
// is forced to 0), type 0 sync, 1 IRQ, 2 FIQ, 3 SError.
extern "C" [[noreturn]] void aarch64_user_trap(kernel::u64 kind) {
    using namespace arch::aarch64;
    kernel::kernel_enter();
    UserTrap trap{TrapKind::OtherFault};
    if (kind == 8) {
        trap = decode_sync(AARCH64_READ_SYSREG(esr_el1)); // (an svc went to on_user_syscall)
    } else if (kind == 9) {
        irq_handle(); // the timer or a device line (kernel::on_device_interrupt), EOI
        trap.kind = TrapKind::Interrupt;
    } else if (kind == 11) {
        trap.code = AARCH64_READ_SYSREG(esr_el1); // SError: the syndrome says what
    } else {
        trap.code = kind; // FIQ (nothing routes one) or an AArch32 vector: no syndrome
    }
    kernel::on_user_trap(trap);
}

// An IRQ from EL0 AArch64 (kind 9: aarch64_user_entry sends it here).
extern "C" [[noreturn]] void aarch64_user_irq(kernel::u64 kind) {
    if (arch::cpu_index() != 0) other_cpu_irq();
    aarch64_user_trap(kind);
}


// Drop `va`'s translations (leaf and the walk entries above it) tagged `asid` in the
// inner-shareable domain, once the unmap itself is visible to every walker; the dsb ish
// waits until no CPU can use them any more.
void arch::flush_user_page(kernel::u64 va, kernel::u16 asid) {
    using namespace arch::aarch64;
    constexpr u64 kVaField = (u64{1} << 44) - 1; // VA[55:12] in operand bits 43:0
    u64 op = ((va >> 12) & kVaField) | u64{asid} << kTlbiAsidShift;
    asm volatile("dsb ishst\n tlbi vae1is, %0\n dsb ish\n isb" ::"r"(op) : "memory");
}

// Everything tagged `asid`, everywhere: its space is gone and the tag will be reused.
void arch::flush_asid(kernel::u16 asid) {
    using namespace arch::aarch64;
    u64 op = u64{asid} << kTlbiAsidShift;
    asm volatile("dsb ishst\n tlbi aside1is, %0\n dsb ish\n isb" ::"r"(op) : "memory");
}

// Back to the empty root (g_empty_user_root), and forget what this CPU cached under the
// loaded tag, so the old root can be freed. Other tags belong to other, live spaces and
// stay.
void arch::deactivate_user_space() {
    using namespace arch::aarch64;
    u64 op = AARCH64_READ_SYSREG(ttbr0_el1) >> kTlbiAsidShift << kTlbiAsidShift;
    AARCH64_WRITE_SYSREG(ttbr0_el1, empty_user_root_phys());
    asm volatile("isb\n tlbi aside1, %0\n dsb nsh\n isb" ::"r"(op) : "memory");
}
