// Trap dispatch: the supervisor timer and external interrupts are handled; anything else
// in the kernel is a bug (or a test boot mode), so it is reported in full and the kernel
// panics.
#include "riscv64.hpp"
#include "sbi.hpp"

#include <base/boot_only.hpp>
#include <base/format.hpp>

namespace arch::riscv64 {
namespace {

const char* exception_name(u64 code) {
    switch (code) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "load address misaligned";
    case 5: return "load access fault";
    case 6: return "store/AMO address misaligned";
    case 7: return "store/AMO access fault";
    case 8: return "environment call from U-mode";
    case 9: return "environment call from S-mode";
    case 12: return "instruction page fault";
    case 13: return "load page fault";
    case 15: return "store/AMO page fault";
    case 18: return "software check";
    case 19: return "hardware error";
    default: return "reserved exception";
    }
}

const char* interrupt_name(u64 code) {
    switch (code) {
    case 1: return "supervisor software interrupt";
    case 5: return "supervisor timer interrupt";
    case 9: return "supervisor external interrupt";
    case 13: return "counter overflow interrupt";
    default: return "unexpected interrupt";
    }
}

constexpr const char* kRegNames[31] = {
    "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1",
    "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6",
    "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

[[gnu::cold, gnu::noinline]] void report(const TrapFrame& f) {
    using kernel::print;
    bool irq = f.scause & kCauseInterrupt;
    u64 code = f.scause & ~kCauseInterrupt;
    print("TRAP: {} (scause {:#x}) stval {:#018x} sepc {:#018x}\n",
          irq ? interrupt_name(code) : exception_name(code), f.scause, f.stval, f.sepc);
    // SPP: the mode the trap came from; SPIE: whether interrupts were enabled there.
    print("  sstatus {:#018x} (from {}-mode, SPIE {})\n", f.sstatus,
          (f.sstatus >> 8) & 1 ? "S" : "U", (f.sstatus >> 5) & 1);
    for (unsigned i = 0; i < 31; ++i) {
        char name[8];
        kernel::format_to(name, sizeof name, "x{}/{}", i + 1, kRegNames[i]);
        print("  {:<7} {:016x}{}", name, f.x[i], (i % 4 == 3 || i == 30) ? "\n" : "");
    }
}

u64 g_interval = 0;      // timebase ticks per kernel tick
bool g_legacy_timer = false;

void set_timer(u64 deadline) {
    if (g_legacy_timer)
        sbi::call(sbi::Eid::LegacySetTimer, 0, deadline);
    else
        sbi::call(sbi::Eid::Time, 0, deadline);
}

} // namespace

// Re-arm from the previous deadline, not from "now", so that the period does not drift
// with interrupt latency; if we fell more than a period behind, skip the missed ticks
// rather than firing a burst of them.
void rearm_timer() {
    u64 now = csr_read<Csr::time>();
    u64& next = this_cpu().next_deadline; // (each hart's own)
    next += g_interval;
    if (next <= now) next = now + g_interval;
    set_timer(next); // also clears sip.STIP
}

void timer_interrupt() {
    rearm_timer();
    kernel::on_timer_tick();
}

void software_interrupt() {
    csr_clear<Csr::sip>(u64{1} << kIrqSupervisorSoftware);
    kernel::on_ipi();
}

extern "C" void riscv64_trap(TrapFrame* frame) {
    // A tick while a hart other than the boot hart idles charges nobody (only the boot
    // hart's ticks keep time): re-armed without the kernel's lock, as on x86_64. (Taking
    // it, the idle harts' ticks kept the lock in turn for good under QEMU -icount with
    // four harts, where a hart waiting for it spins through its whole turn.)
    if (frame->scause == (kCauseInterrupt | kIrqSupervisorTimer) && arch::cpu_index() != 0) {
        rearm_timer();
        return;
    }
    // An IPI while the kernel waits: a remote call, answered for the caller, which holds
    // the lock (kernel::remote_call), or a kick, which the idle loop sees in the run queue.
    if (frame->scause == (kCauseInterrupt | kIrqSupervisorSoftware)) {
        software_interrupt();
        return;
    }
    // Any other interrupt while the kernel waits (idle, or at boot), under the kernel's lock.
    void (*handler)() = frame->scause == (kCauseInterrupt | kIrqSupervisorTimer)      ? timer_interrupt
                        : frame->scause == (kCauseInterrupt | kIrqSupervisorExternal) ? external_interrupt
                                                                                      : nullptr;
    if (handler) {
        kernel::kernel_enter();
        handler();
        kernel::kernel_leave();
        return;
    }
    kernel::stop_other_cpus();
    report(*frame);
    kernel::panic("kernel trap");
}

} // namespace arch::riscv64

namespace arch {

namespace {
kernel::u64 g_clock_start = 0, g_ns_per_count = 0; // time CSR at timer_start; ns per count, 32.32
} // namespace

kernel::u64 clock_ns() {
    using namespace riscv64;
    return g_ns_per_count ? mul_shift32(csr_read<Csr::time>() - g_clock_start, g_ns_per_count) : 0;
}

BOOT_ONLY void timer_start(kernel::u32 hz) {
    using namespace riscv64;
    // QEMU virt's timebase is 10 MHz; the devicetree normally says so (BootInfo).
    u64 timebase = g_platform.timebase_hz ? g_platform.timebase_hz : 10'000'000;
    g_clock_start = csr_read<Csr::time>();
    g_ns_per_count = (u64{1'000'000'000} << 32) / timebase;
    g_interval = hz ? timebase / hz : timebase;
    if (g_interval == 0) g_interval = 1;
    g_legacy_timer = !sbi::probe(sbi::Eid::Time);
    timer_start_cpu();
}

BOOT_ONLY void timer_start_cpu() {
    using namespace riscv64;
    u64& next = this_cpu().next_deadline;
    next = csr_read<Csr::time>() + g_interval;
    set_timer(next);
    csr_set<Csr::sie>(kSieStie); // delivered once sstatus.SIE is set (interrupts_enable)
}

} // namespace arch
