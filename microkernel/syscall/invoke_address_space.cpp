#include <microkernel/object/address_space.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {

Result<void> invoke_address_space(SyscallContext& ctx, Capability& cap, const Message& msg) {
    using M = abi::AddressSpaceMethod;
    auto method = static_cast<M>(msg.label());
    TRY(cap.check(ObjectType::AddressSpace, method == M::Query ? abi::rights::kRead : abi::rights::kMap));
    auto& as = cap.as<AddressSpace>();
    switch (method) {
    case M::Map: {
        TRY(msg.require(3));
        Capability* frame = TRY(ctx.lookup(msg.word(0), ObjectType::Frame, 0));
        u32 rights = TRY(msg.word32(2));
        TRY(as.map(*frame, msg.word(1), rights));
        break;
    }
    case M::Unmap: TRY(msg.require(1)); TRY(as.unmap(msg.word(0), ctx.reaper)); break;
    case M::Protect: {
        TRY(msg.require(3));
        u32 rights = TRY(msg.word32(2));
        ctx.done(TRY(as.protect(msg.word(0), msg.word(1), rights)));
        return {};
    }
    case M::Grow: {
        TRY(msg.require(1));
        Capability* budget = TRY(ctx.lookup(msg.word(0), ObjectType::MapBudget, 0));
        TRY(as.grow(*budget));
        break;
    }
    case M::Query: {
        TRY(msg.require(1));
        auto q = TRY(as.query(msg.word(0)));
        ctx.done(q.pa.value, q.rights);
        return {};
    }
    default: return Error::Unsupported;
    }
    ctx.done();
    return {};
}

} // namespace kernel
