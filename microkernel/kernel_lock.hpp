// The big kernel lock (issue 14; seL4's model, "For a Microkernel, a Big Lock Is Fine",
// Peters et al., APSys 2015). Once several CPUs run threads (KernelState::smp), a CPU
// holds it whenever it runs kernel code: taken at every entry from user mode and from the
// idle wait, released on the way back to user mode and around the idle wait. The kernel
// is not preemptible and short, so one lock costs little and keeps every object
// single-threaded, as on one CPU. Two entries go without it: the null system call, which
// each arch's entry assembly answers before it saves a register, reading only its own
// CPU's queue and thread (microkernel/sched/fast_yield.h says why that is safe), and for
// the same reason a timer tick from user mode on a CPU other than the boot CPU whose
// thread is alone there (kernel::on_user_tick_unlocked, Scheduler::tick_alone).
//
// A ticket lock: FIFO, so no CPU starves. A CPU waiting for it keeps answering remote
// calls (smp.hpp), which the holder may be waiting for with interrupts masked on both
// sides: without that, the two would wait for each other forever. A waiter that has
// looked kSpinsBeforeSleep times sleeps until an interrupt (arch::sleep_until_interrupt:
// remote calls still reach it, as IPIs; the boot CPU, whose interrupts need the lock,
// with them masked where an interrupt pending ends the wait all the same, else it
// spins), and the release that makes it its turn wakes it with an IPI. Under QEMU with
// more vCPUs than host cores a spinning waiter keeps a host core from the holder, and
// a turn handed to a vCPU the host has not scheduled waits for the host: on a two-core
// machine, four ping-pong pairs at once, one per CPU, made 779 round trips per second on
// x86_64 with spinning waiters, 26,985 with sleeping ones (docs/performance.md, "SMP").
#pragma once

#include <base/types.hpp>

namespace kernel {

class KernelLock {
  public:
    constexpr KernelLock() = default;
    /// A lock whose first ticket is `first` (tests: the tickets' wrap).
    constexpr explicit KernelLock(u32 first) : next_(first), turn_(u64{first} << 32) {}
    /// Wait for this CPU's turn, answering remote calls meanwhile (smp.cpp).
    void acquire();
    /// acquire()'s halves, for the system call's entry, which takes the uncontended case
    /// inline: a ticket, and whether it is its turn already (else wait_turn).
    [[gnu::always_inline]] u32 take_ticket() { return __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED); }
    [[gnu::always_inline]] bool is_turn(u32 ticket) const { return serving(__ATOMIC_ACQUIRE) == ticket; }
    void wait_turn(u32 ticket);
    /// The next ticket's turn (its CPU woken if it sleeps). Only the holder moves the turn.
    [[gnu::always_inline]] void release() {
        if (release_but_wake()) [[unlikely]] wake();
    }
    /// release() for code that calls nothing (the system call's fastpath): true if a CPU
    /// may sleep for its turn, to be woken by wake() after all.
    [[gnu::always_inline]] bool release_but_wake() {
        // (the next ticket's turn and, in the same atomic add, whether anyone sleeps: a
        // waiter says it sleeps by an add to the same word, which reads the turn; of the
        // two adds, the later sees the earlier's, wait_turn)
        return static_cast<u32>(__atomic_fetch_add(&turn_, kServingOne, __ATOMIC_SEQ_CST)) != 0;
    }
    /// The CPU sleeping for the ticket served now, if one is, gets an IPI. (Called after
    /// the release, it may find a later ticket served: then the earlier one has run, and
    /// the later one's release looked for sleepers itself; the IPI is one too many.)
    void wake();
    /// Is it held (by anyone)? For assertions and the idle decision's reports.
    bool held() const { return __atomic_load_n(&next_, __ATOMIC_RELAXED) != serving(__ATOMIC_RELAXED); }

    static constexpr u32 kCpus = 64; ///< (smp.hpp's kMaxCpus)

  private:
    u32 next_ = 0; ///< the next ticket to hand out
    /// The ticket whose holder runs (the upper half: added to there, it wraps off the
    /// word's end as a u32 would) and the number of waiters asleep or about to be (the
    /// lower half: never below zero, so it never borrows from the ticket). One word, so
    /// that the release's one atomic add also reads the sleepers.
    union {
        u64 turn_ = 0;
        u32 turn_halves_[2]; // (read alone: turn_halves_[1] is the ticket, little-endian)
    };
    static constexpr u64 kServingOne = u64{1} << 32;
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    [[gnu::always_inline]] u32 serving(int order) const { return __atomic_load_n(&turn_halves_[1], order); }
    u32 asleep_[kCpus]; ///< a sleeping CPU's ticket + 1, else 0 (the kernel's is static: zero)
};

} // namespace kernel
