#include <microkernel/object/frame.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {
namespace {

Result<void> configure(SyscallContext& ctx, Thread& t, const abi::ThreadConfigure& a) {
    // A thread acts with every capability of its cap space and can change every page of
    // its address space: configuring it needs the rights that already allow that, Edit
    // (which can copy any capability out) and Map (which can replace any page): the
    // table's rights for these arguments.
    Capability* cs = TRY(ctx.cap(a.cap_space));
    Capability* as = TRY(ctx.cap(a.address_space));
    Capability* frame = TRY(ctx.cap(a.ipc_buffer_frame));
    Capability* fault = TRY(ctx.cap(a.fault_endpoint));
    Capability* shared = TRY(ctx.cap(a.shared_cap_space));
    u64 offset = a.ipc_buffer % kPageSize;
    if (frame && (offset % alignof(abi::IpcBuffer) || offset + sizeof(abi::IpcBuffer) > kPageSize))
        return Error::InvalidArgument;
    // Everything is valid: install (each setter derives its own capability).
    if (cs) t.set_cap_space(*cs, ctx.reaper);
    if (shared) t.set_shared_cap_space(*shared, ctx.reaper);
    if (as) t.set_address_space(*as, ctx.reaper);
    if (frame) {
        auto* buffer = reinterpret_cast<abi::IpcBuffer*>(
            ctx.window.at(frame->as<Frame>().page()) + offset);
        t.set_ipc_buffer(*frame, buffer, ctx.reaper);
    }
    if (fault) t.set_fault_endpoint(*fault, ctx.reaper);
    return {};
}

/// The answer of a Read method: `count` words (copied first: the thread read may be the
/// caller itself).
void answer_words(SyscallContext& ctx, const u64* values, u64 count) {
    for (u32 i = 0; i < count; ++i) ctx.caller.set_mr(i, values[i]);
    ctx.caller.set_reg(abi::kRegInfo, abi::MessageInfo{0, static_cast<u32>(count), 0}.encode());
    ctx.caller.set_result({});
}

Result<void> read_registers(SyscallContext& ctx, Thread& t, const abi::ThreadReadRegisters& a) {
    TRY(Thread::check_register_range(a.first, a.count));
    if (a.count > ctx.caller.mr_capacity()) return Error::OutOfRange;
    u64 values[abi::kMaxMsgWords];
    for (u64 i = 0; i < a.count; ++i) values[i] = t.reg(static_cast<u32>(a.first + i));
    answer_words(ctx, values, a.count);
    return {};
}

/// The `count` words that follow a Write method's (first, count), copied first: the thread
/// written may be the caller itself.
Result<void> more_words(const Message& msg, u64 count, u64* values) {
    if (count > abi::kMaxMsgWords - 2) return Error::OutOfRange;
    TRY(msg.require(static_cast<u32>(2 + count)));
    for (u32 i = 0; i < count; ++i) values[i] = msg.word(2 + i);
    return {};
}

Result<void> write_registers(SyscallContext& ctx, Thread& t, const Message& msg,
                             const abi::ThreadWriteRegisters& a) {
    TRY(Thread::check_register_range(a.first, a.count));
    u64 values[abi::kMaxMsgWords];
    TRY(more_words(msg, a.count, values));
    for (u32 i = 0; i < a.count; ++i) t.set_reg(static_cast<u32>(a.first + i), values[i]);
    ctx.done();
    return {};
}

/// The thread's FP/SIMD image made current in its area for ReadFpu / WriteFpu: the reset
/// state if it never used the registers, its live registers saved if this CPU holds them;
/// a write then drops them (the area is what counts: loaded at its next use).
static_assert(abi::kFpuWords * 8 == kFpuAreaBytes);

void fpu_to_area(SyscallContext& ctx, Thread& t, bool write) {
    if (t.first_fpu_use() && ctx.fpu_init) ctx.fpu_init(t.fpu_area());
    ctx.scheduler.fpu_home(t, ctx.cpu); // (held by another CPU: saved there, and given up)
    if (ctx.scheduler.fpu_owner(ctx.cpu) != &t) return;
    if (ctx.fpu_save) ctx.fpu_save(t.fpu_area());
    if (write) ctx.scheduler.set_fpu_owner(ctx.cpu, nullptr);
}

Result<void> check_fpu_range(u64 first, u64 count) {
    if (first > abi::kFpuWords || count > abi::kFpuWords - first) return Error::OutOfRange;
    return {};
}

/// Thread.ReadFpu: words [first, first + count) of the FP/SIMD image.
Result<void> read_fpu(SyscallContext& ctx, Thread& t, const abi::ThreadReadFpu& a) {
    TRY(check_fpu_range(a.first, a.count));
    if (a.count > ctx.caller.mr_capacity()) return Error::OutOfRange;
    fpu_to_area(ctx, t, false);
    u64 values[abi::kMaxMsgWords];
    __builtin_memcpy(values, static_cast<const u64*>(t.fpu_area()) + a.first, a.count * 8);
    answer_words(ctx, values, a.count);
    return {};
}

/// Thread.WriteFpu: words [first, first + count) of the FP/SIMD image. (What the arch
/// cannot load, x86_64's reserved MXCSR bits, fpu_switch clears.)
Result<void> write_fpu(SyscallContext& ctx, Thread& t, const Message& msg, const abi::ThreadWriteFpu& a) {
    TRY(check_fpu_range(a.first, a.count));
    u64 values[abi::kMaxMsgWords];
    TRY(more_words(msg, a.count, values));
    fpu_to_area(ctx, t, true);
    __builtin_memcpy(static_cast<u64*>(t.fpu_area()) + a.first, values, a.count * 8);
    ctx.done();
    return {};
}

/// Thread.CopyFpu: `to`'s FP/SIMD state becomes `from`'s (null: the reset state). With the
/// lazy FPU the newest state may be in the registers: the source's are saved first, and
/// the target's dropped (its area is what counts from now on).
Result<void> copy_fpu(SyscallContext& ctx, Thread& to, const abi::ThreadCopyFpu& a) {
    Capability* source = TRY(ctx.cap(a.source));
    Thread* from = source ? &source->as<Thread>() : nullptr;
    if (from == &to) return {};
    if (from) {
        ctx.scheduler.stall(*from);
        ctx.scheduler.fpu_home(*from, ctx.cpu);
    }
    ctx.scheduler.fpu_home(to, ctx.cpu);
    if (from && ctx.scheduler.fpu_owner(ctx.cpu) == from && ctx.fpu_save) ctx.fpu_save(from->fpu_area());
    if (ctx.scheduler.fpu_owner(ctx.cpu) == &to) ctx.scheduler.set_fpu_owner(ctx.cpu, nullptr);
    to.copy_fpu(from);
    return {};
}

} // namespace

