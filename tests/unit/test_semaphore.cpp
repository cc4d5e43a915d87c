// Counting semaphores: the join primitive.
#include "kernel_world.hpp"

using namespace kernel;

TEST_CASE("semaphore: signal counts, wait takes, waiters wake in FIFO order") {
    KernelWorld w;
    Semaphore& s = w.semaphore(2);
    Thread& a = w.thread(3);
    Thread& b = w.thread(4);
    REQUIRE(a.resume(w.sched).ok());
    REQUIRE(b.resume(w.sched).ok());

    CHECK(s.try_wait().error() == Error::WouldBlock);
    REQUIRE(s.signal(w.sched).ok());
    REQUIRE(s.signal(w.sched).ok());
    CHECK(s.count() == 2);
    CHECK(s.try_wait().ok());
    a.set_reg(abi::kRegCap, 77);
    s.wait(a, w.sched); // takes the last one, does not block
    CHECK(KernelWorld::result(a) == 0);
    CHECK(a.state() == ThreadState::Ready);
    CHECK(s.count() == 0);

    s.wait(a, w.sched);
    s.wait(b, w.sched);
    CHECK(a.state() == ThreadState::BlockedSemaphore);
    CHECK(b.state() == ThreadState::BlockedSemaphore);
    CHECK(w.sched.ready_count(0) == 0);
    REQUIRE(s.signal(w.sched).ok());
    CHECK(a.state() == ThreadState::Ready);
    CHECK(b.state() == ThreadState::BlockedSemaphore);
    CHECK(s.count() == 0);
    REQUIRE(s.signal(w.sched).ok());
    CHECK(b.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(b) == 0);
}

TEST_CASE("semaphore: a waiter suspended or destroyed leaves the queue cleanly") {
    KernelWorld w;
    Semaphore& s = w.semaphore(2);
    Thread& a = w.thread(3);
    Thread& b = w.thread(4);
    REQUIRE(a.resume(w.sched).ok());
    REQUIRE(b.resume(w.sched).ok());
    s.wait(a, w.sched);
    s.wait(b, w.sched);
    a.suspend(w.sched);
    CHECK(a.state() == ThreadState::Suspended);
    CHECK(KernelWorld::result(a) == KernelWorld::err(Error::Interrupted));
    w.remove(4); // b dies while waiting
    CHECK_FALSE(s.has_waiters());
    REQUIRE(s.signal(w.sched).ok());
    CHECK(s.count() == 1); // nobody was woken: the count keeps it
    CHECK(a.state() == ThreadState::Suspended);
}

TEST_CASE("semaphore: destroying it wakes every waiter with an error") {
    KernelWorld w;
    w.semaphore(2);
    Thread& a = w.thread(3);
    REQUIRE(a.resume(w.sched).ok());
    w.cs->slot(2).as<Semaphore>().wait(a, w.sched);
    w.remove(2);
    CHECK(a.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(a) == KernelWorld::err(Error::PeerGone));
}
