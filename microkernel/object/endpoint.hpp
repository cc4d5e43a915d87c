// Synchronous IPC. An endpoint has no buffer: a message goes from the sender's
// registers and IPC buffer straight to the receiver's at the moment both are there, so
// one of the two always waits in a FIFO queue. A call also links caller and receiver
// through a one-shot reply capability (kept in the receiving thread, as classic seL4
// kept it in the TCB's reply slot); the reply consumes it.
//
// Every partner that can disappear is accounted for: a queued thread that is suspended
// or destroyed leaves the queue; a destroyed endpoint wakes all its queued threads with
// PeerGone; a server destroyed while owing a reply wakes its caller with PeerGone; a
// server that accepts a new call while still owing an older reply fails the older caller
// the same way.
#pragma once

#include <microkernel/object/thread.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

class Endpoint : public KernelObject {
  public:
    Endpoint() : KernelObject(ObjectType::Endpoint) {}

    /// What the sender's capability allows, decided by the syscall layer.
    struct SendOptions {
        u64 badge = 0;      ///< the badge of the endpoint capability used
        bool grant = false; ///< the capability has the Grant right: caps may travel
    };

    /// Send the message in `sender`'s registers; `sender` blocks until a receiver takes
    /// it. The message (MessageInfo in kRegInfo) must already be validated.
    void send(Thread& sender, SendOptions options, Scheduler& scheduler);
    /// Send, then wait for the reply.
    void call(Thread& caller, SendOptions options, Scheduler& scheduler);
    /// Take the first queued message, or block until one comes.
    void receive(Thread& receiver, Scheduler& scheduler);
    /// Answer the caller `server` owes a reply to. NotFound if there is none (never
    /// called, already replied, or the caller was suspended or destroyed meanwhile).
    static Result<void> reply(Thread& server, Scheduler& scheduler);
    /// Reply if a reply is owed, then receive.
    void reply_receive(Thread& server, Scheduler& scheduler);

    /// The fastpath (syscall/fastpath.cpp): the whole call, or reply and receive, for the
    /// common case only: a message without capabilities (already checked by the caller)
    /// whose words beyond the registers go between two IPC buffers, the partner waiting,
    /// no fault, no earlier reply owed, no deadline, and the partner able to take `cpu`
    /// at once (Scheduler::can_hand_over). Then the partner
    /// is made current with no run-queue operation and returned; otherwise (null) nothing
    /// has changed and the slowpath does the same work by its general means.
    Thread* fast_call(Thread& caller, const Capability& cap, Scheduler::Cpu cpu, Scheduler& scheduler);
    Thread* fast_reply_receive(Thread& server, Scheduler::Cpu cpu, Scheduler& scheduler);
    /// A Linux-ABI thread's system call (Thread::linux_syscall) on the fastpath: the same
    /// conditions, and the receiver has an IPC buffer for the call's nine words. The
    /// answer (FaultReply::Resume with the result in mr0) takes fast_reply_receive.
    Thread* fast_linux_call(Thread& caller, u64 badge, u32 result_reg, Scheduler::Cpu cpu, Scheduler& scheduler);

    /// The answer to a fault: the label (an abi::FaultReply) says what becomes of the
    /// thread, ip and sp are its new registers for ResumeWithRegs. check_fault_answer
    /// validates before anything changes; finish_fault acts on a caller already unlinked
    /// from whoever owed it the answer. Shared by reply() and kept replies (reply.cpp).
    static Result<void> check_fault_answer(u64 label, u32 length);
    static void finish_fault(Thread& caller, u64 label, u64 ip, u64 sp, Scheduler& scheduler);

    bool has_senders() const { return !senders_.empty(); }
    bool has_receivers() const { return !receivers_.empty(); }

    /// Take a queued thread off its queue (it was suspended or destroyed).
    void cancel(Thread& t);
    /// Part of destruction: every queued thread wakes with PeerGone.
    void teardown(Scheduler& scheduler);

  private:
    /// The fastpath's receiver for `caller`'s call: the head of the queue if it can take
    /// the message at once (fast_call's conditions), else null.
    Thread* fast_receiver(const Thread& caller, Scheduler::Cpu cpu, const Scheduler& scheduler) const;
    /// The fastpath's call, the message already with `receiver` (fast_receiver's): it
    /// leaves the queue and runs, owing `caller` its reply.
    void fast_deliver_call(Thread& caller, Thread& receiver, bool grant, Scheduler::Cpu cpu, Scheduler& scheduler);
    void enqueue_sender(Thread& sender, SendOptions options, bool is_call, Scheduler& scheduler);
    /// Deliver `sender`'s message to `receiver` (who is off every queue).
    static void deliver(Thread& sender, Thread& receiver, u64 badge, bool grant, bool is_call,
                        Scheduler& scheduler);

    ThreadList<&Thread::wait_link_> senders_;
    ThreadList<&Thread::wait_link_> receivers_;
};

/// Copy the message (info, message registers, granted capabilities) from one thread to
/// another and complete the receiver's operation. Cannot fail: caps that cannot be
/// transferred (no grant, no receive slot, slot taken) are left out and MessageInfo::caps
/// says how many arrived; words beyond the receiver's capacity are cut off.
void transfer_message(Thread& from, Thread& to, u64 badge, bool grant);

} // namespace kernel
