// The scheduler's choices that exist only when several CPUs run threads (Scheduler::place_smp):
// spreading threads over idle CPUs. Everything here runs under the big kernel lock, so
// every CPU's queue holds still while it is read.
#include <base/boot_only.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

[[gnu::always_inline]] inline u32 Scheduler::idle_cpu_for(const Thread& t, u32 busy) const {
    for (u64 allowed = t.affinity_ & cpu_mask() & ~(u64{1} << busy); allowed; allowed &= allowed - 1)
        if (const u32 cpu = lowest_cpu(allowed); idle(cpu)) return cpu;
    return kNoCpu;
}

SMP_ONLY [[gnu::noinline]] void Scheduler::place_smp(Thread& t) {
    u32 cpu = t.cpu_; // (one its affinity allows: requeue keeps it so)
    const bool resumed = t.state_ == ThreadState::Created || t.state_ == ThreadState::Suspended;
    if (!idle(cpu)) {
        const u32 other = idle_cpu_for(t, cpu);
        if (other != kNoCpu) {
            if (resumed || cpu != this_cpu_()) cpu = other;
            else rq_[cpu].kept_for_waker = true; // (share_waiting, if the waker does not block)
        }
    }
    put(t, cpu);
}

SMP_ONLY [[gnu::noinline]] void Scheduler::share(u32 cpu) {
    RunQueue& rq = rq_[cpu];
    bool any_idle = false;
    for (u32 other = 0; other < cpus_; ++other) any_idle |= idle(other);
    if (!any_idle) return;
    // Each waiting thread once, highest priority first (`left`: the lists below the
    // last one are not walked).
    u32 left = rq.ready;
    for (int prio = rq.top; prio >= 0 && left; --prio) {
        for (Thread *t = rq.lists[prio].front(), *next; t; t = next) {
            next = t->run_link_.next;
            --left;
            const u32 to = idle_cpu_for(*t, cpu);
            if (to == kNoCpu) continue;
            dequeue(rq, *t);
            put(*t, to);
        }
    }
}

SMP_ONLY [[gnu::noinline]] void Scheduler::steal(u32 cpu) {
    Thread* best = nullptr;
    for (u32 other = 0; other < cpus_; ++other) {
        const RunQueue& rq = rq_[other];
        if (other == cpu || !rq.ready) continue;
        // Its highest-priority thread that may run here (FIFO within a priority).
        for (int prio = rq.top; prio >= 0; --prio) {
            if (best && prio <= static_cast<int>(best->priority_)) break;
            Thread* t = rq.lists[prio].front();
            while (t && !((t->affinity_ >> cpu) & 1)) t = t->run_link_.next;
            if (t) {
                best = t;
                break;
            }
        }
    }
    if (!best) return;
    dequeue(rq_[best->cpu_], *best);
    put(*best, cpu);
    rq_[cpu].resched = false; // (the caller, schedule(), chooses next)
}

} // namespace kernel
