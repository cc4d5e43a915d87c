// Console, Machine (IRQ control and power) and IrqHandler methods.
#include <microkernel/object/machine.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {
namespace {

namespace r = abi::rights;

Result<void> console_write(SyscallContext& ctx, const Console& console, const Message& msg) {
    TRY(msg.require(1));
    u64 n = msg.word(0);
    if (n > 8 * (abi::kMaxMsgWords - 1)) return Error::InvalidArgument;
    TRY(msg.require(static_cast<u32>(1 + (n + 7) / 8)));
    for (u64 i = 0; i < n; ++i)
        console.put(static_cast<char>(msg.word(static_cast<u32>(1 + i / 8)) >> (8 * (i % 8))));
    ctx.done();
    return {};
}

Result<void> invoke_console(SyscallContext& ctx, Capability& cap, const Message& msg) {
    using M = abi::ConsoleMethod;
    auto& console = cap.as<Console>();
    switch (static_cast<M>(msg.label())) {
    case M::Write:
        TRY(cap.check(ObjectType::Console, r::kWrite));
        return console_write(ctx, console, msg);
    case M::Read: {
        TRY(cap.check(ObjectType::Console, r::kRead));
        int c = console.get();
        if (c < 0) return Error::WouldBlock;
        ctx.done(static_cast<u64>(c));
        return {};
    }
    }
    return Error::Unsupported;
}

Result<void> invoke_machine_object(SyscallContext& ctx, Capability& cap, const Message& msg) {
    using M = abi::MachineMethod;
    auto& machine = cap.as<Machine>();
    switch (static_cast<M>(msg.label())) {
    case M::IssueIrqHandler: {
        TRY(cap.check(ObjectType::Machine, r::kControl));
        TRY(msg.require(2));
        u32 line = TRY(msg.word32(0));
        Capability& dest = *TRY(ctx.lookup_empty(msg.word(1)));
        IrqHandler* h = TRY(machine.issue(line));
        cap_install_root(dest, *h, r::kAll);
        ctx.done();
        return {};
    }
    case M::ReadClock:
        TRY(cap.check(ObjectType::Machine, r::kControl));
        ctx.done(machine.clock_ns());
        return {};
    case M::PowerOff: {
        TRY(cap.check(ObjectType::Machine, r::kControl));
        TRY(msg.require(1));
        u64 status = msg.word(0);
        if (status > 255) return Error::InvalidArgument;
        machine.power_off(static_cast<int>(status));
    }
    }
    return Error::Unsupported;
}

Result<void> invoke_irq_handler(SyscallContext& ctx, Capability& cap, const Message& msg) {
    using M = abi::IrqHandlerMethod;
    auto& h = cap.as<IrqHandler>();
    switch (static_cast<M>(msg.label())) {
    case M::SetSemaphore: {
        TRY(cap.check(ObjectType::IrqHandler, r::kControl));
        TRY(msg.require(1));
        Capability* sem = TRY(ctx.lookup(msg.word(0), ObjectType::Semaphore, r::kWrite));
        TRY(h.machine().bind(h, *sem, ctx.reaper));
        ctx.done();
        return {};
    }
    case M::Ack:
        TRY(cap.check(ObjectType::IrqHandler, r::kControl));
        TRY(h.machine().ack(h));
        ctx.done();
        return {};
    }
    return Error::Unsupported;
}

} // namespace

Result<void> invoke_machine(SyscallContext& ctx, Capability& cap, const Message& msg) {
    switch (cap.type()) {
    case ObjectType::Console: return invoke_console(ctx, cap, msg);
    case ObjectType::Machine: return invoke_machine_object(ctx, cap, msg);
    case ObjectType::IrqHandler: return invoke_irq_handler(ctx, cap, msg);
    default: return Error::WrongType;
    }
}

} // namespace kernel
