// The C++ half of the boot path (boot.S calls aarch64_boot with the MMU on, running at
// the link address on the boot stack): console, devicetree, BootInfo, kernel::main.
#include "aarch64.hpp"

#include <base/boot_only.hpp>
#include <base/format.hpp>

namespace arch::aarch64 {

bool g_cycle_counter_on = false;

namespace {

using kernel::BootInfo;
using kernel::Error;
using kernel::PhysAddr;
using kernel::PhysRange;
using kernel::print;

BootInfo g_info;

constexpr u64 kDirectMapLimit = u64{4} << 30; ///< what boot.S maps before kernel::main
constexpr u32 kFdtMagic = 0xd00dfeed;

BOOT_ONLY [[noreturn]] void fail(const char* what, Error e) {
    print("aarch64 boot: {}: {}\n", what, kernel::error_name(e));
    kernel::panic("cannot boot");
}

BOOT_ONLY u32 load_be32(const kernel::u8* p) {
    return u32(p[0]) << 24 | u32(p[1]) << 16 | u32(p[2]) << 8 | u32(p[3]);
}

/// The devicetree through the early direct map, or an error (before any console).
BOOT_ONLY kernel::Result<kernel::fdt::Tree> open_devicetree(u64 dtb_phys) {
    if (dtb_phys == 0 || dtb_phys + 8 > kDirectMapLimit) return Error::OutOfRange;
    const auto* blob = reinterpret_cast<const kernel::u8*>(kDirectMapBase + dtb_phys);
    if (load_be32(blob) != kFdtMagic) return Error::Malformed;
    u32 size = load_be32(blob + 4);
    if (dtb_phys + size > kDirectMapLimit) return Error::OutOfRange;
    return kernel::fdt::Tree::open(blob, size);
}

} // namespace

/// PMCCNTR_EL0 for read_cycle_counter, when the CPU has a PMU (ID_AA64DFR0_EL1.PMUVer).
BOOT_ONLY void start_cycle_counter() {
    u64 pmuver = (AARCH64_READ_SYSREG(id_aa64dfr0_el1) >> 8) & 0xf;
    if (pmuver == 0 || pmuver == 0xf) return;
    AARCH64_WRITE_SYSREG(pmccfiltr_el0, 0);                     // count at EL0 and EL1
    AARCH64_WRITE_SYSREG(pmcr_el0, AARCH64_READ_SYSREG(pmcr_el0) | 1 | (1 << 6)); // E, LC
    AARCH64_WRITE_SYSREG(pmcntenset_el0, u64{1} << 31);         // the cycle counter
    asm volatile("isb");
    g_cycle_counter_on = true;
}

namespace {

/// The devicetree's PL031 real-time clock: its data register counts seconds since 1970.
BOOT_ONLY u64 read_rtc(const kernel::fdt::Tree& tree) {
    auto rtc = tree.find_compatible("arm,pl031");
    if (!rtc) return 0;
    auto reg = tree.reg(*rtc, 0);
    if (!reg || reg->base + 4 > kDirectMapLimit) return 0;
    return *mmio32(reg->base); // RTCDR
}

BOOT_ONLY void add_kernel_image(BootInfo& info, u64 load_phys) {
    u64 size = reinterpret_cast<u64>(kernel::__kernel_end) - reinterpret_cast<u64>(kernel::__kernel_start);
    info.kernel_image = PhysRange{load_phys, size};
    if (!info.reserved.push(info.kernel_image)) info.truncated = true;
}

/// Who booted us, from evidence only. U-Boot's fdt fixups write /chosen/u-boot,version
/// (verified: a direct QEMU -kernel boot leaves no such trace, nor any other loader
/// name), so without it we say that we do not know.
BOOT_ONLY void describe_firmware(const kernel::fdt::Tree& tree, u64 dtb_phys, u64 entry_el, BootInfo& info) {
    const char* uboot = nullptr;
    if (auto chosen = tree.find_path("/chosen"))
        if (auto version = tree.prop(*chosen, "u-boot,version")) uboot = version->string();
    if (uboot)
        kernel::format_to(info.firmware, sizeof info.firmware,
                          "U-Boot {} (booti), devicetree at {:#x}, entered at EL{}", uboot, dtb_phys,
                          entry_el);
    else
        kernel::format_to(info.firmware, sizeof info.firmware,
                          "an unnamed loader (no /chosen/u-boot,version), devicetree at {:#x}, EL{}",
                          dtb_phys, entry_el);
}

} // namespace
} // namespace arch::aarch64

extern "C" BOOT_ONLY [[noreturn]] void aarch64_boot(kernel::u64 dtb_phys, kernel::u64 load_phys, kernel::u64 entry_el) {
    using namespace arch::aarch64;
    g_phys_minus_virt = load_phys - reinterpret_cast<u64>(kernel::__kernel_start);
    kernel::run_global_constructors();
    aarch64_cpus[0].run_queue = kernel::fast_yield_run_queue(0);

    // Without a devicetree there is no console to complain on: exit with the panic
    // status so that the harness still sees a failure.
    auto tree = open_devicetree(dtb_phys);
    if (!tree) arch::poweroff(kernel::kPanicStatus);
    power_init(*tree);
    auto uart = console_init(*tree);
    if (!uart) arch::poweroff(kernel::kPanicStatus);

    if (AARCH64_READ_SYSREG(mair_el1) != kMair) kernel::panic("MAIR_EL1 does not match pte.hpp");
    g_info.arch = "aarch64";
    if (auto r = kernel::fdt::collect_boot_info(*tree, kernel::PhysAddr{dtb_phys}, g_info); !r)
        fail("devicetree", r.error());
    add_kernel_image(g_info, load_phys);
    if (!g_info.mmio.push({*uart, "PL011 UART"})) g_info.truncated = true;
    if (auto r = irq_init(*tree, g_info); !r) fail("GIC or generic timer", r.error());
    g_info.timer_hz = AARCH64_READ_SYSREG(cntfrq_el0);
    g_info.rtc_seconds = read_rtc(*tree);
    g_info.boot_cpu = AARCH64_READ_SYSREG(mpidr_el1) & 0xff00ffffffull; // Aff3..Aff0, as the devicetree's reg
    start_cycle_counter();
    user_mode_init();
    describe_firmware(*tree, dtb_phys, entry_el, g_info);
    kernel::main(g_info);
}
