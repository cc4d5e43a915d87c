// Trap dispatch. In kernel mode interrupts (timer, device lines, spurious and stray
// vectors) are handled and every exception is a kernel bug, reported in full before
// kernel::panic. From user mode (user_entry.S has saved the thread) everything becomes
// a kernel::UserTrap.
#include "hw.hpp"
#include "user_frame.h"
#include "x86_64.hpp"

#include <arch/context.hpp>
#include <microkernel/arch.hpp>
#include <base/format.hpp>

namespace arch::x86_64 {
namespace {

using kernel::print;

constexpr const char* kExceptionNames[32] = {
    "divide error", "debug", "non-maskable interrupt", "breakpoint", "overflow",
    "bound range exceeded", "invalid opcode", "device not available", "double fault",
    "coprocessor segment overrun", "invalid TSS", "segment not present",
    "stack-segment fault", "general protection fault", "page fault", "reserved exception",
    "x87 floating-point error", "alignment check", "machine check",
    "SIMD floating-point error", "virtualization exception", "control protection exception",
    "reserved exception", "reserved exception", "reserved exception", "reserved exception",
    "reserved exception", "reserved exception", "hypervisor injection exception",
    "VMM communication exception", "security exception", "reserved exception",
};

constexpr u8 kNmi = 2, kInvalidOpcode = 6, kDeviceNotAvailable = 7, kDoubleFault = 8, kPageFault = 14, kMachineCheck = 18;

// Page-fault error code bits (SDM vol. 3, 4.7).
constexpr u64 kPfPresent = 1 << 0;
constexpr u64 kPfWrite = 1 << 1;
constexpr u64 kPfUser = 1 << 2;
constexpr u64 kPfReservedBit = 1 << 3;
constexpr u64 kPfInstruction = 1 << 4;

void print_page_fault(u64 error) {
    print("  page fault: {} {} in {} mode, {} (P={} W={} U={} I={}{})\n",
          (error & kPfPresent) ? "protection violation on" : "not-present page on",
          (error & kPfInstruction) ? "instruction fetch" : ((error & kPfWrite) ? "write" : "read"),
          (error & kPfUser) ? "user" : "kernel",
          (error & kPfReservedBit) ? "reserved bit set in an entry" : "entry bits valid",
          unsigned((error & kPfPresent) != 0), unsigned((error & kPfWrite) != 0),
          unsigned((error & kPfUser) != 0), unsigned((error & kPfInstruction) != 0),
          (error & kPfReservedBit) ? " R=1" : "");
}

void print_registers(const TrapFrame& f) {
    print("  rip {:#018x}  cs {:#x}  rflags {:#x}  rsp {:#018x}  ss {:#x}\n", f.rip, f.cs,
          f.rflags, f.rsp, f.ss);
    print("  rax {:#018x}  rbx {:#018x}  rcx {:#018x}  rdx {:#018x}\n", f.rax, f.rbx, f.rcx, f.rdx);
    print("  rsi {:#018x}  rdi {:#018x}  rbp {:#018x}  r8  {:#018x}\n", f.rsi, f.rdi, f.rbp, f.r8);
    print("  r9  {:#018x}  r10 {:#018x}  r11 {:#018x}  r12 {:#018x}\n", f.r9, f.r10, f.r11, f.r12);
    print("  r13 {:#018x}  r14 {:#018x}  r15 {:#018x}\n", f.r13, f.r14, f.r15);
}

[[noreturn, gnu::cold, gnu::noinline]] void report_exception(const TrapFrame& f) {
    kernel::stop_other_cpus();
    const char* name = f.vector < 32 ? kExceptionNames[f.vector] : "unexpected interrupt";
    if (f.vector == kPageFault) {
        u64 address = read_cr2();
        print("TRAP: {} (vector {}, error code {:#x}) at address {:#x}, rip {:#x}\n", name,
              f.vector, f.error, address, f.rip);
        print_page_fault(f.error);
    } else {
        print("TRAP: {} (vector {}, error code {:#x}) at rip {:#x}\n", name, f.vector, f.error,
              f.rip);
    }
    print_registers(f);
    kernel::panic("kernel trap");
}

bool is_spurious(u64 vector) {
    return vector == kSpuriousVector || (vector >= kPicBase && vector < kPicBase + 16);
}

} // namespace


/// Called by user_entry.S for an exception or interrupt from user mode, on the kernel
/// stack, interrupts masked, the thread's registers saved (its FP/SIMD state stays in the
/// registers: lazy FPU). The syscall instruction goes to kernel::on_user_syscall instead.
extern "C" [[noreturn]] void x86_64_user_trap(u64 vector, u64 error) {
    using kernel::TrapKind;
    // The timer's and the IPIs' end of interrupt first: while a vector is in service the
    // LAPIC holds back those of its priority and below, the IPI among them that ends a
    // sleep for the lock (kernel::KernelLock) taken next.
    if (vector == kTimerVector || vector == kIpiVector) lapic_eoi();
    // A tick with nothing else to do than charge a thread alone on its CPU needs no lock
    // (it returns when it does). Else the lock, as for every entry.
    if (vector == kTimerVector) kernel::on_user_tick_unlocked();
    kernel::kernel_enter();
    kernel::UserTrap trap{TrapKind::OtherFault};
    trap.code = vector;
    if (vector == kTimerVector) {
        kernel::on_timer_tick();
        trap.kind = TrapKind::Interrupt;
    } else if (vector == kIpiVector) {
        kernel::on_ipi();
        trap.kind = TrapKind::Interrupt;
    } else if (handle_device_interrupt(vector)) {
        trap.kind = TrapKind::Interrupt;
    } else if (is_spurious(vector)) {
        // Nothing happened (and no EOI is owed): the thread goes on, as after any interrupt.
        trap.kind = TrapKind::Interrupt;
    } else if (vector >= 32) {
        // A vector nothing is routed to: acknowledge it, lest it block the lower ones, and
        // go on. No panic: a misbehaving device must not bring the kernel down.
        lapic_eoi();
        trap.kind = TrapKind::Interrupt;
    } else if (vector == kPageFault) {
        trap.kind = TrapKind::PageFault;
        trap.address = read_cr2();
        trap.write = (error & kPfWrite) != 0;
        trap.exec = (error & kPfInstruction) != 0;
    } else if (vector == kDeviceNotAvailable) {
        trap.kind = TrapKind::FpuUnavailable; // CR0.TS: lazy FPU (arch::fpu_switch)
    } else if (vector == kInvalidOpcode) {
        trap.kind = TrapKind::IllegalInstruction;
    } else if (vector == kNmi || vector == kDoubleFault || vector == kMachineCheck) {
        // Not the thread's doing: a hardware problem or a kernel bug.
        kernel::stop_other_cpus();
        print("TRAP: {} (vector {}, error code {:#x}) while in user mode at rip {:#x}\n",
              kExceptionNames[vector], vector, error, this_cpu().regs[kRip]);
        kernel::panic("kernel trap");
    }
    // Anything else (#DE, #DB, #BP, #GP, #SS, #NP, #AC, #MF, #XM...) is the thread's
    // fault: OtherFault with the vector as the code.
    kernel::on_user_trap(trap);
}

namespace {
/// An interrupt while the kernel waits (idling, or at boot), under the kernel's lock.
bool kernel_interrupt(u64 vector) {
    if (vector == kTimerVector) {
        kernel::on_timer_tick();
        lapic_eoi();
        return true;
    }
    return handle_device_interrupt(vector); // (IPIs: x86_64_trap, without the lock)
}
} // namespace

/// Called by trap_common (vectors.S) with interrupts disabled.
extern "C" void x86_64_trap(TrapFrame* frame) {
    // A tick while an other CPU than the boot CPU idles charges nobody (only the boot
    // CPU's ticks keep time): acknowledged without the kernel's lock. (Taking it 100 times
    // a second per idle CPU made smptest under QEMU, with more vCPUs than host cores,
    // 175 s instead of 50: each taker waits its FIFO turn, docs/performance.md "SMP".)
    if (frame->vector == kTimerVector && arch::cpu_index() != 0) {
        lapic_eoi();
        return;
    }
    // An IPI while the kernel waits: a remote call, answered for the caller, which holds
    // the lock (kernel::remote_call), or a kick, which the idle loop sees in the run queue.
    if (frame->vector == kIpiVector) {
        kernel::on_ipi();
        lapic_eoi();
        return;
    }
    if (frame->vector >= 32 && !is_spurious(frame->vector)) {
        kernel::kernel_enter();
        const bool handled = kernel_interrupt(frame->vector);
        kernel::kernel_leave();
        if (handled) return;
    }
    // Spurious interrupts must not be acknowledged (no EOI): the LAPIC's own, and the
    // 8259's IRQ 7/15, the only lines a fully masked 8259 still raises.
    if (is_spurious(frame->vector)) return;
    // Any other vector is stray: acknowledged, ignored (see x86_64_user_trap).
    if (frame->vector >= 32) {
        lapic_eoi();
        return;
    }
    report_exception(*frame);
}

} // namespace arch::x86_64
