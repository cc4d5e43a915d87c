// GICv3 ("arm,gic-v3"; QEMU's virt board with gic-version=3, which it needs past 8
// CPUs). What differs from GICv2 (timer.cpp): each CPU has a redistributor of its own,
// found by its MPIDR affinity, for its SGIs and PPIs and its wake-up; the CPU interface is
// system registers (ICC_*) instead of a memory window; SPIs are routed by affinity
// (GICD_IROUTER) and an SGI names its target by affinity (ICC_SGI1R_EL1), so a CPU is no
// longer one of eight target bits. Everything is in group 1 (IRQ; group 0 is FIQ under
// GICv3). The distributor's SPI registers (enable, pending, priority, configuration) sit
// where GICv2's do, so irq_set_masked is the same for both.
#include "aarch64.hpp"
#include <base/boot_only.hpp>

// The CPU interface's system registers, by encoding (S3_<op1>_C<n>_C<m>_<op2>).
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define READ_ICC(reg) AARCH64_READ_SYSREG(reg)
#define WRITE_ICC(reg, v) AARCH64_WRITE_SYSREG(reg, v)

namespace arch::aarch64::gicv3 {
namespace {

using kernel::Error;
using kernel::Result;

// Distributor registers (beside GICv2's, which timer.cpp names).
constexpr u64 kGicdCtlr = 0x0000;
constexpr u64 kGicdIgroupr = 0x0080;
constexpr u64 kGicdIrouter = 0x6000; ///< 8 bytes per INTID, SPIs only
constexpr u32 kCtlrEnableGroups = 1u << 0 | 1u << 1; ///< group 0 and 1 (one security state), or 1 and 1A
constexpr u32 kCtlrAre = 1u << 4;     ///< affinity routing (ARE, or ARE_NS)
constexpr u32 kCtlrRwp = 1u << 31;    ///< a write is still taking effect
// Redistributor: a 64 KiB control frame, then the 64 KiB frame for SGIs and PPIs.
constexpr u64 kGicrTyper = 0x0008;
constexpr u64 kGicrWaker = 0x0014;
constexpr u64 kGicrSgiFrame = 0x10000;
constexpr u64 kGicrIgroupr0 = kGicrSgiFrame + 0x080;
constexpr u64 kGicrIsenabler0 = kGicrSgiFrame + 0x100;
constexpr u64 kGicrIcenabler0 = kGicrSgiFrame + 0x180;
constexpr u64 kGicrIcpendr0 = kGicrSgiFrame + 0x280;
constexpr u64 kGicrIpriorityr = kGicrSgiFrame + 0x400;
constexpr u64 kTyperLast = 1u << 4;  ///< the region's last redistributor
constexpr u64 kTyperVlpis = 1u << 1; ///< GICv4: two more 64 KiB frames each
constexpr u32 kWakerProcessorSleep = 1u << 1;
constexpr u32 kWakerChildrenAsleep = 1u << 2;
constexpr u32 kMaxRegions = 4;
constexpr u64 kCtlrRss = u64{1} << 18; ///< ICC_CTLR_EL1: SGIs reach Aff0 16..255 (RS)

kernel::PhysRange g_regions[kMaxRegions]; ///< the redistributor regions, as the devicetree lists them
u32 g_region_count = 0;
u64 g_gicr[kernel::kMaxCpus];     ///< each CPU's redistributor (physical), by logical number
u64 g_sgi_target[kernel::kMaxCpus]; ///< each CPU's affinity and target bit, as ICC_SGI1R_EL1 wants them

volatile u64* mmio64(u64 phys) { return reinterpret_cast<volatile u64*>(kDirectMapBase + phys); }

/// MPIDR_EL1's Aff3..Aff0 as GICR_TYPER's upper word packs them (Aff3:Aff2:Aff1:Aff0).
constexpr u32 packed_affinity(u64 mpidr) { return static_cast<u32>((mpidr >> 32 & 0xff) << 24 | (mpidr & 0xffffff)); }

BOOT_ONLY void wait_distributor(u64 gicd) {
    for (u32 i = 0; i < 1'000'000 && (*mmio32(gicd + kGicdCtlr) & kCtlrRwp); ++i) {
    }
}

/// The redistributor whose affinity is this CPU's: regions are walked frame by frame to
/// the one marked last or the region's end, whichever comes first.
BOOT_ONLY u64 find_redistributor(u32 affinity) {
    for (u32 r = 0; r < g_region_count; ++r) {
        const u64 end = g_regions[r].base + g_regions[r].size;
        for (u64 frame = g_regions[r].base; frame + 2 * kGicrSgiFrame <= end;) {
            const u64 typer = *mmio64(frame + kGicrTyper);
            if (static_cast<u32>(typer >> 32) == affinity) return frame;
            if (typer & kTyperLast) break;
            frame += (typer & kTyperVlpis) ? 4 * kGicrSgiFrame : 2 * kGicrSgiFrame;
        }
    }
    return 0;
}

} // namespace

BOOT_ONLY Result<u64> init(const kernel::fdt::Tree& tree, kernel::fdt::Node gic, kernel::BootInfo& info) {
    kernel::PhysRange dist = TRY(tree.reg(gic, 0));
    if (!info.mmio.push({dist, "GICv3 distributor"})) info.truncated = true;
    u32 regions = 1;
    if (auto p = tree.prop(gic, "#redistributor-regions"); p && p->len >= 4) regions = p->cell(0);
    if (regions == 0 || regions > kMaxRegions) return Error::Malformed;
    for (u32 r = 0; r < regions; ++r) {
        g_regions[r] = TRY(tree.reg(gic, 1 + r));
        if (!info.mmio.push({g_regions[r], "GICv3 redistributors"})) info.truncated = true;
    }
    g_region_count = regions;
    *mmio32(dist.base + kGicdCtlr) = 0; // configure with the distributor off
    wait_distributor(dist.base);
    return dist.base;
}

BOOT_ONLY void route_spis(u64 gicd, u32 end, u64 boot_mpidr) {
    for (u32 line = kSpiBase; line < end; line += 32) *mmio32(gicd + kGicdIgroupr + line / 8) = ~0u;
    // Interrupt_Routing_Mode 0: to the CPU whose affinity is written here.
    for (u32 line = kSpiBase; line < end; ++line)
        *mmio64(gicd + kGicdIrouter + 8 * u64{line}) = boot_mpidr & 0xff00ffffffull;
}

BOOT_ONLY void enable_distributor(u64 gicd) {
    *mmio32(gicd + kGicdCtlr) = kCtlrAre;
    wait_distributor(gicd);
    *mmio32(gicd + kGicdCtlr) = kCtlrAre | kCtlrEnableGroups;
    wait_distributor(gicd);
}

BOOT_ONLY void cpu_init(u32 priority) {
    const u32 cpu = arch::cpu_index();
    const u64 mpidr = AARCH64_READ_SYSREG(mpidr_el1);
    const u64 rd = find_redistributor(packed_affinity(mpidr));
    if (!rd) kernel::panic("GICv3: no redistributor has this CPU's affinity");
    g_gicr[cpu] = rd;
    // The CPU interface through system registers (SRE; with DFB and DIB, which only an
    // EL that can trap them would clear), before any of them is touched.
    WRITE_ICC(ICC_SRE_EL1, READ_ICC(ICC_SRE_EL1) | 7);
    asm volatile("isb");
    if (!(READ_ICC(ICC_SRE_EL1) & 1))
        kernel::panic("GICv3: a higher EL keeps its system registers from EL1 (ICC_SRE_EL2)");
    // An SGI names Aff3.Aff2.Aff1 and, within them, a bit for Aff0 among 16; the range
    // selector (RS) says which 16, where the GIC has one (ICC_CTLR_EL1.RSS; Arm's systems
    // and QEMU's board keep Aff0 below 16). Without it such a CPU could not be sent one.
    const u64 aff0 = mpidr & 0xff;
    if (aff0 >= 16 && !(READ_ICC(ICC_CTLR_EL1) & kCtlrRss))
        kernel::panic("GICv3: this CPU's Aff0 is past 15 and the GIC has no SGI range selector");
    g_sgi_target[cpu] = (mpidr >> 32 & 0xff) << 48 | (mpidr >> 16 & 0xff) << 32 | (mpidr >> 8 & 0xff) << 16 |
                        (aff0 >> 4) << 44 | u64{1} << (aff0 & 15);

    // Wake the redistributor, then: every SGI and PPI off, in group 1, at `priority`.
    *mmio32(rd + kGicrWaker) = *mmio32(rd + kGicrWaker) & ~kWakerProcessorSleep;
    for (u32 i = 0; i < 1'000'000 && (*mmio32(rd + kGicrWaker) & kWakerChildrenAsleep); ++i) {
    }
    *mmio32(rd + kGicrIcenabler0) = ~0u;
    *mmio32(rd + kGicrIcpendr0) = 0xffff0000u; // PPIs (a pending SGI may be a call already)
    *mmio32(rd + kGicrIgroupr0) = ~0u;
    for (u32 i = 0; i < 32; i += 4) *mmio32(rd + kGicrIpriorityr + i) = priority * 0x01010101u;

    // The CPU interface: every priority let through, group 1 on.
    WRITE_ICC(ICC_PMR_EL1, 0xff);
    WRITE_ICC(ICC_BPR1_EL1, 0);
    WRITE_ICC(ICC_CTLR_EL1, 0);   // EOImode 0: the EOI also deactivates
    WRITE_ICC(ICC_IGRPEN1_EL1, 1);
    asm volatile("isb");
}

void enable_local(u32 intid) {
    const u64 rd = g_gicr[arch::cpu_index()];
    // (priorities were set for all 32 by cpu_init)
    *mmio32(rd + kGicrIsenabler0) = 1u << intid;
}

u32 acknowledge() { return static_cast<u32>(READ_ICC(ICC_IAR1_EL1)) & 0xffffff; }

void end(u32 intid) { WRITE_ICC(ICC_EOIR1_EL1, intid); }

SMP_ONLY void send_sgi(u32 cpu, u32 sgi) {
    WRITE_ICC(ICC_SGI1R_EL1, g_sgi_target[cpu] | u64{sgi} << 24);
    asm volatile("isb");
}

} // namespace arch::aarch64::gicv3
