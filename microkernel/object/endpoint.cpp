#include <microkernel/object/endpoint.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

void transfer_message(Thread& from, Thread& to, u64 badge, bool grant) {
    auto info = abi::MessageInfo::decode(from.reg(abi::kRegInfo));
    u32 length = info.length;
    if (length > from.mr_capacity()) length = from.mr_capacity();
    if (length > to.mr_capacity()) length = to.mr_capacity();
    for (u32 i = 0; i < length; ++i) to.set_mr(i, from.mr(i));

    u32 caps = 0;
    abi::IpcBuffer* src_buf = from.ipc_buffer();
    abi::IpcBuffer* dst_buf = to.ipc_buffer();
    if (grant && info.caps && src_buf && dst_buf && dst_buf->receive_slot != abi::kNoSlot) {
        for (u32 i = 0; i < info.caps && i < abi::kMaxMsgCaps; ++i) {
            // Each address names a slot of its thread's own or shared cap space.
            u64 from_slot = src_buf->send_caps[i], to_slot = dst_buf->receive_slot + i;
            if (to_slot < dst_buf->receive_slot) break; // wrapped around
            CapSpace* src_space = from.space_for(from_slot);
            CapSpace* dst_space = to.space_for(to_slot);
            if (!src_space || !dst_space) break;
            auto src = src_space->lookup_any(from_slot);
            auto dst = dst_space->lookup_empty(to_slot);
            if (!src || !dst || !(*src)->derivable()) break;
            cap_derive(**src, **dst, (*src)->rights(), (*src)->badge());
            dst_buf->received_badges[i] = (*src)->badge();
            ++caps;
        }
    }
    to.set_reg(abi::kRegInfo, abi::MessageInfo{info.label, length, caps}.encode());
    to.set_reg(abi::kRegBadge, badge);
    to.set_result({});
}

namespace {
// The message a fault handler receives: label and mr0 the kind, mr1 the address, mr2
// the instruction pointer, mr3 the access (abi::FaultAccess).
void transfer_fault(const Thread& from, Thread& to, u64 kind, u64 address, u64 access, u64 badge) {
    if (kind == static_cast<u64>(abi::FaultKind::LinuxSyscall)) {
        // The number and six arguments are where Linux's ABI puts them, which the portable
        // indices follow: kRegSyscall, then kRegCap .. kRegMr3 (docs/abi.md).
        u64 words[abi::kLinuxSyscallWords] = {from.reg(abi::kRegSyscall)};
        for (u32 i = 0; i < 6; ++i) words[1 + i] = from.reg(abi::kRegCap + i);
        words[7] = from.reg(abi::kRegIp), words[8] = from.reg(abi::kRegSp);
        u32 n = to.mr_capacity() < abi::kLinuxSyscallWords ? to.mr_capacity() : abi::kLinuxSyscallWords;
        for (u32 i = 0; i < n; ++i) to.set_mr(i, words[i]);
        to.set_reg(abi::kRegInfo, abi::MessageInfo{kind, n, 0}.encode());
        to.set_reg(abi::kRegBadge, badge);
        to.set_result({});
        return;
    }
    to.set_mr(0, kind);
    to.set_mr(1, address);
    to.set_mr(2, from.reg(abi::kRegIp));
    to.set_mr(3, access);
    to.set_reg(abi::kRegInfo, abi::MessageInfo{kind, 4, 0}.encode());
    to.set_reg(abi::kRegBadge, badge);
    to.set_result({});
}
} // namespace

void Endpoint::deliver(Thread& sender, Thread& receiver, u64 badge, bool grant, bool is_call,
                       Scheduler& scheduler) {
    if (sender.fault_.pending)
        transfer_fault(sender, receiver, sender.fault_.kind, sender.fault_.address, sender.fault_.access, badge);
    else
        transfer_message(sender, receiver, badge, grant);
    if (!is_call) {
        sender.set_result({});
        if (sender.state_ == ThreadState::BlockedSend) scheduler.make_ready(sender);
        return;
    }
    // The receiver now holds the one-shot reply capability to the caller. A reply it
    // still owed to an earlier caller can never be sent now: fail that caller.
    if (Thread* old = receiver.reply_to_) old->reply_lost(scheduler);
    if (sender.state_ == ThreadState::Running || sender.state_ == ThreadState::Ready)
        scheduler.make_unready(sender);
    sender.state_ = ThreadState::BlockedReply;
    sender.send_grant_ = grant; // a reply may carry caps only if the caller granted
    sender.replier_ = &receiver;
    receiver.reply_to_ = &sender;
}

void Endpoint::enqueue_sender(Thread& sender, SendOptions options, bool is_call,
                              Scheduler& scheduler) {
    scheduler.make_unready(sender);
    sender.state_ = ThreadState::BlockedSend;
    sender.blocked_on_ = this;
    sender.send_badge_ = options.badge;
    sender.send_grant_ = options.grant;
    sender.send_is_call_ = is_call;
    senders_.push_back(sender);
}

