// Root task for the hostile-arguments boot test (init=badargs): every system call and
// method gets arguments a buggy or malicious program could pass, and each must fail with
// the errno docs/abi.md lists, without crashing or hanging the kernel. One line per
// group of checks; a mismatch prints what came back.
#include <sys/kernel.hpp>
#include <sys/process.hpp>

namespace {

using abi::u32;
using abi::u64;
namespace root = abi::root;
namespace rt = abi::rights;
using abi::ObjectType;

/// An invocation as raw words: this program sends what a typed call (sys::invoke with a
/// method of abi/methods.hpp) cannot.
template <class Method>
sys::Reply bad_invoke(u64 slot, Method method, std::initializer_list<u64> words = {}) {
    return sys::invoke_raw(slot, static_cast<u64>(method), words);
}

int g_failures = 0;
int g_group_failures = 0;

// Slots of my cap space.
constexpr u64 kEndpoint = 25, kSemaphore = 26, kThread = 27, kFrame = 28, kAddressSpace = 29;
constexpr u64 kReadOnlyCs = 30, kReadOnlyThread = 31, kReadOnlyAs = 32, kReadOnlyFrame = 33;
constexpr u64 kReadOnlyEp = 34, kWriteOnlyEp = 35, kWriteOnlySem = 36, kFaultEp = 37;
constexpr u64 kVictim = 38, kScratch = 39;
constexpr u64 kEmpty = 60, kFirstHelperSlot = 120;
// The root cap space's size, from RootInfo (a slot per page of RAM).
u64 g_slot_count, g_last_slot;

constexpr u64 kHuge = 0x8000000000000000ull;
constexpr u64 kKernelVa = 0xffffffff80000000ull;
constexpr u64 kFreeVa = 0x50000000;

/// One expectation: `got` must be -errno (0 for success).
void expect(long long got, int errno_expected, const char* what) {
    long long want = errno_expected ? -errno_expected : 0;
    if (got != want) {
        sys::print("badargs:   {}: got {} expected {}\n", what, got, want);
        ++g_group_failures;
    }
}

/// One expectation about a value that is not an error code.
void expect_eq(long long got, long long want, const char* what) {
    if (got != want) {
        sys::print("badargs:   {}: got {} expected {}\n", what, got, want);
        ++g_group_failures;
    }
}

/// Ends a group of expectations with one line.
void group(const char* what) {
    sys::print("badargs: {}{}\n", what, g_group_failures ? " FAILED" : " ok");
    g_failures += g_group_failures;
    g_group_failures = 0;
}

long long err(const sys::Reply& r) { return r.error; }

/// A raw system call with a hand-made MessageInfo (length and caps as given).
long long raw(abi::Syscall nr, u64 slot, u64 label, u32 length, u32 caps = 0) {
    SysRegs r{};
    r.nr = static_cast<u64>(nr);
    r.cap = slot;
    r.info = abi::MessageInfo{label, length, caps}.encode();
    sys_trap(&r);
    return static_cast<long long>(r.cap);
}

long long retype(ObjectType type, u64 size_bits, u64 first, u64 count, u64 cs = root::kCapSpace) {
    return err(bad_invoke(root::kUntyped, abi::UntypedMethod::Retype,
                           {static_cast<u64>(type), size_bits, cs, first, count}));
}

/// Answers every call with the number of capabilities and words that arrived.
void echo_caps(u64) {
    sys::Reply r = sys::receive(kEndpoint);
    for (;;) r = sys::reply_receive(kEndpoint, 0, {r.caps, r.length});
}

/// A call carrying `caps` capabilities named by `slots` (sys::call sends none).
sys::Reply call_with_caps(u64 ep, u64 s0, u64 s1, u64 s2, u32 caps, u32 length = 1) {
    abi::IpcBuffer* b = sys::ipc_buffer();
    b->send_caps[0] = s0;
    b->send_caps[1] = s1;
    b->send_caps[2] = s2;
    SysRegs r{};
    r.nr = static_cast<u64>(abi::Syscall::Call);
    r.cap = ep;
    r.info = abi::MessageInfo{0, length, caps}.encode();
    sys_trap(&r);
    sys::Reply out;
    out.error = static_cast<long long>(r.cap);
    for (u32 k = 0; k < 4; ++k) out.mr[k] = r.mr[k];
    return out;
}

constexpr u64 kDoomedEp = 41, kSignal = 42;
volatile long long g_receive_result = 1;
volatile bool g_ran_after_delete = false;

/// Waits on an endpoint the root task then destroys.
void doomed_receiver(u64) {
    g_receive_result = sys::receive(kDoomedEp).error;
    sys::sem_signal(kSignal);
    for (;;) sys::yield();
}

/// Answers calls on kDoomedEp with the capabilities and words that arrived.
void echo_on_doomed(u64) {
    sys::Reply r = sys::receive(kDoomedEp);
    for (;;) r = sys::reply_receive(kDoomedEp, 0, {r.caps, r.length});
}

/// Deletes the last capability to its own thread, which destroys it mid-call.
void self_deleter(u64 my_slot) {
    sys::cap_delete(root::kCapSpace, my_slot);
    g_ran_after_delete = true;
    for (;;) {
    }
}

void spin_forever(u64) {
    for (;;) {
    }
}

} // namespace

