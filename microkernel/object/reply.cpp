#include <microkernel/object/endpoint.hpp>
#include <microkernel/object/reply.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

Result<void> Reply::keep(Thread& server) {
    if (caller_) return Error::Busy;
    Thread* caller = server.reply_to_;
    if (!caller) return Error::NotFound;
    server.reply_to_ = nullptr;
    caller->replier_ = nullptr;
    caller->kept_in_ = this;
    caller_ = caller;
    lost_ = false;
    return {};
}

Result<void> Reply::send(u64 label, const u64* words, u32 count, Scheduler& scheduler) {
    Thread* caller = caller_;
    if (!caller) {
        if (!lost_) return Error::NotFound;
        lost_ = false;
        return Error::PeerGone;
    }
    if (caller->fault_pending()) {
        TRY(Endpoint::check_fault_answer(label, count));
        caller_ = nullptr;
        caller->kept_in_ = nullptr;
        Endpoint::finish_fault(*caller, label, count > 0 ? words[0] : 0, count > 1 ? words[1] : 0, scheduler);
        return {};
    }
    u32 length = count < caller->mr_capacity() ? count : caller->mr_capacity();
    for (u32 i = 0; i < length; ++i) caller->set_mr(i, words[i]);
    caller->set_reg(abi::kRegInfo, abi::MessageInfo{label, length, 0}.encode());
    caller->set_reg(abi::kRegBadge, 0);
    caller->set_result({});
    caller_ = nullptr;
    caller->kept_in_ = nullptr;
    scheduler.make_ready(*caller);
    return {};
}

void Reply::forget_caller() {
    caller_ = nullptr;
    lost_ = true;
}

void Reply::teardown(Scheduler& scheduler) {
    if (Thread* caller = caller_) {
        caller_ = nullptr;
        caller->reply_lost(scheduler);
    }
}

} // namespace kernel
