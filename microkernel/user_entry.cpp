// Where user mode comes back to the kernel, and how the kernel goes back to user mode.
// The kernel is not preemptible and keeps no per-thread kernel stack: every entry starts
// afresh on the CPU's kernel stack, handles one event, then resumes whichever thread
// the scheduler picks (arch::return_to_user never returns here). With several CPUs
// running threads (g_kernel.smp) each entry holds the big kernel lock until that exit.
#include <microkernel/arch.hpp>
#include <base/boot_only.hpp>
#include <base/format.hpp>
#include <microkernel/kernel_state.hpp>
#include <microkernel/object/address_space.hpp>
#include <microkernel/root_task.hpp>
#include <microkernel/smp.hpp>
#include <microkernel/syscall/dispatch.hpp>
#include <microkernel/syscall/fastpath.hpp>
#include <arch/context.hpp>

namespace kernel {
namespace {

/// The fastpath's CPU: it runs only while one CPU runs threads (with several, system
/// calls take on_user_syscall_locked).
constexpr u32 kOneCpu = 0;

const char* fault_name(TrapKind k) {
    switch (k) {
    case TrapKind::PageFault: return "page fault";
    case TrapKind::IllegalInstruction: return "illegal instruction";
    case TrapKind::OtherFault: return "fault";
    case TrapKind::FpuUnavailable:
    case TrapKind::Interrupt: break;
    }
    return "?";
}

abi::FaultKind fault_kind(TrapKind k) {
    switch (k) {
    case TrapKind::PageFault: return abi::FaultKind::PageFault;
    case TrapKind::IllegalInstruction: return abi::FaultKind::IllegalInstruction;
    case TrapKind::OtherFault:
    case TrapKind::FpuUnavailable:
    case TrapKind::Interrupt: break;
    }
    return abi::FaultKind::Other;
}

void handle_fault(Thread& t, const UserTrap& trap) {
    // With a handler the fault is its business; without one the kernel says what
    // happened, since nobody else will.
    if (t.fault_endpoint().empty()) {
        if (trap.kind == TrapKind::PageFault)
            print("user fault: page fault at {:#x} (ip {:#x}, {}cause {:#x})", trap.address,
                  t.reg(abi::kRegIp), trap.write ? "write, " : trap.exec ? "exec, " : "read, ", trap.code);
        else
            print("user fault: {} (ip {:#x}, cause {:#x})", fault_name(trap.kind), t.reg(abi::kRegIp), trap.code);
        print("; no fault handler, thread suspended\n");
    }
    u64 address = trap.kind == TrapKind::PageFault ? trap.address : t.reg(abi::kRegIp);
    using A = abi::FaultAccess;
    A access = trap.kind != TrapKind::PageFault ? A::None : trap.exec ? A::Execute : trap.write ? A::Write : A::Read;
    t.fault(fault_kind(trap.kind), address, access, g_kernel.scheduler);
    // The root task (procserv, normally) suspended for good: nothing manages the system
    // any more, every process would hang. Say so and fail, never pass for a clean end.
    if (t.is_root_task() && t.state() == ThreadState::Suspended) {
        print("microkernel: the root task died of a fault it has no handler for ({} interrupts arrived in "
              "user mode); powering off, status {}\n", g_kernel.user_interrupts, kRootTaskLostStatus);
        arch::poweroff(kRootTaskLostStatus);
    }
}

// Resume `t` on CPU `here` (this one): its address space, if not the active one, then its
// registers (a TLS base set meanwhile written into them first). `Exit` is
// return_to_user, or leave_to_user to make it a jump. `How` the big kernel lock goes once
// everything is read: not at all (one CPU's fastpath), if several CPUs run threads
// (unlock_to_user, out of line: the one-CPU kernel's code), or surely (inline: code that
// only runs with several CPUs). It goes (another CPU that wants this thread stalls it first, so
// its registers stay as they are until it is back in user mode and interrupted).
// (Everything is worked out before the one call that does it all, in scalars: as a
// structure, GCC kept a stack frame for it.)
enum class Unlock { No, IfSmp, Yes };
/// The lock's release found a CPU asleep for its turn: wake it, then `Exit`. Never
/// returns, but is not [[noreturn]] (noipa: GCC cannot find out), so that exit_to jumps
/// here and the fastpath stays a function that calls nothing.
template <auto Exit>
SMP_ONLY [[gnu::noipa]] void wake_then_exit(u64* regs, bool checked, bool fpu_live, PhysAddr root, u16 asid) {
    g_kernel.lock.wake();
    return Exit(regs, checked, fpu_live, root, asid);
}
template <auto Exit, Unlock How>
[[gnu::always_inline]] inline void exit_to(Thread& t, Scheduler::Cpu here) {
    bool fpu_live = g_kernel.scheduler.fpu_owner(here) == &t;
    auto* as = static_cast<AddressSpace*>(t.address_space());
    PhysAddr root{};
    u16 asid = 0;
    if (as && as->root() != here.loaded_root()) {
        root = as->root();
        if (root.value == 0) __builtin_unreachable(); // (a space has a root: the exit need not test it again)
        asid = as->asid();
        here.loaded_root() = root;
    }
    if (u64 base; t.take_pending_tls(base)) t.set_reg(arch::kRegTls, base);
    u64* regs = t.register_file();
    const bool checked = t.take_registers_checked();
    if (How == Unlock::IfSmp && g_kernel.smp) unlock_to_user(root.value ? as : nullptr, here.index());
    if (How == Unlock::Yes) {
        if (root.value) as->loaded_on(here.bit()); // (as unlock_to_user)
        if (g_kernel.lock.release_but_wake()) [[unlikely]]
            return wake_then_exit<Exit>(regs, checked, fpu_live, root, asid);
    }
    return Exit(regs, checked, fpu_live, root, asid);
}

[[noreturn, gnu::always_inline]] inline void resume(Thread& t, u32 cpu) {
    exit_to<arch::return_to_user, Unlock::IfSmp>(t, g_kernel.scheduler.cpu(cpu));
    __builtin_unreachable();
}
/// resume, in code that only runs with several CPUs.
[[noreturn, gnu::always_inline]] inline void resume_smp(Thread& t, u32 cpu) {
    exit_to<arch::return_to_user, Unlock::Yes>(t, g_kernel.scheduler.cpu(cpu));
    __builtin_unreachable();
}

} // namespace

[[noreturn]] void run_user_threads() {
    Scheduler& s = g_kernel.scheduler;
    const u32 cpu = arch::cpu_index();
    for (;;) {
        Thread* t = s.current(cpu);
        if (!t || t->state() != ThreadState::Running || s.need_resched(cpu)) t = s.schedule(cpu);
        if (t && t->address_space()) resume(*t, cpu);
        if (t) { // a thread without an address space cannot run: stop it, loudly
            print("kernel: thread without an address space suspended\n");
            t->suspend(s);
            continue;
        }
        // Nothing is ready here. A device, a receive deadline or a thread on another CPU
        // may still wake someone: wait for it (the timer keeps ticking meanwhile, and the
        // others' changes to this CPU's queue arrive as IPIs), without the lock;
        // otherwise nothing ever will run again, on any CPU. With several CPUs, until
        // this CPU's queue asks for it (every change to it does, before its IPI): the
        // interrupts that change nothing here (remote calls, other CPUs' ticks) are
        // answered without the lock, so that idle CPUs do not queue for it in turn.
        if (devices_can_wake() || s.has_timeouts() || (g_kernel.smp && s.any_cpu_busy())) {
            kernel_leave();
            do arch::sleep_until_interrupt();
            while (g_kernel.smp && !s.need_resched(cpu));
            kernel_enter();
            continue;
        }
        // A system ends well only when its root task powers it off (Machine.PowerOff):
        // here the root task is gone or waits for what can never come.
        print("microkernel: no thread can run ({} interrupts arrived in user mode); the root task has "
              "ended or waits forever; powering off, status {}\n", g_kernel.user_interrupts, kRootTaskLostStatus);
        arch::poweroff(kRootTaskLostStatus);
    }
}

} // namespace kernel

