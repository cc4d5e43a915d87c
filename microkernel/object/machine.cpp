#include <microkernel/object/machine.hpp>
#include <microkernel/object/reaper.hpp>
#include <microkernel/object/semaphore.hpp>

namespace kernel {

Machine::Machine(const MachineOps& ops) : KernelObject(ObjectType::Machine), ops_(ops) {
    for (u32 i = 0; i < kMaxLines; ++i) {
        handlers_[i].machine_ = this;
        handlers_[i].line_ = i;
    }
}

Result<IrqHandler*> Machine::issue(u32 line) {
    if (line >= kMaxLines || !ops_.line_valid(line)) return Error::InvalidArgument;
    IrqHandler& h = handlers_[line];
    if (h.issued_) return Error::Busy;
    h.issued_ = true;
    return &h;
}

Result<void> Machine::bind(IrqHandler& h, Capability& sem, Reaper& reaper) {
    TRY(sem.check(ObjectType::Semaphore, abi::rights::kWrite));
    Capability fresh;
    cap_derive(sem, fresh, abi::rights::kWrite, 0);
    if (!h.semaphore_.empty()) cap_delete(h.semaphore_, reaper);
    cap_move(fresh, h.semaphore_);
    h.masked_ = false;
    ops_.set_masked(h.line_, false);
    return {};
}

Result<void> Machine::ack(IrqHandler& h) {
    if (h.semaphore_.empty()) return Error::Busy;
    if (h.masked_) {
        h.masked_ = false;
        ops_.set_masked(h.line_, false);
    }
    return {};
}

void Machine::interrupt(u32 line, Scheduler& scheduler) {
    ++interrupts_;
    if (line >= kMaxLines) return;
    IrqHandler& h = handlers_[line];
    // Masked until the handler's ack: a level-triggered line stays asserted until the
    // driver has talked to its device.
    h.masked_ = true;
    ops_.set_masked(line, true);
    // The semaphore may be gone (revoked): then the line stays masked until a new bind.
    if (!h.semaphore_.empty()) (void)h.semaphore_.as<Semaphore>().signal(scheduler);
}

void Machine::reset(IrqHandler& h, Reaper& reaper) {
    ops_.set_masked(h.line_, true);
    h.masked_ = true;
    if (!h.semaphore_.empty()) cap_delete(h.semaphore_, reaper);
    h.issued_ = false;
}

bool Machine::any_bound() const {
    for (const IrqHandler& h : handlers_)
        if (h.bound()) return true;
    return false;
}

void Machine::power_off(int status) const {
    ops_.power_off(status);
    for (;;) {} // power_off does not return; the loop is for the compiler
}

} // namespace kernel
