// riscv64 C++ init: entered from entry.S on the high stack with paging on (kernel at its
// link address, first 4 GiB of physical memory at kDirectMapBase). Finds the console,
// fills BootInfo from the devicetree and hands over to the portable kernel.
#include "riscv64.hpp"
#include "sbi.hpp"

#include <microkernel/fdt.hpp>
#include <microkernel/format.hpp>

namespace arch::riscv64 {

Platform g_platform;

namespace {

// A devicetree larger than this is not something QEMU or U-Boot produce; the bound keeps
// a corrupt header from making the parser walk across all of RAM.
constexpr kernel::usize kMaxDtbSize = 2u << 20;

// QEMU virt's sifive_test, for a poweroff before the devicetree could be read.
constexpr u64 kDefaultTestDevice = 0x100000;

using kernel::fdt::Node;
using kernel::fdt::Tree;

void add_mmio(kernel::BootInfo& info, kernel::PhysRange r, const char* name) {
    if (!info.mmio.push(kernel::MmioRange{r, name})) info.truncated = true;
}

/// The first node compatible with any of `compats`.
template <unsigned N>
kernel::Result<Node> find_any(const Tree& t, const char* const (&compats)[N]) {
    for (const char* c : compats)
        if (auto n = t.find_compatible(c)) return *n;
    return kernel::Error::NotFound;
}

void find_devices(const Tree& t, kernel::BootInfo& info) {
    if (auto uart = find_any(t, {"ns16550a", "ns16550"})) {
        if (auto reg = t.reg(*uart, 0)) {
            auto shift = t.prop(*uart, "reg-shift");
            console_use_uart(reg->base, shift ? shift->cell(0) : 0);
            add_mmio(info, *reg, "ns16550a");
        }
    }
    // "syscon" alone is too generic to trust as a test device.
    if (auto test = find_any(t, {"sifive,test1", "sifive,test0"})) {
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
void describe_firmware(const Tree& t, kernel::BootInfo& info) {
    char sbi_part[48];
    sbi::Ret spec = sbi::spec_version();
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

extern "C" [[noreturn]] void riscv64_init(u64 hart_id, u64 dtb_phys, u64 image_phys) {
    kernel::run_global_constructors();
    // User code may read cycle, time and instret (rdcycle, rdtime, rdinstret), as on
    // Linux: the in-guest benchmarks count instructions from user mode (DESIGN.md).
    // OpenSBI's mcounteren already opens them to S-mode.
    csr_write<Csr::scounteren>(0b111);
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
    find_devices(*tree, info);
    if (auto r = kernel::fdt::collect_boot_info(*tree, kernel::PhysAddr{dtb_phys}, info); !r) {
        kernel::print("riscv64: devicetree: {}\n", kernel::error_name(r.error()));
        kernel::panic("cannot read memory layout from the devicetree");
    }
    g_platform.timebase_hz = info.timer_hz;
    if (!info.reserved.push(info.kernel_image)) info.truncated = true;
    describe_firmware(*tree, info);
    kernel::main(info);
}

} // namespace arch::riscv64
