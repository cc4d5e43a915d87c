/* The null system call in each arch's entry assembly: a Yield that finds nothing else to
   run (no other thread ready on this CPU, no reschedule asked for) gives its thread a
   fresh time slice, as Scheduler::yield_in_place does, and returns to it at once, before
   a single register is saved. The entry reads and writes these fields directly, through
   the run queue its CPU's own data names (kernel::fast_yield_run_queue); scheduler.cpp checks every
   offset against the C++ layout, so a change there fails the build until this follows.
   With several CPUs too, and without the big kernel lock: it reads only its own CPU's
   queue and its own thread, which another CPU changes only by a remote call or with an
   IPI after (microkernel/kernel_lock.hpp); that reaches the CPU once it is back in user
   mode, so a Yield that read the queue just before such a change is a Yield made just
   before it. (A C header: the .S files include it.) */
#ifndef MICROKERNEL_SCHED_FAST_YIELD_H
#define MICROKERNEL_SCHED_FAST_YIELD_H

#define FAST_YIELD_SYSCALL 5          /* abi::Syscall::Yield */
#define FAST_YIELD_RQ_CURRENT 0       /* Scheduler::RunQueue::current (Thread*) */
#define FAST_YIELD_RQ_BUSY 8          /*   ::ready (u32: threads ready, the current one not counted),
                                         ::resched (bool) and three zero bytes: one u64, zero
                                         when the Yield may stay (one load, one test) */
#define FAST_YIELD_TIME_SLICE 1480    /* Thread::time_slice_ (u32) */
#define FAST_YIELD_REMAINING 1484     /* Thread::remaining_ (u32) */
#define FAST_YIELD_SLICE_EXPIRED 1488 /* Thread::slice_expired_ (bool) */
#define FAST_YIELD_LINUX_ABI 1489     /* Thread::linux_abi_ (bool): its 5 is Linux's, not a Yield */

#endif
