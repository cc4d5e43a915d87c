// The machine's own resources, as capabilities the kernel hands to the root task at boot
// and never creates again:
//   Console     the kernel's console: write bytes, read a received byte.
//   Machine     IRQ control (issues one IrqHandler capability per interrupt line) and
//               power (off, with a status QEMU exits with).
//   IrqHandler  one interrupt line: bind a semaphore that is signalled when the line
//               fires, acknowledge it to unmask the line again.
// They live in the kernel's own memory (no untyped paid for them), so deleting their
// last capability resets them instead of freeing anything.
//
// The hardware is reached through MachineOps, function pointers the boot code fills with
// the arch's functions and the tests with fakes, so this file stays portable.
#pragma once

#include <microkernel/object/cap_space.hpp>

namespace kernel {

class Reaper;
class Scheduler;

struct MachineOps {
    bool (*line_valid)(u32 line);
    void (*set_masked)(u32 line, bool masked);
    void (*console_put)(char c);
    int (*console_get)(); ///< a received byte or -1
    void (*power_off)(int status);
    u64 (*clock_ns)(); ///< the arch's clock (arch::clock_ns)
};

class Machine;

class IrqHandler : public KernelObject {
  public:
    IrqHandler() : KernelObject(ObjectType::IrqHandler) {}
    u32 line() const { return line_; }
    bool bound() const { return !semaphore_.empty(); }
    Machine& machine() const { return *machine_; }

  private:
    friend class Machine;
    Machine* machine_ = nullptr;
    u32 line_ = 0;
    bool issued_ = false;
    bool masked_ = true;
    Capability semaphore_;
};

class Console : public KernelObject {
  public:
    explicit Console(const MachineOps& ops) : KernelObject(ObjectType::Console), ops_(ops) {}
    void put(char c) const { ops_.console_put(c); }
    int get() const { return ops_.console_get(); }

  private:
    const MachineOps& ops_;
};

class Machine : public KernelObject {
  public:
    static constexpr u32 kMaxLines = 256;

    explicit Machine(const MachineOps& ops);

    /// The handler of `line`, not yet issued: InvalidArgument for a line the arch does
    /// not give to user space, Busy if a capability to it already exists.
    Result<IrqHandler*> issue(u32 line);
    /// Signal `sem` (a capability with Write) when the handler's line fires; unmasks it.
    Result<void> bind(IrqHandler& h, Capability& sem, Reaper& reaper);
    /// The interrupt was handled: unmask the line again (Busy if nothing is bound).
    Result<void> ack(IrqHandler& h);
    /// Called from the arch's interrupt path: mask the line until its ack, signal.
    void interrupt(u32 line, Scheduler& scheduler);
    /// The last capability to `h` went: mask the line, unbind, make it issuable again.
    void reset(IrqHandler& h, Reaper& reaper);
    [[noreturn]] void power_off(int status) const;
    /// Nanoseconds since the kernel's timer started (MachineMethod::ReadClock).
    u64 clock_ns() const { return ops_.clock_ns ? ops_.clock_ns() : 0; }
    u64 interrupts() const { return interrupts_; }
    /// Is any line bound to a semaphore (so an interrupt may yet wake a thread)?
    bool any_bound() const;

  private:
    const MachineOps& ops_;
    u64 interrupts_ = 0;
    IrqHandler handlers_[kMaxLines];
};

} // namespace kernel
