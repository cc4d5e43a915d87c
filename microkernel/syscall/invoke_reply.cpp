#include <microkernel/object/reply.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {

Result<void> invoke_reply(SyscallContext& ctx, Capability& cap, const Message& msg) {
    auto& reply = cap.as<Reply>();
    switch (msg.label()) {
    case label_of<abi::ReplyKeep>:
        TRY(reply.keep(ctx.caller));
        break;
    case label_of<abi::ReplySend>: {
        const auto a = msg.arguments<abi::ReplySend>();
        TRY(msg.require(msg.length())); // every word readable
        u64 words[abi::kMaxMsgWords];
        u32 count = msg.length() - 1;
        for (u32 i = 0; i < count; ++i) words[i] = msg.word(1 + i);
        TRY(reply.send(a.label, words, count, ctx.scheduler));
        break;
    }
    default: return Error::Unsupported;
    }
    ctx.done();
    return {};
}

} // namespace kernel
