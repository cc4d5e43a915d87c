#include <microkernel/object/frame.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {
namespace {

/// The destination cap space: the one `arg` names, or the invoked one (kNoSlot, absent).
template <class Arg>
Result<CapSpace*> destination(SyscallContext& ctx, const Arg& arg, CapSpace& self) {
    Capability* cap = TRY(ctx.cap(arg));
    return cap ? &cap->as<CapSpace>() : &self;
}

} // namespace

Result<void> invoke_cap_space(SyscallContext& ctx, Capability& cap, const Message& msg) {
    CapSpace& cs = cap.as<CapSpace>();
    switch (msg.label()) {
    case label_of<abi::CapSpaceCopy>: {
        const auto a = msg.arguments<abi::CapSpaceCopy>();
        CapSpace* dest = TRY(destination(ctx, a.dest_cap_space, cs));
        TRY(cs.copy(a.src, *dest, a.dest));
        break;
    }
    case label_of<abi::CapSpaceMint>: {
        const auto a = msg.arguments<abi::CapSpaceMint>();
        CapSpace* dest = TRY(destination(ctx, a.dest_cap_space, cs));
        TRY(cs.mint(a.src, *dest, a.dest, a.rights.word32(), a.badge));
        break;
    }
    case label_of<abi::CapSpaceMove>: {
        const auto a = msg.arguments<abi::CapSpaceMove>();
        CapSpace* dest = TRY(destination(ctx, a.dest_cap_space, cs));
        TRY(cs.move(a.src, *dest, a.dest));
        break;
    }
    case label_of<abi::CapSpaceDelete>: {
        const auto a = msg.arguments<abi::CapSpaceDelete>();
        TRY(cs.remove(a.slot, ctx.reaper));
        break;
    }
    case label_of<abi::CapSpaceRevoke>: {
        const auto a = msg.arguments<abi::CapSpaceRevoke>();
        TRY(cs.revoke(a.slot, ctx.reaper));
        break;
    }
    case label_of<abi::CapSpaceIdentify>: {
        const auto a = msg.arguments<abi::CapSpaceIdentify>();
        Capability* c = TRY(cs.lookup_any(a.slot));
        // A frame's physical address tells frames apart (a pager recognizes its own) and
        // is what a driver programs a device's DMA with; no other object shows an address.
        u64 address = c->type() == ObjectType::Frame ? c->as<Frame>().page().value : 0;
        ctx.answer(abi::CapSpaceIdentify::Out{static_cast<u64>(c->type()), c->rights(), c->badge(), address});
        return {};
    }
    default: return Error::Unsupported;
    }
    ctx.done();
    return {};
}

} // namespace kernel
