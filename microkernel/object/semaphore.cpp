#include <microkernel/object/semaphore.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

Result<void> Semaphore::signal(Scheduler& scheduler) {
    if (Thread* t = waiters_.pop_front()) {
        t->blocked_on_ = nullptr;
        t->set_result({});
        scheduler.make_ready(*t);
        return {};
    }
    if (count_ == ~u64{0}) return Error::OutOfRange;
    ++count_;
    return {};
}

void Semaphore::wait(Thread& t, Scheduler& scheduler) {
    if (count_ > 0) {
        --count_;
        t.set_result({});
        return;
    }
    scheduler.make_unready(t);
    t.state_ = ThreadState::BlockedSemaphore;
    t.blocked_on_ = this;
    waiters_.push_back(t);
}

Result<void> Semaphore::try_wait() {
    if (count_ == 0) return Error::WouldBlock;
    --count_;
    return {};
}

void Semaphore::cancel(Thread& t) {
    waiters_.remove(t);
    t.blocked_on_ = nullptr;
}

void Semaphore::teardown(Scheduler& scheduler) {
    while (Thread* t = waiters_.pop_front()) {
        t->blocked_on_ = nullptr;
        t->set_result(Error::PeerGone);
        scheduler.make_ready(*t);
    }
}

} // namespace kernel
