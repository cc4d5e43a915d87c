// The GIC, version 2 (QEMU virt's default "arm,cortex-a15-gic") or 3 ("arm,gic-v3",
// whose differences gicv3.cpp holds), and the EL1 virtual timer of the Arm generic timer.
// The virtual timer is usable at EL1 whatever EL2 did (boot.S zeroes CNTVOFF_EL2 when it
// passes through EL2), so it is the one we program. The timer is a PPI, the kernel's own;
// the shared peripheral interrupts (SPIs) are the device lines user space may claim
// (arch.hpp, "Device interrupts").
#include "aarch64.hpp"
#include <base/boot_only.hpp>

namespace arch::aarch64 {
namespace {

using kernel::Error;
using kernel::Result;
using kernel::fdt::Tree;

// Distributor registers.
constexpr u64 kGicdCtlr = 0x000;
constexpr u64 kGicdTyper = 0x004;
constexpr u64 kGicdIsenabler = 0x100;
constexpr u64 kGicdIcenabler = 0x180;
constexpr u64 kGicdIcpendr = 0x280;
constexpr u64 kGicdIpriorityr = 0x400;
constexpr u64 kGicdItargetsr = 0x800;
constexpr u64 kGicdIcfgr = 0xc00;
constexpr u64 kGicdSgir = 0xf00;
// CPU interface registers.
constexpr u64 kGiccCtlr = 0x000;
constexpr u64 kGiccPmr = 0x004;
constexpr u64 kGiccIar = 0x00c;
constexpr u64 kGiccEoir = 0x010;
constexpr u32 kFirstSpecial = 1020; ///< 1020..1023 are no interrupts (1023: spurious)
constexpr u32 kPriority = 0xa0; ///< one priority for everything: no nesting anyway
constexpr u32 kIpiSgi = 1;      ///< the SGI the kernel's inter-processor interrupt is

// CNTV_CTL_EL0 bits.
constexpr u64 kTimerEnable = 1;

u64 g_gicd = 0;          ///< physical bases
u64 g_gicc = 0;          ///< (GICv2 only: GICv3's CPU interface is system registers)
bool g_v3 = false;       ///< GICv3, driven by gicv3.cpp
u32 g_timer_intid = 0;
u32 g_line_count = 0;     ///< INTIDs below this exist (GICD_TYPER)
u64 g_timer_interval = 0; ///< counter ticks per timer_start period
kernel::u8 g_gic_target[kernel::kMaxCpus]; ///< each CPU's bit in a GICD_SGIR target list

void enable_interrupt(u32 intid) {
    if (g_v3 && intid < kSpiBase) return gicv3::enable_local(intid); // this CPU's redistributor
    // Priority bytes are packed four to a word; word accesses work on every GICv2.
    volatile u32* prio = mmio32(g_gicd + kGicdIpriorityr + (intid & ~3u));
    u32 shift = (intid & 3) * 8;
    *prio = (*prio & ~(0xffu << shift)) | (kPriority << shift);
    *mmio32(g_gicd + kGicdIsenabler + 4 * (intid / 32)) = 1u << (intid % 32);
}

/// Every SPI disabled, not pending, level-sensitive, routed to this CPU at kPriority,
/// so that irq_set_masked has nothing left to set up. Level, because a line masked
/// while its device still asserts it must come back when unmasked, not be lost.
BOOT_ONLY void spi_init() {
    u32 typer = *mmio32(g_gicd + kGicdTyper);
    g_line_count = 32 * ((typer & 0x1f) + 1); // ITLinesNumber
    if (g_line_count > kFirstSpecial) g_line_count = kFirstSpecial;
    for (u32 line = kSpiBase; line < g_line_count; line += 32) {
        *mmio32(g_gicd + kGicdIcenabler + line / 8) = ~0u;
        *mmio32(g_gicd + kGicdIcpendr + line / 8) = ~0u;
    }
    for (u32 line = kSpiBase; line < g_line_count; line += 4)
        *mmio32(g_gicd + kGicdIpriorityr + line) = kPriority * 0x01010101u;
    if (g_v3) {
        gicv3::route_spis(g_gicd, g_line_count, AARCH64_READ_SYSREG(mpidr_el1));
    } else {
        // The banked GICD_ITARGETSR0..7 read as this CPU's own target bit; RAZ on a
        // uniprocessor GIC, whose ITARGETSR writes are ignored anyway.
        u32 self = *mmio32(g_gicd + kGicdItargetsr) & 0xff;
        if (self == 0) self = 1;
        for (u32 line = kSpiBase; line < g_line_count; line += 4)
            *mmio32(g_gicd + kGicdItargetsr + line) = self * 0x01010101u;
    }
    // Two bits per line; the upper one is "edge". The lower one is reserved: kept.
    for (u32 line = kSpiBase; line < g_line_count; line += 16) {
        volatile u32* cfg = mmio32(g_gicd + kGicdIcfgr + line / 4);
        *cfg = *cfg & 0x55555555u;
    }
}

} // namespace

BOOT_ONLY Result<u32> gic_intid(const kernel::fdt::Prop& interrupts, u32 index) {
    if (interrupts.len < (index + 1) * 3 * 4) return Error::Malformed;
    u32 type = interrupts.cell(index * 3);
    u32 number = interrupts.cell(index * 3 + 1);
    if (type == 0 && number < kFirstSpecial - kSpiBase) return kSpiBase + number;
    if (type == 1 && number < kSpiBase - kPpiBase) return kPpiBase + number;
    return Error::Malformed;
}

BOOT_ONLY Result<void> irq_init(const Tree& tree, kernel::BootInfo& info) {
    if (auto v3 = tree.find_compatible("arm,gic-v3")) {
        g_v3 = true;
        g_gicd = TRY(gicv3::init(tree, *v3, info));
    } else {
        auto gic = tree.find_compatible("arm,cortex-a15-gic");
        if (!gic) gic = tree.find_compatible("arm,gic-400");
        if (!gic) return Error::NotFound;
        kernel::PhysRange dist = TRY(tree.reg(*gic, 0));
        kernel::PhysRange cpu = TRY(tree.reg(*gic, 1));
        g_gicd = dist.base;
        g_gicc = cpu.base;
        if (!info.mmio.push({dist, "GICv2 distributor"}) || !info.mmio.push({cpu, "GICv2 CPU interface"}))
            info.truncated = true;
    }

    // "interrupts": secure physical, non-secure physical, virtual, hypervisor timer;
    // three cells each (type 1 = PPI, number, flags).
    auto timer = TRY(tree.find_compatible("arm,armv8-timer"));
    kernel::fdt::Prop irqs = TRY(tree.prop(timer, "interrupts"));
    g_timer_intid = TRY(gic_intid(irqs, 2));
    if (g_timer_intid >= kSpiBase) return Error::Malformed; // a per-CPU timer is a PPI

    // Configure while the distributor is still off (firmware may have left it on).
    *mmio32(g_gicd + kGicdCtlr) = 0;
    spi_init();
    if (g_v3) {
        gicv3::enable_distributor(g_gicd);
    } else {
        // Without the security extensions (QEMU virt's GIC at EL1) every interrupt is in
        // group 0 and signalled as IRQ.
        *mmio32(g_gicd + kGicdCtlr) = 1;
    }
    gic_cpu_init();
    return {};
}

BOOT_ONLY void gic_cpu_init() {
    if (g_v3) {
        gicv3::cpu_init(kPriority);
        enable_interrupt(kIpiSgi);
        return;
    }
    // The banked GICD_ITARGETSR0 reads as this CPU's own target bit (0 on a uniprocessor
    // GIC, where no SGI is ever sent).
    g_gic_target[arch::cpu_index()] = static_cast<kernel::u8>(*mmio32(g_gicd + kGicdItargetsr) & 0xff);
    enable_interrupt(kIpiSgi); // (SGI and PPI enables and priorities are banked per CPU)
    *mmio32(g_gicc + kGiccPmr) = 0xff; // priority mask: let everything through
    *mmio32(g_gicc + kGiccCtlr) = 1;
}

kernel::u32 irq_handle(bool tick) {
    kernel::u32 seen = 0;
    for (;;) {
        u32 iar = g_v3 ? gicv3::acknowledge() : *mmio32(g_gicc + kGiccIar);
        u32 intid = g_v3 ? iar : iar & 0x3ff;
        // Spurious (nothing pending any more): nothing was acknowledged, so no EOI.
        if (intid >= kFirstSpecial) return seen;
        seen |= intid == g_timer_intid ? kIrqTick : kIrqOther;
        if (intid == g_timer_intid) {
            // Reload first: the next period counts from now, and the level-triggered
            // line drops before EOI.
            AARCH64_WRITE_SYSREG(cntv_tval_el0, g_timer_interval);
            if (tick) kernel::on_timer_tick();
        } else if (intid == kIpiSgi) {
            kernel::on_ipi();
        } else if (intid >= kSpiBase && intid < g_line_count) {
            // The kernel masks the line before we complete it, so a device still
            // asserting it does not bring us straight back here.
            kernel::on_device_interrupt(intid);
        }
        // Anything else (an SGI or PPI nobody enabled) is completed and forgotten.
        if (g_v3) {
            gicv3::end(iar);
        } else {
            *mmio32(g_gicc + kGiccEoir) = iar;
        }
    }
}

} // namespace arch::aarch64

