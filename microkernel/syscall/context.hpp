// What a system-call handler works with: the calling thread, the kernel state it may
// touch (passed in, never global), and a typed view of its arguments. Handlers never
// index raw registers; they read words through Message and answer through done().
#pragma once

#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/reaper.hpp>
#include <microkernel/object/thread.hpp>
#include <microkernel/format.hpp>
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
    /// A word that must fit in 32 bits (so a huge value is not silently truncated).
    Result<u32> word32(u32 i) const {
        u64 w = word(i);
        if (w > 0xffffffffu) return Error::InvalidArgument;
        return static_cast<u32>(w);
    }

  private:
    const Thread& thread_;
    abi::MessageInfo info_;
};

} // namespace kernel
