// Preemptive priority round robin with time slices and per-CPU run queues.
//
// Each CPU has one FIFO per priority (0..255, higher runs first) and a bitmap of the
// non-empty ones. The thread running on a CPU is `current` and is not on any queue.
// A thread is queued on one CPU, chosen from its affinity mask (it stays where it was if
// allowed, else goes to the lowest allowed CPU; with several CPUs an idle one is
// preferred to a busy one: place_smp). Time: the arch calls tick(cpu) from its
// timer interrupt; when a slice runs out the thread is refilled and goes to the tail of
// its priority, so equal priorities share the CPU in turn. A thread preempted by a
// higher priority goes back to the head, keeping the rest of its slice.
//
// The arch runs schedule(cpu) whenever need_resched(cpu) is set on the way back to user
// space and switches to what it returns (null: idle). With several CPUs running threads
// the kernel gives the scheduler a way to reach the others (go_smp): a change to
// another CPU's queue kicks it (an IPI: it reschedules), a thread running there is
// stalled (it enters the kernel and saves its registers) before it is taken off the CPU
// or its registers are used, and a thread's FP/SIMD state lives in one CPU's registers
// at most, that of the CPU it runs on (moved to its area when it moves).
#pragma once

#include <microkernel/object/thread.hpp>

namespace kernel {

class Scheduler {
    struct RunQueue;

  public:
    /// A Scheduler takes about 4 KiB per CPU: keep it in .bss, never on a stack.
    static constexpr u32 kMaxCpus = 64; ///< (a CPU mask is one u64)
    static constexpr u32 kPriorities = Thread::kMaxPriority + 1;
    static_assert(kPriorities == 4 * 64, "top_priority() takes the summary's 4 bits from a table");

    explicit Scheduler(u32 cpus) : cpus_(clamp_cpus(cpus)), cpu_mask_(mask_of(cpus_)) {
        for (u32 cpu = 0; cpu < kMaxCpus; ++cpu) {
            rq_[cpu].lists = lists_[cpu];
            rq_[cpu].bit = u64{1} << cpu;
        }
    }
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    u32 cpus() const { return cpus_; }
    /// Code that runs only once several CPUs run threads says so: GCC then drops the
    /// one-CPU cases of what it inlines (can_hand_over's).
    [[gnu::always_inline]] void assume_smp() const {
        if (cpus_ == 1) __builtin_unreachable();
    }

    /// How the scheduler reaches another CPU (smp.cpp; each a no-op for the calling CPU's
    /// own number where that makes sense). Kick: `cpu`'s queue changed, it reschedules
    /// soon (no answer awaited). Stall: `cpu`'s current thread `t` is in the kernel with
    /// its registers saved when this returns. TakeOff: the same, and `t` is about to leave
    /// that CPU: if it was caught entering a system call, the call is undone (made again
    /// when it next runs). SaveFpu: `t`'s FP/SIMD registers, live on `cpu`, are saved
    /// into its area and `cpu` holds nobody's any more.
    enum class Remote : u8 { Kick, Stall, TakeOff, SaveFpu };
    using RemoteFn = void (*)(Remote what, u32 cpu, Thread* t);
    /// Several CPUs run threads from now on (called once, before any runs on another);
    /// `this_cpu` names the CPU the caller of a scheduler method runs on.
    void go_smp(u32 cpus, RemoteFn remote, u32 (*this_cpu)()) {
        cpus_ = clamp_cpus(cpus);
        cpu_mask_ = mask_of(cpus_);
        remote_ = remote;
        this_cpu_ = this_cpu;
    }
    /// `t` runs on another CPU: have it enter the kernel first (its registers are read or
    /// written next). Nothing to do on one CPU or for a thread that is not running.
    void stall(Thread& t, Remote how = Remote::Stall) {
        if (remote_ && t.state_ == ThreadState::Running) remote_(how, t.cpu_, &t);
    }
    /// `t`'s FP/SIMD state is about to be used by `cpu` (read, written, copied): if another
    /// CPU's registers hold it, that CPU saves it into t's area and gives it up.
    void fpu_home(Thread& t, u32 cpu) {
        if (remote_ && t.cpu_ != cpu && rq_[t.cpu_].fpu_owner == &t) remote_(Remote::SaveFpu, t.cpu_, &t);
    }
    /// Does any CPU run or have ready a thread? (The whole machine's "can anything run".)
    bool any_cpu_busy() const {
        for (u32 cpu = 0; cpu < cpus_; ++cpu)
            if (rq_[cpu].current || rq_[cpu].ready) return true;
        return false;
    }
    /// Where the entry assembly's Yield reads CPU `cpu`'s run queue (fast_yield.h); the
    /// arch keeps it in the CPU's own data (arch::cpu_run_queue).
    void* run_queue(u32 cpu) { return &rq_[cpu]; }
    u64 cpu_mask() const { return cpu_mask_; }

