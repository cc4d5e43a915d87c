// GICv2 (QEMU virt's default "arm,cortex-a15-gic") and the EL1 virtual timer of the
// Arm generic timer. The virtual timer is usable at EL1 whatever EL2 did (boot.S zeroes
// CNTVOFF_EL2 when it passes through EL2), so it is the one we program.
#include "aarch64.hpp"

namespace arch::aarch64 {
namespace {

using kernel::Error;
using kernel::Result;
using kernel::fdt::Tree;

// Distributor registers.
constexpr u64 kGicdCtlr = 0x000;
constexpr u64 kGicdIsenabler = 0x100;
constexpr u64 kGicdIpriorityr = 0x400;
// CPU interface registers.
constexpr u64 kGiccCtlr = 0x000;
constexpr u64 kGiccPmr = 0x004;
constexpr u64 kGiccIar = 0x00c;
constexpr u64 kGiccEoir = 0x010;
constexpr u32 kSpurious = 1023;
constexpr u32 kPpiBase = 16; ///< devicetree PPI n is GIC INTID 16 + n

// CNTV_CTL_EL0 bits.
constexpr u64 kTimerEnable = 1;

u64 g_gicd = 0;          ///< physical bases
u64 g_gicc = 0;
u32 g_timer_intid = 0;
u64 g_timer_interval = 0; ///< counter ticks per timer_start period

void enable_interrupt(u32 intid) {
    // Priority bytes are packed four to a word; word accesses work on every GICv2.
    volatile u32* prio = mmio32(g_gicd + kGicdIpriorityr + (intid & ~3u));
    u32 shift = (intid & 3) * 8;
    *prio = (*prio & ~(0xffu << shift)) | (0xa0u << shift);
    *mmio32(g_gicd + kGicdIsenabler + 4 * (intid / 32)) = 1u << (intid % 32);
}

} // namespace

Result<void> irq_init(const Tree& tree, kernel::BootInfo& info) {
    auto gic = tree.find_compatible("arm,cortex-a15-gic");
    if (!gic) gic = tree.find_compatible("arm,gic-400");
    if (!gic) return Error::NotFound;
    kernel::PhysRange dist = TRY(tree.reg(*gic, 0));
    kernel::PhysRange cpu = TRY(tree.reg(*gic, 1));
    g_gicd = dist.base;
    g_gicc = cpu.base;
    if (!info.mmio.push({dist, "GICv2 distributor"}) || !info.mmio.push({cpu, "GICv2 CPU interface"}))
        info.truncated = true;

    // "interrupts": secure physical, non-secure physical, virtual, hypervisor timer;
    // three cells each (type 1 = PPI, number, flags).
    auto timer = TRY(tree.find_compatible("arm,armv8-timer"));
    kernel::fdt::Prop irqs = TRY(tree.prop(timer, "interrupts"));
    if (irqs.len < 4 * 3 * 4 || irqs.cell(2 * 3) != 1) return Error::Malformed;
    g_timer_intid = kPpiBase + irqs.cell(2 * 3 + 1);

    // Without the security extensions (QEMU virt's GIC at EL1) every interrupt is in
    // group 0 and signalled as IRQ. Priority mask: let everything through.
    *mmio32(g_gicd + kGicdCtlr) = 1;
    *mmio32(g_gicc + kGiccPmr) = 0xff;
    *mmio32(g_gicc + kGiccCtlr) = 1;
    return {};
}

void irq_handle() {
    for (;;) {
        u32 iar = *mmio32(g_gicc + kGiccIar);
        u32 intid = iar & 0x3ff;
        if (intid == kSpurious) return;
        if (intid == g_timer_intid) {
            // Reload first: the next period counts from now, and the level-triggered
            // line drops before EOI.
            AARCH64_WRITE_SYSREG(cntv_tval_el0, g_timer_interval);
            kernel::on_timer_tick();
        }
        *mmio32(g_gicc + kGiccEoir) = iar;
    }
}

} // namespace arch::aarch64

void arch::timer_start(kernel::u32 hz) {
    using namespace arch::aarch64;
    if (!g_gicd || hz == 0) kernel::panic("timer_start: no GIC or no rate");
    u64 freq = AARCH64_READ_SYSREG(cntfrq_el0);
    g_timer_interval = freq / hz ? freq / hz : 1;
    enable_interrupt(g_timer_intid);
    AARCH64_WRITE_SYSREG(cntv_tval_el0, g_timer_interval);
    AARCH64_WRITE_SYSREG(cntv_ctl_el0, kTimerEnable);
    asm volatile("isb");
}
