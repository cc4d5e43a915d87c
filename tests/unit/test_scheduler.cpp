// The real scheduler, driven by hand: ticks come from the test, as they will come from
// the arch's timer interrupt.
#include "kernel_world.hpp"
#include <map>
#include <utility>
#include <vector>

using namespace kernel;

namespace {
struct Threads : KernelWorld {
    std::vector<Thread*> t;
    explicit Threads(int n, u32 cpus = 2) : KernelWorld(1 << 20, cpus) {
        for (int i = 0; i < n; ++i) t.push_back(&thread(static_cast<u64>(10 + i)));
    }
    void ready(int i, u32 prio) {
        REQUIRE(t[i]->set_priority(prio, Thread::kDefaultTimeSlice, sched).ok());
        REQUIRE(t[i]->resume(sched).ok());
    }
    int index(Thread* th) const {
        for (size_t i = 0; i < t.size(); ++i)
            if (t[i] == th) return static_cast<int>(i);
        return -1;
    }
    /// Tick `n` times on `cpu`, rescheduling when asked; record who ran each tick.
    std::vector<int> run(u32 cpu, int n) {
        std::vector<int> trace;
        if (!sched.current(cpu)) sched.schedule(cpu);
        for (int i = 0; i < n; ++i) {
            trace.push_back(index(sched.current(cpu)));
            if (sched.tick(cpu)) sched.schedule(cpu);
        }
        return trace;
    }
};
} // namespace

TEST_CASE("sched: the highest priority runs; equal priorities in FIFO order") {
    Threads w(4);
    w.ready(0, 10);
    w.ready(1, 50);
    w.ready(2, 50);
    w.ready(3, 5);
    CHECK(w.sched.schedule(0) == w.t[1]);
    CHECK(w.t[1]->state() == ThreadState::Running);
    CHECK(w.sched.ready_count(0) == 3);
    w.t[1]->suspend(w.sched);
    CHECK(w.sched.need_resched(0));
    CHECK(w.sched.schedule(0) == w.t[2]);
    w.t[2]->suspend(w.sched);
    CHECK(w.sched.schedule(0) == w.t[0]);
    w.t[0]->suspend(w.sched);
    CHECK(w.sched.schedule(0) == w.t[3]);
    w.t[3]->suspend(w.sched);
    CHECK(w.sched.schedule(0) == nullptr); // idle
}

TEST_CASE("sched: a higher priority preempts at once; the preempted keeps its place") {
    Threads w(3);
    w.ready(0, 10);
    w.ready(1, 10);
    REQUIRE(w.sched.schedule(0) == w.t[0]);
    CHECK(w.sched.tick(0) == false); // 4 of 5 ticks left, nobody better
    CHECK_FALSE(w.sched.need_resched(0));
    w.ready(2, 20);
    CHECK(w.sched.need_resched(0));
    CHECK(w.sched.schedule(0) == w.t[2]);
    w.t[2]->suspend(w.sched);
    // t0 went back to the head of priority 10 (before t1), with its remaining slice.
    CHECK(w.sched.schedule(0) == w.t[0]);
    CHECK(w.t[0]->remaining() == Thread::kDefaultTimeSlice - 1);
    // Equal priority never preempts.
    w.ready(2, 10);
    CHECK_FALSE(w.sched.need_resched(0));
}

TEST_CASE("sched: round robin shares the CPU fairly between equal priorities") {
    Threads w(3);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(w.t[i]->set_priority(7, 2, w.sched).ok());
        REQUIRE(w.t[i]->resume(w.sched).ok());
    }
    auto trace = w.run(0, 60);
    std::map<int, int> ticks;
    for (int who : trace) ++ticks[who];
    CHECK(ticks[0] == 20);
    CHECK(ticks[1] == 20);
    CHECK(ticks[2] == 20);
    // Two ticks each, in turn.
    CHECK(std::vector<int>(trace.begin(), trace.begin() + 8) == std::vector<int>{0, 0, 1, 1, 2, 2, 0, 0});
}

