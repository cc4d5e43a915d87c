// Interrupt controllers and the tick: the legacy 8259 pair is remapped and masked; the
// local APIC timer, calibrated once against PIT channel 2, drives kernel::on_timer_tick.
#include "hw.hpp"
#include "x86_64.hpp"

#include <microkernel/arch.hpp>
#include <base/boot_only.hpp>

namespace arch::x86_64 {
namespace {

constexpr u16 kPic1Command = 0x20, kPic1Data = 0x21;
constexpr u16 kPic2Command = 0xa0, kPic2Data = 0xa1;
constexpr u8 kIcw1Init = 0x11; // edge triggered, cascade, ICW4 follows
constexpr u8 kIcw4_8086 = 0x01;

// Local APIC registers (offsets in its 4 KiB window).
constexpr u32 kLapicId = 0x20;
constexpr u32 kLapicEoi = 0xb0;
constexpr u32 kLapicSpurious = 0xf0;
constexpr u32 kLapicLvtTimer = 0x320;
constexpr u32 kLapicInitialCount = 0x380;
constexpr u32 kLapicCurrentCount = 0x390;
constexpr u32 kLapicDivide = 0x3e0;
constexpr u32 kLapicSoftwareEnable = 1 << 8;
constexpr u32 kLvtMasked = 1 << 16;
constexpr u32 kLvtPeriodic = 1 << 17;
constexpr u32 kDivideBy16 = 0x3;

// PIT channel 2: its gate and output are wired to port 0x61, so it can be polled
// without any interrupt.
constexpr u16 kPitChannel2 = 0x42, kPitCommand = 0x43, kPitGatePort = 0x61;
constexpr u8 kPitCh2Mode0 = 0xb0; // channel 2, lobyte/hibyte, mode 0 (one-shot), binary
constexpr u8 kGate2 = 0x01, kSpeaker = 0x02, kOut2 = 0x20;
constexpr u32 kPitHz = 1193182;
constexpr u32 kCalibrationHz = 100; // a 10 ms window

kernel::uptr g_lapic = 0; // virtual address, in the direct map
u64 g_tsc_start = 0, g_tsc_per_window = 0; // the clock: TSC at timer_start, TSC ticks per 10 ms
u64 g_ns_per_tsc = 0;                       // ... and nanoseconds per TSC tick, 32.32
u32 g_timer_period = 0;                     // LAPIC timer counts per tick (every CPU's)

u32 lapic_read(u32 reg) { return mmio_read32(g_lapic + reg); }
void lapic_write(u32 reg, u32 v) { mmio_write32(g_lapic + reg, v); }

/// LAPIC timer ticks (at divide-by-16) in 1/kCalibrationHz seconds.
u32 calibrate() {
    constexpr u32 kPitCount = kPitHz / kCalibrationHz;
    u8 port = inb(kPitGatePort);
    outb(kPitGatePort, static_cast<u8>((port & ~kSpeaker) | kGate2));
    outb(kPitCommand, kPitCh2Mode0);
    outb(kPitChannel2, kPitCount & 0xff);
    outb(kPitChannel2, kPitCount >> 8); // counting starts now; OUT2 rises at zero
    lapic_write(kLapicInitialCount, 0xffffffff);
    const u64 tsc = read_cycle_counter();
    // Bounded by the LAPIC count too (about a minute), so a missing PIT cannot hang us.
    while (!(inb(kPitGatePort) & kOut2) && lapic_read(kLapicCurrentCount) != 0) {
    }
    u32 elapsed = 0xffffffff - lapic_read(kLapicCurrentCount);
    g_tsc_per_window = read_cycle_counter() - tsc; // (the TSC over the same 10 ms)
    lapic_write(kLapicInitialCount, 0);
    outb(kPitGatePort, port);
    return elapsed;
}

} // namespace

void pic_disable() {
    // Even masked, an 8259 may deliver a spurious IRQ 7/15; remapping keeps those off
    // the exception vectors.
    outb(kPic1Command, kIcw1Init);
    outb(kPic2Command, kIcw1Init);
    outb(kPic1Data, kPicBase);
    outb(kPic2Data, kPicBase + 8);
    outb(kPic1Data, 1 << 2); // slave on IRQ 2
    outb(kPic2Data, 2);      // slave identity
    outb(kPic1Data, kIcw4_8086);
    outb(kPic2Data, kIcw4_8086);
    outb(kPic1Data, 0xff);
    outb(kPic2Data, 0xff);
}

void lapic_set_base(u64 phys) { g_lapic = kDirectMapBase + phys; }

void lapic_eoi() { lapic_write(kLapicEoi, 0); }

u32 lapic_id() { return lapic_read(kLapicId) >> 24; }

void lapic_enable() { lapic_write(kLapicSpurious, kLapicSoftwareEnable | kSpuriousVector); }

void lapic_send(u32 apic_id, u32 command) {
    constexpr u32 kIcrLow = 0x300, kIcrHigh = 0x310, kDeliveryPending = 1 << 12;
    lapic_write(kIcrHigh, apic_id << 24);
    lapic_write(kIcrLow, command); // (the write to the low half sends)
    for (int spin = 0; spin < 1'000'000 && (lapic_read(kIcrLow) & kDeliveryPending); ++spin) {
    }
}

} // namespace arch::x86_64

namespace arch {

BOOT_ONLY void timer_start(kernel::u32 hz) {
    using namespace x86_64;
    if (hz == 0) kernel::panic("timer_start: 0 Hz");
    lapic_enable();
    lapic_write(kLapicDivide, kDivideBy16);
    lapic_write(kLapicLvtTimer, kLvtMasked | kTimerVector);
    u64 per_second = u64{calibrate()} * kCalibrationHz;
    u64 period = per_second / hz;
    if (period == 0 || period > 0xffffffff) kernel::panic("timer_start: rate out of range");
    g_timer_period = static_cast<u32>(period);
    timer_start_cpu();
    g_tsc_start = read_cycle_counter();
    if (g_tsc_per_window) g_ns_per_tsc = (u64{10'000'000} << 32) / g_tsc_per_window; // 10 ms windows
}

BOOT_ONLY void timer_start_cpu() {
    using namespace x86_64;
    lapic_write(kLapicDivide, kDivideBy16);
    lapic_write(kLapicLvtTimer, kLvtPeriodic | kTimerVector);
    lapic_write(kLapicInitialCount, g_timer_period);
}

SMP_ONLY bool flush_user_elsewhere(kernel::u64, kernel::u64, kernel::u16, bool) { return false; } // (remote calls)

SMP_ONLY void send_ipi(kernel::u32 cpu) {
    using namespace x86_64;
    constexpr u32 kFixedAssert = 1 << 14; // fixed delivery, level assert, physical destination
    lapic_send(g_apic_id[cpu], kFixedAssert | kIpiVector);
}

kernel::u64 clock_ns() {
    using namespace x86_64;
    return g_ns_per_tsc ? mul_shift32(read_cycle_counter() - g_tsc_start, g_ns_per_tsc) : 0;
}

} // namespace arch
