#include <microkernel/object/address_space.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {

Result<void> invoke_address_space(SyscallContext& ctx, Capability& cap, const Message& msg) {
    auto& as = cap.as<AddressSpace>();
    switch (msg.label()) {
    case label_of<abi::AddressSpaceMap>: {
        const auto a = msg.arguments<abi::AddressSpaceMap>();
        Capability* frame = TRY(ctx.cap(a.frame));
        TRY(as.map(*frame, a.va, a.rights.word32()));
        break;
    }
    case label_of<abi::AddressSpaceUnmap>: {
        const auto a = msg.arguments<abi::AddressSpaceUnmap>();
        TRY(as.unmap(a.va, ctx.reaper));
        break;
    }
    case label_of<abi::AddressSpaceProtect>: {
        const auto a = msg.arguments<abi::AddressSpaceProtect>();
        ctx.answer(abi::AddressSpaceProtect::Out{TRY(as.protect(a.va, a.size, a.rights.word32()))});
        return {};
    }
    case label_of<abi::AddressSpaceGrow>: {
        const auto a = msg.arguments<abi::AddressSpaceGrow>();
        Capability* budget = TRY(ctx.cap(a.budget));
        TRY(as.grow(*budget));
        break;
    }
    case label_of<abi::AddressSpaceQuery>: {
        const auto a = msg.arguments<abi::AddressSpaceQuery>();
        auto q = TRY(as.query(a.va));
        ctx.answer(abi::AddressSpaceQuery::Out{q.pa.value, q.rights});
        return {};
    }
    default: return Error::Unsupported;
    }
    ctx.done();
    return {};
}

} // namespace kernel