TEST_CASE("sched: a lone thread keeps running; yield goes to the back") {
    Threads w(2);
    w.ready(0, 3);
    auto trace = w.run(0, 20);
    for (int who : trace) CHECK(who == 0);
    CHECK_FALSE(w.sched.need_resched(0));
    w.ready(1, 3);
    w.sched.yield(0);
    CHECK(w.sched.need_resched(0));
    CHECK(w.sched.schedule(0) == w.t[1]);
    CHECK(w.t[0]->state() == ThreadState::Ready);
}

TEST_CASE("sched: per-CPU queues follow affinity masks") {
    Threads w(4, 4);
    REQUIRE(w.t[0]->set_affinity(0b0100, w.sched).ok());
    REQUIRE(w.t[1]->set_affinity(0b1010, w.sched).ok());
    CHECK(w.t[2]->set_affinity(0b110000, w.sched).error() == Error::InvalidArgument); // no such CPU
    CHECK(w.t[2]->affinity() == ~u64{0});
    // A thread that is not ready moves at once too: where it last ran stays a CPU it may
    // use, so the IPC fastpath never hands CPU 0 to it (can_hand_over).
    CHECK(w.t[0]->cpu() == 2);
    CHECK_FALSE(w.sched.can_hand_over(*w.t[0], w.sched.cpu(0)));
    w.ready(0, 5);
    w.ready(1, 5);
    w.ready(2, 5);
    CHECK(w.t[0]->cpu() == 2);
    CHECK(w.t[1]->cpu() == 1); // lowest allowed
    CHECK(w.t[2]->cpu() == 0);
    CHECK(w.sched.schedule(2) == w.t[0]);
    CHECK(w.sched.schedule(1) == w.t[1]);
    CHECK(w.sched.schedule(3) == nullptr);
    // Moving a running thread: it leaves its CPU at the next schedule.
    REQUIRE(w.t[1]->set_affinity(0b1000, w.sched).ok());
    CHECK(w.sched.need_resched(1));
    CHECK(w.sched.current(1) == nullptr);
    CHECK(w.sched.schedule(3) == w.t[1]);
    // A ready thread moves queues.
    w.ready(3, 1);
    CHECK(w.t[3]->cpu() == 0);
    REQUIRE(w.t[3]->set_affinity(0b0010, w.sched).ok());
    CHECK(w.t[3]->cpu() == 1);
    CHECK(w.sched.ready_count(1) == 1);
    CHECK(w.sched.schedule(1) == w.t[3]);
}

TEST_CASE("sched: with as many CPUs as a mask has bits, every bit is a CPU, the last one too") {
    // (The CPU mask was (1 << cpus) - 1: with 64 CPUs a shift by the word's width, which
    // gave 0 on x86_64, and every affinity was refused.)
    Threads w(2, Scheduler::kMaxCpus);
    REQUIRE(Scheduler::kMaxCpus == 64);
    CHECK(w.sched.cpus() == 64);
    REQUIRE(w.t[0]->set_affinity(u64{1} << 63, w.sched).ok());
    REQUIRE(w.t[1]->set_affinity(u64{1}, w.sched).ok());
    w.ready(0, 5);
    w.ready(1, 5);
    CHECK(w.t[0]->cpu() == 63);
    CHECK(w.sched.schedule(63) == w.t[0]);
    CHECK(w.sched.schedule(0) == w.t[1]);
    Threads fewer(1, 16);
    CHECK(fewer.t[0]->set_affinity(u64{1} << 16, fewer.sched).error() == Error::InvalidArgument);
    CHECK(fewer.t[0]->set_affinity(u64{1} << 15, fewer.sched).ok());
}

