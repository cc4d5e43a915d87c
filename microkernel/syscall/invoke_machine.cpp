// Console, Machine (IRQ control and power) and IrqHandler methods.
#include <microkernel/object/machine.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {
namespace {

Result<void> invoke_console(SyscallContext& ctx, Capability& cap, const Message& msg) {
    auto& console = cap.as<Console>();
    switch (msg.label()) {
    case label_of<abi::ConsoleWrite>: {
        const auto a = msg.arguments<abi::ConsoleWrite>();
        const u64 n = a.count;
        TRY(msg.require(static_cast<u32>(1 + (n + 7) / 8)));
        for (u64 i = 0; i < n; ++i)
            console.put(static_cast<char>(msg.word(static_cast<u32>(1 + i / 8)) >> (8 * (i % 8))));
        ctx.done();
        return {};
    }
    case label_of<abi::ConsoleRead>: {
        int c = console.get();
        if (c < 0) return Error::WouldBlock;
        ctx.answer(abi::ConsoleRead::Out{static_cast<u64>(c)});
        return {};
    }
    }
    return Error::Unsupported;
}

Result<void> invoke_machine_object(SyscallContext& ctx, Capability& cap, const Message& msg) {
    auto& machine = cap.as<Machine>();
    switch (msg.label()) {
    case label_of<abi::MachineIssueIrqHandler>: {
        const auto a = msg.arguments<abi::MachineIssueIrqHandler>();
        Capability& dest = *TRY(ctx.lookup_empty(a.dest));
        IrqHandler* h = TRY(machine.issue(a.line.word32()));
        cap_install_root(dest, *h, abi::rights::kAll);
        ctx.done();
        return {};
    }
    case label_of<abi::MachineReadClock>:
        ctx.answer(abi::MachineReadClock::Out{machine.clock_ns()});
        return {};
    case label_of<abi::MachinePowerOff>: {
        const auto a = msg.arguments<abi::MachinePowerOff>();
        machine.power_off(static_cast<int>(a.status));
    }
    }
    return Error::Unsupported;
}

Result<void> invoke_irq_handler(SyscallContext& ctx, Capability& cap, const Message& msg) {
    auto& h = cap.as<IrqHandler>();
    switch (msg.label()) {
    case label_of<abi::IrqHandlerSetSemaphore>: {
        const auto a = msg.arguments<abi::IrqHandlerSetSemaphore>();
        Capability* sem = TRY(ctx.cap(a.semaphore));
        TRY(h.machine().bind(h, *sem, ctx.reaper));
        ctx.done();
        return {};
    }
    case label_of<abi::IrqHandlerAck>:
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