    /// A CPU as the fastpaths see it: its number and its queue, found once per system
    /// call. With one CPU both are constants, folded into every use; with several the
    /// locked path takes the queue from the CPU's own data (a pointer it keeps, where an
    /// index would be shifted again at every use).
    class Cpu {
      public:
        u32 index() const { return index_; }
        /// Its bit in a mask of CPUs (bit n: CPU n), kept in the queue's block: the
        /// locked exit loads it rather than shift for it (x86_64: 7 instructions less a
        /// round trip, with the register that frees).
        u64 bit() const;
        /// The user root table the CPU has loaded (zero: none). Not the scheduler's: kept
        /// with the queue so that the way to user mode, which has the queue at hand, finds
        /// it in one load (user_entry.cpp's exit_to, tlb.hpp).
        PhysAddr& loaded_root();

      private:
        friend class Scheduler;
        Cpu(RunQueue& rq, u32 index) : rq_(rq), index_(index) {}
        RunQueue& rq_;
        u32 index_;
    };
    /// CPU `index`.
    [[gnu::always_inline]] Cpu cpu(u32 index) { return {rq_[index], index}; }
    /// CPU `index`, whose queue is at `run_queue` (the arch's copy of run_queue(index)).
    [[gnu::always_inline]] static Cpu cpu(void* run_queue, u32 index) {
        return {*static_cast<RunQueue*>(run_queue), index};
    }

    /// Thread running on `cpu`, or null.
    Thread* current(u32 cpu) const { return rq_[cpu].current; }
    Thread* current(Cpu cpu) const { return cpu.rq_.current; }
    /// Must the arch call schedule(cpu) before returning to user space?
    bool need_resched(u32 cpu) const { return rq_[cpu].resched; }

    /// Make a thread that is not running or queued Ready, at the tail of its priority.
    void make_ready(Thread& t);
    /// Take a Ready or Running thread off the CPU; the caller then sets its new state.
    void make_unready(Thread& t);
    /// Re-place a thread after its affinity changed (a blocked one too: where it last ran
    /// must stay a CPU it may use, which the IPC fastpath counts on: can_hand_over).
    void requeue(Thread& t);
    /// Change a thread's priority, moving it between queues if it is Ready.
    void set_priority(Thread& t, u32 priority);

    /// Choose the thread to run on `cpu` (it becomes current and Running). Null = idle.
    Thread* schedule(u32 cpu);
    /// A timer tick on `cpu`. Returns need_resched(cpu).
    bool tick(u32 cpu);
    /// The current thread of `cpu` gives up the rest of its slice.
    void yield(u32 cpu);
    /// yield(cpu) when nothing of the current thread's priority or above is ready and no
    /// reschedule is pending: what yield() and then schedule() would do (a fresh slice,
    /// the thread keeps the CPU), done at once. False, with nothing changed, otherwise.
    bool yield_in_place(Cpu cpu) {
        // (The entry assembly answers the common case first: fast_yield.h.)
        RunQueue& rq = cpu.rq_;
        Thread* cur = rq.current;
        if (!cur || rq.resched || top_priority(rq) >= static_cast<int>(cur->priority_)) return false;
        cur->remaining_ = cur->time_slice_;
        cur->slice_expired_ = true; // (as yield() leaves it: schedule() keeps the thread without clearing it)
        return true;
    }

