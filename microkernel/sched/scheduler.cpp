#include <microkernel/sched/scheduler.hpp>
#include <microkernel/sched/fast_yield.h>

#include <cstddef>

namespace kernel {

void Scheduler::enqueue(RunQueue& rq, Thread& t, bool at_head) {
    RunList& list = rq.lists[t.priority_];
    if (at_head) list.push_front(t);
    else list.push_back(t);
    rq.bitmap[t.priority_ / 64] |= u64{1} << (t.priority_ % 64);
    rq.summary |= u64{1} << (t.priority_ / 64);
    if (static_cast<int>(t.priority_) > rq.top) rq.top = static_cast<int>(t.priority_);
    ++rq.ready;
}

int Scheduler::find_top(const RunQueue& rq) {
    static constexpr signed char kTopBit[16] = {-1, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
    int w = kTopBit[rq.summary];
    return w < 0 ? -1 : w * 64 + 63 - __builtin_clzll(rq.bitmap[w]);
}

void Scheduler::dequeue(RunQueue& rq, Thread& t) {
    RunList& list = rq.lists[t.priority_];
    list.remove(t);
    if (list.empty()) {
        u64& word = rq.bitmap[t.priority_ / 64];
        word &= ~(u64{1} << (t.priority_ % 64));
        if (!word) rq.summary &= ~(u64{1} << (t.priority_ / 64));
        if (static_cast<int>(t.priority_) == rq.top) rq.top = find_top(rq);
    }
    --rq.ready;
}

void Scheduler::make_ready(Thread& t) {
    // Queueing a thread twice would corrupt its queue; every caller wakes a thread
    // that is off the CPU, so this only guards against a future mistake.
    if (t.state_ == ThreadState::Ready || t.state_ == ThreadState::Running) return;
    place(t);
}

[[gnu::noinline]] void Scheduler::place(Thread& t) {
    if (remote_) return place_smp(t);
    put(t, pick_cpu(t));
}

void Scheduler::make_unready(Thread& t) {
    RunQueue& rq = rq_[t.cpu_];
    if (t.state_ == ThreadState::Running && rq.current == &t) {
        stall(t, Remote::TakeOff); // (running on another CPU: it must stop there before it is moved)
        rq.current = nullptr;
        rq.resched = true;
    } else if (t.state_ == ThreadState::Ready) {
        dequeue(rq, t);
    }
}

void Scheduler::set_priority(Thread& t, u32 priority) {
    if (t.state_ == ThreadState::Ready) {
        dequeue(rq_[t.cpu_], t);
        t.priority_ = priority;
        place(t);
        return;
    }
    t.priority_ = priority;
    if (t.state_ == ThreadState::Running) {
        rq_[t.cpu_].resched = true;
        kick(t.cpu_);
    }
}

// Every thread's CPU stays one its affinity allows (place_smp counts on it): requeue,
// where an affinity changes, moves a thread whose CPU it no longer allows.
[[gnu::noinline]] void Scheduler::keep_within_affinity(Thread& t) {
    if (!((t.affinity_ >> t.cpu_) & 1)) move_to(t, pick_cpu(t));
}

void Scheduler::requeue(Thread& t) {
    if (t.state_ == ThreadState::Ready) {
        dequeue(rq_[t.cpu_], t);
        keep_within_affinity(t);
        place(t);
    } else if (t.state_ == ThreadState::Running) {
        const u32 was = t.cpu_;
        // A lower priority or a CPU it may no longer use: let schedule() decide.
        rq_[was].resched = true;
        if (!((t.affinity_ >> was) & 1)) {
            stall(t, Remote::TakeOff);
            rq_[was].current = nullptr;
            keep_within_affinity(t);
            place(t);
        }
        kick(was);
    } else {
        keep_within_affinity(t); // (blocked or stopped: only its CPU changes)
    }
}

Thread* Scheduler::schedule(u32 cpu) {
    RunQueue& rq = rq_[cpu];
    rq.resched = false;
    Thread* cur = rq.current;
    int top = top_priority(rq);
    if (cur) {
        int prio = static_cast<int>(cur->priority_);
        bool keep = top < prio || (top == prio && !cur->slice_expired_);
        if (keep) return cur;
        // Preempted by a higher priority: keep its place and the rest of its slice.
        // Out of time (or yielded): to the tail, where equal priorities take turns.
        bool at_head = !cur->slice_expired_;
        cur->slice_expired_ = false;
        cur->state_ = ThreadState::Ready;
        enqueue(rq, *cur, at_head);
        rq.current = nullptr;
    }
    if (top < 0 && !cur) {
        if (!remote_) return nullptr;
        steal(cpu);
        if (!rq.ready) return nullptr;
    }
    top = top_priority(rq);
    Thread* next = rq.lists[top].front();
    dequeue(rq, *next);
    next->state_ = ThreadState::Running;
    rq.current = next;
    return next;
}

bool Scheduler::tick(u32 cpu) {
    RunQueue& rq = rq_[cpu];
    Thread* cur = rq.current;
    if (!cur) {
        if (rq.ready) rq.resched = true;
        return rq.resched;
    }
    if (charge(*cur)) {
        cur->slice_expired_ = true;
        // Only worth a switch if someone of the same or higher priority waits.
        if (top_priority(rq) >= static_cast<int>(cur->priority_)) rq.resched = true;
        else cur->slice_expired_ = false;
    }
    if (remote_ && rq.ready) share(cpu);
    return rq.resched;
}

void Scheduler::set_timeout(Thread& t, u64 deadline) {
    if (t.timeout_) timed_.remove(t);
    t.timeout_ = deadline;
    if (deadline) timed_.push_back(t);
}

void Scheduler::expire(u64 now) {
    if (now > now_) now_ = now;
    for (Thread *t = timed_.front(), *next; t; t = next) {
        next = t->timeout_link_.next;
        if (t->timeout_ > now_ || t->state_ != ThreadState::BlockedReceive) continue; // (a running thread
        set_timeout(*t, 0);                                // finds it passed at its next receive)
        t->cancel_blocking(Error::TimedOut, *this);
        make_ready(*t);
    }
}

void Scheduler::yield(u32 cpu) {
    RunQueue& rq = rq_[cpu];
    if (!rq.current) return;
    rq.current->remaining_ = rq.current->time_slice_;
    rq.current->slice_expired_ = true;
    rq.resched = true;
}

// The entry assembly's Yield (fast_yield.h) reads these fields where the header says.
// (offsetof of a class with private members and a base: GCC lays it out as written.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
struct FastYieldLayout {
    static_assert(FAST_YIELD_SYSCALL == static_cast<int>(abi::Syscall::Yield));
    static_assert(offsetof(Scheduler::RunQueue, current) == FAST_YIELD_RQ_CURRENT);
    static_assert(offsetof(Scheduler::RunQueue, ready) == FAST_YIELD_RQ_BUSY &&
                  offsetof(Scheduler::RunQueue, resched) == FAST_YIELD_RQ_BUSY + 4 &&
                  offsetof(Scheduler::RunQueue, zero) == FAST_YIELD_RQ_BUSY + 5 &&
                  offsetof(Scheduler::RunQueue, top) == FAST_YIELD_RQ_BUSY + 8);
    static_assert(offsetof(Thread, time_slice_) == FAST_YIELD_TIME_SLICE);
    static_assert(offsetof(Thread, remaining_) == FAST_YIELD_REMAINING);
    static_assert(offsetof(Thread, slice_expired_) == FAST_YIELD_SLICE_EXPIRED);
    static_assert(offsetof(Thread, linux_abi_) == FAST_YIELD_LINUX_ABI && sizeof(Thread::linux_abi_) == 1);
    static_assert(sizeof(Thread::time_slice_) == 4 && sizeof(Thread::remaining_) == 4 &&
                  sizeof(Scheduler::RunQueue::ready) == 4 && sizeof(Thread::slice_expired_) == 1);
};
#pragma GCC diagnostic pop

} // namespace kernel