namespace {
kernel::u64 g_clock_start = 0, g_ns_per_count = 0; // CNTVCT at timer_start; ns per count, 32.32
kernel::u64 virtual_count() {
    kernel::u64 v;
    asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}
} // namespace

kernel::u64 arch::clock_ns() { return g_ns_per_count ? mul_shift32(virtual_count() - g_clock_start, g_ns_per_count) : 0; }

void arch::timer_start(kernel::u32 hz) {
    using namespace arch::aarch64;
    if (!g_gicd || hz == 0) kernel::panic("timer_start: no GIC or no rate");
    u64 freq = AARCH64_READ_SYSREG(cntfrq_el0);
    g_clock_start = virtual_count();
    if (freq) g_ns_per_count = (u64{1'000'000'000} << 32) / freq;
    g_timer_interval = freq / hz ? freq / hz : 1;
    enable_interrupt(g_timer_intid);
    AARCH64_WRITE_SYSREG(cntv_tval_el0, g_timer_interval);
    AARCH64_WRITE_SYSREG(cntv_ctl_el0, kTimerEnable);
    asm volatile("isb");
}

BOOT_ONLY void arch::timer_start_cpu() {
    using namespace arch::aarch64;
    enable_interrupt(g_timer_intid); // (a PPI: enabled in each CPU's banked register)
    AARCH64_WRITE_SYSREG(cntv_tval_el0, g_timer_interval);
    AARCH64_WRITE_SYSREG(cntv_ctl_el0, kTimerEnable);
    asm volatile("isb");
}

SMP_ONLY bool arch::flush_user_elsewhere(kernel::u64, kernel::u64, kernel::u16, bool) {
    return false; // (a tagged space's flushes are broadcast already; an untagged one's go by remote calls)
}

SMP_ONLY void arch::send_ipi(kernel::u32 cpu) {
    using namespace arch::aarch64;
    asm volatile("dsb ishst" ::: "memory"); // what the target is to see, before it is woken
    if (g_v3) return gicv3::send_sgi(cpu, kIpiSgi);
    *mmio32(g_gicd + kGicdSgir) = u32{g_gic_target[cpu]} << 16 | kIpiSgi;
}

bool arch::irq_line_valid(kernel::u32 line) {
    using namespace arch::aarch64;
    return line >= kSpiBase && line < g_line_count && line != g_timer_intid;
}

void arch::irq_set_masked(kernel::u32 line, bool masked) {
    using namespace arch::aarch64;
    if (!irq_line_valid(line)) return; // never touch the timer or a line that is not there
    u64 reg = (masked ? kGicdIcenabler : kGicdIsenabler) + 4 * (line / 32);
    *mmio32(g_gicd + reg) = 1u << (line % 32);
}
