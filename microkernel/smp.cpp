#include <microkernel/arch.hpp>
#include <base/boot_only.hpp>
#include <base/format.hpp>
#include <microkernel/kernel_state.hpp>
#include <microkernel/object/address_space.hpp>
#include <microkernel/root_task.hpp>
#include <microkernel/smp.hpp>
#include <microkernel/tlb.hpp>
#include <arch/context.hpp>

namespace kernel {
namespace {

/// The logical number of the last CPU that reported in (0: none yet). Written by that
/// CPU, read by the boot CPU, which starts the next one only after it saw this one.
u32 g_arrived = 0;
constexpr u32 kWrongSelf = ~0u; ///< reported by a CPU whose arch::cpu_index() is not its number

/// The remote call waiting for each CPU: posted in its slot, then an IPI makes the CPU run
/// it in on_ipi, which acknowledges by clearing `pending`.
struct RemoteCall {
    void (*fn)(void*) = nullptr;
    void* arg = nullptr;
    u32 pending = 0; ///< set by the caller; cleared by the target once fn has returned
};
RemoteCall g_calls[kMaxCpus];

SMP_ONLY void post_call(u32 cpu, void (*fn)(void*), void* arg) {
    RemoteCall& call = g_calls[cpu];
    call.fn = fn;
    call.arg = arg;
    __atomic_store_n(&call.pending, 1, __ATOMIC_RELEASE);
    arch::send_ipi(cpu);
}

SMP_ONLY bool call_done(u32 cpu) { return !__atomic_load_n(&g_calls[cpu].pending, __ATOMIC_ACQUIRE); }

/// The CPU that stops the machine (a panic, a kernel trap), plus one; 0 while none does.
u32 g_stopper = 0;
u32 g_parked = 0; ///< CPUs that have stopped for it
/// How long the stopping CPU waits for the others before it reports anyway.
constexpr u64 kStopWaitNs = 100'000'000;

/// Is another CPU stopping the machine?
SMP_ONLY bool stopped_elsewhere() {
    const u32 stopper = __atomic_load_n(&g_stopper, __ATOMIC_ACQUIRE);
    return stopper && stopper != arch::cpu_index() + 1;
}

/// This CPU stops for good: interrupts masked, nothing more of its own.
SMP_ONLY [[noreturn]] void park() {
    arch::interrupts_disable();
    __atomic_fetch_add(&g_parked, 1, __ATOMIC_RELEASE);
    for (;;) arch::wait_for_interrupt();
}

u32 g_online = 1;   ///< CPUs running threads (go_smp)
u32 g_started = 1;  ///< CPUs online, running threads or not yet (start_other_cpus)
bool g_go = false;  ///< go_smp has run: the started CPUs leave on_cpu_start
/// How many times a CPU waiting for the big kernel lock looks before it sleeps for its turn.
constexpr u32 kSpinsBeforeSleep = 256;
/// What a CPU's waits for the lock came to (KernelLock::wait_turn counts them; a take
/// served at once counts nothing, so the paths that take it so pay nothing for them).
struct LockWaits {
    u64 count = 0;  ///< times its turn was not served at once
    u64 asleep = 0; ///< waits in which it slept for its turn (after kSpinsBeforeSleep looks)
    u64 ns = 0;     ///< time from its ticket to its turn, in all
    u64 longest = 0; ///< the longest of them
};
LockWaits g_lock_waits[kMaxCpus]; ///< each written by its own CPU only

/// Each CPU waiting for the lock on a system call's entry (wait_for_syscall): a thread
/// taken off it meanwhile must make the call again (TakeOff).
bool g_entering_syscall[kMaxCpus];

/// Stall's remote half: nothing to do (its answer comes from the kernel, where the thread
/// it ran has its registers saved); it says whether a system call was on its way in.
SMP_ONLY void stall_here(void* caught) { *static_cast<bool*>(caught) = g_entering_syscall[arch::cpu_index()]; }

/// SaveFpu's remote half: the thread's FP/SIMD registers, if this CPU holds them, into
/// its area; this CPU's registers are nobody's after that.
SMP_ONLY void save_fpu_here(void* thread) {
    Thread& t = *static_cast<Thread*>(thread);
    Scheduler& s = g_kernel.scheduler;
    const u32 me = arch::cpu_index();
    if (s.fpu_owner(me) != &t) return;
    arch::fpu_switch(t.fpu_area(), t.fpu_area());
    s.set_fpu_owner(me, nullptr);
}

/// reach() for what waits for the other CPU's answer (a remote call): Stall, TakeOff, SaveFpu.
SMP_ONLY [[gnu::noinline]] void reach_and_wait(Scheduler::Remote what, u32 cpu, Thread* t) {
    if (what == Scheduler::Remote::SaveFpu) return remote_call(cpu, save_fpu_here, t);
    if (cpu == arch::cpu_index()) return; // (this CPU's thread: in the kernel already)
    bool caught = false;
    remote_call(cpu, stall_here, &caught);
    // Caught entering a system call, which that CPU will now drop: the thread makes it
    // again wherever it runs next.
    if (caught && what == Scheduler::Remote::TakeOff) t->set_reg(abi::kRegIp, t->reg(abi::kRegIp) - arch::kSyscallBytes);
}
/// The scheduler's way to the other CPUs (Scheduler::RemoteFn). A kick, the common case
/// (every thread placed where it would run before the current one), stays here: often
/// for this CPU, which needs none (its queue's resched is read on its way to user mode).
SMP_ONLY void reach(Scheduler::Remote what, u32 cpu, Thread* t) {
    if (what != Scheduler::Remote::Kick) return reach_and_wait(what, cpu, t);
    if (cpu != arch::cpu_index()) arch::send_ipi(cpu);
}

/// This CPU from now on: system calls take the locked path. (All but the null system call,
/// which the entry answers before it, without the lock: microkernel/sched/fast_yield.h.)
BOOT_ONLY void take_locked_path() { arch::set_syscall_path(on_user_syscall_locked); }

/// How the boot CPU waits for another CPU at boot: asleep between its own timer ticks
/// (nothing else interrupts it yet), looking at `done()` after each, for up to
/// kCpuStartTimeoutNs. Sleeping rather than spinning leaves the machine to the CPU waited
/// for: under QEMU's --icount all CPUs take turns on one host thread, and a spinning CPU
/// gives up its turn only at a timer deadline.
template <class Done>
BOOT_ONLY bool boot_wait(Done done) {
    const u64 deadline = arch::clock_ns() + kCpuStartTimeoutNs;
    bool ok = false;
    arch::interrupts_enable();
    while (!(ok = done()) && arch::clock_ns() < deadline) arch::wait_for_interrupt();
    arch::interrupts_disable();
    return ok;
}

/// The remote call of the bring-up check: the CPU writes its own number where asked.
BOOT_ONLY void note_self(void* where) { *static_cast<u32*>(where) = arch::cpu_index(); }

/// Every started CPU answers a remote call, and runs it itself.
BOOT_ONLY void check_remote_calls(u32 online) {
    u32 answered = 0;
    for (u32 cpu = 1; cpu < online; ++cpu) {
        static u32 self; // (static: a call that times out may still write it later)
        self = kWrongSelf;
        post_call(cpu, note_self, &self);
        if (!boot_wait([cpu] { return call_done(cpu); }))
            print("cpu {}: no answer to a remote call within a second\n", cpu);
        else if (self != cpu)
            print("cpu {}: a remote call for it ran on cpu {}\n", cpu, self);
        else
            ++answered;
    }
    if (online > 1) print("smp: {} of {} other CPUs answer remote calls\n", answered, online - 1);
}

} // namespace

BOOT_ONLY u32 start_other_cpus(const BootInfo& info, FrameAllocator& frames, PhysWindow window) {
    if (arch::cpu_index() != 0) panic("the boot CPU's own data does not say CPU 0");
    u32 index = 1; // the next CPU's number, so also how many are online
    u32 past = 0, parked = 0; // the CPUs past kMaxCpus, and those of them arch::park_cpu parked
    for (u64 arch_id : info.cpus) {
        if (arch_id == info.boot_cpu) continue;
        if (index >= kMaxCpus) {
            ++past;
            parked += arch::park_cpu(arch_id);
            continue;
        }
        auto stack = frames.alloc_contiguous(kCpuStackBytes / kPageSize, kPageSize);
        if (!stack) {
            print("cpu {}: not started (arch id {}): no memory for its stack\n", index, arch_id);
            break;
        }
        const u64 stack_top = reinterpret_cast<uptr>(window.at<u8>(stack.value())) + kCpuStackBytes;
        if (const char* why = arch::start_cpu(index, arch_id, stack_top)) {
            // (its number goes to the next one: the numbers stay dense)
            print("cpu {}: not started (arch id {}): {}\n", index, arch_id, why);
            for (usize i = 0; i < kCpuStackBytes / kPageSize; ++i) (void)frames.free(stack.value() + i * kPageSize);
            continue;
        }
        u32 arrived = 0;
        boot_wait([&] {
            arrived = __atomic_load_n(&g_arrived, __ATOMIC_ACQUIRE);
            return arrived == index || arrived == kWrongSelf;
        });
        if (arrived == kWrongSelf) panic("a started CPU's own data names another CPU");
        if (arrived != index) {
            // Its stack stays allocated: it may still arrive and use it. No other CPU is
            // started after one that might: they would report in under the same number.
            print("cpu {}: started (arch id {}) but did not report in as cpu {} within a second; no more CPUs started\n",
                  index, arch_id, index);
            break;
        }
        print("cpu {} online (arch id {})\n", index, arch_id);
        ++index;
    }
    if (past) // (parked by the kernel, or the firmware keeps them halted: all or none, per arch)
        print("smp: {} more CPUs {} (the kernel runs at most {})\n", past,
              parked ? "parked" : "left halted by the firmware", kMaxCpus);
    check_remote_calls(index);
    g_started = index;
    return index;
}

SMP_ONLY void remote_call(u32 cpu, void (*fn)(void*), void* arg) {
    if (cpu == arch::cpu_index()) return fn(arg);
    post_call(cpu, fn, arg);
    while (!call_done(cpu)) {
        if (stopped_elsewhere()) park(); // (the target may be the one that stops)
        arch::cpu_relax();
    }
}

SMP_ONLY void remote_call_some(u64 cpus, void (*fn)(void*), void* arg) {
    const u32 me = arch::cpu_index();
    cpus &= ~(u64{1} << me);
    for (u32 cpu = 0; cpu < g_online; ++cpu)
        if ((cpus >> cpu) & 1) post_call(cpu, fn, arg);
    for (u32 cpu = 0; cpu < g_online; ++cpu)
        while (((cpus >> cpu) & 1) && !call_done(cpu)) {
            if (stopped_elsewhere()) park();
            arch::cpu_relax();
        }
}

namespace {
struct Stale {
    PhysAddr root;
    u16 asid;
    u64 va;
};
SMP_ONLY void flush_page_here(void* what) {
    const Stale& s = *static_cast<const Stale*>(what);
    local_flush_page(s.root, s.asid, s.va);
}
SMP_ONLY void flush_space_here(void* what) {
    const Stale& s = *static_cast<const Stale*>(what);
    local_flush_space(s.root, s.asid);
}
SMP_ONLY void retire_root_here(void* what) {
    const Stale& s = *static_cast<const Stale*>(what);
    local_unload_root(s.root);
    if (s.asid && !arch::kTlbBroadcast) arch::flush_asid(s.asid);
}
} // namespace

SMP_ONLY [[gnu::noinline]] void flush_page_elsewhere(const AddressSpace& space, u64 va) {
    const u64 others = space.cpus() & ~(u64{1} << arch::cpu_index());
    if (!others || arch::flush_user_elsewhere(others, va, space.asid(), false)) return;
    Stale s{space.root(), space.asid(), va};
    remote_call_some(others, flush_page_here, &s);
}

SMP_ONLY [[gnu::noinline]] void flush_space_elsewhere(const AddressSpace& space) {
    const u64 others = space.cpus() & ~(u64{1} << arch::cpu_index());
    if (!others || arch::flush_user_elsewhere(others, 0, space.asid(), true)) return;
    Stale s{space.root(), space.asid(), 0};
    remote_call_some(others, flush_space_here, &s);
}

SMP_ONLY [[gnu::noinline]] void retire_root_elsewhere(const AddressSpace& space) {
    Stale s{space.root(), space.asid(), 0};
    remote_call_some(space.cpus(), retire_root_here, &s);
}

SMP_ONLY [[gnu::noinline]] void KernelLock::acquire() {
    if (const u32 ticket = take_ticket(); !is_turn(ticket)) wait_turn(ticket);
}

static_assert(KernelLock::kCpus == kMaxCpus && Scheduler::kMaxCpus == kMaxCpus);

SMP_ONLY [[gnu::noinline]] void KernelLock::wait_turn(u32 ticket) {
    const u32 me = arch::cpu_index();
    const u64 since = arch::clock_ns();
    bool slept = false;
    u32 looks = 0;
    while (serving(__ATOMIC_ACQUIRE) != ticket) { // (answering the holder meanwhile)
        on_ipi();
        if (++looks < kSpinsBeforeSleep || (me == 0 && !arch::kWaitEndsMasked)) {
            arch::cpu_relax();
            continue;
        }
        // Said in the word the release adds to, which looks at the turn in the same
        // atomic add: either this add comes first, and the release sees a sleeper and
        // sends the IPI (which ends the sleep even if it comes first), or it sees the
        // release's turn.
        looks = 0;
        __atomic_store_n(&asleep_[me], ticket + 1, __ATOMIC_SEQ_CST);
        const u64 turn = __atomic_fetch_add(&turn_, 1, __ATOMIC_SEQ_CST); // (a sleeper more)
        // The boot CPU's interrupts need the lock (the kernel's ticks, devices): it sleeps
        // with them masked, woken by one pending, which stays pending until the kernel
        // waits or leaves for user mode (remote calls it answers here, on_ipi). (Where
        // that is not possible it spins: x86_64's PAUSE lets the other vCPUs run under
        // -icount; riscv64's pause hint does not, and a boot hart spinning there with
        // its tick masked left a sleeping hart unscheduled for good.)
        if (static_cast<u32>(turn >> 32) != ticket) {
            slept = true;
            if (me != 0) arch::sleep_until_interrupt();
            else arch::wait_for_interrupt();
        }
        __atomic_fetch_sub(&turn_, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&asleep_[me], 0, __ATOMIC_RELAXED);
    }
    ++g_lock_waits[me].count;
    g_lock_waits[me].asleep += slept; // (once a wait, however often the remote calls woke it)
    const u64 ns = arch::clock_ns() - since;
    g_lock_waits[me].ns += ns;
    if (ns > g_lock_waits[me].longest) g_lock_waits[me].longest = ns;
}

SMP_ONLY [[gnu::noinline]] void report_lock_waits() {
    LockWaits all;
    u32 most = 0, longest = 0;
    for (u32 cpu = 0; cpu < g_online; ++cpu) {
        const LockWaits& w = g_lock_waits[cpu];
        all.count += w.count;
        all.asleep += w.asleep;
        all.ns += w.ns;
        if (w.ns > g_lock_waits[most].ns) most = cpu;
        if (w.longest > g_lock_waits[longest].longest) longest = cpu;
    }
    print("smp: the lock was waited for {} times ({} of them asleep), {} us in all; cpu {} waited most, {} us; "
          "the longest wait {} us, by cpu {}\n",
          all.count, all.asleep, all.ns / 1000, most, g_lock_waits[most].ns / 1000,
          g_lock_waits[longest].longest / 1000, longest);
}

SMP_ONLY [[gnu::noinline]] void KernelLock::wake() {
    const u32 ticket = serving(__ATOMIC_SEQ_CST);
    for (u32 cpu = 0; cpu < g_online; ++cpu)
        if (__atomic_load_n(&asleep_[cpu], __ATOMIC_SEQ_CST) == ticket + 1) return arch::send_ipi(cpu);
}

SMP_ONLY [[gnu::noinline]] void wait_for_syscall(u32 ticket, u32 cpu) {
    g_entering_syscall[cpu] = true;
    g_kernel.lock.wait_turn(ticket);
    g_entering_syscall[cpu] = false;
}

SMP_ONLY [[gnu::noinline]] void unlock_to_user(AddressSpace* loading, u32 cpu) {
    if (loading) loading->loaded_on(u64{1} << cpu);
    // Threads it woke wait here while its thread goes on (Scheduler::place_smp): the idle
    // CPUs take them now rather than at this CPU's next tick.
    g_kernel.scheduler.share_waiting(cpu);
    g_kernel.lock.release();
}

[[gnu::noinline]] void kernel_enter() {
    if (g_kernel.smp) g_kernel.lock.acquire();
}

namespace {
/// The lock's release out of line, in .smp.text (kernel_leave's, in .text, calls it).
SMP_ONLY [[gnu::noinline]] void release_lock() { g_kernel.lock.release(); }
} // namespace

[[gnu::noinline]] void kernel_leave() {
    if (g_kernel.smp) release_lock();
}

BOOT_ONLY void go_smp(u32 online) {
    g_online = online;
    g_kernel.scheduler.go_smp(online, reach, arch::cpu_index);
    g_kernel.lock.acquire();
    g_kernel.smp = true;
    take_locked_path();
    __atomic_store_n(&g_go, true, __ATOMIC_RELEASE);
    for (u32 cpu = 1; cpu < online; ++cpu) arch::send_ipi(cpu);
    print("smp: {} CPUs run threads\n", online);
}

SMP_ONLY void on_ipi() {
    if (stopped_elsewhere()) park();
    RemoteCall& call = g_calls[arch::cpu_index()];
    if (!__atomic_load_n(&call.pending, __ATOMIC_ACQUIRE)) return;
    call.fn(call.arg);
    __atomic_store_n(&call.pending, 0, __ATOMIC_RELEASE);
}

SMP_ONLY void stop_other_cpus() {
    if (g_started == 1) return;
    const u32 me = arch::cpu_index();
    u32 stopper = 0;
    if (!__atomic_compare_exchange_n(&g_stopper, &stopper, me + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        if (stopper != me + 1) park(); // another CPU's report goes first, and alone
        return;                        // (this CPU stops the machine already)
    }
    for (u32 cpu = 0; cpu < g_started; ++cpu)
        if (cpu != me) arch::send_ipi(cpu);
    const u64 deadline = arch::clock_ns() + kStopWaitNs;
    u32 parked;
    while ((parked = __atomic_load_n(&g_parked, __ATOMIC_ACQUIRE)) < g_started - 1 && arch::clock_ns() < deadline)
        arch::cpu_relax();
    print("smp: {} of {} other CPUs stopped\n", parked, g_started - 1);
}

// The CPU reports in, then waits for interrupts (only inter-processor ones reach it)
// until go_smp lets it run threads: then it takes the lock and joins the scheduler.
BOOT_ONLY [[noreturn]] void on_cpu_start(u32 index) {
    // Its own data must say who it is (arch::cpu_index), or the boot CPU hears kWrongSelf.
    const u32 self = arch::cpu_index();
    __atomic_store_n(&g_arrived, self == index ? index : kWrongSelf, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&g_go, __ATOMIC_ACQUIRE)) {
        arch::interrupts_enable();
        arch::wait_for_interrupt();
        arch::interrupts_disable();
    }
    take_locked_path();
    arch::timer_start_cpu(); // (its ticks charge its threads' slices)
    g_kernel.lock.acquire();
    run_user_threads();
}

} // namespace kernel