Result<void> invoke_thread(SyscallContext& ctx, Capability& cap, const Message& msg) {
    Thread& t = cap.as<Thread>();
    // Methods that use its registers or FP/SIMD state next stall it first: a thread running
    // on another CPU comes into the kernel there, its registers saved.
    switch (msg.label()) {
    case label_of<abi::ThreadConfigure>: {
        const auto a = msg.arguments<abi::ThreadConfigure>();
        TRY(configure(ctx, t, a));
        break;
    }
    case label_of<abi::ThreadReadRegisters>: {
        const auto a = msg.arguments<abi::ThreadReadRegisters>();
        ctx.scheduler.stall(t);
        return read_registers(ctx, t, a);
    }
    case label_of<abi::ThreadWriteRegisters>: {
        const auto a = msg.arguments<abi::ThreadWriteRegisters>();
        ctx.scheduler.stall(t);
        return write_registers(ctx, t, msg, a);
    }
    case label_of<abi::ThreadReadFpu>: {
        const auto a = msg.arguments<abi::ThreadReadFpu>();
        ctx.scheduler.stall(t);
        return read_fpu(ctx, t, a);
    }
    case label_of<abi::ThreadWriteFpu>: {
        const auto a = msg.arguments<abi::ThreadWriteFpu>();
        ctx.scheduler.stall(t);
        return write_fpu(ctx, t, msg, a);
    }
    case label_of<abi::ThreadCopyFpu>: {
        const auto a = msg.arguments<abi::ThreadCopyFpu>();
        ctx.scheduler.stall(t);
        TRY(copy_fpu(ctx, t, a));
        break;
    }
    case label_of<abi::ThreadReadCpuTime>:
        ctx.answer(abi::ThreadReadCpuTime::Out{t.cpu_ticks() * abi::kTickNs, t.cpu()});
        return {};
    case label_of<abi::ThreadSetTls>: {
        const auto a = msg.arguments<abi::ThreadSetTls>();
        t.set_tls_base(a.base);
        break;
    }
    case label_of<abi::ThreadSetPriority>: {
        const auto a = msg.arguments<abi::ThreadSetPriority>();
        TRY(t.set_priority(a.priority.word32(), a.time_slice.word32(), ctx.scheduler));
        break;
    }
    case label_of<abi::ThreadSetAffinity>: {
        const auto a = msg.arguments<abi::ThreadSetAffinity>();
        TRY(t.set_affinity(a.cpu_mask, ctx.scheduler));
        break;
    }
    case label_of<abi::ThreadResume>:
        TRY(t.resume(ctx.scheduler));
        break;
    case label_of<abi::ThreadSuspend>:
        t.suspend(ctx.scheduler);
        break;
    case label_of<abi::ThreadSetTimeout>: {
        const auto a = msg.arguments<abi::ThreadSetTimeout>();
        ctx.scheduler.set_timeout(t, a.deadline);
        break;
    }
    case label_of<abi::ThreadSetLinuxAbi>: {
        const auto a = msg.arguments<abi::ThreadSetLinuxAbi>();
        t.set_linux_abi(a.on == 1);
        break;
    }
    default: return Error::Unsupported;
    }
    ctx.done();
    return {};
}

} // namespace kernel