TEST_CASE("sched: a CPU reached through its queue's address (the arch's per-CPU pointer) is the CPU of that number") {
    // With several CPUs the locked system-call path finds its CPU through the queue the
    // arch keeps a pointer to (arch::cpu_run_queue), not through its number.
    Threads w(2, 4);
    REQUIRE(w.t[0]->set_affinity(0b0100, w.sched).ok()); // blocked: it moves to CPU 2 at once
    for (u32 i = 0; i < 4; ++i) {
        Scheduler::Cpu by_queue = Scheduler::cpu(w.sched.run_queue(i), i);
        CHECK(by_queue.index() == i);
        CHECK(by_queue.bit() == u64{1} << i);
        CHECK(w.sched.can_hand_over(*w.t[0], by_queue) == (i == 2));
        CHECK(w.sched.can_hand_over(*w.t[0], w.sched.cpu(i)) == (i == 2));
    }
    // Each CPU's loaded root is its own, whichever way the CPU is reached.
    w.sched.cpu(1).loaded_root() = PhysAddr{0x1000};
    CHECK(Scheduler::cpu(w.sched.run_queue(1), 1).loaded_root() == PhysAddr{0x1000});
    CHECK(w.sched.cpu(2).loaded_root() == PhysAddr{});
    w.sched.set_fpu_owner(3, w.t[1]);
    CHECK(w.sched.fpu_owner(Scheduler::cpu(w.sched.run_queue(3), 3)) == w.t[1]);
    CHECK(w.sched.fpu_owner(w.sched.cpu(2)) == nullptr);
    // The hand-over through the queue's address makes the thread that CPU's current one.
    w.sched.hand_over(Scheduler::cpu(w.sched.run_queue(2), 2), *w.t[0]);
    CHECK(w.sched.current(2) == w.t[0]);
    CHECK(w.sched.current(w.sched.cpu(2)) == w.t[0]);
    CHECK(w.sched.current(0) == nullptr);
    CHECK(w.t[0]->state() == ThreadState::Running);
}

TEST_CASE("sched: priority changes re-place a thread; bad values are rejected") {
    Threads w(2);
    w.ready(0, 10);
    w.ready(1, 10);
    CHECK(w.t[0]->set_priority(256, 5, w.sched).error() == Error::InvalidArgument);
    CHECK(w.t[0]->set_priority(10, 0, w.sched).error() == Error::InvalidArgument);
    REQUIRE(w.t[1]->set_priority(11, 5, w.sched).ok());
    CHECK(w.sched.schedule(0) == w.t[1]);
    REQUIRE(w.t[1]->set_priority(9, 5, w.sched).ok()); // running, now lower than t0
    CHECK(w.sched.need_resched(0));
    CHECK(w.sched.schedule(0) == w.t[0]);
}

TEST_CASE("threads: resume, suspend and the register file") {
    Threads w(1);
    Thread& t = *w.t[0];
    CHECK(t.state() == ThreadState::Created);
    CHECK(t.resume(w.sched).ok());
    CHECK(t.resume(w.sched).error() == Error::Busy);
    w.sched.schedule(0);
    t.suspend(w.sched);
    CHECK(t.state() == ThreadState::Suspended);
    CHECK(w.sched.current(0) == nullptr);
    t.suspend(w.sched); // again: nothing changes
    CHECK(t.resume(w.sched).ok());
    CHECK(t.state() == ThreadState::Ready);

    CHECK(Thread::check_register_range(0, abi::kRegCount).ok());
    CHECK(Thread::check_register_range(abi::kRegCount, 0).ok());
    CHECK(Thread::check_register_range(abi::kRegCount - 1, 2).error() == Error::OutOfRange);
    CHECK(Thread::check_register_range(2, ~u64{0}).error() == Error::OutOfRange);
    t.set_reg(abi::kRegIp, 0x401000);
    CHECK(t.reg(abi::kRegIp) == 0x401000);
    t.set_tls_base(0x7000);
    CHECK(t.tls_base() == 0x7000);
    // SetTls reaches the register once, when the thread next runs; otherwise the register
    // file holds the TLS base (WriteRegisters sets it: a fork's child gets its parent's).
    u64 base = 0;
    CHECK(t.take_pending_tls(base));
    CHECK(base == 0x7000);
    CHECK_FALSE(t.take_pending_tls(base));
    // Message registers beyond the CPU registers need an IPC buffer.
    CHECK(t.mr_capacity() == abi::kMsgRegsInRegisters);
    t.set_mr(6, 99);
    CHECK(t.mr(6) == 0);
    abi::IpcBuffer buf{};
    t.set_ipc_buffer(&buf);
    t.set_mr(6, 99);
    CHECK(buf.mr[6] == 99);
    t.set_mr(1, 5);
    CHECK(t.reg(abi::kRegMr0 + 1) == 5);
}