void Endpoint::send(Thread& sender, SendOptions options, Scheduler& scheduler) {
    Thread* receiver = receivers_.pop_front();
    if (!receiver) return enqueue_sender(sender, options, false, scheduler);
    receiver->blocked_on_ = nullptr;
    deliver(sender, *receiver, options.badge, options.grant, false, scheduler);
    scheduler.make_ready(*receiver);
}

void Endpoint::call(Thread& caller, SendOptions options, Scheduler& scheduler) {
    Thread* receiver = receivers_.pop_front();
    if (!receiver) return enqueue_sender(caller, options, true, scheduler);
    receiver->blocked_on_ = nullptr;
    deliver(caller, *receiver, options.badge, options.grant, true, scheduler);
    scheduler.make_ready(*receiver);
}

void Endpoint::receive(Thread& receiver, Scheduler& scheduler) {
    Thread* sender = senders_.pop_front();
    if (!sender) {
        if (scheduler.timeout_passed(receiver)) { // its deadline is over: it does not wait
            receiver.set_result(Error::TimedOut);
            return;
        }
        scheduler.make_unready(receiver);
        receiver.state_ = ThreadState::BlockedReceive;
        receiver.blocked_on_ = this;
        receivers_.push_back(receiver);
        return;
    }
    sender->blocked_on_ = nullptr;
    deliver(*sender, receiver, sender->send_badge_, sender->send_grant_, sender->send_is_call_,
            scheduler);
}

namespace {
/// Can the fastpath carry a message of `length` words (at most kMaxMsgWords: fastpath_ipc
/// checked) from `from` to `to`? Those in registers always; the rest only between two
/// IPC buffers (else transfer_message would cut the message short).
[[gnu::always_inline]] inline bool fast_fits(const Thread& from, const Thread& to, u32 length) {
    if (length <= abi::kMsgRegsInRegisters) [[likely]]
        return true;
    return from.ipc_buffer() && to.ipc_buffer();
}

/// transfer_message for a message with no caps that fast_fits, but for the badge (the
/// caller writes it last: read from the capability only then, it is not one more value
/// held across the fastpath's checks).
[[gnu::always_inline]] inline void transfer_words(const Thread& from, Thread& to, u64 label, u32 length) {
    if (length <= abi::kMsgRegsInRegisters) [[likely]] { // (no minimum to work out)
        for (u32 i = 0; i < length; ++i) to.set_reg(abi::kRegMr0 + i, from.reg(abi::kRegMr0 + i));
    } else {
        for (u32 i = 0; i < abi::kMsgRegsInRegisters; ++i) to.set_reg(abi::kRegMr0 + i, from.reg(abi::kRegMr0 + i));
        const u64* src = from.ipc_buffer()->mr;
        u64* dst = to.ipc_buffer()->mr;
        for (u32 i = abi::kMsgRegsInRegisters; i < length; ++i) dst[i] = src[i];
    }
    to.set_reg(abi::kRegInfo, abi::MessageInfo{label, length, 0}.encode());
    to.set_reg(abi::kRegCap, 0); // (set_result({}) of a thread with no fault pending)
}
} // namespace

[[gnu::always_inline]] inline Thread* Endpoint::fast_receiver(const Thread& caller, Scheduler::Cpu cpu, const Scheduler& scheduler) const {
    Thread* receiver = receivers_.front();
    if (!receiver || receiver->reply_to_ || receiver->fault_.pending || caller.fault_.pending ||
        !receiver->address_space() || !scheduler.can_hand_over(*receiver, cpu))
        return nullptr;
    return receiver;
}

[[gnu::always_inline]] inline void Endpoint::fast_deliver_call(Thread& caller, Thread& receiver, bool grant, Scheduler::Cpu cpu, Scheduler& scheduler) {
    // (deliver()'s is_call half and the scheduler's part, for a receiver at the queue's head)
    receivers_.pop_front();
    receiver.blocked_on_ = nullptr;
    caller.state_ = ThreadState::BlockedReply;
    caller.send_grant_ = grant;
    caller.replier_ = &receiver;
    receiver.reply_to_ = &caller;
    scheduler.hand_over(cpu, receiver);
}

Thread* Endpoint::fast_call(Thread& caller, const Capability& cap, Scheduler::Cpu cpu, Scheduler& scheduler) {
    Thread* receiver = fast_receiver(caller, cpu, scheduler);
    auto info = abi::MessageInfo::decode(caller.reg(abi::kRegInfo));
    if (!receiver || !fast_fits(caller, *receiver, info.length)) return nullptr;
    transfer_words(caller, *receiver, info.label, info.length);
    receiver->set_reg(abi::kRegBadge, cap.badge());
    fast_deliver_call(caller, *receiver, cap.has(abi::rights::kGrant), cpu, scheduler);
    return receiver;
}