    /// A tick of `cpu`, this CPU, with several CPUs and without the lock
    /// (kernel::on_user_tick_unlocked): if its current thread is alone there (no other
    /// thread ready, no reschedule asked for), charges it as tick() would (its CPU time,
    /// its slice, a fresh one when that is used up: nobody to yield to) and says true;
    /// otherwise changes nothing. It reads only this CPU's queue and thread, which other
    /// CPUs change under the lock and follow with an IPI or a stall, as for the null
    /// system call (fast_yield.h); a thread queued here just after the test waits one
    /// slice more at most, as after a Yield made just before it.
    bool tick_alone(Cpu cpu) {
        RunQueue& rq = cpu.rq_;
        Thread* cur = rq.current;
        if (!cur || __atomic_load_n(&rq.ready, __ATOMIC_RELAXED) || __atomic_load_n(&rq.resched, __ATOMIC_RELAXED))
            return false;
        if (charge(*cur)) cur->slice_expired_ = false; // (as tick() leaves it when nobody waits)
        return true;
    }

    /// May `next` (blocked, on no queue) take `cpu` the moment its current thread blocks,
    /// exactly as schedule() would then choose it? Nothing asked for a reschedule, `cpu`
    /// is the one its affinity picks, and its priority is above every ready thread's (at
    /// an equal one, the ready thread would go first). The IPC fastpath's test. (On more
    /// than one CPU it asks only whether `next` last ran on `cpu`, which its affinity then
    /// allows: requeue keeps every thread's CPU within its affinity. pick_cpu's other
    /// answers are the slowpath's, and the fastpath calls nothing.)
    [[gnu::always_inline]] bool can_hand_over(const Thread& next, Cpu cpu) const {
        const RunQueue& rq = cpu.rq_;
        return !rq.resched && (cpus_ == 1 || next.cpu_ == cpu.index_) &&
               static_cast<int>(next.priority_) > top_priority(rq);
    }
    /// The current thread of `cpu` has blocked (its caller set its state); `next`, for
    /// which can_hand_over() held, runs there instead. No queue is touched, and next's
    /// CPU is already `cpu` (can_hand_over asked; with one CPU every thread's is 0).
    [[gnu::always_inline]] void hand_over(Cpu cpu, Thread& next) {
        next.state_ = ThreadState::Running;
        cpu.rq_.current = &next;
    }

    /// Lazy FPU (arch::fpu_switch): the thread whose FP/SIMD state `cpu`'s registers
    /// hold, running or not, or null.
    Thread* fpu_owner(u32 cpu) const { return rq_[cpu].fpu_owner; }
    Thread* fpu_owner(Cpu cpu) const { return cpu.rq_.fpu_owner; }
    void set_fpu_owner(u32 cpu, Thread* t) { rq_[cpu].fpu_owner = t; }
    /// `t` is destroyed: no CPU may save registers into its FPU area any more.
    void forget_fpu(const Thread& t) {
        for (u32 cpu = 0; cpu < cpus_; ++cpu)
            if (rq_[cpu].fpu_owner == &t) rq_[cpu].fpu_owner = nullptr;
    }

    /// With several CPUs, when `cpu` returns to user mode (its thread did not block for
    /// the threads it woke): those kept here for it while an idle CPU could take them go.
    void share_waiting(u32 cpu) {
        if (rq_[cpu].kept_for_waker) {
            rq_[cpu].kept_for_waker = false;
            share(cpu);
        }
    }
    /// Number of Ready threads queued on `cpu`.
    u32 ready_count(u32 cpu) const { return rq_[cpu].ready; }

