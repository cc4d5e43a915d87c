// A thread: a register file the arch interprets, a scheduling state, and the
// capabilities it runs with (cap space, address space, IPC buffer frame, fault
// endpoint), which it holds as real capabilities in its own slots: the objects live as
// long as the thread refers to them, and revoking the originals detaches them.
#pragma once

#include <abi/abi.hpp>
#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/thread_list.hpp>
#include <base/result.hpp>

namespace kernel {

class Scheduler;
class Reaper;
class CapSpace;
class Reply;

enum class ThreadState : u8 {
    Created,          ///< never resumed
    Ready,            ///< on a run queue
    Running,          ///< current on its CPU
    BlockedSend,      ///< queued on an endpoint to send or call
    BlockedReceive,   ///< queued on an endpoint to receive
    BlockedReply,     ///< called, waiting for the reply
    BlockedSemaphore, ///< queued on a semaphore
    Suspended,        ///< stopped by Suspend (or a fault) until Resume
    Dead,             ///< destroyed; never seen by anyone holding a capability
};

constexpr bool is_blocked(ThreadState s) {
    return s == ThreadState::BlockedSend || s == ThreadState::BlockedReceive ||
           s == ThreadState::BlockedReply || s == ThreadState::BlockedSemaphore;
}

class Thread : public KernelObject {
  public:
    static constexpr u32 kMaxPriority = 255;
    static constexpr u32 kDefaultPriority = 100;
    static constexpr u32 kDefaultTimeSlice = 5; ///< ticks

    Thread() : KernelObject(ObjectType::Thread) {}

    ThreadState state() const { return state_; }
    u32 priority() const { return priority_; }
    u32 time_slice() const { return time_slice_; }
    u32 remaining() const { return remaining_; }
    /// Timer ticks that found it running (Thread.ReadCpuTime).
    u64 cpu_ticks() const { return __atomic_load_n(&cpu_ticks_, __ATOMIC_RELAXED); } // (Scheduler::tick_alone)
    /// Out of time or yielded: when it leaves the CPU it goes to the tail of its priority.
    bool slice_expired() const { return slice_expired_; }
    u64 affinity() const { return affinity_; }
    u32 cpu() const { return cpu_; }
    u64 tls_base() const { return tls_base_; }

    /// The portable register file (abi::Reg names the first few words).
    u64 reg(u32 index) const { return regs_[index]; }
    /// The whole register file, for the arch's entry and exit (a write through it must be
    /// followed by registers_written()), and the FPU/SIMD area, for arch::fpu_switch.
    u64* register_file() { return regs_; }
    void* fpu_area() { return fpu_; }
    void set_reg(u32 index, u64 value) {
        regs_[index] = value;
        // The registers the arch must check before they reach the CPU: IP, SP and its own
        // (status, TLS...). The syscall words in between are the thread's business.
        if (index < abi::kRegSyscall || index >= abi::kRegArchFirst) registers_written();
    }
    /// Lazy FPU: true the first time the thread wants the FP/SIMD registers, when its FPU
    /// area is to get the arch's reset state (arch::init_fpu_area); never used until then.
    bool first_fpu_use() {
        bool first = !fpu_used_;
        fpu_used_ = true;
        return first;
    }
    /// Thread.CopyFpu: the FP/SIMD area becomes `from`'s (null: the reset state, at first
    /// use). Whoever holds the registers has saved or dropped them (syscall layer).
    void copy_fpu(const Thread* from) {
        if (from) __builtin_memcpy(fpu_, from->fpu_, sizeof fpu_);
        fpu_used_ = from && from->fpu_used_;
    }
    /// The kernel wrote registers the arch must check on the way out.
    void registers_written() { regs_checked_ = false; }
    /// Are the registers as the thread's own last trap saved them, or as the arch last
    /// checked them? (arch::return_to_user skips its checks then.) They count as checked
    /// from now on.
    bool take_registers_checked() {
        if (regs_checked_) return true; // (the common case: one load, no store)
        regs_checked_ = true;
        return false;
    }
    /// Registers [first, first + count) must lie inside the file.
    static Result<void> check_register_range(u64 first, u64 count);

