#include <microkernel/object/frame.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {
namespace {

/// The destination cap space: the optional argument `index`, or the invoked one.
Result<CapSpace*> destination(SyscallContext& ctx, const Message& msg, u32 index, CapSpace& self) {
    u64 slot = msg.length() > index ? msg.word(index) : abi::kNoSlot;
    if (slot == abi::kNoSlot) return &self;
    TRY(msg.require(index + 1));
    Capability* cap = TRY(ctx.lookup(slot, ObjectType::CapSpace, abi::rights::kEdit));
    return &cap->as<CapSpace>();
}

} // namespace

Result<void> invoke_cap_space(SyscallContext& ctx, Capability& cap, const Message& msg) {
    using M = abi::CapSpaceMethod;
    auto method = static_cast<M>(msg.label());
    u32 need = method == M::Identify ? abi::rights::kRead : abi::rights::kEdit;
    TRY(cap.check(ObjectType::CapSpace, need));
    CapSpace& cs = cap.as<CapSpace>();
    switch (method) {
    case M::Copy: {
        TRY(msg.require(2));
        CapSpace* dest = TRY(destination(ctx, msg, 2, cs));
        TRY(cs.copy(msg.word(0), *dest, msg.word(1)));
        break;
    }
    case M::Mint: {
        TRY(msg.require(4));
        u32 rights = TRY(msg.word32(2));
        CapSpace* dest = TRY(destination(ctx, msg, 4, cs));
        TRY(cs.mint(msg.word(0), *dest, msg.word(1), rights, msg.word(3)));
        break;
    }
    case M::Move: {
        TRY(msg.require(2));
        CapSpace* dest = TRY(destination(ctx, msg, 2, cs));
        TRY(cs.move(msg.word(0), *dest, msg.word(1)));
        break;
    }
    case M::Delete: TRY(msg.require(1)); TRY(cs.remove(msg.word(0), ctx.reaper)); break;
    case M::Revoke: TRY(msg.require(1)); TRY(cs.revoke(msg.word(0), ctx.reaper)); break;
    case M::Identify: {
        TRY(msg.require(1));
        Capability* c = TRY(cs.lookup_any(msg.word(0)));
        // A frame's physical address tells frames apart (a pager recognizes its own) and
        // is what a driver programs a device's DMA with; no other object shows an address.
        u64 address = c->type() == ObjectType::Frame ? c->as<Frame>().page().value : 0;
        ctx.done(static_cast<u64>(c->type()), c->rights(), c->badge(), address);
        return {};
    }
    default: return Error::Unsupported;
    }
    ctx.done();
    return {};
}

} // namespace kernel
