// A counting semaphore: the join primitive. Waiters queue FIFO; signal wakes the first
// waiter or, if none, counts.
#pragma once

#include <microkernel/object/thread.hpp>

namespace kernel {

class Semaphore : public KernelObject {
  public:
    Semaphore() : KernelObject(ObjectType::Semaphore) {}

    u64 count() const { return count_; }
    bool has_waiters() const { return !waiters_.empty(); }

    /// Wake the first waiter (its Wait returns 0) or add one to the count. OutOfRange if
    /// the count is already at its maximum.
    Result<void> signal(Scheduler& scheduler);
    /// Take one from the count, or block `t` (which must be running) until a signal.
    /// The result lands in t's registers (set_result).
    void wait(Thread& t, Scheduler& scheduler);
    /// Take one from the count; WouldBlock if it is zero.
    Result<void> try_wait();

    /// Take a waiter off the queue (it was suspended or destroyed).
    void cancel(Thread& t);
    /// Part of destruction: every waiter wakes with PeerGone.
    void teardown(Scheduler& scheduler);

  private:
    u64 count_ = 0;
    ThreadList<&Thread::wait_link_> waiters_;
};

} // namespace kernel
