// The big kernel lock's inline halves (microkernel/kernel_lock.hpp): tickets served in
// order, the served ticket and the sleepers' count sharing one word without disturbing
// each other, and mutual exclusion between real threads. (Its waiting and waking are
// the kernel's, smp.cpp: the boot suites with four CPUs and `scripts/bench --stress`.)
#include <catch2/catch.hpp>
#include <microkernel/kernel_lock.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace kernel;

namespace {
void take(KernelLock& lock) {
    const u32 ticket = lock.take_ticket();
    while (!lock.is_turn(ticket)) std::this_thread::yield();
}
} // namespace

TEST_CASE("kernel lock: each ticket's turn comes after the one before, across the tickets' wrap") {
    KernelLock lock(0xffff'fff0u); // (the served ticket wraps off its word's upper half)
    for (int i = 0; i < 32; ++i) {
        INFO("acquisition " << i);
        const u32 first = lock.take_ticket();
        CHECK(first == static_cast<u32>(0xffff'fff0u + 2 * i));
        CHECK(lock.is_turn(first));
        CHECK(lock.held());
        const u32 second = lock.take_ticket();
        CHECK_FALSE(lock.is_turn(second));
        CHECK_FALSE(lock.release_but_wake()); // (nobody sleeps: no wake to send)
        CHECK(lock.is_turn(second));
        CHECK(lock.held());
        CHECK_FALSE(lock.release_but_wake());
        CHECK_FALSE(lock.held());
    }
}

TEST_CASE("kernel lock: four threads taking it in turn never overlap and lose no increment") {
    KernelLock lock;
    constexpr int kThreads = 4, kRounds = 5000;
    long counter = 0; // (guarded by the lock alone)
    std::atomic<int> inside{0}, overlaps{0}, wakes{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kRounds; ++i) {
                take(lock);
                if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
                ++counter;
                inside.fetch_sub(1);
                if (lock.release_but_wake()) wakes.fetch_add(1);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(counter == kThreads * kRounds);
    CHECK(overlaps.load() == 0);
    CHECK(wakes.load() == 0);
    CHECK_FALSE(lock.held());
}