TEST_CASE("threads: destroying a running or ready thread takes it off the CPU") {
    Threads w(2);
    w.ready(0, 10);
    w.ready(1, 10);
    w.sched.schedule(0);
    w.remove(10); // the running one
    CHECK(w.sched.current(0) == nullptr);
    w.remove(11); // the queued one
    CHECK(w.sched.ready_count(0) == 0);
    CHECK(w.sched.schedule(0) == nullptr);
    CHECK(w.reaper.destroyed() == 2);
}

TEST_CASE("sched: each timer tick is charged to the thread it finds running, none while idle (Thread.ReadCpuTime)") {
    Threads w(2);
    w.ready(0, 10);
    w.ready(1, 10);
    REQUIRE(w.sched.schedule(0) == w.t[0]);
    for (int i = 0; i < 3; ++i) (void)w.sched.tick(0);
    w.t[0]->suspend(w.sched);
    REQUIRE(w.sched.schedule(0) == w.t[1]);
    (void)w.sched.tick(0);
    w.t[1]->suspend(w.sched);
    REQUIRE(w.sched.schedule(0) == nullptr);
    (void)w.sched.tick(0); // idle: nobody's
    CHECK(w.t[0]->cpu_ticks() == 3);
    CHECK(w.t[1]->cpu_ticks() == 1);
}

namespace {
// Several CPUs, as go_smp makes them: the CPU a method runs on is the test's choice, and
// the kicks (the IPIs a CPU would get) are recorded.
u32 g_here = 0;
std::vector<u32> g_kicked;
/// Each stall: the CPU and the time slice its thread had when it was asked.
std::vector<std::pair<u32, u32>> g_stalled;
void record_remote(Scheduler::Remote what, u32 cpu, Thread* t) {
    if (what == Scheduler::Remote::Kick) g_kicked.push_back(cpu);
    if (what == Scheduler::Remote::Stall && cpu != g_here) g_stalled.emplace_back(cpu, t->time_slice()); // (as smp.cpp's reach)
}
u32 here() { return g_here; }
struct SmpThreads : Threads {
    explicit SmpThreads(int n) : Threads(n, 4) {
        g_here = 0;
        g_kicked.clear();
        g_stalled.clear();
        sched.go_smp(4, record_remote, here);
    }
    /// t[0] running on CPU 0, t[1] on CPU 1 (placed there: CPU 0 was busy), priority 10.
    void run_two() {
        ready(0, 10);
        REQUIRE(sched.schedule(0) == t[0]);
        ready(1, 10);
        REQUIRE(t[1]->cpu() == 1);
        REQUIRE(sched.schedule(1) == t[1]);
    }
};
} // namespace

TEST_CASE("sched (SMP): a resumed thread goes to an idle CPU when its own is busy") {
    SmpThreads w(6);
    w.ready(0, 10); // CPU 0 is idle: it stays there
    CHECK(w.t[0]->cpu() == 0);
    REQUIRE(w.sched.schedule(0) == w.t[0]);
    for (int i = 1; i <= 3; ++i) {
        w.ready(i, 10); // CPU 0 busy: the lowest idle CPU, which is kicked
        CHECK(w.t[i]->cpu() == static_cast<u32>(i));
        CHECK(g_kicked.back() == static_cast<u32>(i));
        REQUIRE(w.sched.schedule(static_cast<u32>(i)) == w.t[i]);
    }
    w.ready(4, 10); // every CPU busy: where the affinity picks (CPU 0), queued
    CHECK(w.t[4]->cpu() == 0);
    CHECK(w.sched.ready_count(0) == 1);
    // Affinity bounds the choice: CPUs 2 and 3 allowed, both busy, so it waits on 2.
    REQUIRE(w.t[5]->set_affinity(0b1100, w.sched).ok());
    w.ready(5, 10);
    CHECK(w.t[5]->cpu() == 2);
}