    /// Message register `i`: the first few are CPU registers, the rest IPC buffer words.
    u64 mr(u32 i) const;
    void set_mr(u32 i, u64 value);
    /// How many message registers this thread can hold (more with an IPC buffer).
    u32 mr_capacity() const;

    /// Finish the system call this thread made (now or when it was blocked): 0 or a
    /// negated errno in kRegCap.
    void set_result(Result<void> r);

    /// Configuration: each copies (derives) the given capability into the thread's own
    /// slot, replacing what was there. Validation is the caller's (syscall layer).
    void set_cap_space(Capability& cap, Reaper& reaper);
    /// The cap space the thread shares with others (a process's): capability addresses
    /// beyond its own cap space's slots name slots of this one.
    void set_shared_cap_space(Capability& cap, Reaper& reaper);
    void set_fault_endpoint(Capability& cap, Reaper& reaper);
    void set_address_space(Capability& cap, Reaper& reaper);
    /// `buffer` is the kernel's view of the IPC buffer inside the frame `frame` names.
    void set_ipc_buffer(Capability& frame, abi::IpcBuffer* buffer, Reaper& reaper);
    /// The IPC buffer without a frame capability (boot code and tests).
    void set_ipc_buffer(abi::IpcBuffer* buffer) {
        ipc_buffer_ = buffer;
        buffer_from_frame_ = false;
    }
    CapSpace* cap_space() const {
        return cap_space_cap_.empty() ? nullptr : &cap_space_cap_.as<CapSpace>();
    }
    CapSpace* shared_cap_space() const {
        return shared_cap_space_cap_.empty() ? nullptr : &shared_cap_space_cap_.as<CapSpace>();
    }
    /// The cap space a capability address of this thread names (docs/abi.md, "Capability
    /// addresses"): its own below its own's size, else the shared one (if any), at the
    /// same index. Null when the thread has neither.
    CapSpace* space_for(u64 slot) const {
        CapSpace* own = cap_space();
        if (own && slot < own->slot_count()) return own;
        CapSpace* shared = shared_cap_space();
        return shared ? shared : own;
    }
    Capability& fault_endpoint() { return fault_endpoint_cap_; }
    /// The address space the thread runs in, or null.
    KernelObject* address_space() const { return address_space_cap_.object(); }
    /// The kernel's view of the IPC buffer, or null. A buffer set from a frame is gone
    /// as soon as the thread's frame capability is (revoked, say): the pointer is never
    /// used after the frame could have been freed.
    abi::IpcBuffer* ipc_buffer() const {
        return buffer_from_frame_ && ipc_buffer_cap_.empty() ? nullptr : ipc_buffer_;
    }

    /// ThreadMethod::SetTls: the TLS register takes `base` when the thread next runs.
    void set_tls_base(u64 base) {
        tls_base_ = base;
        tls_pending_ = true;
    }
    /// The TLS base set with SetTls since the thread last ran, if any (taken: once).
    /// Otherwise the register file holds it, as the thread left it or as WriteRegisters
    /// wrote it (a fork's child gets its parent's that way).
    bool take_pending_tls(u64& base) {
        if (!tls_pending_) return false; // (the common case: one load, no store)
        base = tls_base_;
        tls_pending_ = false;
        return true;
    }
    Result<void> set_priority(u32 priority, u32 time_slice, Scheduler& scheduler);
    Result<void> set_affinity(u64 mask, Scheduler& scheduler);
    /// Created or Suspended -> Ready. Busy in any other state.
    Result<void> resume(Scheduler& scheduler);
    /// Stop the thread. A blocked thread leaves its queue; the operation it was blocked
    /// in ends with Interrupted, and a caller waiting for its reply gets PeerGone.
    void suspend(Scheduler& scheduler);
    /// The thread faulted (the arch decoded `kind`, `address` and, for a page fault, the
    /// `access`): it blocks and its fault endpoint receives a message as if it had called.
    /// Without a usable fault endpoint it is suspended. The handler's reply resumes it or
    /// leaves it suspended.
    void fault(abi::FaultKind kind, u64 address, abi::FaultAccess access, Scheduler& scheduler);
    bool fault_pending() const { return fault_.pending; }
    /// Linux-ABI mode (ThreadMethod::SetLinuxAbi): its syscalls go to its fault endpoint.
    void set_linux_abi(bool on) { linux_abi_ = on; }
    bool linux_abi() const { return linux_abi_; }
    /// The thread executed a syscall instruction in Linux-ABI mode: it blocks, and its fault
    /// endpoint receives the call (abi::FaultKind::LinuxSyscall) as if the thread had called;
    /// the answer goes to register `result_reg` (the arch's Linux result register). Without
    /// a usable fault endpoint it is suspended.
    void linux_syscall(u32 result_reg, Scheduler& scheduler);

