#include <microkernel/object/frame.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {
namespace {

namespace r = abi::rights;

/// A capability argument that may be abi::kNoSlot ("leave as it is").
Result<Capability*> optional_cap(SyscallContext& ctx, u64 slot, ObjectType type, u32 rights) {
    if (slot == abi::kNoSlot) return static_cast<Capability*>(nullptr);
    return ctx.lookup(slot, type, rights);
}

Result<void> configure(SyscallContext& ctx, Thread& t, const Message& msg) {
    TRY(msg.require(5));
    // A thread acts with every capability of its cap space and can change every page of
    // its address space: configuring it needs the rights that already allow that, Edit
    // (which can copy any capability out) and Map (which can replace any page).
    Capability* cs = TRY(optional_cap(ctx, msg.word(0), ObjectType::CapSpace, r::kEdit));
    Capability* as = TRY(optional_cap(ctx, msg.word(1), ObjectType::AddressSpace, r::kMap));
    Capability* frame = TRY(optional_cap(ctx, msg.word(2), ObjectType::Frame, r::kRead | r::kWrite));
    u64 buffer_va = msg.word(3);
    Capability* fault = TRY(optional_cap(ctx, msg.word(4), ObjectType::Endpoint, r::kWrite));
    // Optional sixth word: the shared cap space (a process's), with Edit as the own one.
    Capability* shared = nullptr;
    if (msg.length() > 5)
        shared = TRY(optional_cap(ctx, msg.word(5), ObjectType::CapSpace, r::kEdit));
    u64 offset = buffer_va % kPageSize;
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

Result<void> read_registers(SyscallContext& ctx, Thread& t, const Message& msg) {
    TRY(msg.require(2));
    u64 first = msg.word(0), count = msg.word(1);
    TRY(Thread::check_register_range(first, count));
    if (count > ctx.caller.mr_capacity()) return Error::OutOfRange;
    u64 values[abi::kMaxMsgWords];
    for (u64 i = 0; i < count; ++i) values[i] = t.reg(static_cast<u32>(first + i));
    answer_words(ctx, values, count);
    return {};
}

Result<void> write_registers(SyscallContext& ctx, Thread& t, const Message& msg) {
    TRY(msg.require(2));
    u64 first = msg.word(0), count = msg.word(1);
    TRY(Thread::check_register_range(first, count));
    if (count > abi::kMaxMsgWords - 2) return Error::OutOfRange;
    TRY(msg.require(static_cast<u32>(2 + count)));
    u64 values[abi::kMaxMsgWords];
    for (u32 i = 0; i < count; ++i) values[i] = msg.word(2 + i);
    for (u32 i = 0; i < count; ++i) t.set_reg(static_cast<u32>(first + i), values[i]);
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

Result<void> fpu_range(const Message& msg, u64& first, u64& count) {
    TRY(msg.require(2));
    first = msg.word(0), count = msg.word(1);
    if (first > abi::kFpuWords || count > abi::kFpuWords - first) return Error::OutOfRange;
    return {};
}

/// Thread.ReadFpu: words [first, first + count) of the FP/SIMD image.
Result<void> read_fpu(SyscallContext& ctx, Thread& t, const Message& msg) {
    u64 first, count;
    TRY(fpu_range(msg, first, count));
    if (count > ctx.caller.mr_capacity()) return Error::OutOfRange;
    fpu_to_area(ctx, t, false);
    u64 values[abi::kMaxMsgWords];
    __builtin_memcpy(values, static_cast<const u64*>(t.fpu_area()) + first, count * 8);
    answer_words(ctx, values, count);
    return {};
}

/// Thread.WriteFpu: words [first, first + count) of the FP/SIMD image. (What the arch
/// cannot load, x86_64's reserved MXCSR bits, fpu_switch clears.)
Result<void> write_fpu(SyscallContext& ctx, Thread& t, const Message& msg) {
    u64 first, count;
    TRY(fpu_range(msg, first, count));
    if (count > abi::kMaxMsgWords - 2) return Error::OutOfRange;
    TRY(msg.require(static_cast<u32>(2 + count)));
    u64 values[abi::kMaxMsgWords];
    for (u32 i = 0; i < count; ++i) values[i] = msg.word(2 + i);
    fpu_to_area(ctx, t, true);
    __builtin_memcpy(static_cast<u64*>(t.fpu_area()) + first, values, count * 8);
    ctx.done();
    return {};
}

/// Thread.CopyFpu: `to`'s FP/SIMD state becomes `from`'s (null: the reset state). With the
/// lazy FPU the newest state may be in the registers: the source's are saved first, and
/// the target's dropped (its area is what counts from now on).
Result<void> copy_fpu(SyscallContext& ctx, Thread& to, const Message& msg) {
    TRY(msg.require(1));
    Thread* from = nullptr;
    if (msg.word(0) != abi::kNoSlot)
        from = &TRY(ctx.lookup(msg.word(0), ObjectType::Thread, r::kRead))->as<Thread>();
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
    using M = abi::ThreadMethod;
    auto method = static_cast<M>(msg.label());
    const bool reads = method == M::ReadRegisters || method == M::ReadFpu || method == M::ReadCpuTime;
    const bool writes = method == M::WriteRegisters || method == M::WriteFpu;
    const u32 need = reads ? r::kRead : writes ? r::kWrite : r::kControl;
    TRY(cap.check(ObjectType::Thread, need));
    Thread& t = cap.as<Thread>();
    // Its registers or FP/SIMD state are used next: a thread running on another CPU
    // comes into the kernel there first, its registers saved.
    if (method == M::ReadRegisters || method == M::WriteRegisters || method == M::ReadFpu ||
        method == M::WriteFpu || method == M::CopyFpu)
        ctx.scheduler.stall(t);
    switch (method) {
    case M::Configure: TRY(configure(ctx, t, msg)); break;
    case M::ReadRegisters: return read_registers(ctx, t, msg);
    case M::WriteRegisters: return write_registers(ctx, t, msg);
    case M::ReadFpu: return read_fpu(ctx, t, msg);
    case M::ReadCpuTime: {
        const u64 words[2] = {t.cpu_ticks() * abi::kTickNs, t.cpu()};
        answer_words(ctx, words, 2);
        return {};
    }
    case M::WriteFpu: return write_fpu(ctx, t, msg);
    case M::SetTls: TRY(msg.require(1)); t.set_tls_base(msg.word(0)); break;
    case M::SetPriority: {
        TRY(msg.require(2));
        u32 priority = TRY(msg.word32(0));
        u32 slice = TRY(msg.word32(1));
        TRY(t.set_priority(priority, slice, ctx.scheduler));
        break;
    }
    case M::SetAffinity: TRY(msg.require(1)); TRY(t.set_affinity(msg.word(0), ctx.scheduler)); break;
    case M::Resume: TRY(t.resume(ctx.scheduler)); break;
    case M::Suspend: t.suspend(ctx.scheduler); break;
    case M::SetTimeout: TRY(msg.require(1)); ctx.scheduler.set_timeout(t, msg.word(0)); break;
    case M::CopyFpu: TRY(copy_fpu(ctx, t, msg)); break;
    case M::SetLinuxAbi: {
        TRY(msg.require(1));
        if (msg.word(0) > 1) return Error::InvalidArgument;
        t.set_linux_abi(msg.word(0) == 1);
        break;
    }
    default: return Error::Unsupported;
    }
    ctx.done();
    return {};
}

} // namespace kernel