int main() {
    sys::print("badargs: running\n");
    g_slot_count = u64{1} << reinterpret_cast<const abi::root::Info*>(abi::root::kInfo)->cap_space_bits;
    g_last_slot = g_slot_count - 1;
    namespace e = abi::errc;

    // Objects to aim at, and copies with fewer rights.
    bool made = retype(ObjectType::Endpoint, 0, kEndpoint, 1) == 0 &&
                retype(ObjectType::Semaphore, 0, kSemaphore, 1) == 0 &&
                retype(ObjectType::Thread, 0, kThread, 1) == 0 && retype(ObjectType::Frame, 0, kFrame, 1) == 0 &&
                retype(ObjectType::AddressSpace, 2, kAddressSpace, 1) == 0 &&
                retype(ObjectType::Endpoint, 0, kFaultEp, 1) == 0;
    made = made && sys::cap_mint(root::kCapSpace, root::kCapSpace, kReadOnlyCs, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kThread, kReadOnlyThread, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, root::kAddressSpace, kReadOnlyAs, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kFrame, kReadOnlyFrame, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kEndpoint, kReadOnlyEp, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kEndpoint, kWriteOnlyEp, rt::kWrite, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kSemaphore, kWriteOnlySem, rt::kWrite, 0, root::kCapSpace) == 0;
    expect(made ? 0 : -1, 0, "setup");
    group("objects and reduced-rights copies made");

    // ---- capability slots ----------------------------------------------------------------
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
    group("empty, out-of-range and huge capability slots");

    // ---- wrong object types --------------------------------------------------------------
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
    group("wrong object types and unknown methods, every family");

    // ---- missing rights ------------------------------------------------------------------
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
    group("missing rights (read-only and write-only copies)");

    // ---- mapping ---------------------------------------------------------------------------
    for (u64 va : {kKernelVa, u64{0xffff800000000000ull}, u64{0x0000800000000000ull}, u64{0xfffffffffffff000ull}})
        expect(sys::map(root::kAddressSpace, kFrame, va, rt::kRead), e::kRange, "map at a kernel address");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa + 8, rt::kRead), e::kInval, "map misaligned");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa + 1, rt::kRead), e::kInval, "map misaligned by one");
    expect(sys::map(root::kAddressSpace, kFrame, 0x400000, rt::kRead), e::kExist, "map over my own code");
    expect(sys::map(root::kAddressSpace, kFrame, root::kIpcBuffer, rt::kRead), e::kExist, "map over my IPC buffer");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, 0), e::kInval, "map without read");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, rt::kWrite), e::kInval, "map write-only");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, 0xf0), e::kInval, "map with undefined rights");
    expect(err(bad_invoke(root::kAddressSpace, abi::AddressSpaceMethod::Map, {kFrame, kFreeVa, kHuge})), e::kInval,
           "map with rights beyond 32 bits");
    expect(sys::unmap(root::kAddressSpace, kFreeVa), e::kNoEnt, "unmap what is not mapped");
    expect(sys::unmap(root::kAddressSpace, kKernelVa), e::kRange, "unmap the kernel");
    expect(sys::protect(root::kAddressSpace, kKernelVa, 4096, rt::kRead), e::kRange, "protect the kernel");
    expect(sys::protect(root::kAddressSpace, kKernelVa - 4096, 8192, rt::kRead), e::kRange,
           "protect into the kernel");
    expect(sys::protect(root::kAddressSpace, 0x400000, 0, rt::kRead), e::kInval, "protect nothing");
    expect(sys::protect(root::kAddressSpace, 0x400000, 100, rt::kRead), e::kInval, "protect part of a page");
    expect(sys::protect(root::kAddressSpace, 0x400000, 4096, rt::kWrite), e::kInval, "protect to write-only");
    expect(sys::protect(root::kAddressSpace, 0x400000, 4096, rt::kRead | rt::kWrite | rt::kExecute), 0,
           "protect never adds a right");
    expect(err(bad_invoke(root::kAddressSpace, abi::AddressSpaceMethod::Query, {kKernelVa})), e::kRange,
           "query the kernel");
    expect(err(bad_invoke(root::kAddressSpace, abi::AddressSpaceMethod::Query, {kFreeVa})), e::kNoEnt,
           "query an unmapped page");
    // And the frame is still usable after all that.
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, rt::kRead | rt::kWrite), 0, "map it properly");
    expect(sys::map(root::kAddressSpace, kFrame, kFreeVa, rt::kRead), e::kExist, "map it twice at one VA");
    *reinterpret_cast<volatile u64*>(kFreeVa) = 7;
    expect(sys::unmap(root::kAddressSpace, kFreeVa), 0, "unmap it");
    group("mapping: kernel addresses, misaligned, occupied, bad rights");

    // ---- message lengths -----------------------------------------------------------------
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
    group("message lengths above kMaxMsgWords, missing arguments, bad syscall numbers");

    // ---- register ranges -----------------------------------------------------------------
    auto read_regs = [](u64 first, u64 count) {
        return err(bad_invoke(kThread, abi::ThreadMethod::ReadRegisters, {first, count}));
    };
    auto write_regs = [](u64 first, u64 count) {
        return err(bad_invoke(kThread, abi::ThreadMethod::WriteRegisters, {first, count, 1, 2, 3}));
    };
    expect(read_regs(abi::kRegCount, 1), e::kRange, "read register 48");
    expect(read_regs(0, abi::kRegCount + 1), e::kRange, "read 49 registers");
    expect(read_regs(0, abi::kMaxMsgWords + 1), e::kRange, "read more registers than a message holds");
    expect(read_regs(kHuge, 2), e::kRange, "read from a huge index");
    expect(read_regs(40, ~u64{0}), e::kRange, "read a huge count (wraps)");
    expect(read_regs(~u64{0}, 2), e::kRange, "read from index 2^64-1 (wraps)");
    expect(read_regs(abi::kRegCount, 0), 0, "read nothing at the end");
    expect(write_regs(abi::kRegCount - 1, 2), e::kRange, "write past the last register");
    expect(write_regs(kHuge, 1), e::kRange, "write at a huge index");
    expect(write_regs(1, ~u64{0}), e::kRange, "write a huge count");
    expect(write_regs(0, 31), e::kRange, "write more registers than a message holds");
    expect(write_regs(0, 5), e::kInval, "write five registers, three values given");
    group("register ranges for ReadRegisters/WriteRegisters");

    // ---- retype --------------------------------------------------------------------------
    expect(retype(ObjectType::Frame, 0, kScratch, 0), e::kInval, "count 0");
    expect(retype(ObjectType::Frame, 0, kScratch, 65), e::kInval, "count 65");
    expect(retype(ObjectType::Frame, 0, kScratch, u64{1} << 32), e::kInval, "count 2^32 (truncation)");
    expect(retype(ObjectType::Frame, 0, kScratch, ~u64{0}), e::kInval, "count 2^64-1");
    expect(retype(ObjectType::CapSpace, 21, kScratch, 1), e::kInval, "cap space of 2^21 slots");
    expect(retype(ObjectType::CapSpace, 0, kScratch, 1), e::kInval, "cap space of one slot");
    expect(retype(ObjectType::AddressSpace, 9, kScratch, 1), e::kInval, "address space budget 2^9");
    expect(retype(ObjectType::Untyped, 63, kScratch, 1), e::kInval, "untyped of 2^63 bytes");
    expect(retype(ObjectType::Untyped, 200, kScratch, 1), e::kInval, "size_bits 200");
    expect(retype(ObjectType::Untyped, u64{1} << 32, kScratch, 1), e::kInval, "size_bits 2^32 (truncation)");
    expect(retype(ObjectType::Untyped, 40, kScratch, 1), e::kNoMem, "untyped of 1 TiB");
    expect(retype(ObjectType::Untyped, 25, kScratch, 1), e::kNoMem, "all my memory again");
    expect(retype(ObjectType::Frame, 0, g_slot_count - 6, 10), e::kRange, "slots past the end of the table");
    expect(retype(ObjectType::Frame, 0, kHuge, 1), e::kRange, "huge first slot");
    expect(retype(ObjectType::Frame, 0, ~u64{0} - 1, 4), e::kRange, "first slot + count wraps");
    expect(retype(ObjectType::Frame, 0, kEndpoint - 1, 2), e::kExist, "over occupied slots");
    expect(retype(ObjectType::Frame, 0, kScratch, 1, kReadOnlyCs), e::kAcces, "into a read-only cap space");
    // Nothing above may have consumed memory or slots: one frame still fits in kScratch.
    expect(retype(ObjectType::Frame, 0, kScratch, 1), 0, "a good retype still works");
    expect(sys::cap_delete(root::kCapSpace, kScratch), 0, "and its delete");
    group("retype with absurd sizes, counts and slots");

    // ---- reply, thread state -------------------------------------------------------------
    expect(err(sys::reply(0)), e::kNoEnt, "reply with nothing to reply to");
    expect(err(sys::reply(0, {1, 2, 3, 4, 5, 6})), e::kNoEnt, "long reply with nothing to reply to");
    expect(sys::thread_resume(root::kThread), e::kBusy, "resume myself (running)");
    expect(sys::thread_set_priority(kThread, 256, 1), e::kInval, "priority 256");
    expect(sys::thread_set_priority(kThread, 1, 0), e::kInval, "time slice 0");
    expect(sys::thread_set_priority(kThread, ~u32{0}, 1), e::kInval, "priority 2^32-1");
    expect(err(bad_invoke(kThread, abi::ThreadMethod::SetAffinity, {0})), e::kInval, "empty affinity mask");
    expect(err(bad_invoke(kThread, abi::ThreadMethod::SetAffinity, {kHuge})), e::kInval, "affinity: no such CPU");
    expect(sys::sem_try_wait(kSemaphore), e::kAgain, "try_wait on zero");
    expect(sys::thread_configure(kThread, abi::kNoSlot, abi::kNoSlot, kFrame, 4095, abi::kNoSlot), e::kInval,
           "IPC buffer misaligned");
    expect(sys::thread_configure(kThread, abi::kNoSlot, abi::kNoSlot, kFrame, 4088, abi::kNoSlot), e::kInval,
           "IPC buffer crossing its page");
    group("reply without a caller, thread and semaphore arguments");

    // ---- threads with hostile state --------------------------------------------------------
    // An IPC buffer at a VA where nothing is mapped (the kernel reaches the buffer through
    // its frame and does not check the VA, docs/kernel.md), then registers no user
    // program could hold: the thread must fault in user mode, with its handler told.
    {
        sys::Slots slots{kFirstHelperSlot, 256};
        sys::Started t;
        long long started = sys::start_thread(slots, {spin_forever, 0, 0x60000000}, t);
        expect(started, 0, "start a thread");
        if (started == 0) {
            expect(sys::thread_suspend(t.thread), 0, "suspend it");
            expect(retype(ObjectType::Frame, 0, kScratch, 1), 0, "a frame never mapped");
            expect(sys::thread_configure(t.thread, abi::kNoSlot, abi::kNoSlot, kScratch, 0x70000000, abi::kNoSlot), 0,
                   "configure an IPC buffer at an unmapped VA");
            // Hostile registers: a kernel IP, a non-canonical SP, all-ones everywhere else.
            u64 ones = ~u64{0};
            expect(err(bad_invoke(t.thread, abi::ThreadMethod::WriteRegisters,
                                   {0, 12, kKernelVa, 0x0000800000000000ull, ones, ones, ones, ones, ones, ones,
                                    ones, ones, ones, ones})),
                   0, "write hostile registers");
            for (u64 first = abi::kRegArchFirst; first < abi::kRegCount; first += 8)
                expect(err(bad_invoke(t.thread, abi::ThreadMethod::WriteRegisters,
                                       {first, first + 8 <= abi::kRegCount ? 8 : abi::kRegCount - first, ones,
                                        ones, ones, ones, ones, ones, ones, ones})),
                       0, "write all-ones arch registers");
            expect(sys::thread_configure(t.thread, abi::kNoSlot, abi::kNoSlot, abi::kNoSlot, 0, kFaultEp), 0,
                   "give it a fault endpoint");
            expect(sys::thread_resume(t.thread), 0, "resume it");
            sys::Reply f = sys::receive(kFaultEp);
            sys::print("badargs: hostile thread faulted in user mode: kind {} at {:#x}, ip {:#x}\n", f.mr[0], f.mr[1],
                       f.mr[2]);
            expect(f.ok() ? 0 : f.error, 0, "its fault reached the handler");
            expect(err(sys::reply(u64(abi::FaultReply::Kill))), 0, "kill it");
            expect(sys::cap_delete(root::kCapSpace, t.thread), 0, "delete it");
        }
        // A thread that was never configured: no address space, no cap space.
        expect(retype(ObjectType::Thread, 0, kVictim, 1), 0, "a bare thread");
        expect(sys::thread_resume(kVictim), 0, "resume a thread with nothing configured");
        sys::yield(); // the kernel must refuse to run it and come back here
        expect(sys::thread_resume(kVictim), 0, "it was suspended, so it can be resumed again");
        sys::yield();
        expect(sys::cap_delete(root::kCapSpace, kVictim), 0, "delete it");
    }
    group("threads with hostile registers, an unmapped IPC buffer, no address space");

    // ---- capability transfer with bad slots ---------------------------------------------
    {
        sys::Slots slots{kFirstHelperSlot + 16, 256};
        sys::Started t;
        constexpr u64 kRegion = 0x68000000, kGrantEp = kScratch + 1;
        long long started = sys::start_thread(slots, {echo_caps, 0, kRegion}, t);
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
    group("capability transfer: bad send slots, bad receive slots, no Grant");

    // ---- destroying objects in use ---------------------------------------------------------
    {
        sys::Slots slots{kFirstHelperSlot + 32, 256};
        sys::Started t;
        bool ok = retype(ObjectType::Endpoint, 0, kDoomedEp, 1) == 0 &&
                  retype(ObjectType::Semaphore, 0, kSignal, 1) == 0 &&
                  sys::start_thread(slots, {doomed_receiver, 0, 0x6c000000}, t) == 0;
        expect(ok ? 0 : -1, 0, "start a receiver");
        if (ok) {
            sys::yield(); // it blocks in receive
            expect(sys::cap_delete(root::kCapSpace, kDoomedEp), 0, "destroy the endpoint it waits on");
            expect(sys::sem_wait(kSignal), 0, "it woke");
            expect(g_receive_result, e::kPipe, "its receive failed with EPIPE");
            expect(sys::cap_delete(root::kCapSpace, t.thread), 0, "delete it");
        }
        u64 slot = slots.next;
        ok = sys::start_thread(slots, {self_deleter, slot, 0x6d000000}, t) == 0;
        expect(ok && t.thread == slot ? 0 : -1, 0, "start a thread that deletes itself");
        sys::yield();
        sys::yield();
        expect(g_ran_after_delete ? -1 : 0, 0, "it never ran again");
        expect(err(bad_invoke(root::kCapSpace, abi::CapSpaceMethod::Identify, {slot})), e::kBadF, "its slot is empty");

        // A thread whose address space is destroyed under it is stopped by the kernel.
        ok = sys::start_process(slots, sys::root_program(), {spin_forever, 0, 0x6e000000}, t) == 0;
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
             sys::start_thread(slots, {echo_on_doomed, 0, 0x6f000000}, t) == 0;
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
    group("destroying objects in use: endpoint with a waiter, own thread, address space, IPC buffer");

    if (g_failures == 0) sys::print("badargs: all checks passed\n");

    // The last one: revoke my untyped, which destroys everything carved from it, this
    // thread, its cap space and address space included, in the middle of the call.
    sys::print("badargs: revoking my untyped, which destroys me\n");
    long long r = sys::cap_revoke(root::kCapSpace, root::kUntyped);
    sys::print("badargs: FAILED: still running after revoking my untyped ({})\n", r);
    for (;;) sys::thread_suspend(root::kThread); // nothing left: the kernel powers off
}