Thread* Endpoint::fast_linux_call(Thread& caller, u64 badge, u32 result_reg, Scheduler::Cpu cpu, Scheduler& scheduler) {
    Thread* receiver = fast_receiver(caller, cpu, scheduler);
    if (!receiver || !receiver->ipc_buffer()) return nullptr;
    constexpr u64 kind = static_cast<u64>(abi::FaultKind::LinuxSyscall);
    caller.fault_ = {true, kind, 0, result_reg};
    transfer_fault(caller, *receiver, kind, 0, result_reg, badge);
    fast_deliver_call(caller, *receiver, false, cpu, scheduler);
    return receiver;
}

Thread* Endpoint::fast_reply_receive(Thread& server, Scheduler::Cpu cpu, Scheduler& scheduler) {
    Thread* caller = server.reply_to_;
    if (!caller || server.fault_.pending || !senders_.empty() || server.timeout_ || !caller->address_space() ||
        !scheduler.can_hand_over(*caller, cpu))
        return nullptr;
    auto info = abi::MessageInfo::decode(server.reg(abi::kRegInfo));
    if (caller->fault_.pending) {
        // Only the answer to a Linux system call, resumed with its result (finish_fault).
        if (caller->fault_.kind != static_cast<u64>(abi::FaultKind::LinuxSyscall) ||
            info.label != static_cast<u64>(abi::FaultReply::Resume))
            return nullptr;
        caller->fault_.pending = false;
        caller->set_reg(static_cast<u32>(caller->fault_.access), server.mr(0));
    } else {
        if (!fast_fits(server, *caller, info.length)) return nullptr;
        transfer_words(server, *caller, info.label, info.length);
        caller->set_reg(abi::kRegBadge, 0);
    }
    server.reply_to_ = nullptr;
    caller->replier_ = nullptr;
    server.state_ = ThreadState::BlockedReceive;
    server.blocked_on_ = this;
    receivers_.push_back(server);
    scheduler.hand_over(cpu, *caller);
    return caller;
}

Result<void> Endpoint::check_fault_answer(u64 label, u32 length) {
    using abi::FaultReply;
    auto how = static_cast<FaultReply>(label);
    if (how != FaultReply::Resume && how != FaultReply::ResumeWithRegs && how != FaultReply::Kill &&
        how != FaultReply::ResumeAsIs)
        return Error::InvalidArgument;
    if (how == FaultReply::ResumeWithRegs && length < 2) return Error::InvalidArgument;
    return {};
}

void Endpoint::finish_fault(Thread& caller, u64 label, u64 ip, u64 sp, Scheduler& scheduler) {
    using abi::FaultReply;
    auto how = static_cast<FaultReply>(label);
    caller.fault_.pending = false;
    if (how == FaultReply::Resume && caller.fault_.kind == static_cast<u64>(abi::FaultKind::LinuxSyscall))
        caller.set_reg(static_cast<u32>(caller.fault_.access), ip); // the result, in mr0
    if (how == FaultReply::ResumeWithRegs) {
        caller.set_reg(abi::kRegIp, ip);
        caller.set_reg(abi::kRegSp, sp);
    }
    if (how == FaultReply::Kill) caller.state_ = ThreadState::Suspended;
    else scheduler.make_ready(caller);
}

Result<void> Endpoint::reply(Thread& server, Scheduler& scheduler) {
    Thread* caller = server.reply_to_;
    if (!caller) return Error::NotFound;
    auto info = abi::MessageInfo::decode(server.reg(abi::kRegInfo));
    if (caller->fault_.pending) {
        TRY(check_fault_answer(info.label, info.length));
        server.reply_to_ = nullptr;
        caller->replier_ = nullptr;
        finish_fault(*caller, info.label, server.mr(0), server.mr(1), scheduler);
        return {};
    }
    transfer_message(server, *caller, 0, caller->send_grant_);
    server.reply_to_ = nullptr;
    caller->replier_ = nullptr;
    scheduler.make_ready(*caller);
    return {};
}

void Endpoint::reply_receive(Thread& server, Scheduler& scheduler) {
    if (server.reply_to_) (void)reply(server, scheduler);
    receive(server, scheduler);
}

void Endpoint::cancel(Thread& t) {
    if (t.state_ == ThreadState::BlockedSend) senders_.remove(t);
    else receivers_.remove(t);
    t.blocked_on_ = nullptr;
}

void Endpoint::teardown(Scheduler& scheduler) {
    auto wake_all = [&](ThreadList<&Thread::wait_link_>& queue) {
        while (Thread* t = queue.pop_front()) {
            t->blocked_on_ = nullptr;
            t->set_result(Error::PeerGone);
            scheduler.make_ready(*t);
        }
    };
    wake_all(senders_);
    wake_all(receivers_);
}

} // namespace kernel