namespace kernel {

void* fast_yield_run_queue(u32 cpu) { return g_kernel.scheduler.run_queue(cpu); }

namespace {
// Everything but the fastpath's common case: a Linux program's system call (its
// handler's business), or any call the fastpath leaves to handle_syscall; and with
// several CPUs, every call.
[[noreturn, gnu::noinline]] void slow_syscall(Thread* t, u32 cpu) {
    Scheduler& s = g_kernel.scheduler;
    if (!t) panic("system call from user mode with no current thread");
    if (t->linux_abi()) {
        if (Thread* next = fastpath_linux(*t, arch::kRegLinuxResult, s.cpu(cpu), s)) resume(*next, cpu);
        if (t->fault_endpoint().empty())
            print("user fault: Linux system call {} with no handler; thread suspended\n", t->reg(abi::kRegSyscall));
        t->linux_syscall(arch::kRegLinuxResult, s);
        run_user_threads();
    }
    SyscallContext ctx{*t, cpu, s, g_kernel.reaper, PhysWindow{arch::kDirectMapBase}, Sink{console_put, nullptr},
                       [](void* area) { arch::fpu_switch(area, area); }, arch::init_fpu_area};
    handle_syscall(ctx);
    run_user_threads();
}

// The fastpath's shape is GCC 12's doing as much as ours: a function that calls nothing
// keeps its values in the registers a call may clobber and saves none, so each path is
// one function ([[gnu::flatten]]: the checks, the message, the switch, the exit) that
// leaves by a jump (arch::leave_to_user is not [[noreturn]]: GCC never makes a call to
// a noreturn function a jump). Call is inline in on_user_syscall_fast, ReplyReceive and
// Yield are functions of their own: together they ran out of registers.
void slow_syscall_smp();
template <Unlock How>
[[gnu::always_inline]] inline void leave(Thread& next, Scheduler::Cpu cpu) {
    return exit_to<arch::leave_to_user, How>(next, cpu);
}
/// A system call the fastpath leaves: on one CPU this returns, and the entry calls
/// on_user_syscall; with several, the slowpath, jumped to (slow_syscall_smp, below).
template <Unlock How>
[[gnu::always_inline]] inline void not_fast() {
    if constexpr (How == Unlock::Yes) return slow_syscall_smp();
}
template <Unlock How, bool kIsCall>
[[gnu::always_inline]] inline void fast_ipc(Thread& t, Scheduler::Cpu cpu) {
    if constexpr (How == Unlock::Yes) g_kernel.scheduler.assume_smp();
    if (Thread* next = fastpath_ipc(t, kIsCall, cpu, g_kernel.scheduler)) return leave<How>(*next, cpu);
    return not_fast<How>();
}
template <Unlock How>
[[gnu::always_inline]] inline void fast_yield_on(Thread& t, Scheduler::Cpu cpu) {
    if (Thread* next = fastpath_yield(t, cpu, g_kernel.scheduler)) return leave<How>(*next, cpu);
    return not_fast<How>();
}
[[gnu::always_inline]] inline Scheduler::Cpu one_cpu() { return g_kernel.scheduler.cpu(kOneCpu); }
[[gnu::noinline, gnu::flatten]] void fast_reply_receive(Thread& t) { return fast_ipc<Unlock::No, false>(t, one_cpu()); }
[[gnu::noinline]] void fast_yield(Thread& t) { return fast_yield_on<Unlock::No>(t, one_cpu()); }
} // namespace

[[gnu::flatten]] void on_user_syscall_fast() {
    Thread* t = g_kernel.scheduler.current(one_cpu()); // (never null: a user thread trapped)
    if (t->linux_abi()) return;
    u64 nr = t->reg(abi::kRegSyscall); // (as fastpath() tests it)
    if (nr == static_cast<u64>(abi::Syscall::Call)) return fast_ipc<Unlock::No, true>(*t, one_cpu());
    if (nr == static_cast<u64>(abi::Syscall::ReplyReceive)) return fast_reply_receive(*t);
    if (nr == static_cast<u64>(abi::Syscall::Yield)) return fast_yield(*t);
}

[[noreturn]] void on_user_syscall() { slow_syscall(g_kernel.scheduler.current(kOneCpu), kOneCpu); }

namespace {
// With several CPUs, the same fastpath under the lock, for whichever CPU this is: a copy
// of its own, linked apart with the rest of SMP (the one-CPU kernel's keeps its CPU a
// constant), in the same shape and of the same pieces (fast_ipc, fast_yield_on), with the
// lock's uncontended case inline. Each path is one function that calls nothing and leaves
// by a jump: to user mode, or to the slowpath, the wait for a contended lock or the wake
// of a CPU asleep for its turn (wake_then_exit), which never return but are not
// [[noreturn]], so that GCC jumps to them (it never makes a call to a noreturn function a
// jump, and a call would cost the fastpath the registers a call preserves, saved and
// restored on every system call).
/// The lock held: the system call of `cpu`'s current thread, the slowpath's way.
/// (It and syscall_after_wait find their CPU's number again: the locked path then keeps no
/// copy of it for them.)
SMP_ONLY [[gnu::noipa]] void slow_syscall_smp() {
    const u32 cpu = arch::cpu_index();
    Thread* t = g_kernel.scheduler.current(cpu);
    // Another CPU may have taken the thread off this one while it waited for the lock (it
    // then undid the call: TakeOff).
    if (!t) run_user_threads();
    slow_syscall(t, cpu);
}
/// `ticket` was not served at once: its turn, then the whole path (the fastpath's too).
SMP_ONLY [[gnu::noipa]] void syscall_after_wait(u32 ticket) {
    const u32 cpu = arch::cpu_index();
    wait_for_syscall(ticket, cpu);
    Thread* t = g_kernel.scheduler.current(cpu);
    if (t && !t->linux_abi())
        if (Thread* next = fastpath(*t, g_kernel.scheduler.cpu(cpu), g_kernel.scheduler)) resume_smp(*next, cpu);
    slow_syscall_smp();
}
/// This CPU, its queue found through its own data (arch::cpu_run_queue: one load, where
/// rq_[index] would be a shift and an add at every use). (The leaves below find it again
/// rather than take it from the entry: fewer registers across the call.)
[[gnu::always_inline]] inline Scheduler::Cpu this_cpu() { return Scheduler::cpu(arch::cpu_run_queue(), arch::cpu_index()); }
SMP_ONLY [[gnu::noinline, gnu::flatten]] void fast_reply_receive_smp(Thread& t) {
    return fast_ipc<Unlock::Yes, false>(t, this_cpu());
}
SMP_ONLY [[gnu::noinline]] void fast_yield_smp(Thread& t) { return fast_yield_on<Unlock::Yes>(t, this_cpu()); }

/// on_user_tick_unlocked with several CPUs: returns unless this CPU's thread is alone.
SMP_ONLY [[gnu::noinline]] void tick_alone_smp() {
    const Scheduler::Cpu here = this_cpu();
    if (here.index() == 0 || !g_kernel.scheduler.tick_alone(here)) return;
    exit_to<arch::return_to_user, Unlock::No>(*g_kernel.scheduler.current(here), here); // (its space: loaded)
    __builtin_unreachable();
}
} // namespace

void on_user_tick_unlocked() {
    if (g_kernel.smp) tick_alone_smp();
}

SMP_ONLY [[gnu::flatten]] void on_user_syscall_locked() {
    const Scheduler::Cpu cpu = this_cpu();
    if (const u32 ticket = g_kernel.lock.take_ticket(); !g_kernel.lock.is_turn(ticket)) [[unlikely]]
        return syscall_after_wait(ticket);
    Thread* t = g_kernel.scheduler.current(cpu); // (not null: only a waiting CPU's is taken off)
    if (t->linux_abi()) return slow_syscall_smp();
    const u64 nr = t->reg(abi::kRegSyscall);
    if (nr == static_cast<u64>(abi::Syscall::Call)) return fast_ipc<Unlock::Yes, true>(*t, cpu);
    if (nr == static_cast<u64>(abi::Syscall::ReplyReceive)) return fast_reply_receive_smp(*t);
    if (nr == static_cast<u64>(abi::Syscall::Yield)) return fast_yield_smp(*t);
    return slow_syscall_smp();
}

[[noreturn]] void on_user_trap(const UserTrap& trap) {
    const u32 cpu = arch::cpu_index();
    Thread* t = g_kernel.scheduler.current(cpu);
    // (None: another CPU took the thread off this one while it waited for the lock. What
    // trapped happens again when it runs: a fault at the same instruction.)
    if (!t) run_user_threads();
    switch (trap.kind) {
    case TrapKind::Interrupt:
        ++g_kernel.user_interrupts; // the arch already handled the device
        break;
    case TrapKind::FpuUnavailable: {
        // The thread's first FP/SIMD instruction since the registers went to another:
        // they become its own, and the instruction runs again. (Already the owner: the
        // instruction was illegal for another reason.)
        Scheduler& s = g_kernel.scheduler;
        Thread* owner = s.fpu_owner(cpu);
        if (owner == t) {
            handle_fault(*t, UserTrap{TrapKind::IllegalInstruction, 0, false, false, trap.code});
            break;
        }
        if (t->first_fpu_use()) arch::init_fpu_area(t->fpu_area()); // (x86_64's is not all zero)
        arch::fpu_switch(owner ? owner->fpu_area() : nullptr, t->fpu_area());
        s.set_fpu_owner(cpu, t);
        break;
    }
    case TrapKind::PageFault:
    case TrapKind::IllegalInstruction:
    case TrapKind::OtherFault:
        handle_fault(*t, trap);
        break;
    }
    run_user_threads();
}

} // namespace kernel
