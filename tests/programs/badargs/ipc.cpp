// badargs: message lengths, missing arguments and bad system-call numbers; capability transfer
// with bad send and receive slots or without Grant.
#include "badargs.hpp"

namespace badargs {

// message lengths above kMaxMsgWords, missing arguments, bad syscall numbers
void lengths() {
    for (u32 length : {abi::kMaxMsgWords + 1, u32{40}, u32{63}}) {
        expect(raw(abi::Syscall::Send, kEndpoint, 0, length), e::kInval, "send too long");
        expect(raw(abi::Syscall::Call, kEndpoint, 0, length), e::kInval, "call too long");
        expect(raw(abi::Syscall::Reply, 0, 0, length), e::kInval, "reply too long");
        expect(raw(abi::Syscall::ReplyReceive, kEndpoint, 0, length), e::kInval, "reply_receive too long");
    }
    expect(raw(abi::Syscall::Invoke, root::kUntyped, 1, 2), e::kInval, "retype with two of five arguments");
    expect(raw(abi::Syscall::Invoke, root::kAddressSpace, 1, 0), e::kInval, "map with no arguments");
    expect(raw(abi::Syscall::Invoke, root::kCapSpace, 2, 3), e::kInval, "mint with three of four arguments");
    expect(raw(abi::Syscall::Invoke, root::kThread, 1, 4), e::kInval, "configure with four of five arguments");
    // Invoke rejects a length no message can have, like the IPC calls (before anything
    // else about the method is looked at).
    expect(raw(abi::Syscall::Invoke, root::kUntyped, 1, 63), e::kInval, "invoke with 63 words");
    expect(raw(abi::Syscall::Invoke, root::kUntyped, 1, abi::kMaxMsgWords + 1), e::kInval,
           "invoke with kMaxMsgWords + 1 words");
    expect(raw(static_cast<abi::Syscall>(8), 0, 0, 0), e::kOpNotSupp, "syscall number 8");
    expect(raw(static_cast<abi::Syscall>(kHuge), 0, 0, 0), e::kOpNotSupp, "huge syscall number");
}

// capability transfer: bad send slots, bad receive slots, no Grant
void transfer() {
    {
        sys::Slots slots{kFirstHelperSlot + 16, 256};
        sys::Started t;
        constexpr u64 kRegion = 0x68000000, kGrantEp = kScratch + 1;
        long long started = sys::start_thread(slots, on_cpu0(echo_caps, 0, kRegion), t);
        expect(started, 0, "start the receiver");
        expect(sys::cap_mint(root::kCapSpace, kEndpoint, kGrantEp, rt::kWrite | rt::kGrant, 0, root::kCapSpace), 0,
               "an endpoint capability with Grant");
        abi::IpcBuffer* theirs = sys::ipc_buffer_of(kRegion);
        auto arrived = [](const sys::Reply& r) { return r.ok() ? static_cast<long long>(r.mr[0]) : r.error; };
        if (started == 0) {
            theirs->receive_slot = 200;
            expect_eq(arrived(call_with_caps(kGrantEp, kHuge, abi::kNoSlot, 300, 3)), 0, "send huge slots: none arrive");
            expect_eq(arrived(call_with_caps(kGrantEp, kEmpty, kSemaphore, kSemaphore, 3)), 0,
                   "an empty slot first: none arrive");
            expect_eq(arrived(call_with_caps(kGrantEp, root::kUntyped, kSemaphore, kSemaphore, 3)), 0,
                   "an untyped first: none arrive");
            theirs->receive_slot = g_last_slot;
            expect_eq(arrived(call_with_caps(kGrantEp, kSemaphore, kSemaphore, kSemaphore, 3)), 1,
                   "receive slot at the table's end: one arrives, the table ends");
            expect(sys::cap_delete(root::kCapSpace, g_last_slot), 0, "delete it");
            for (u64 slot : {g_slot_count, kHuge, abi::kNoSlot - 1, abi::kNoSlot}) {
                theirs->receive_slot = slot;
                expect_eq(arrived(call_with_caps(kGrantEp, kSemaphore, kSemaphore, kSemaphore, 3)), 0,
                       "receive slot out of range: none arrive");
            }
            theirs->receive_slot = root::kUntyped;
            expect_eq(arrived(call_with_caps(kGrantEp, kSemaphore, kSemaphore, kSemaphore, 3)), 0,
                   "receive slot occupied: none arrive");
            theirs->receive_slot = 200;
            expect_eq(arrived(call_with_caps(kWriteOnlyEp, kSemaphore,
                                          kSemaphore, kSemaphore, 3)),
                   0, "without Grant: none arrive");
            expect(call_with_caps(kGrantEp, kSemaphore, 0, 0, 1, abi::kMaxMsgWords + 1).error, e::kInval,
                   "caps with a too long message");
            expect(sys::cap_delete(root::kCapSpace, t.thread), 0, "delete the receiver");
        }
    }
}

} // namespace badargs
