#include <microkernel/object/address_space.hpp>
#include <microkernel/object/endpoint.hpp>
#include <microkernel/object/frame.hpp>
#include <microkernel/object/machine.hpp>
#include <microkernel/object/reaper.hpp>
#include <microkernel/object/reply.hpp>
#include <microkernel/object/semaphore.hpp>
#include <microkernel/object/untyped.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

void Reaper::retire(KernelObject& object) {
    object.next_dead_ = nullptr;
    if (tail_) tail_->next_dead_ = &object;
    else head_ = &object;
    tail_ = &object;
}

void Reaper::drain() {
    if (held_) return;
    while (KernelObject* object = head_) {
        head_ = object->next_dead_;
        if (!head_) tail_ = nullptr;
        destroy(*object);
    }
}

void Reaper::destroy(KernelObject& object) {
    switch (object.type()) {
    case ObjectType::Untyped: break; // its children are gone (see reaper.hpp)
    case ObjectType::CapSpace: static_cast<CapSpace&>(object).clear(*this); break;
    case ObjectType::Thread: static_cast<Thread&>(object).teardown(scheduler_, *this); break;
    case ObjectType::Endpoint: static_cast<Endpoint&>(object).teardown(scheduler_); break;
    case ObjectType::Semaphore: static_cast<Semaphore&>(object).teardown(scheduler_); break;
    case ObjectType::Reply: static_cast<Reply&>(object).teardown(scheduler_); break;
    case ObjectType::Frame: break;
    case ObjectType::AddressSpace: static_cast<AddressSpace&>(object).teardown(*this); break;
    case ObjectType::MapBudget: static_cast<MapBudget&>(object).teardown(*this); break;
    case ObjectType::Console:
    case ObjectType::Machine: break; // the kernel's own: nothing to undo
    case ObjectType::IrqHandler: static_cast<IrqHandler&>(object).machine().reset(static_cast<IrqHandler&>(object), *this); break;
    }
    ++destroyed_;
    // Boot-time objects (no source) are never returned anywhere.
    if (object.source_) object.source_->release(object);
}

} // namespace kernel
