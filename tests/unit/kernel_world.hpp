// A small kernel for object tests: untyped memory in a FakeMemory buffer, a root cap
// space carved from it the way boot code will do it, a scheduler and a reaper.
//   slot 0: the root untyped (all rights)      slot 1: the root cap space itself
#pragma once

#include "fake_memory.hpp"
#include <catch2/catch.hpp>
#include <microkernel/object/address_space.hpp>
#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/endpoint.hpp>
#include <microkernel/object/frame.hpp>
#include <microkernel/object/reaper.hpp>
#include <microkernel/object/reply.hpp>
#include <microkernel/object/semaphore.hpp>
#include <microkernel/object/untyped.hpp>
#include <microkernel/sched/scheduler.hpp>

struct KernelWorld {
    static constexpr kernel::u64 kUntypedSlot = 0, kSelfSlot = 1;
    FakeMemory mem;
    kernel::Scheduler sched;
    kernel::Reaper reaper{sched};
    kernel::Untyped* untyped = nullptr;
    kernel::CapSpace* cs = nullptr;
    kernel::u64 pristine_free = 0; ///< the root untyped's free bytes before anything was carved

    explicit KernelWorld(kernel::u64 bytes = 1 << 20, kernel::u32 cpus = 2,
                         const kernel::PagingOps* paging = nullptr)
        : mem(0x10000000, bytes), sched(cpus) {
        using namespace kernel;
        untyped = Untyped::create(mem.window(), PhysAddr{mem.base}, mem.size, paging).value();
        pristine_free = untyped->free_bytes();
        REQUIRE(untyped->check_retype(ObjectType::CapSpace, 6, 1).ok());
        cs = &static_cast<CapSpace&>(untyped->carve(ObjectType::CapSpace, 6));
        cap_install_root(cs->slot(kUntypedSlot), *untyped, abi::rights::kAll);
        cap_insert_child(cs->slot(kUntypedSlot), cs->slot(kSelfSlot), *cs, abi::rights::kAll, 0);
    }

    kernel::Capability& ut_cap() { return cs->slot(kUntypedSlot); }

    /// Retype one object into `slot` and return it.
    template <class T>
    T& make(kernel::ObjectType type, kernel::u64 slot, kernel::u32 bits = 0) {
        auto r = kernel::retype(ut_cap(), type, bits, *cs, slot, 1);
        REQUIRE(r.ok());
        return cs->slot(slot).as<T>();
    }
    kernel::Thread& thread(kernel::u64 slot) { return make<kernel::Thread>(kernel::ObjectType::Thread, slot); }
    kernel::Endpoint& endpoint(kernel::u64 slot) { return make<kernel::Endpoint>(kernel::ObjectType::Endpoint, slot); }
    kernel::Semaphore& semaphore(kernel::u64 slot) { return make<kernel::Semaphore>(kernel::ObjectType::Semaphore, slot); }

    /// Delete the capability in `slot` of the root cap space, draining the reaper.
    void remove(kernel::u64 slot) { REQUIRE(cs->remove(slot, reaper).ok()); }

    /// The result a thread's last system call left in its registers (0 or -errno).
    static long long result(const kernel::Thread& t) {
        return static_cast<long long>(t.reg(abi::kRegCap));
    }
    static long long err(kernel::Error e) { return -kernel::to_errno(e); }
};
