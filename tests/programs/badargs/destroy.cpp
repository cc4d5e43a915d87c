// badargs: objects destroyed while in use: an endpoint with a waiter, a thread's own last
// capability, an address space and an IPC buffer in use.
#include "badargs.hpp"

namespace badargs {

// destroying objects in use: endpoint with a waiter, own thread, address space, IPC buffer
void destroy() {
    {
        sys::Slots slots{kFirstHelperSlot + 32, 256};
        sys::Started t;
        bool ok = retype(ObjectType::Endpoint, 0, kDoomedEp, 1) == 0 &&
                  retype(ObjectType::Semaphore, 0, kSignal, 1) == 0 &&
                  sys::start_thread(slots, on_cpu0(doomed_receiver, 0, 0x6c000000), t) == 0;
        expect(ok ? 0 : -1, 0, "start a receiver");
        if (ok) {
            sys::yield(); // it blocks in receive
            expect(sys::cap_delete(root::kCapSpace, kDoomedEp), 0, "destroy the endpoint it waits on");
            expect(sys::sem_wait(kSignal), 0, "it woke");
            expect(g_receive_result, e::kPipe, "its receive failed with EPIPE");
            expect(sys::cap_delete(root::kCapSpace, t.thread), 0, "delete it");
        }
        u64 slot = slots.next;
        ok = sys::start_thread(slots, on_cpu0(self_deleter, slot, 0x6d000000), t) == 0;
        expect(ok && t.thread == slot ? 0 : -1, 0, "start a thread that deletes itself");
        sys::yield();
        sys::yield();
        expect(g_ran_after_delete ? -1 : 0, 0, "it never ran again");
        expect(err(bad_invoke(root::kCapSpace, abi::CapSpaceMethod::Identify, {slot})), e::kBadF, "its slot is empty");

        // A thread whose address space is destroyed under it is stopped by the kernel.
        ok = sys::start_process(slots, sys::root_program(), on_cpu0(spin_forever, 0, 0x6e000000), t) == 0;
        expect(ok ? 0 : -1, 0, "start a thread in a new address space");
        if (ok) {
            sys::yield();
            expect(sys::cap_revoke(root::kCapSpace, t.address_space), 0, "revoke its address space");
            expect(sys::cap_delete(root::kCapSpace, t.address_space), 0, "delete its address space");
            sys::yield();
            expect(sys::cap_delete(root::kCapSpace, t.thread), 0, "delete the thread");
        }
        // The IPC buffer frame of a thread blocked in receive is revoked: the kernel must
        // forget the buffer (the thread can then take four words and no capabilities).
        ok = retype(ObjectType::Endpoint, 0, kDoomedEp, 1) == 0 &&
             sys::start_thread(slots, on_cpu0(echo_on_doomed, 0, 0x6f000000), t) == 0;
        expect(ok ? 0 : -1, 0, "start an echo thread");
        if (ok) {
            sys::yield(); // it blocks in receive
            u64 buffer_frame = t.thread + 1 + sys::kThreadStackPages; // start_thread's order
            expect(sys::cap_revoke(root::kCapSpace, buffer_frame), 0, "revoke its IPC buffer frame");
            expect(sys::cap_delete(root::kCapSpace, buffer_frame), 0, "and delete it");
            sys::Reply r = call_with_caps(kDoomedEp, kSemaphore, 0, 0, 1, 12);
            expect(r.error, 0, "a long call with a capability to it");
            expect_eq(static_cast<long long>(r.mr[0]), 0, "no capability arrived");
            expect_eq(static_cast<long long>(r.mr[1]), 4, "four words arrived");
            expect(sys::cap_delete(root::kCapSpace, t.thread), 0, "delete it");
        }
        u64 value = *reinterpret_cast<volatile u64*>(0x400000);
        expect(value != 0 ? 0 : -1, 0, "my code pages survived (shared frames)");
    }
}

} // namespace badargs