// The entry's null Yield copies its thread's slice without the lock (fast_yield.h): a
// thread running on another CPU is in the kernel before its slice is written.
TEST_CASE("sched (SMP): a new priority and slice for a thread running on another CPU stall it first") {
    SmpThreads w(2);
    w.run_two();
    const u32 before = w.t[1]->time_slice();
    REQUIRE(w.t[1]->set_priority(9, before + 7, w.sched).ok()); // from CPU 0
    REQUIRE(g_stalled.size() == 1);
    CHECK(g_stalled[0].first == 1);
    CHECK(g_stalled[0].second == before); // asked before the slice changed
    CHECK(w.t[1]->time_slice() == before + 7);
    CHECK(w.sched.need_resched(1));
    // Its own CPU's thread, or one not running, needs no stall.
    REQUIRE(w.t[0]->set_priority(9, 3, w.sched).ok());
    CHECK(g_stalled.size() == 1);
    CHECK(w.t[0]->remaining() <= 3);
}

// A tick from user mode on a CPU other than the boot CPU, before the lock
// (kernel::on_user_tick_unlocked): 15 CPUs of spinning threads took the lock 100 times a
// second each, which under QEMU with more CPUs than host cores stalled everyone else.
TEST_CASE("sched (SMP): a tick without the lock charges a thread alone on its CPU as tick() does, and nothing else") {
    SmpThreads w(3);
    w.run_two();
    REQUIRE(w.t[0]->remaining() == w.t[1]->remaining());
    // Alone on CPU 1: charged as the locked tick charges the thread alone on CPU 0,
    // through a used-up slice (started again: nobody to yield to).
    for (u32 i = 0; i < 2 * w.t[1]->time_slice() + 1; ++i) {
        CHECK(w.sched.tick_alone(w.sched.cpu(1)));
        CHECK_FALSE(w.sched.tick(0));
        CHECK(w.t[1]->remaining() == w.t[0]->remaining());
        CHECK(w.t[1]->cpu_ticks() == w.t[0]->cpu_ticks());
    }
    CHECK_FALSE(w.sched.need_resched(1));
    // Another thread waits on CPU 1: the locked tick's business, nothing charged here.
    REQUIRE(w.t[2]->set_affinity(0b10, w.sched).ok());
    w.ready(2, 10);
    REQUIRE(w.sched.ready_count(1) == 1);
    const u64 ticks = w.t[1]->cpu_ticks();
    CHECK_FALSE(w.sched.tick_alone(w.sched.cpu(1)));
    CHECK(w.t[1]->cpu_ticks() == ticks);
    CHECK_FALSE(w.sched.tick_alone(w.sched.cpu(3))); // idle: nobody to charge
}

