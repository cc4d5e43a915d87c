// The kernel's global state, declared in one place (as seL4's statedata): everything that
// exists once per kernel rather than once per object. Code that needs it is handed the
// piece it uses; only the boot path and the arch's entry points reach g_kernel directly.
#pragma once

#include <microkernel/frame_allocator.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

struct KernelState {
    FrameAllocator frames;  ///< physical memory the kernel has not handed to anyone yet
    Scheduler scheduler{1}; ///< one CPU until the secondary CPUs are started
    volatile u64 ticks = 0; ///< timer interrupts since the timer started (CPU 0)
};

extern KernelState g_kernel;

} // namespace kernel