    /// The root task's thread: the kernel powers off when it dies (user_entry.cpp).
    void mark_root_task() { root_task_ = true; }
    bool is_root_task() const { return root_task_; }

    /// Part of destruction (the reaper calls it): leave every queue, fail partners,
    /// drop the thread's capabilities.
    void teardown(Scheduler& scheduler, Reaper& reaper);

  private:
    friend class Scheduler;
    friend struct FastYieldLayout;
    friend class Endpoint;
    friend class Semaphore;
    friend class Reply;

    /// Leave whatever queue the thread is blocked in; it becomes Suspended or Dead
    /// (the caller sets the state). Its own operation ends with `why`.
    void cancel_blocking(Error why, Scheduler& scheduler);
    /// Break the reply relationship in both directions.
    void drop_reply_links(Scheduler& scheduler);
    /// This thread waits for a reply that can never come (the server died, took a new
    /// call, or the kept reply was destroyed): forget who owed it, wake it with PeerGone.
    void reply_lost(Scheduler& scheduler);

    u64 regs_[abi::kRegCount] = {};
    bool regs_checked_ = false; ///< see take_registers_checked (a new thread's are not)
    bool fpu_used_ = false;     ///< see first_fpu_use
    alignas(64) u8 fpu_[kFpuAreaBytes] = {};
    ThreadState state_ = ThreadState::Created;
    u32 priority_ = kDefaultPriority;
    u32 time_slice_ = kDefaultTimeSlice;
    u32 remaining_ = kDefaultTimeSlice;
    bool slice_expired_ = false; ///< on preemption: back to the tail, not the head
    bool linux_abi_ = false;     ///< (beside the slice: the entry's null system call reads both)
    u32 cpu_ = 0;
    u64 affinity_ = ~u64{0};
    u64 tls_base_ = 0;
    bool tls_pending_ = false;
    abi::IpcBuffer* ipc_buffer_ = nullptr;
    bool buffer_from_frame_ = false;

    Capability cap_space_cap_;
    Capability shared_cap_space_cap_;
    Capability address_space_cap_;
    Capability ipc_buffer_cap_;
    Capability fault_endpoint_cap_;

    ThreadLinks run_link_;  ///< run queue
    ThreadLinks wait_link_; ///< endpoint or semaphore queue
    ThreadLinks timeout_link_; ///< the scheduler's threads with a receive deadline
    u64 timeout_ = 0;          ///< that deadline (Scheduler::now()'s nanoseconds); 0: none
    KernelObject* blocked_on_ = nullptr;

    // A queued sender's pending message is in its registers; these say how to send it.
    u64 send_badge_ = 0;
    bool send_grant_ = false;
    bool send_is_call_ = false;

    /// A fault waiting to be delivered or answered (the thread is blocked meanwhile).
    struct Fault {
        bool pending = false;
        u64 kind = 0;
        u64 address = 0;
        u64 access = 0; ///< abi::FaultAccess; for a LinuxSyscall, the result register
    } fault_;

    bool root_task_ = false;
    Thread* reply_to_ = nullptr; ///< server side: the caller waiting for our reply
    Thread* replier_ = nullptr;  ///< caller side: the server that owes us a reply
    Reply* kept_in_ = nullptr;   ///< caller side: the kept reply that will answer us
    u64 cpu_ticks_ = 0;          ///< timer ticks that found it running
};

} // namespace kernel
