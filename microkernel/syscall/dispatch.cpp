#include <microkernel/object/endpoint.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {
namespace {

/// The message the caller wants to send is one it can hold.
Result<void> check_message(const Thread& t) {
    auto info = abi::MessageInfo::decode(t.reg(abi::kRegInfo));
    if (info.length > t.mr_capacity()) return Error::InvalidArgument;
    if (info.caps > abi::kMaxMsgCaps || (info.caps && !t.ipc_buffer())) return Error::InvalidArgument;
    return {};
}

Endpoint::SendOptions options(const Capability& cap) {
    return {cap.badge(), cap.has(abi::rights::kGrant)};
}

u64 cap_slot(const Thread& t) { return t.reg(abi::kRegCap); }

/// The capability system call `nr` names, of the type and with the right abi::kSyscalls says.
Result<Capability*> syscall_cap(SyscallContext& ctx, abi::Syscall nr) {
    const abi::SyscallInfo& s = abi::syscall_info(nr);
    return ctx.lookup(cap_slot(ctx.caller), s.object, s.right);
}

Result<void> sys_send(SyscallContext& ctx, bool is_call) {
    Capability* cap = TRY(syscall_cap(ctx, is_call ? abi::Syscall::Call : abi::Syscall::Send));
    TRY(check_message(ctx.caller));
    auto& ep = cap->as<Endpoint>();
    if (is_call) ep.call(ctx.caller, options(*cap), ctx.scheduler);
    else ep.send(ctx.caller, options(*cap), ctx.scheduler);
    return {};
}

Result<void> sys_receive(SyscallContext& ctx) {
    Capability* cap = TRY(syscall_cap(ctx, abi::Syscall::Receive));
    cap->as<Endpoint>().receive(ctx.caller, ctx.scheduler);
    return {};
}

Result<void> sys_reply(SyscallContext& ctx) {
    TRY(check_message(ctx.caller));
    TRY(Endpoint::reply(ctx.caller, ctx.scheduler));
    ctx.caller.set_result({});
    return {};
}

Result<void> sys_reply_receive(SyscallContext& ctx) {
    // Both halves are validated before the reply goes out.
    Capability* cap = TRY(syscall_cap(ctx, abi::Syscall::ReplyReceive));
    TRY(check_message(ctx.caller));
    cap->as<Endpoint>().reply_receive(ctx.caller, ctx.scheduler);
    return {};
}

Result<void> sys_invoke(SyscallContext& ctx) {
    Capability* cap = TRY(ctx.lookup_any(cap_slot(ctx.caller)));
    Message msg(ctx.caller);
    // A longer message cannot exist; reject it as the IPC calls do, whatever the method.
    if (msg.length() > abi::kMaxMsgWords) return Error::InvalidArgument;
    TRY(msg.decode(*cap));
    switch (cap->type()) {
    case ObjectType::Untyped: return invoke_untyped(ctx, *cap, msg);
    case ObjectType::CapSpace: return invoke_cap_space(ctx, *cap, msg);
    case ObjectType::Thread: return invoke_thread(ctx, *cap, msg);
    case ObjectType::Semaphore: return invoke_semaphore(ctx, *cap, msg);
    case ObjectType::Reply: return invoke_reply(ctx, *cap, msg);
    case ObjectType::AddressSpace: return invoke_address_space(ctx, *cap, msg);
    case ObjectType::Console:
    case ObjectType::Machine:
    case ObjectType::IrqHandler: return invoke_machine(ctx, *cap, msg);
    case ObjectType::Endpoint: // used through Send/Call/Receive
    case ObjectType::Frame: return Error::Unsupported; // used through AddressSpace.Map
    case ObjectType::MapBudget: return Error::Unsupported; // used through AddressSpace.Grow
    }
    return Error::Unsupported;
}

Result<void> dispatch(SyscallContext& ctx) {
    switch (static_cast<abi::Syscall>(ctx.caller.reg(abi::kRegSyscall))) {
    case abi::Syscall::Send: return sys_send(ctx, false);
    case abi::Syscall::Call: return sys_send(ctx, true);
    case abi::Syscall::Receive: return sys_receive(ctx);
    case abi::Syscall::Reply: return sys_reply(ctx);
    case abi::Syscall::ReplyReceive: return sys_reply_receive(ctx);
    case abi::Syscall::Yield:
        ctx.scheduler.yield(ctx.cpu);
        ctx.caller.set_result({});
        return {};
    case abi::Syscall::Invoke: return sys_invoke(ctx);
    case abi::Syscall::DebugPutChar:
        if (ctx.console.put) ctx.console.put(ctx.console.ctx, static_cast<char>(ctx.caller.mr(0)));
        ctx.caller.set_result({});
        return {};
    case abi::Syscall::Count_: break;
    }
    return Error::Unsupported;
}

} // namespace

Result<void> Message::decode(const Capability& cap) {
    const abi::MethodRules* rules = abi::rules_for(cap.type(), info_.label);
    if (!rules) return Error::Unsupported;
    TRY(cap.check(rules->object, rules->right));
    if (rules->words == 0) return {}; // (whatever the message holds: nothing is read)
    static_assert(sizeof args_ / sizeof args_[0] >= 6); // (abi::for_each_word's limit)
    const u32 given = info_.length < rules->words ? info_.length : rules->words;
    TRY(require(given > rules->required ? given : rules->required));
    // The words given (require() said the caller holds each: beyond four, in its IPC
    // buffer), the absent ones' defaults, then the checks of the words that have one.
    u32 i = 0;
    for (; i < given && i < abi::kMsgRegsInRegisters; ++i) args_[i] = thread_.reg(abi::kRegMr0 + i);
    for (; i < given; ++i) args_[i] = thread_.ipc_buffer()->mr[i];
    for (; i < rules->words; ++i) args_[i] = (rules->none >> i) & 1 ? abi::kNoSlot : 0;
    for (u32 m = rules->checked; m; m &= m - 1) {
        const u32 w = static_cast<u32>(__builtin_ctz(m));
        if (!rules->rule[w].valid(args_[w])) return Error::InvalidArgument;
    }
    return {};
}

void handle_syscall(SyscallContext& ctx) {
    // Objects whose last capability goes during the call are destroyed after the
    // result is written: the caller itself may be one of them.
    ctx.reaper.hold();
    Result<void> r = dispatch(ctx);
    if (!r) ctx.caller.set_result(r.error());
    ctx.reaper.release();
}

} // namespace kernel
