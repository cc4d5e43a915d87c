// The kernel's global state, declared in one place (as seL4's statedata): everything that
// exists once per kernel rather than once per object. Code that needs it is handed the
// piece it uses; only the boot path and the arch's entry points reach g_kernel directly.
#pragma once

#include <microkernel/asid_pool.hpp>
#include <microkernel/frame_allocator.hpp>
#include <microkernel/kernel_lock.hpp>
#include <microkernel/object/reaper.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

struct KernelState {
    FrameAllocator frames;  ///< physical memory the kernel has not handed to anyone yet
    Scheduler scheduler{1}; ///< one CPU until the secondary CPUs are started
    Reaper reaper{scheduler}; ///< destroys objects whose last capability went
    AsidPool asids;           ///< address-space identifiers (init from arch::asid_count())
    u64 user_interrupts = 0;  ///< interrupts that arrived while user code ran (under the lock: not
                              ///< the ticks charged without it, kernel::on_user_tick_unlocked)
    volatile u64 ticks = 0; ///< timer interrupts since the timer started (CPU 0)
    /// Several CPUs run threads: every kernel entry takes `lock` (kernel_lock.hpp), and
    /// system calls take the locked path (smp.hpp). False on one CPU, which pays nothing.
    bool smp = false;
    KernelLock lock;
};

extern KernelState g_kernel;

} // namespace kernel
