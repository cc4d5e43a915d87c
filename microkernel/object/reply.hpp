// A kept reply: where a server puts the one-shot reply capability of a caller it cannot
// answer yet, so it can serve other callers meanwhile and answer this one later.
//
// Each thread owes at most one implicit reply (to the last Call it received); Keep
// moves that reply into a Reply object, which the server created from its own untyped
// memory and holds in a slot of its cap space. Send answers through it, once; the
// object is then empty and can keep another. A caller that is suspended or destroyed
// while its reply is kept leaves the object empty (Send says PeerGone, once), and a
// Reply object destroyed while it holds a caller wakes that caller with PeerGone: no
// caller ever hangs on a reply that can no longer come.
#pragma once

#include <microkernel/object/thread.hpp>

namespace kernel {

class Reply : public KernelObject {
  public:
    Reply() : KernelObject(ObjectType::Reply) {}

    /// The caller waiting on this reply, or null.
    const Thread* caller() const { return caller_; }

    /// Take the reply `server` owes. NotFound: it owes none; Busy: this object already
    /// holds a caller.
    Result<void> keep(Thread& server);
    /// Answer the kept caller with `label` and `words` (as Endpoint::reply would with the
    /// same message; a faulting caller reads the label as an abi::FaultReply). NotFound:
    /// nothing is kept (never kept, or already answered); PeerGone: the caller was
    /// suspended or destroyed since it was kept.
    Result<void> send(u64 label, const u64* words, u32 count, Scheduler& scheduler);

    /// The kept caller is being suspended or destroyed (Thread::cancel_blocking).
    void forget_caller();
    /// Part of destruction: a kept caller wakes with PeerGone.
    void teardown(Scheduler& scheduler);

  private:
    Thread* caller_ = nullptr;
    bool lost_ = false; ///< the kept caller vanished; the next Send says so
};

} // namespace kernel
