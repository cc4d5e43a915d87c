// First C++ code: entered from entry.S in long mode on the boot stack, still on the early
// page tables. Sets up the CPU, gathers BootInfo and hands over to kernel::main.
#include "hw.hpp"
#include "x86_64.hpp"

#include <base/boot_only.hpp>
#include <microkernel/calendar.hpp>
#include <microkernel/arch.hpp>
#include <base/format.hpp>
#include <microkernel/multiboot1.hpp>
#include <microkernel/multiboot2.hpp>

extern "C" char __boot_start[], boot_stack_top[];

namespace arch::x86_64 {
namespace {

using kernel::BootInfo;
using kernel::PhysAddr;
using kernel::PhysRange;
using kernel::PhysWindow;

constexpr u64 kLowMemory = 1 << 20; // real-mode IVT, BDA, EBDA, VGA, BIOS ROM
constexpr u64 kApicWindow = 0x1000;

BootInfo g_info; // large: keep it off the 16 KiB boot stack

u64 phys_of_image(const char* va) { return reinterpret_cast<kernel::uptr>(va) - kKernelBase; }

BOOT_ONLY void detect_cpu_features() {
    // 1 GiB leaves are optional; the portable walker asks Pte::leaf_allowed(2).
    if (cpuid(0x80000000).eax >= 0x80000001)
        PteFormat::has_1g_pages = (cpuid(0x80000001).edx >> 26) & 1;
}

BOOT_ONLY void reserve(BootInfo& info, PhysRange r) {
    if (!info.reserved.push(r)) info.truncated = true;
}

BOOT_ONLY void add_mmio(BootInfo& info, u64 base, const char* name) {
    if (!info.mmio.push(kernel::MmioRange{PhysRange{base, kApicWindow}, name})) info.truncated = true;
}

/// The RSDP copy from the multiboot2 ACPI tags (the newer one preferred), if any.
struct Rsdp {
    const u8* data = nullptr;
    usize size = 0;
};
BOOT_ONLY Rsdp multiboot2_rsdp(const void* mbi, usize max) {
    Rsdp found;
    (void)kernel::multiboot2::for_each_tag(mbi, max, [&](const kernel::multiboot2::Tag& t) {
        bool is_new = t.type == u32(kernel::multiboot2::TagType::AcpiNew);
        if (is_new || (t.type == u32(kernel::multiboot2::TagType::AcpiOld) && !found.data))
            found = Rsdp{t.data, t.size - 8u};
    });
    return found;
}

/// The PC's real-time clock (the MC146818's CMOS registers, ports 0x70/0x71): seconds
/// since 1970, read twice until two reads agree (an update may be in progress). Century
/// in register 0x32 (QEMU's and ACPI's usual place; 20 if it says nothing sensible).
BOOT_ONLY u8 cmos(u8 reg) {
    outb(0x70, static_cast<u8>(reg | 0x80)); // (bit 7: NMIs stay masked)
    return inb(0x71);
}
BOOT_ONLY u64 read_rtc() {
    constexpr u8 kSeconds = 0x00, kMinutes = 0x02, kHours = 0x04, kDay = 0x07, kMonth = 0x08, kYear = 0x09,
                 kStatusA = 0x0a, kStatusB = 0x0b, kCentury = 0x32;
    constexpr u8 kUpdating = 0x80, kBinary = 0x04, k24Hour = 0x02, kPm = 0x80;
    u64 last = ~u64{0};
    for (int attempt = 0; attempt < 8; ++attempt) {
        for (int spin = 0; spin < 100000 && (cmos(kStatusA) & kUpdating); ++spin) {
        }
        const u8 b = cmos(kStatusB);
        auto value = [&](u8 raw) { return (b & kBinary) ? u32{raw} : u32(raw >> 4) * 10 + (raw & 0xf); };
        const u8 hour_raw = cmos(kHours);
        u32 hour = value(hour_raw & 0x7f);
        if (!(b & k24Hour) && (hour_raw & kPm)) hour = hour % 12 + 12; // 12 PM is noon
        else if (!(b & k24Hour) && hour == 12) hour = 0;                // 12 AM is midnight
        u32 century = value(cmos(kCentury));
        if (century < 19 || century > 99) century = 20;
        const kernel::Date d{century * 100 + value(cmos(kYear)), value(cmos(kMonth)), value(cmos(kDay)), hour,
                             value(cmos(kMinutes)), value(cmos(kSeconds))};
        const u64 now = kernel::unix_seconds(d);
        if (now == last) return now;
        last = now;
    }
    return 0; // (never the same twice: no clock to trust)
}

BOOT_ONLY void collect_boot_info(u32 magic, u32 info_pa, BootInfo& info) {
    PhysWindow window{kDirectMapBase};
    const void* mbi = window.at(PhysAddr{info_pa});
    usize max = kEarlyDirectMapLimit - info_pa; // what the early direct map reaches
    Rsdp rsdp;
    info.arch = "x86_64";
    if (magic == kernel::multiboot2::kBootloaderMagic) {
        auto r = kernel::multiboot2::collect_boot_info(mbi, max, PhysAddr{info_pa}, info);
        if (!r) {
            kernel::print("x86_64: bad multiboot2 information: {}\n", kernel::error_name(r.error()));
            kernel::panic("cannot read the boot information");
        }
        rsdp = multiboot2_rsdp(mbi, max);
    } else {
        auto r = kernel::multiboot1::collect_boot_info(PhysAddr{info_pa}, window, kEarlyDirectMapLimit, info);
        if (!r) {
            kernel::print("x86_64: bad multiboot1 information: {}\n", kernel::error_name(r.error()));
            kernel::panic("cannot read the boot information");
        }
    }

    // Reserve the whole image, .boot to the end of .bss (the early page tables there
    // stay in use until the switch); the core maps [__kernel_start, __kernel_end).
    u64 image = phys_of_image(kernel::__kernel_start);
    info.kernel_image = PhysRange{image, phys_of_image(kernel::__kernel_end) - image};
    u64 boot = reinterpret_cast<kernel::uptr>(__boot_start);
    reserve(info, PhysRange{boot, phys_of_image(kernel::__kernel_end) - boot});
    reserve(info, PhysRange{0, kLowMemory});

    ApicInfo apics = find_apics(rsdp.data, rsdp.size);
    if (!apics.from_madt) kernel::print("x86_64: no ACPI MADT, assuming the default APIC addresses\n");
    lapic_set_base(apics.lapic);
    add_mmio(info, apics.lapic, "local APIC");
    for (unsigned i = 0; i < apics.ioapic_count; ++i) add_mmio(info, apics.ioapic[i].address, "I/O APIC");
    // Through the early direct map; the kernel's tables map the same windows at the same
    // addresses (BootInfo::mmio).
    ioapic_init(apics);
    info.rtc_seconds = read_rtc();
    info.cpus = apics.cpus;
    info.cpus_listed = apics.cpus_listed;
    info.boot_cpu = cpuid(1).ebx >> 24; // (the initial APIC id; x2APIC ids above 255 need leaf 0xb)
    g_apic_id[0] = static_cast<u32>(info.boot_cpu);
}

} // namespace

/// Called once by entry.S. `magic` says which multiboot version `info_pa` follows.
extern "C" BOOT_ONLY [[noreturn]] void x86_64_start(u32 magic, u32 info_pa) {
    kernel::run_global_constructors();
    cpu_local_init(0, reinterpret_cast<kernel::uptr>(boot_stack_top));
    console_init();
    descriptors_init();
    user_mode_init();
    pic_disable();
    detect_cpu_features();
    collect_boot_info(magic, info_pa, g_info);
    kernel::main(g_info);
}

} // namespace arch::x86_64

namespace arch {

[[noreturn]] void poweroff(int status) {
    // isa-debug-exit makes QEMU exit with (v << 1) | 1. Writing status + 1 makes the
    // exit code 2 * status + 3, never 0 (triple fault under -no-reboot) or 1 (QEMU's
    // own errors). Statuses outside 0..126 would not fit in an exit code: clamp them.
    int v = (status < 0 || status > 126) ? 126 : status;
    x86_64::outl(x86_64::kDebugExitPort, static_cast<kernel::u32>(v + 1));
    for (;;) asm volatile("cli; hlt");
}

void trigger_undefined_instruction() { asm volatile("ud2"); }

} // namespace arch
