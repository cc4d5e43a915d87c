#include <microkernel/object/reply.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {

Result<void> invoke_reply(SyscallContext& ctx, Capability& cap, const Message& msg) {
    using M = abi::ReplyMethod;
    TRY(cap.check(ObjectType::Reply, abi::rights::kWrite));
    auto& reply = cap.as<Reply>();
    switch (static_cast<M>(msg.label())) {
    case M::Keep: TRY(reply.keep(ctx.caller)); break;
    case M::Send: {
        TRY(msg.require(msg.length() > 1 ? msg.length() : 1)); // every word readable
        u64 words[abi::kMaxMsgWords];
        u32 count = msg.length() - 1;
        for (u32 i = 0; i < count; ++i) words[i] = msg.word(1 + i);
        TRY(reply.send(msg.word(0), words, count, ctx.scheduler));
        break;
    }
    default: return Error::Unsupported;
    }
    ctx.done();
    return {};
}

} // namespace kernel