TEST_CASE("sched (SMP): a woken thread stays with a waker on its own CPU, else goes to an idle one") {
    SmpThreads w(3);
    Semaphore& sem = w.semaphore(2);
    // t0 and t1 run on CPUs 0 and 1, t1 blocks: it last ran on CPU 1.
    w.ready(0, 10);
    REQUIRE(w.sched.schedule(0) == w.t[0]);
    w.ready(1, 10);
    REQUIRE(w.sched.schedule(1) == w.t[1]);
    sem.wait(*w.t[1], w.sched);
    REQUIRE(w.sched.schedule(1) == nullptr);
    // Woken from CPU 0 while CPU 1 idles: back to CPU 1.
    REQUIRE(sem.signal(w.sched).ok());
    CHECK(w.t[1]->cpu() == 1);
    REQUIRE(w.sched.schedule(1) == w.t[1]);
    // Now t1 runs on CPU 0 (t0 set aside meanwhile) and waits there; t0 runs on CPU 0
    // again and wakes it: t1 stays (t0 may block next, as a server replying does),
    // though CPUs 1 to 3 idle.
    REQUIRE(w.t[1]->set_affinity(0b0001, w.sched).ok());
    w.t[0]->suspend(w.sched);
    REQUIRE(w.sched.schedule(0) == w.t[1]);
    sem.wait(*w.t[1], w.sched);
    REQUIRE(w.sched.schedule(0) == nullptr);
    REQUIRE(w.t[0]->resume(w.sched).ok());
    REQUIRE(w.sched.schedule(0) == w.t[0]);
    REQUIRE(w.t[1]->set_affinity(0b1111, w.sched).ok());
    g_here = 0;
    REQUIRE(sem.signal(w.sched).ok());
    CHECK(w.t[1]->cpu() == 0);
    CHECK(w.sched.ready_count(0) == 1);
    // t0 does not block but returns to user mode: t1 goes to an idle CPU then. Nothing
    // moves at a second return.
    w.sched.share_waiting(0);
    CHECK(w.t[1]->cpu() == 1);
    CHECK(w.sched.ready_count(0) == 0);
    w.sched.share_waiting(0);
    CHECK(w.sched.current(0) == w.t[0]);
    REQUIRE(w.sched.schedule(1) == w.t[1]);
    // Back on CPU 0 (as before), for the next case.
    REQUIRE(w.t[1]->set_affinity(0b0001, w.sched).ok());
    REQUIRE(w.sched.schedule(1) == nullptr);
    REQUIRE(w.sched.schedule(0) == w.t[0]);
    REQUIRE(w.t[1]->set_affinity(0b1111, w.sched).ok());
    // The same wake-up made from CPU 2: t1's CPU is busy with another than its waker, so
    // it goes to an idle CPU.
    sem.wait(*w.t[1], w.sched);
    g_here = 2;
    REQUIRE(sem.signal(w.sched).ok());
    CHECK(w.t[1]->cpu() == 1);
}

TEST_CASE("sched (SMP): a busy CPU's tick sends its waiting threads to idle CPUs; an idle CPU takes waiting work") {
    SmpThreads w(4);
    REQUIRE(w.t[3]->set_affinity(0b0001, w.sched).ok()); // this one may only wait
    for (int i = 0; i < 4; ++i) REQUIRE(w.t[i]->set_priority(10, Thread::kDefaultTimeSlice, w.sched).ok());
    // t0 runs on CPU 0; t1..t3 wait there (resumed pinned to it, then t1 and t2 allowed
    // everywhere: re-placed by a call made on CPU 0 itself, they stay, as if woken by it).
    REQUIRE(w.t[0]->resume(w.sched).ok());
    REQUIRE(w.sched.schedule(0) == w.t[0]);
    for (int i = 1; i <= 3; ++i) REQUIRE((w.t[i]->set_affinity(0b0001, w.sched).ok() && w.t[i]->resume(w.sched).ok()));
    for (int i = 1; i <= 2; ++i) REQUIRE(w.t[i]->set_affinity(0b1111, w.sched).ok());
    CHECK(w.sched.ready_count(0) == 3);
    // CPU 0's tick: t1 and t2 go to idle CPUs 1 and 2, which are kicked; t3 may not.
    g_kicked.clear();
    (void)w.sched.tick(0);
    CHECK(w.t[1]->cpu() == 1);
    CHECK(w.t[2]->cpu() == 2);
    CHECK(w.t[3]->cpu() == 0);
    CHECK(g_kicked == std::vector<u32>{1, 2});
    CHECK(w.sched.current(0) == w.t[0]);
    // CPU 3 has nothing: it takes the highest-priority waiting thread it may run (t1, from
    // CPU 1's queue; t3 is pinned to CPU 0).
    REQUIRE(w.t[1]->set_priority(12, Thread::kDefaultTimeSlice, w.sched).ok());
    CHECK(w.sched.schedule(3) == w.t[1]);
    CHECK(w.t[1]->cpu() == 3);
    CHECK(w.sched.ready_count(1) == 0);
    CHECK(w.sched.schedule(2) == w.t[2]);
    CHECK(w.sched.schedule(1) == nullptr); // (nothing it may take: t3 stays on CPU 0)
    CHECK(w.sched.ready_count(0) == 1);
}
