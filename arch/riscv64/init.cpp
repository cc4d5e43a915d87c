// riscv64 C++ init: entered from entry.S on the high stack with paging on (kernel at its
// link address, first 4 GiB of physical memory at kDirectMapBase). Finds the console,
// fills BootInfo from the devicetree and hands over to the portable kernel.
#include "riscv64.hpp"
#include "sbi.hpp"

#include <base/boot_only.hpp>
#include <microkernel/fdt.hpp>
#include <base/format.hpp>

namespace arch::riscv64 {

Platform g_platform;

namespace {

// A devicetree larger than this is not something QEMU or U-Boot produce; the bound keeps
// a corrupt header from making the parser walk across all of RAM.
constexpr kernel::usize kMaxDtbSize = 2u << 20;

// QEMU virt's sifive_test, for a poweroff before the devicetree could be read.
constexpr u64 kDefaultTestDevice = 0x100000;

using kernel::u32;
using kernel::fdt::Node;
using kernel::fdt::Tree;

BOOT_ONLY void add_mmio(kernel::BootInfo& info, kernel::PhysRange r, const char* name) {
    if (!info.mmio.push(kernel::MmioRange{r, name})) info.truncated = true;
}

/// The first node compatible with `compat`, else with `fallback`.
BOOT_ONLY kernel::Result<Node> find_any(const Tree& t, const char* compat, const char* fallback) {
    if (auto n = t.find_compatible(compat)) return *n;
    return t.find_compatible(fallback);
}

BOOT_ONLY u32 phandle_of(const Tree& t, Node n) {
    if (auto p = t.prop(n, "phandle")) return p->cell(0);
    if (auto p = t.prop(n, "linux,phandle")) return p->cell(0);
    return 0;
}

/// The phandle of the interrupt controller (riscv,cpu-intc) of hart `hart`, or 0.
BOOT_ONLY u32 hart_intc(const Tree& t, u64 hart) {
    auto cpus = t.find_path("/cpus");
    if (!cpus) return 0;
    u32 found = 0;
    t.for_each_child(*cpus, [&](Node cpu) {
        auto reg = t.reg(cpu, 0);
        if (found || !reg || reg->base != hart) return;
        t.for_each_child(cpu, [&](Node c) {
            auto compat = t.prop(c, "compatible");
            if (!found && compat && compat->contains_string("riscv,cpu-intc"))
                found = phandle_of(t, c);
        });
    });
    return found;
}

/// The node's interrupt parent: its own or its nearest ancestor's interrupt-parent.
BOOT_ONLY u32 interrupt_parent(const Tree& t, Node n) {
    for (;;) {
        if (auto p = t.prop(n, "interrupt-parent")) return p->cell(0);
        auto up = t.parent(n);
        if (!up) return 0;
        n = *up;
    }
}

// The PLIC context of `hart`'s S-mode: interrupts-extended lists one (cpu-intc phandle,
// interrupt) pair per context, and S-mode's is the supervisor external interrupt, 9
// (M-mode's is 11). Returns the PLIC's phandle, or 0 if there is none the kernel can use.
BOOT_ONLY u32 find_plic(const Tree& t, kernel::BootInfo& info, u64 hart) {
    auto plic = find_any(t, "sifive,plic-1.0.0", "riscv,plic0");
    if (!plic) return 0;
    auto reg = t.reg(*plic, 0);
    auto ndev = t.prop(*plic, "riscv,ndev");
    auto contexts = t.prop(*plic, "interrupts-extended");
    u32 intc = hart_intc(t, hart);
    if (!reg || !ndev || !contexts || intc == 0) return 0;
    for (u32 i = 0; 2 * i + 1 < contexts->len / 4; ++i) {
        if (contexts->cell(2 * i) != intc || contexts->cell(2 * i + 1) != kIrqSupervisorExternal)
            continue;
        add_mmio(info, *reg, "plic");
        plic_init(reg->base, ndev->cell(0), i);
        return phandle_of(t, *plic);
    }
    return 0;
}

/// The devicetree's Goldfish real-time clock (QEMU virt): nanoseconds since 1970, the low
/// word read first (that latches the high one).
BOOT_ONLY u64 read_rtc(const Tree& t) {
    auto rtc = t.find_compatible("google,goldfish-rtc");
    if (!rtc) return 0;
    auto reg = t.reg(*rtc, 0);
    if (!reg || reg->base + 8 > (u64{4} << 30)) return 0; // (entry.S's direct map)
    const auto* time = reinterpret_cast<volatile u32*>(kDirectMapBase + reg->base);
    const u64 low = time[0], high = time[1];
    return (high << 32 | low) / 1'000'000'000;
}

BOOT_ONLY void find_devices(const Tree& t, kernel::BootInfo& info, u64 hart) {
    u32 plic = find_plic(t, info, hart);
    if (auto uart = find_any(t, "ns16550a", "ns16550")) {
        if (auto reg = t.reg(*uart, 0)) {
            auto shift = t.prop(*uart, "reg-shift");
            console_use_uart(reg->base, shift ? shift->cell(0) : 0);
            add_mmio(info, *reg, "ns16550a");
            auto irq = t.prop(*uart, "interrupts");
            if (plic && irq && interrupt_parent(t, *uart) == plic && plic_has_source(irq->cell(0)))
                console_use_irq(irq->cell(0));
        }
    }
    // "syscon" alone is too generic to trust as a test device.
    if (auto test = find_any(t, "sifive,test1", "sifive,test0")) {
        if (auto reg = t.reg(*test, 0)) {
            g_platform.test_device = reg->base;
            add_mmio(info, *reg, "sifive_test");
        }
    }
}

// How we were booted, from evidence only. OpenSBI identifies itself through the SBI Base
// extension (implementation id 1, version major << 16 | minor). U-Boot's fdt_chosen()
// adds /chosen/u-boot,version to the devicetree it passes on; OpenSBI alone (QEMU
// -kernel) leaves no such property.
BOOT_ONLY void describe_firmware(const Tree& t, kernel::BootInfo& info) {
    char sbi_part[48];
    sbi::Ret spec = sbi::spec_version();
    g_platform.rfence = spec.error == 0 && sbi::probe(sbi::Eid::Rfence);
    if (spec.error != 0) {
        kernel::format_to(sbi_part, sizeof sbi_part, "SBI v0.1 firmware");
    } else {
        u64 id = sbi::impl_id().value, ver = sbi::impl_version().value;
        if (id == sbi::kImplOpenSbi)
            kernel::format_to(sbi_part, sizeof sbi_part, "OpenSBI {}.{}", ver >> 16, ver & 0xffff);
        else
            kernel::format_to(sbi_part, sizeof sbi_part, "SBI implementation {} version {:#x}", id, ver);
    }
    const char* uboot = nullptr;
    if (auto chosen = t.find_path("/chosen"))
        if (auto v = t.prop(*chosen, "u-boot,version")) uboot = v->string();
    if (uboot)
        kernel::format_to(info.firmware, sizeof info.firmware, "{} + U-Boot {}", sbi_part, uboot);
    else
        kernel::format_to(info.firmware, sizeof info.firmware, "{}", sbi_part);
}

kernel::BootInfo g_info;

} // namespace

extern "C" BOOT_ONLY [[noreturn]] void riscv64_init(u64 hart_id, u64 dtb_phys, u64 image_phys) {
    kernel::run_global_constructors();
    // User code may read cycle, time and instret (rdcycle, rdtime, rdinstret), as on
    // Linux: the in-guest benchmarks count instructions from user mode (DESIGN.md).
    // OpenSBI's mcounteren already opens them to S-mode.
    csr_write<Csr::scounteren>(0b111);
    g_platform.image_phys = image_phys;
    g_platform.hart_id[0] = hart_id;
    riscv64_cpus[0].run_queue = kernel::fast_yield_run_queue(0);
    kernel::BootInfo& info = g_info;
    info.arch = "riscv64";
    info.kernel_image = kernel::PhysRange{
        image_phys, static_cast<u64>(kernel::__kernel_end - kernel::__kernel_start)};

    // entry.S's direct map covers the first 4 GiB: the blob must lie in it.
    constexpr u64 kEarlyMapEnd = u64{4} << 30;
    auto tree = dtb_phys != 0 && dtb_phys < kEarlyMapEnd
                    ? Tree::open(reinterpret_cast<const void*>(kDirectMapBase + dtb_phys),
                                 kEarlyMapEnd - dtb_phys < kMaxDtbSize ? kEarlyMapEnd - dtb_phys
                                                                       : kMaxDtbSize)
                    : kernel::Result<Tree>(kernel::Error::OutOfRange);
    if (!tree) {
        g_platform.test_device = kDefaultTestDevice;
        kernel::print("riscv64: hart {}: no usable devicetree at {:#x} ({})\n", hart_id, dtb_phys,
                      kernel::error_name(tree.error()));
        kernel::panic("cannot boot without a devicetree");
    }
    find_devices(*tree, info, hart_id);
    if (auto r = kernel::fdt::collect_boot_info(*tree, kernel::PhysAddr{dtb_phys}, info); !r) {
        kernel::print("riscv64: devicetree: {}\n", kernel::error_name(r.error()));
        kernel::panic("cannot read memory layout from the devicetree");
    }
    g_platform.timebase_hz = info.timer_hz;
    info.rtc_seconds = read_rtc(*tree);
    info.boot_cpu = hart_id;
    if (!info.reserved.push(info.kernel_image)) info.truncated = true;
    describe_firmware(*tree, info);
    kernel::main(info);
}

} // namespace arch::riscv64
