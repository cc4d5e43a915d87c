// Destruction of kernel objects, without recursion.
//
// Deleting a capability can destroy an object whose destruction deletes more
// capabilities (a cap space's slots, a thread's cap space and fault endpoint), which can
// destroy more objects, to any depth. Instead of recursing, an object whose last
// capability goes is queued here and destroyed by drain(), which the operation that
// deleted the capability calls once at the end.
//
// One FIFO is enough to destroy an untyped only after everything carved from it: an
// untyped has exactly one capability (untyped capabilities cannot be copied), every
// capability to an object carved from it descends from that one, and deleting it
// revokes them first. So each such object is queued before its untyped.
#pragma once

#include <microkernel/object/object.hpp>

namespace kernel {

class Scheduler;

class Reaper {
  public:
    explicit Reaper(Scheduler& scheduler) : scheduler_(scheduler) {}

    /// Queue an object whose last capability was deleted.
    void retire(KernelObject& object);
    /// Destroy everything queued, including what destroying it queues in turn. Does
    /// nothing while held.
    void drain();
    /// Postpone destruction until the matching release() (the syscall layer holds the
    /// reaper while a handler runs, so a thread that deletes its own last capability is
    /// still there when the handler writes its result).
    void hold() { ++held_; }
    void release() {
        if (--held_ == 0) drain();
    }
    /// Objects destroyed so far (for tests and statistics).
    u64 destroyed() const { return destroyed_; }

  private:
    void destroy(KernelObject& object);

    Scheduler& scheduler_;
    KernelObject* head_ = nullptr;
    KernelObject* tail_ = nullptr;
    u64 destroyed_ = 0;
    u32 held_ = 0;
};

} // namespace kernel
