// What a system-call handler works with: the calling thread, the kernel state it may
// touch (passed in, never global), and a typed view of its arguments. Handlers never
// index raw registers: a method's arguments come as its struct of abi/methods.hpp
// (Message::arguments), its capabilities through SyscallContext::cap, and its answer
// goes out through answer() or done().
#pragma once

#include <abi/methods.hpp>
#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/reaper.hpp>
#include <microkernel/object/thread.hpp>
#include <base/format.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

struct SyscallContext {
    Thread& caller;
    u64 cpu;              ///< the CPU the caller runs on (a whole word: with padding after it GCC cleared the context with a memset)
    Scheduler& scheduler;
    Reaper& reaper;
    PhysWindow window;    ///< how the kernel reaches physical memory (IPC buffers)
    Sink console{};       ///< where DebugPutChar writes (nothing when put is null)
    /// Lazy FPU: save this CPU's FP/SIMD registers into their owner's `area` (they stay
    /// loaded); null where there are no registers (host tests: the area is the state).
    void (*fpu_save)(void* area) = nullptr;
    /// The arch's reset FP/SIMD state into `area` (arch::init_fpu_area); null on the host.
    void (*fpu_init)(void* area) = nullptr;

    /// A capability the caller names (its own cap space or the shared one: Thread::space_for),
    /// checked for type and rights.
    Result<Capability*> lookup(u64 slot, ObjectType type, u32 rights) const {
        CapSpace* cs = caller.space_for(slot);
        if (!cs) return Error::BadCapability;
        return cs->lookup(slot, type, rights);
    }
    Result<Capability*> lookup_any(u64 slot) const {
        CapSpace* cs = caller.space_for(slot);
        if (!cs) return Error::BadCapability;
        return cs->lookup_any(slot);
    }
    /// An empty slot the caller names, to put a new capability in.
    Result<Capability*> lookup_empty(u64 slot) const {
        CapSpace* cs = caller.space_for(slot);
        if (!cs) return Error::BadCapability;
        return cs->lookup_empty(slot);
    }

    /// The capability a Cap or CapOrNone argument names, of the type and with the rights
    /// abi/methods.hpp gives it (null for a CapOrNone of kNoSlot).
    template <class Arg>
    Result<Capability*> cap(const Arg& arg) const {
        constexpr abi::ParamInfo p = Arg::info;
        static_assert(p.kind == abi::Kind::Cap || p.kind == abi::Kind::CapOrNone);
        if (p.kind == abi::Kind::CapOrNone && arg.value == abi::kNoSlot) return static_cast<Capability*>(nullptr);
        return lookup(arg.value, p.type, p.rights);
    }

    /// Finish successfully with a method's answer (its Out) in the message registers.
    template <class Out>
    void answer(const Out& out) {
        u32 i = 0;
        abi::for_each_word(out, [&](const auto& w) { caller.set_mr(i++, w.value); });
        caller.set_reg(abi::kRegInfo, abi::MessageInfo{0, i, 0}.encode());
        caller.set_result({});
    }

    /// Finish successfully, answering with `words` in the message registers.
    template <class... Words>
    void done(Words... words) {
        u32 i = 0;
        ((caller.set_mr(i++, static_cast<u64>(words))), ...);
        caller.set_reg(abi::kRegInfo, abi::MessageInfo{0, i, 0}.encode());
        caller.set_result({});
    }
};

/// The caller's message as method arguments.
class Message {
  public:
    explicit Message(const Thread& t)
        : thread_(t), info_(abi::MessageInfo::decode(t.reg(abi::kRegInfo))) {}
    u64 label() const { return info_.label; }
    u32 length() const { return info_.length; }
    /// At least `n` argument words, all of which the caller can actually hold.
    Result<void> require(u32 n) const {
        if (info_.length < n || n > thread_.mr_capacity()) return Error::InvalidArgument;
        return {};
    }
    u64 word(u32 i) const { return thread_.mr(i); }

    /// Check the invoked method's arguments against abi/methods.hpp, before the method
    /// runs, in this order: the method exists for the object `cap` names (EOPNOTSUPP); `cap`
    /// carries the method's right (EACCES); the message holds the method's required words,
    /// and the caller can hold those it sent (EINVAL); each word passes its kind's check
    /// (EINVAL). Optional words not sent take their default. Capability arguments are
    /// looked up where the method uses them (SyscallContext::cap).
    Result<void> decode(const Capability& cap);
    /// The arguments of method M, which decode() checked: `case label_of<M>:` only.
    template <class M>
    M arguments() const {
        M args;
        if constexpr (abi::kWords<M> > 0) __builtin_memcpy(static_cast<void*>(&args), args_, sizeof args);
        return args;
    }

  private:
    const Thread& thread_;
    abi::MessageInfo info_;
    u64 args_[6]; ///< the method's arguments, decoded

};

/// The label of method M, for the `case` that decodes M: `case label_of<abi::ThreadSetTls>:`.
template <class M>
inline constexpr u64 label_of = M::method.label;

} // namespace kernel