    // Receive deadlines (ThreadMethod::SetTimeout). The clock is the arch's (arch::clock_ns),
    // brought here by expire() at every tick while a deadline is armed, so deadlines have
    // the tick's granularity.
    /// The clock as of the last expire().
    u64 now() const { return now_; }
    /// Is any deadline armed (so the timer may yet wake a thread)?
    bool has_timeouts() const { return !timed_.empty(); }
    /// Arm `t`'s receive deadline (0: disarm).
    void set_timeout(Thread& t, u64 deadline);
    /// Has t's deadline passed (as of now())? Then it is disarmed: the caller fails the
    /// receive with TimedOut instead of blocking.
    bool timeout_passed(Thread& t) { return t.timeout_ && t.timeout_ <= now_ && (set_timeout(t, 0), true); }
    /// The clock reads `now`: every thread blocked in a receive whose deadline has passed
    /// wakes with TimedOut.
    void expire(u64 now);

  private:
    using RunList = ThreadList<&Thread::run_link_>;
    friend struct FastYieldLayout;
    // A CPU's queue, its lists apart (lists_): a power of two in size, so that finding a
    // CPU's by its number is a shift, not a multiply (the slowpaths do it; the locked
    // fastpath has its address: Cpu). (current, then ready and resched in one word: the
    // entry assembly's Yield reads them at the offsets of microkernel/sched/fast_yield.h,
    // without the lock when several CPUs run threads: what another CPU changes here that
    // the thread must not run past, it follows with an IPI, which the Yield's return to
    // user mode takes)
    struct alignas(128) RunQueue {
        Thread* current = nullptr;
        u32 ready = 0;
        bool resched = false;
        u8 zero[3] = {}; ///< (the rest of the entry's word)
        int top = -1; ///< top_priority()
        u64 bit = 0;            ///< Cpu::bit()
        PhysAddr loaded_root{}; ///< Cpu::loaded_root()
        RunList* lists = nullptr; ///< its FIFO per priority: lists_[its CPU]
        u64 bitmap[kPriorities / 64] = {};
        u64 summary = 0; ///< bit w: bitmap[w] is not zero
        Thread* fpu_owner = nullptr;
        bool kept_for_waker = false; ///< place_smp kept a thread here that an idle CPU could run
    };

    /// Where `t` is to run: where it was if its affinity allows, else the lowest CPU it
    /// allows (set_affinity guarantees there is one).
    [[gnu::always_inline]] u32 pick_cpu(const Thread& t) const {
        if (cpus_ == 1) return 0; // (set_affinity keeps CPU 0 allowed then)
        u64 allowed = t.affinity_ & cpu_mask();
        if (t.cpu_ < cpus_ && (allowed >> t.cpu_) & 1) return t.cpu_;
        return lowest_cpu(allowed);
    }
    /// The lowest CPU of a mask that is not zero. (mask & -mask is its bit alone, which a
    /// de Bruijn multiply names; riscv64 has no count-trailing-zeros, and libgcc's would be
    /// a call, making every path that places a thread save registers to make it.)
    [[gnu::always_inline]] static u32 lowest_cpu(u64 mask) {
        static constexpr u8 kBitIndex[64] = {
            0,  1,  2,  7,  3,  13, 8,  19, 4,  25, 14, 28, 9,  34, 20, 40, 5,  17, 26, 38, 15, 46,
            29, 48, 10, 31, 35, 54, 21, 50, 41, 57, 63, 6,  12, 18, 24, 27, 33, 39, 16, 37, 45, 47,
            30, 53, 49, 56, 62, 11, 23, 32, 36, 44, 52, 55, 61, 22, 43, 51, 60, 42, 59, 58};
        return kBitIndex[((mask & (~mask + 1)) * 0x0218a392cd3d5dbfull) >> 58];
    }
    /// A tick for `cur`, running: its CPU time (read by other CPUs: Thread::cpu_ticks) and
    /// its slice; true when the slice is used up (it starts again here). tick() and
    /// tick_alone() then decide what that means.
    static bool charge(Thread& cur) {
        __atomic_store_n(&cur.cpu_ticks_, cur.cpu_ticks_ + 1, __ATOMIC_RELAXED);
        if (cur.remaining_ > 0) --cur.remaining_;
        if (cur.remaining_ != 0) return false;
        cur.remaining_ = cur.time_slice_;
        return true;
    }
    /// Queue `t` (off every queue and off the CPU) on the CPU its affinity picks.
    void place(Thread& t);
    /// `t`'s CPU becomes `cpu` (moving: its FP/SIMD registers, if still live where it was,
    /// go to its area first).
    [[gnu::always_inline]] void move_to(Thread& t, u32 cpu) {
        fpu_home(t, cpu);
        t.cpu_ = cpu;
    }
    /// Queue `t` at the tail of its priority on `cpu`, which reschedules if that is worth it.
    [[gnu::always_inline]] void put(Thread& t, u32 cpu) {
        move_to(t, cpu);
        t.state_ = ThreadState::Ready;
        RunQueue& rq = rq_[cpu];
        enqueue(rq, t, false);
        if (!rq.current || t.priority_ > rq.current->priority_) {
            rq.resched = true;
            kick(cpu);
        }
    }

