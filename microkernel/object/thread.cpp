#include <microkernel/object/endpoint.hpp>
#include <microkernel/object/reaper.hpp>
#include <microkernel/object/reply.hpp>
#include <microkernel/object/semaphore.hpp>
#include <microkernel/object/thread.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

Result<void> Thread::check_register_range(u64 first, u64 count) {
    if (first > abi::kRegCount || count > abi::kRegCount - first) return Error::OutOfRange;
    return {};
}

u64 Thread::mr(u32 i) const {
    if (i < abi::kMsgRegsInRegisters) return regs_[abi::kRegMr0 + i];
    abi::IpcBuffer* buffer = ipc_buffer();
    return buffer && i < abi::kMaxMsgWords ? buffer->mr[i] : 0;
}

void Thread::set_mr(u32 i, u64 value) {
    if (i < abi::kMsgRegsInRegisters) regs_[abi::kRegMr0 + i] = value;
    else if (abi::IpcBuffer* buffer = ipc_buffer(); buffer && i < abi::kMaxMsgWords)
        buffer->mr[i] = value;
}

u32 Thread::mr_capacity() const {
    return ipc_buffer() ? abi::kMaxMsgWords : abi::kMsgRegsInRegisters;
}

void Thread::set_result(Result<void> r) {
    // A fault is answered like a call, but the thread made no system call: its
    // registers are the user's and stay untouched. Waking ends the fault either way.
    if (fault_.pending) {
        fault_.pending = false;
        return;
    }
    regs_[abi::kRegCap] = r.ok() ? 0 : static_cast<u64>(-static_cast<long long>(to_errno(r.error())));
}


namespace {
void replace(Capability& slot, Capability& source, Reaper& reaper) {
    // Derive first: if `source` names the object `slot` holds, deleting first could
    // destroy it.
    Capability fresh;
    cap_derive(source, fresh, source.rights(), source.badge());
    if (!slot.empty()) cap_delete(slot, reaper);
    cap_move(fresh, slot);
}
} // namespace

void Thread::set_cap_space(Capability& cap, Reaper& reaper) { replace(cap_space_cap_, cap, reaper); }
void Thread::set_shared_cap_space(Capability& cap, Reaper& reaper) {
    replace(shared_cap_space_cap_, cap, reaper);
}
void Thread::set_fault_endpoint(Capability& cap, Reaper& reaper) {
    replace(fault_endpoint_cap_, cap, reaper);
}
void Thread::set_address_space(Capability& cap, Reaper& reaper) {
    replace(address_space_cap_, cap, reaper);
}
void Thread::set_ipc_buffer(Capability& frame, abi::IpcBuffer* buffer, Reaper& reaper) {
    replace(ipc_buffer_cap_, frame, reaper);
    ipc_buffer_ = buffer;
    buffer_from_frame_ = true;
}

Result<void> Thread::set_priority(u32 priority, u32 time_slice, Scheduler& scheduler) {
    if (priority > kMaxPriority || time_slice == 0) return Error::InvalidArgument;
    // (running on another CPU: in the kernel there first, so that the entry's null Yield,
    // which copies the slice without the lock, cannot meet these writes: fast_yield.h)
    scheduler.stall(*this);
    time_slice_ = time_slice;
    if (remaining_ > time_slice) remaining_ = time_slice;
    scheduler.set_priority(*this, priority);
    return {};
}

Result<void> Thread::set_affinity(u64 mask, Scheduler& scheduler) {
    if ((mask & scheduler.cpu_mask()) == 0) return Error::InvalidArgument;
    affinity_ = mask;
    scheduler.requeue(*this);
    return {};
}

Result<void> Thread::resume(Scheduler& scheduler) {
    if (state_ != ThreadState::Created && state_ != ThreadState::Suspended) return Error::Busy;
    scheduler.make_ready(*this);
    return {};
}

void Thread::cancel_blocking(Error why, Scheduler&) {
    switch (state_) {
    case ThreadState::BlockedSend:
    case ThreadState::BlockedReceive: static_cast<Endpoint*>(blocked_on_)->cancel(*this); break;
    case ThreadState::BlockedSemaphore: static_cast<Semaphore*>(blocked_on_)->cancel(*this); break;
    case ThreadState::BlockedReply:
        // The server's reply capability to us is gone; its Reply will say NotFound.
        if (replier_) replier_->reply_to_ = nullptr;
        replier_ = nullptr;
        if (kept_in_) kept_in_->forget_caller(); // its Send will say PeerGone
        kept_in_ = nullptr;
        break;
    case ThreadState::Created:
    case ThreadState::Ready:
    case ThreadState::Running:
    case ThreadState::Suspended:
    case ThreadState::Dead: return;
    }
    set_result(why);
}

void Thread::suspend(Scheduler& scheduler) {
    if (state_ == ThreadState::Dead) return;
    if (is_blocked(state_)) cancel_blocking(Error::Interrupted, scheduler);
    else scheduler.make_unready(*this);
    fault_.pending = false; // when resumed, it retries the faulting instruction
    state_ = ThreadState::Suspended;
}

void Thread::fault(abi::FaultKind kind, u64 address, abi::FaultAccess access, Scheduler& scheduler) {
    Capability& ep = fault_endpoint_cap_;
    if (ep.empty() || !ep.has(abi::rights::kWrite)) {
        // Nobody to tell: stop the thread, never the kernel.
        suspend(scheduler);
        return;
    }
    fault_ = {true, static_cast<u64>(kind), address, static_cast<u64>(access)};
    static_cast<Endpoint&>(*ep.object()).call(*this, {ep.badge(), false}, scheduler);
}

void Thread::linux_syscall(u32 result_reg, Scheduler& scheduler) {
    Capability& ep = fault_endpoint_cap_;
    if (ep.empty() || !ep.has(abi::rights::kWrite)) {
        suspend(scheduler);
        return;
    }
    fault_ = {true, static_cast<u64>(abi::FaultKind::LinuxSyscall), 0, result_reg};
    static_cast<Endpoint&>(*ep.object()).call(*this, {ep.badge(), false}, scheduler);
}

void Thread::drop_reply_links(Scheduler& scheduler) {
    if (Thread* caller = reply_to_) { // we owed a reply and will never send it
        reply_to_ = nullptr;
        caller->reply_lost(scheduler);
    }
}

void Thread::reply_lost(Scheduler& scheduler) {
    replier_ = nullptr;
    kept_in_ = nullptr;
    set_result(Error::PeerGone);
    scheduler.make_ready(*this);
}

void Thread::teardown(Scheduler& scheduler, Reaper& reaper) {
    scheduler.set_timeout(*this, 0);
    scheduler.forget_fpu(*this);
    if (is_blocked(state_)) cancel_blocking(Error::PeerGone, scheduler);
    else scheduler.make_unready(*this);
    drop_reply_links(scheduler);
    state_ = ThreadState::Dead;
    Capability* held[] = {&cap_space_cap_, &shared_cap_space_cap_, &address_space_cap_, &ipc_buffer_cap_,
                          &fault_endpoint_cap_};
    for (Capability* c : held)
        if (!c->empty()) cap_delete(*c, reaper);
    ipc_buffer_ = nullptr;
}

} // namespace kernel
