#include <microkernel/object/untyped.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {

Result<void> invoke_untyped(SyscallContext& ctx, Capability& cap, const Message& msg) {
    switch (msg.label()) {
    case label_of<abi::UntypedRetype>: {
        const auto a = msg.arguments<abi::UntypedRetype>();
        Capability* dest = TRY(ctx.cap(a.cap_space));
        // retype() checks the type, the size, the count and the slots.
        TRY(retype(cap, static_cast<ObjectType>(a.type.word32()), a.size_bits.word32(), dest->as<CapSpace>(),
                   a.first, a.count.word32()));
        ctx.done();
        return {};
    }
    }
    return Error::Unsupported;
}

} // namespace kernel