    // With several CPUs (SMP_ONLY, scheduler_smp.cpp): spreading threads over idle CPUs.
    /// place() with several CPUs. A thread woken (by IPC, a semaphore, a reply, a
    /// deadline; or re-placed while Ready) goes where it last ran if that CPU is idle or
    /// is the waker's own (the waker often blocks next, as a caller and its server do: the
    /// two keep one CPU), otherwise to an idle CPU its affinity allows, if any. A thread
    /// resumed (Thread.Resume: Created or Suspended) goes to an idle CPU whenever its own
    /// is busy. A thread left waiting on a busy CPU goes at that CPU's next tick to one
    /// that has become idle (share), or is taken by a CPU that runs out of work (steal).
    void place_smp(Thread& t);
    /// `t`'s CPU becomes the lowest one its affinity allows if it allows that one no more.
    void keep_within_affinity(Thread& t);
    /// Is `cpu` without a thread to run?
    bool idle(u32 cpu) const { return !rq_[cpu].current && !rq_[cpu].ready; }
    /// The lowest idle CPU `t` may use, or kNoCpu. `busy`: a CPU known not to be idle,
    /// not looked at (only the CPUs it may use are: a thread pinned to `busy` costs one test).
    u32 idle_cpu_for(const Thread& t, u32 busy) const;
    /// `cpu` has threads waiting while others idle: each that may go to an idle CPU goes.
    void share(u32 cpu);
    /// `cpu` has nothing to run: take the highest-priority thread waiting on another CPU
    /// that may run here, if any (it becomes Ready here).
    void steal(u32 cpu);
    static constexpr u32 kNoCpu = ~0u;
    void enqueue(RunQueue& rq, Thread& t, bool at_head);
    void dequeue(RunQueue& rq, Thread& t);
    /// Highest priority with a ready thread, or -1: kept in the queue (enqueue raises it,
    /// dequeue finds the next from the bitmaps when the top list empties).
    [[gnu::always_inline]] static int top_priority(const RunQueue& rq) { return rq.top; }
    /// The highest non-empty list, from the bitmaps: the summary's top bit from a table,
    /// then one count-leading-zeros; no scan.
    static int find_top(const RunQueue& rq);

    static constexpr u32 clamp_cpus(u32 n) { return n < 1 ? 1 : n > kMaxCpus ? kMaxCpus : n; }
    static constexpr u64 mask_of(u32 cpus) { return ~u64{0} >> (64 - cpus); } // (1 <= cpus <= 64)
    void kick(u32 cpu) {
        if (remote_) remote_(Remote::Kick, cpu, nullptr);
    }

    RunQueue rq_[kMaxCpus];
    RunList lists_[kMaxCpus][kPriorities];
    u32 cpus_;
    u64 cpu_mask_; ///< bits 0 .. cpus_ - 1
    RemoteFn remote_ = nullptr; // null: one CPU
    u32 (*this_cpu_)() = nullptr;
    ThreadList<&Thread::timeout_link_> timed_; // threads with a deadline armed
    u64 now_ = 0;
};
inline PhysAddr& Scheduler::Cpu::loaded_root() { return rq_.loaded_root; }
inline u64 Scheduler::Cpu::bit() const { return rq_.bit; }

} // namespace kernel
