// The big kernel lock (issue 14; seL4's model, "For a Microkernel, a Big Lock Is Fine",
// Peters et al., APSys 2015). Once several CPUs run threads (KernelState::smp), a CPU
// holds it whenever it runs kernel code: taken at every entry from user mode and from the
// idle wait, released on the way back to user mode and around the idle wait. The kernel
// is not preemptible and short, so one lock costs little and keeps every object
// single-threaded, as on one CPU.
//
// A ticket lock: FIFO, so no CPU starves. A CPU waiting for it keeps answering remote
// calls (smp.hpp), which the holder may be waiting for with interrupts masked on both
// sides: without that, the two would wait for each other forever.
#pragma once

#include <microkernel/types.hpp>

namespace kernel {

class KernelLock {
  public:
    /// Wait for this CPU's turn, answering remote calls meanwhile (smp.cpp).
    void acquire();
    /// The same with its uncontended case inline (the locked system-call path's).
    [[gnu::always_inline]] void acquire_inline() {
        const u32 ticket = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
        if (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) wait_turn(ticket);
    }
    /// The next ticket's turn. Only the holder writes `serving_`.
    void release() { __atomic_store_n(&serving_, serving_ + 1, __ATOMIC_RELEASE); }
    /// Is it held (by anyone)? For assertions and the idle decision's reports.
    bool held() const { return __atomic_load_n(&next_, __ATOMIC_RELAXED) != __atomic_load_n(&serving_, __ATOMIC_RELAXED); }

  private:
    void wait_turn(u32 ticket);

    u32 next_ = 0;    ///< the next ticket to hand out
    u32 serving_ = 0; ///< the ticket whose holder runs
};

} // namespace kernel
