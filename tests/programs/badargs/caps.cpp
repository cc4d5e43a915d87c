// badargs: capability slots out of range or empty, objects of the wrong type and unknown
// methods, copies without the rights a method needs.
#include "badargs.hpp"

namespace badargs {

// empty, out-of-range and huge capability slots
void slots() {
    for (u64 slot : {kEmpty, g_last_slot}) {
        expect(err(bad_invoke(slot, 1)), e::kBadF, "invoke empty slot");
        expect(err(sys::call(slot, 0)), e::kBadF, "call empty slot");
    }
    for (u64 slot : {g_slot_count, g_slot_count * 16, kHuge, abi::kNoSlot}) {
        expect(err(bad_invoke(slot, 1)), e::kRange, "invoke slot out of range");
        expect(err(sys::send(slot, 0)), e::kRange, "send slot out of range");
        expect(err(sys::receive(slot)), e::kRange, "receive slot out of range");
        expect(sys::cap_copy(root::kCapSpace, slot, kScratch), e::kRange, "copy from out of range");
        expect(sys::cap_copy(root::kCapSpace, kEndpoint, slot), e::kRange, "copy to out of range");
        expect(sys::cap_delete(root::kCapSpace, slot), e::kRange, "delete out of range");
        expect(sys::map(root::kAddressSpace, slot, kFreeVa, rt::kRead), e::kRange, "map frame out of range");
    }
    expect(sys::cap_delete(root::kCapSpace, kEmpty), e::kBadF, "delete empty slot");
    expect(sys::cap_revoke(root::kCapSpace, kEmpty), e::kBadF, "revoke empty slot");
    expect(sys::cap_copy(root::kCapSpace, kEndpoint, kSemaphore), e::kExist, "copy onto an occupied slot");
    expect(sys::cap_move(root::kCapSpace, kEndpoint, kSemaphore), e::kExist, "move onto an occupied slot");
    expect(sys::thread_configure(kThread, kEmpty, abi::kNoSlot, abi::kNoSlot, 0, abi::kNoSlot), e::kBadF,
           "configure with an empty cap space slot");
}

// wrong object types and unknown methods, every family
void types() {
    expect(err(sys::send(kSemaphore, 0)), e::kNoTty, "send to a semaphore");
    expect(err(sys::call(root::kThread, 0)), e::kNoTty, "call a thread");
    expect(err(sys::receive(kFrame)), e::kNoTty, "receive on a frame");
    expect(err(sys::reply_receive(root::kCapSpace, 0)), e::kNoTty, "reply_receive on a cap space");
    expect(err(bad_invoke(kEndpoint, 1)), e::kOpNotSupp, "invoke an endpoint");
    expect(err(bad_invoke(kFrame, 1)), e::kOpNotSupp, "invoke a frame");
    expect(sys::map(root::kAddressSpace, kSemaphore, kFreeVa, rt::kRead), e::kNoTty, "map a semaphore");
    expect(retype(ObjectType::Frame, 0, kScratch, 1, kThread), e::kNoTty, "retype into a thread");
    expect(sys::cap_copy_to(root::kCapSpace, kEndpoint, kEndpoint, kScratch), e::kNoTty,
           "copy into an endpoint");
    expect(sys::thread_configure(kThread, kEndpoint, abi::kNoSlot, abi::kNoSlot, 0, abi::kNoSlot), e::kNoTty,
           "configure: cap space is an endpoint");
    expect(sys::thread_configure(kThread, abi::kNoSlot, kFrame, abi::kNoSlot, 0, abi::kNoSlot), e::kNoTty,
           "configure: address space is a frame");
    expect(sys::thread_configure(kThread, abi::kNoSlot, abi::kNoSlot, kThread, 0, abi::kNoSlot), e::kNoTty,
           "configure: IPC buffer is a thread");
    expect(sys::thread_configure(kThread, abi::kNoSlot, abi::kNoSlot, abi::kNoSlot, 0, kSemaphore), e::kNoTty,
           "configure: fault endpoint is a semaphore");
    for (u64 slot : {root::kUntyped, root::kCapSpace, root::kThread, kSemaphore, root::kAddressSpace})
        expect(err(bad_invoke(slot, 99)), e::kOpNotSupp, "unknown method");
    for (u64 type : {u64{0}, u64{8}, u64{99}, kHuge})
        expect(err(bad_invoke(root::kUntyped, abi::UntypedMethod::Retype, {type, 0, root::kCapSpace, kScratch, 1})),
               e::kInval, "retype to no such type");
}

// missing rights (read-only and write-only copies)
void rights() {
    expect(sys::cap_copy(kReadOnlyCs, kEndpoint, kScratch), e::kAcces, "copy through a read-only cap space");
    expect(err(bad_invoke(kReadOnlyCs, abi::CapSpaceMethod::Identify, {kEndpoint})), 0, "identify: read is enough");
    expect(sys::cap_mint(root::kCapSpace, kReadOnlyThread, kScratch, rt::kAll, 0, root::kCapSpace), e::kAcces,
           "mint more rights than the source has");
    expect(sys::cap_mint(root::kCapSpace, kEndpoint, kScratch, 0xff, 0, root::kCapSpace), e::kInval,
           "mint undefined rights");
    expect(sys::cap_mint(root::kCapSpace, kSemaphore, kScratch, rt::kAll, 7, root::kCapSpace), e::kInval,
           "badge on a semaphore");
    expect(sys::cap_mint(root::kCapSpace, root::kUntyped, kScratch, rt::kRead, 0, root::kCapSpace), e::kOpNotSupp,
           "copying an untyped");
    expect(sys::thread_resume(kReadOnlyThread), e::kAcces, "resume through a read-only thread");
    expect(sys::thread_set_priority(kReadOnlyThread, 10, 1), e::kAcces, "priority through a read-only thread");
    expect(err(bad_invoke(kReadOnlyThread, abi::ThreadMethod::WriteRegisters, {0, 1, 0})), e::kAcces,
           "write registers through a read-only thread");
    expect(err(bad_invoke(kReadOnlyThread, abi::ThreadMethod::ReadRegisters, {0, 2})), 0,
           "read registers: read is enough");
    expect(sys::map(kReadOnlyAs, kFrame, kFreeVa, rt::kRead), e::kAcces, "map through a read-only address space");
    expect(err(bad_invoke(kReadOnlyAs, abi::AddressSpaceMethod::Query, {0x400000})), 0, "query: read is enough");
    expect(sys::map(root::kAddressSpace, kReadOnlyFrame, kFreeVa, rt::kRead | rt::kWrite), e::kAcces,
           "map a read-only frame writable");
    expect(sys::map(root::kAddressSpace, kReadOnlyFrame, kFreeVa, rt::kRead | rt::kExecute), e::kAcces,
           "map a read-only frame executable");
    expect(err(sys::send(kReadOnlyEp, 0)), e::kAcces, "send through a read-only endpoint");
    expect(err(sys::receive(kWriteOnlyEp)), e::kAcces, "receive through a write-only endpoint");
    expect(sys::sem_wait(kWriteOnlySem), e::kAcces, "wait through a write-only semaphore");
    expect(sys::thread_configure(kThread, abi::kNoSlot, abi::kNoSlot, abi::kNoSlot, 0, kReadOnlyEp), e::kAcces,
           "fault endpoint without write");
    expect(sys::thread_configure(kThread, abi::kNoSlot, abi::kNoSlot, kReadOnlyFrame, 0, abi::kNoSlot), e::kAcces,
           "IPC buffer frame without write");
}

} // namespace badargs
