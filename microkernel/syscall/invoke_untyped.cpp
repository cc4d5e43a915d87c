#include <microkernel/object/untyped.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {

Result<void> invoke_untyped(SyscallContext& ctx, Capability& cap, const Message& msg) {
    switch (static_cast<abi::UntypedMethod>(msg.label())) {
    case abi::UntypedMethod::Retype: {
        TRY(msg.require(5));
        u32 type = TRY(msg.word32(0));
        u32 size_bits = TRY(msg.word32(1));
        Capability* dest = TRY(ctx.lookup(msg.word(2), ObjectType::CapSpace, abi::rights::kEdit));
        u32 count = TRY(msg.word32(4));
        // retype() checks the right, the type, the size, the count and the slots.
        TRY(retype(cap, static_cast<ObjectType>(type), size_bits, dest->as<CapSpace>(),
                   msg.word(3), count));
        ctx.done();
        return {};
    }
    }
    return Error::Unsupported;
}

} // namespace kernel
