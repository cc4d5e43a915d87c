// Device interrupts through the I/O APICs. Each pin is a global system interrupt (GSI),
// the line number user space sees; GSI n is routed to vector kDeviceVectorBase + n on
// this CPU, and starts masked. Polarity and trigger mode come from the MADT's overrides
// for ISA IRQs; other pins follow their bus: ISA (0..15) edge/high, PCI level/low.
#include "hw.hpp"
#include "x86_64.hpp"

#include <microkernel/arch.hpp>

namespace arch::x86_64 {
namespace {

// Registers, reached through an index (IOREGSEL) and a data window (IOWIN).
constexpr u32 kIoRegSel = 0x00, kIoWin = 0x10;
constexpr u32 kRegVersion = 0x01; // bits 23..16: the highest pin number
constexpr u32 kRegRedirection = 0x10; // pin n: low dword at + 2n, high dword at + 2n + 1

// Redirection entry bits (low dword); delivery mode fixed, physical destination (the
// high dword's bits 31..24).
constexpr u32 kActiveLow = 1 << 13;
constexpr u32 kLevel = 1 << 15;
constexpr u32 kMasked = 1 << 16;

// MPS INTI flags of a MADT override.
constexpr u16 kPolarityMask = 0x3, kPolarityHigh = 0x1, kPolarityLow = 0x3;
constexpr u16 kTriggerMask = 0xc, kTriggerEdge = 0x4, kTriggerLevel = 0xc;

constexpr u32 kIsaIrqs = 16;

struct Chip {
    kernel::uptr window; ///< virtual address, in the direct map
    u32 gsi_base;
    u32 pins;
};
Chip g_chips[4];
unsigned g_chip_count = 0;
ApicInfo::IsaOverride g_overrides[16];
unsigned g_override_count = 0;

u32 read_reg(const Chip& c, u32 reg) {
    mmio_write32(c.window + kIoRegSel, reg);
    return mmio_read32(c.window + kIoWin);
}
void write_reg(const Chip& c, u32 reg, u32 v) {
    mmio_write32(c.window + kIoRegSel, reg);
    mmio_write32(c.window + kIoWin, v);
}

/// The chip serving `gsi`, or nullptr (no such line, or beyond the vectors we have).
const Chip* chip_of(u32 gsi) {
    if (gsi >= kDeviceLines) return nullptr;
    for (unsigned i = 0; i < g_chip_count; ++i) {
        const Chip& c = g_chips[i];
        if (gsi >= c.gsi_base && gsi - c.gsi_base < c.pins) return &c;
    }
    return nullptr;
}

/// Polarity and trigger bits of `gsi`'s redirection entry.
u32 line_mode(u32 gsi) {
    for (unsigned i = 0; i < g_override_count; ++i) {
        if (g_overrides[i].gsi != gsi) continue;
        u16 f = g_overrides[i].flags; // "conforms to the bus" means ISA: edge, high
        u32 mode = 0;
        if ((f & kPolarityMask) == kPolarityLow) mode |= kActiveLow;
        if ((f & kTriggerMask) == kTriggerLevel) mode |= kLevel;
        return mode;
    }
    return gsi < kIsaIrqs ? 0 : kActiveLow | kLevel;
}

} // namespace

void ioapic_init(const ApicInfo& apics) {
    for (unsigned i = 0; i < apics.override_count && i < 16; ++i)
        g_overrides[g_override_count++] = apics.overrides[i];
    u32 destination = lapic_id() << 24;
    for (unsigned i = 0; i < apics.ioapic_count; ++i) {
        if (apics.ioapic[i].address >= kEarlyDirectMapLimit) continue;
        Chip c{kDirectMapBase + apics.ioapic[i].address, apics.ioapic[i].gsi_base, 0};
        u32 version = read_reg(c, kRegVersion);
        if (version == 0xffffffff) continue; // nothing answers there
        c.pins = ((version >> 16) & 0xff) + 1;
        // Mask every pin first, whatever the firmware left, then route the ones we have
        // vectors for; they stay masked until irq_set_masked.
        for (u32 pin = 0; pin < c.pins; ++pin) {
            u32 gsi = c.gsi_base + pin;
            u32 low = kMasked;
            if (gsi < kDeviceLines) low |= line_mode(gsi) | (kDeviceVectorBase + gsi);
            write_reg(c, kRegRedirection + 2 * pin, kMasked);
            write_reg(c, kRegRedirection + 2 * pin + 1, destination);
            write_reg(c, kRegRedirection + 2 * pin, low);
        }
        g_chips[g_chip_count++] = c;
    }
}

u32 isa_irq_line(u8 irq) {
    for (unsigned i = 0; i < g_override_count; ++i)
        if (g_overrides[i].irq == irq) return g_overrides[i].gsi;
    return irq;
}

bool handle_device_interrupt(u64 vector) {
    if (vector < kDeviceVectorBase || vector >= kDeviceVectorBase + kDeviceLines) return false;
    u32 line = static_cast<u32>(vector - kDeviceVectorBase);
    // Only a routed pin raises its vector; anything else is stray, just acknowledged.
    if (chip_of(line)) kernel::on_device_interrupt(line);
    lapic_eoi();
    return true;
}

} // namespace arch::x86_64

namespace arch {

bool irq_line_valid(kernel::u32 line) {
    // The kernel's own timer is the local APIC's, not a GSI: every pin may be claimed.
    return x86_64::chip_of(line) != nullptr;
}

void irq_set_masked(kernel::u32 line, bool masked) {
    using namespace x86_64;
    const Chip* c = chip_of(line);
    if (!c) return;
    u32 reg = kRegRedirection + 2 * (line - c->gsi_base);
    u32 low = read_reg(*c, reg);
    write_reg(*c, reg, masked ? low | kMasked : low & ~kMasked);
}

} // namespace arch
