// The syscall layer end to end: arguments in a thread's registers, results back in
// them, every handler rejecting bad input before it changes anything.
#include "kernel_world.hpp"

#include <cstring>
#include <string>
#include "toy_pte.hpp"
#include <initializer_list>
#include <microkernel/syscall/dispatch.hpp>

using namespace kernel;
namespace r = abi::rights;
using abi::Syscall;

namespace {
constexpr PagingOps kToyOps = paging_ops_for<ToyPte>();

struct Sys : KernelWorld {
    Thread& me; ///< the calling thread, slot 2, running with the root cap space
    abi::IpcBuffer buffer{};
    explicit Sys(u32 cpus = 1) : KernelWorld(2 << 20, cpus, &kToyOps), me(thread(2)) {
        me.set_cap_space(cs->slot(kSelfSlot), reaper);
        me.set_ipc_buffer(&buffer);
        REQUIRE(me.resume(sched).ok());
        REQUIRE(sched.schedule(0) == &me);
    }
    /// Make a system call as `t`; returns 0 or -errno from its registers.
    long long call(Thread& t, Syscall nr, u64 slot, u64 label = 0,
                   std::initializer_list<u64> words = {}) {
        u32 i = 0;
        for (u64 w : words) t.set_mr(i++, w);
        t.set_reg(abi::kRegSyscall, static_cast<u64>(nr));
        t.set_reg(abi::kRegCap, slot);
        t.set_reg(abi::kRegInfo, abi::MessageInfo{label, i, 0}.encode());
        SyscallContext ctx{t, 0, sched, reaper, mem.window()};
        handle_syscall(ctx);
        return result(t);
    }
    long long invoke(u64 slot, u64 method, std::initializer_list<u64> words = {}) {
        return call(me, Syscall::Invoke, slot, method, words);
    }
    template <class M>
    long long invoke(u64 slot, M method, std::initializer_list<u64> words = {}) {
        return invoke(slot, static_cast<u64>(method), words);
    }
};
long long e(Error x) { return KernelWorld::err(x); }
constexpr u64 kUt = KernelWorld::kUntypedSlot, kCs = KernelWorld::kSelfSlot;
using UM = abi::UntypedMethod;
using CM = abi::CapSpaceMethod;
using TM = abi::ThreadMethod;
using SM = abi::SemaphoreMethod;
using AM = abi::AddressSpaceMethod;
u64 ty(ObjectType t) { return static_cast<u64>(t); }
} // namespace

TEST_CASE("syscall: unknown numbers, methods and missing cap spaces are errors") {
    Sys w;
    CHECK(w.call(w.me, static_cast<Syscall>(99), 0) == e(Error::Unsupported));
    CHECK(w.invoke(kUt, 42) == e(Error::Unsupported));
    CHECK(w.invoke(63, 1) == e(Error::BadCapability));
    CHECK(w.invoke(1000, 1) == e(Error::OutOfRange));
    Thread& orphan = w.thread(3); // no cap space
    CHECK(w.call(orphan, Syscall::Invoke, kUt, 1) == e(Error::BadCapability));
    CHECK(w.call(w.me, Syscall::Yield, 0) == 0);
}

TEST_CASE("syscall: untyped retype through invoke") {
    Sys w;
    CHECK(w.invoke(kUt, UM::Retype, {ty(ObjectType::Endpoint), 0, kCs, 10}) == e(Error::InvalidArgument)); // 4 of 5 args
    CHECK(w.invoke(kUt, UM::Retype, {ty(ObjectType::Endpoint), 0, kCs, 10, (u64{1} << 32) + 1}) ==
          e(Error::InvalidArgument)); // a count that would truncate to 1
    CHECK(w.invoke(kUt, UM::Retype, {ty(ObjectType::Endpoint), 0, 2, 10, 1}) == e(Error::WrongType));
    CHECK(w.cs->slot(10).empty());
    REQUIRE(w.invoke(kUt, UM::Retype, {ty(ObjectType::Endpoint), 0, kCs, 10, 3}) == 0);
    CHECK(w.cs->slot(12).type() == ObjectType::Endpoint);
    CHECK(w.invoke(10, UM::Retype, {ty(ObjectType::Endpoint), 0, kCs, 20, 1}) == e(Error::Unsupported)); // endpoints have no methods
}

TEST_CASE("syscall: cap space methods check the Edit right and report identities") {
    Sys w;
    w.endpoint(10);
    REQUIRE(w.invoke(kCs, CM::Mint, {10, 11, r::kWrite, 5}) == 0);
    REQUIRE(w.invoke(kCs, CM::Identify, {11}) == 0);
    CHECK(w.me.mr(0) == ty(ObjectType::Endpoint));
    CHECK(w.me.mr(1) == r::kWrite);
    CHECK(w.me.mr(2) == 5);
    CHECK(w.me.mr(3) == 0);
    w.make<Frame>(ObjectType::Frame, 14); // a frame shows its physical address
    REQUIRE(w.invoke(kCs, CM::Identify, {14}) == 0);
    CHECK(w.me.mr(0) == ty(ObjectType::Frame));
    CHECK(w.me.mr(3) == w.cs->slot(14).as<Frame>().page().value);
    REQUIRE(w.invoke(kCs, CM::Delete, {14}) == 0);
    CHECK(w.invoke(kCs, CM::Mint, {10, 12, u64{1} << 33, 0}) == e(Error::InvalidArgument));
    // A cap space capability without Edit can only identify.
    REQUIRE(w.invoke(kCs, CM::Mint, {kCs, 20, r::kRead, 0}) == 0);
    CHECK(w.invoke(20, CM::Copy, {10, 12}) == e(Error::AccessDenied));
    CHECK(w.invoke(20, CM::Identify, {10}) == 0);
    REQUIRE(w.invoke(kCs, CM::Copy, {10, 12}) == 0);
    REQUIRE(w.invoke(kCs, CM::Revoke, {10}) == 0);
    CHECK(w.cs->slot(11).empty());
    CHECK(w.cs->slot(12).empty());
    REQUIRE(w.invoke(kCs, CM::Move, {10, 13}) == 0);
    REQUIRE(w.invoke(kCs, CM::Delete, {13}) == 0);
    CHECK(w.invoke(kCs, CM::Delete, {13}) == e(Error::BadCapability));
}

TEST_CASE("syscall: configuring a thread needs Edit on its cap space and Map on its address space") {
    // Regression: a rights-0 cap space capability (which refuses Identify and Copy) could
    // be given to a thread, which then used every capability in it with full rights.
    Sys w;
    Thread& t = w.thread(10);
    w.make<AddressSpace>(ObjectType::AddressSpace, 11, 2);
    REQUIRE(w.invoke(kCs, CM::Mint, {kCs, 12, 0, 0}) == 0);                 // cap space, no rights
    REQUIRE(w.invoke(kCs, CM::Mint, {kCs, 13, r::kAll & ~r::kEdit, 0}) == 0); // all but Edit
    REQUIRE(w.invoke(kCs, CM::Mint, {11, 14, r::kRead, 0}) == 0);            // address space, no Map
    CHECK(w.invoke(10, TM::Configure, {12, abi::kNoSlot, abi::kNoSlot, 0, abi::kNoSlot}) == e(Error::AccessDenied));
    CHECK(w.invoke(10, TM::Configure, {13, abi::kNoSlot, abi::kNoSlot, 0, abi::kNoSlot}) == e(Error::AccessDenied));
    CHECK(w.invoke(10, TM::Configure, {abi::kNoSlot, 14, abi::kNoSlot, 0, abi::kNoSlot}) == e(Error::AccessDenied));
    CHECK(t.cap_space() == nullptr);
    CHECK(t.address_space() == nullptr);
    CHECK(w.invoke(10, TM::Configure, {kCs, 11, abi::kNoSlot, 0, abi::kNoSlot}) == 0);
    CHECK(t.cap_space() == w.cs);
    CHECK(t.address_space() != nullptr);
}

TEST_CASE("syscall: addresses beyond a thread's own cap space name its shared cap space") {
    Sys w;
    Thread& t = w.thread(10);
    w.make<CapSpace>(ObjectType::CapSpace, 11, 1); // the thread's own: 2 slots
    CapSpace& own = w.cs->slot(11).as<CapSpace>();
    w.semaphore(12);                                  // in the shared one (the root's)
    w.semaphore(13);
    REQUIRE(w.invoke(kCs, CM::Copy, {13, 0, 11}) == 0); // own slot 0: the second semaphore
    REQUIRE(w.invoke(kCs, CM::Mint, {kCs, 14, r::kAll & ~r::kEdit, 0}) == 0);
    // The shared cap space needs Edit, as the own one does; nothing changes on refusal.
    CHECK(w.invoke(10, TM::Configure, {11, abi::kNoSlot, abi::kNoSlot, 0, abi::kNoSlot, 14}) ==
          e(Error::AccessDenied));
    CHECK(t.cap_space() == nullptr);
    REQUIRE(w.invoke(10, TM::Configure, {11, abi::kNoSlot, abi::kNoSlot, 0, abi::kNoSlot, kCs}) == 0);
    CHECK(t.cap_space() == &own);
    CHECK(t.shared_cap_space() == w.cs);
    REQUIRE(w.sched.schedule(0) == &w.me);
    // Slot 0 is the thread's own (its semaphore, not the root's slot 0); slot 1 is its
    // own and empty; 12 and 13 are beyond its own 2 slots: the shared space's.
    REQUIRE(w.invoke(13, abi::SemaphoreMethod::Signal) == 0);
    CHECK(w.call(t, Syscall::Invoke, 0, static_cast<u64>(SM::TryWait)) == 0); // took the signal
    CHECK(w.call(t, Syscall::Invoke, 1, static_cast<u64>(SM::TryWait)) == e(Error::BadCapability));
    CHECK(w.call(t, Syscall::Invoke, 12, static_cast<u64>(SM::TryWait)) == e(Error::WouldBlock));
    REQUIRE(w.call(t, Syscall::Invoke, 12, static_cast<u64>(SM::Signal)) == 0);
    REQUIRE(w.invoke(12, SM::TryWait) == 0);
    // Without an own cap space every address names the shared one.
    Thread& u = w.thread(15);
    REQUIRE(w.invoke(15, TM::Configure, {abi::kNoSlot, abi::kNoSlot, abi::kNoSlot, 0, abi::kNoSlot, kCs}) == 0);
    CHECK(u.space_for(0) == w.cs);
    // Gone with the thread: destroying it drops its capability to the shared space.
    u64 before = w.cs->slot(kCs).as<CapSpace>().slot_count();
    CHECK(before == w.cs->slot_count());
}

TEST_CASE("syscall: a thread that deletes its own last capability") {
    Sys w;
    u64 destroyed = w.reaper.destroyed();
    REQUIRE(w.invoke(kCs, CM::Delete, {2}) == 0); // slot 2 is `me`
    CHECK(w.reaper.destroyed() == destroyed + 1);
    CHECK(w.sched.current(0) == nullptr);
    CHECK(w.sched.need_resched(0));
}

TEST_CASE("syscall: thread configuration is all or nothing") {
    Sys w;
    Thread& t = w.thread(10);
    w.endpoint(11);
    w.make<Frame>(ObjectType::Frame, 12);
    w.semaphore(13);
    // A bad fault endpoint (a semaphore): nothing else may be installed either.
    CHECK(w.invoke(10, TM::Configure, {kCs, abi::kNoSlot, 12, 0x1000, 13}) == e(Error::WrongType));
    CHECK(t.cap_space() == nullptr);
    CHECK(t.ipc_buffer() == nullptr);
    CHECK(w.invoke(10, TM::Configure, {kCs, abi::kNoSlot, 12, 0x1ff8, 11}) == e(Error::InvalidArgument)); // buffer crosses the page
    REQUIRE(w.invoke(10, TM::Configure, {kCs, abi::kNoSlot, 12, 0x1000, 11}) == 0);
    CHECK(t.cap_space() == w.cs);
    CHECK(t.ipc_buffer() != nullptr);
    CHECK(t.fault_endpoint().type() == ObjectType::Endpoint);

    REQUIRE(w.invoke(10, TM::WriteRegisters, {abi::kRegIp, 2, 0x401000, 0x7ff000}) == 0);
    CHECK(t.reg(abi::kRegSp) == 0x7ff000);
    CHECK(w.invoke(10, TM::WriteRegisters, {abi::kRegIp, 3, 1, 2}) == e(Error::InvalidArgument)); // values missing
    CHECK(w.invoke(10, TM::WriteRegisters, {47, 2, 1, 2}) == e(Error::OutOfRange));
    REQUIRE(w.invoke(10, TM::ReadRegisters, {abi::kRegIp, 2}) == 0);
    CHECK(w.me.mr(0) == 0x401000);
    CHECK(w.me.mr(1) == 0x7ff000);
    CHECK(w.invoke(10, TM::ReadRegisters, {0, 40}) == e(Error::OutOfRange)); // more than I can hold
    REQUIRE(w.invoke(10, TM::ReadRegisters, {0, 32}) == 0);
    CHECK(w.buffer.mr[5] == t.reg(5));
    REQUIRE(w.invoke(10, TM::SetTls, {0x9000}) == 0);
    CHECK(t.tls_base() == 0x9000);
    CHECK(w.invoke(10, TM::SetLinuxAbi, {2}) == e(Error::InvalidArgument));
    CHECK_FALSE(t.linux_abi());
    REQUIRE(w.invoke(10, TM::SetLinuxAbi, {1}) == 0);
    CHECK(t.linux_abi());
    REQUIRE(w.invoke(10, TM::SetLinuxAbi, {0}) == 0);
    CHECK_FALSE(t.linux_abi());
    CHECK(w.invoke(10, TM::SetPriority, {300, 5}) == e(Error::InvalidArgument));
    REQUIRE(w.invoke(10, TM::SetPriority, {200, 5}) == 0);
    CHECK(w.invoke(10, TM::SetAffinity, {0b10}) == e(Error::InvalidArgument)); // one CPU only
    REQUIRE(w.invoke(10, TM::Resume) == 0);
    CHECK(w.sched.need_resched(0)); // priority 200 beats mine
    CHECK(w.invoke(10, TM::Resume) == e(Error::Busy));
    REQUIRE(w.invoke(10, TM::Suspend) == 0);
    CHECK(t.state() == ThreadState::Suspended);
    // Without the Control right.
    REQUIRE(w.invoke(kCs, CM::Mint, {10, 14, r::kRead, 0}) == 0);
    CHECK(w.invoke(14, TM::Resume) == e(Error::AccessDenied));
    CHECK(w.invoke(14, TM::ReadRegisters, {0, 1}) == 0);
}

TEST_CASE("syscall: semaphores") {
    Sys w;
    w.semaphore(10);
    CHECK(w.invoke(10, SM::TryWait) == e(Error::WouldBlock));
    REQUIRE(w.invoke(10, SM::Signal) == 0);
    REQUIRE(w.invoke(10, SM::Wait) == 0);
    w.me.set_reg(abi::kRegCap, 123);
    w.invoke(10, SM::Wait);
    CHECK(w.me.state() == ThreadState::BlockedSemaphore);
    Thread& other = w.thread(11);
    other.set_cap_space(w.cs->slot(kCs), w.reaper);
    CHECK(w.call(other, Syscall::Invoke, 10, static_cast<u64>(SM::Signal)) == 0);
    CHECK(w.me.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.me) == 0);
}

TEST_CASE("syscall: send, receive, call and reply through the syscall layer") {
    Sys w;
    Thread& server = w.thread(10);
    server.set_cap_space(w.cs->slot(kCs), w.reaper);
    REQUIRE(server.resume(w.sched).ok());
    w.endpoint(11);
    REQUIRE(w.invoke(kCs, CM::Mint, {11, 12, r::kWrite, 77}) == 0); // client's: send only
    REQUIRE(w.invoke(kCs, CM::Mint, {11, 13, r::kRead, 0}) == 0);   // server's: receive only

    CHECK(w.call(w.me, Syscall::Call, 13, 1, {}) == e(Error::AccessDenied));
    CHECK(w.call(server, Syscall::Receive, 12) == e(Error::AccessDenied));
    CHECK(w.call(server, Syscall::Call, 12, 1, {1, 2, 3, 4, 5}) == e(Error::InvalidArgument)); // 5 words, no buffer
    CHECK(w.call(server, Syscall::Reply, 0) == e(Error::NotFound));

    w.call(server, Syscall::Receive, 13);
    CHECK(server.state() == ThreadState::BlockedReceive);
    w.call(w.me, Syscall::Call, 12, 9, {40, 2});
    CHECK(w.me.state() == ThreadState::BlockedReply);
    CHECK(server.reg(abi::kRegBadge) == 77);
    CHECK(server.mr(0) + server.mr(1) == 42);
    // A ReplyReceive on a bad endpoint must not send the reply.
    CHECK(w.call(server, Syscall::ReplyReceive, 12, 0, {1}) == e(Error::AccessDenied));
    CHECK(w.me.state() == ThreadState::BlockedReply);
    w.call(server, Syscall::ReplyReceive, 13, 0, {42});
    CHECK(w.me.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.me) == 0);
    CHECK(w.me.mr(0) == 42);
    CHECK(server.state() == ThreadState::BlockedReceive);
}

TEST_CASE("syscall: address space methods") {
    Sys w;
    w.make<AddressSpace>(ObjectType::AddressSpace, 10, 2);
    w.make<Frame>(ObjectType::Frame, 11);
    CHECK(w.invoke(10, AM::Map, {11, u64{1} << 47, r::kRead}) == e(Error::OutOfRange));
    CHECK(w.invoke(10, AM::Map, {10, 0x1000, r::kRead}) == e(Error::WrongType));
    REQUIRE(w.invoke(10, AM::Map, {11, 0x1000, r::kRead | r::kWrite}) == 0);
    REQUIRE(w.invoke(10, AM::Query, {0x1000}) == 0);
    CHECK(w.me.mr(0) == w.cs->slot(11).as<Frame>().page().value);
    CHECK(w.me.mr(1) == (r::kRead | r::kWrite));
    REQUIRE(w.invoke(10, AM::Protect, {0x1000, kPageSize, r::kRead}) == 0);
    CHECK(w.me.mr(0) == 1); // one page lost a right
    CHECK(w.invoke(10, AM::Protect, {0x1000, r::kRead}) != 0); // the size is missing
    REQUIRE(w.invoke(10, AM::Unmap, {0x1000}) == 0);
    CHECK(w.invoke(10, AM::Query, {0x1000}) == e(Error::NotFound));
    REQUIRE(w.invoke(kCs, CM::Mint, {10, 12, r::kRead, 0}) == 0);
    CHECK(w.invoke(12, AM::Map, {11, 0x1000, r::kRead}) == e(Error::AccessDenied));
}

TEST_CASE("syscall: copy, mint and move into another cap space") {
    Sys w;
    w.endpoint(10);
    w.make<CapSpace>(ObjectType::CapSpace, 11, 3);
    CapSpace& child = w.cs->slot(11).as<CapSpace>();
    REQUIRE(w.invoke(kCs, CM::Copy, {10, 0, 11}) == 0);
    CHECK(child.slot(0).type() == ObjectType::Endpoint);
    REQUIRE(w.invoke(kCs, CM::Mint, {10, 1, r::kWrite, 9, 11}) == 0); // 5 words: IPC buffer
    CHECK(child.slot(1).badge() == 9);
    REQUIRE(w.invoke(kCs, CM::Copy, {10, 12, abi::kNoSlot}) == 0); // explicitly: same space
    REQUIRE(w.invoke(kCs, CM::Move, {12, 2, 11}) == 0);
    CHECK(w.cs->slot(12).empty());
    CHECK(child.slot(2).type() == ObjectType::Endpoint);
    CHECK(w.invoke(kCs, CM::Copy, {10, 3, 10}) == e(Error::WrongType)); // not a cap space
    REQUIRE(w.invoke(kCs, CM::Mint, {11, 13, r::kRead, 0}) == 0);      // no Edit on it
    CHECK(w.invoke(kCs, CM::Copy, {10, 3, 13}) == e(Error::AccessDenied));
    CHECK(child.slot(3).empty());
    REQUIRE(w.invoke(kCs, CM::Revoke, {10}) == 0); // reaches into the child's table
    CHECK(child.slot(0).empty());
    CHECK(child.slot(1).empty());
    CHECK(child.slot(2).empty());
}

TEST_CASE("syscall: DebugPutChar writes mr0's low byte to the kernel console, needing no capability") {
    Sys s;
    std::string out;
    auto put = [](void* ctx, char c) { static_cast<std::string*>(ctx)->push_back(c); };
    for (char c : std::string("ok\n")) {
        s.me.set_mr(0, 0x100 | u64(static_cast<unsigned char>(c))); // high bits are ignored
        s.me.set_reg(abi::kRegSyscall, static_cast<u64>(Syscall::DebugPutChar));
        s.me.set_reg(abi::kRegCap, 999); // no capability involved: any slot value
        SyscallContext ctx{s.me, 0, s.sched, s.reaper, s.mem.window(), Sink{put, &out}};
        handle_syscall(ctx);
        CHECK(KernelWorld::result(s.me) == 0);
    }
    CHECK(out == "ok\n");
    // Without a console the call still succeeds (and writes nothing).
    CHECK(s.call(s.me, Syscall::DebugPutChar, 0) == 0);
}

TEST_CASE("syscall: an Invoke longer than any message is refused before the method runs") {
    Sys s;
    // Regression: Invoke accepted lengths above kMaxMsgWords that Send/Call refuse.
    s.me.set_reg(abi::kRegSyscall, static_cast<u64>(Syscall::Invoke));
    s.me.set_reg(abi::kRegCap, kCs);
    s.me.set_reg(abi::kRegInfo, abi::MessageInfo{u64(abi::CapSpaceMethod::Identify), abi::kMaxMsgWords + 1, 0}.encode());
    s.me.set_mr(0, kUt);
    SyscallContext ctx{s.me, 0, s.sched, s.reaper, s.mem.window()};
    handle_syscall(ctx);
    CHECK(KernelWorld::result(s.me) == e(Error::InvalidArgument));
    // the same call with a proper length works
    CHECK(s.invoke(kCs, abi::CapSpaceMethod::Identify, {kUt}) == 0);
}

TEST_CASE("syscall: registers the kernel writes are checked on the way out; what the thread's own trap saved is not") {
    Sys w;
    Thread& t = w.thread(10);
    CHECK_FALSE(t.take_registers_checked()); // a new thread's registers were never checked
    CHECK(t.take_registers_checked());       // (returned once: checked since)
    // IP, SP and the arch's own registers written by WriteRegisters: checked again
    for (u64 reg : {u64{abi::kRegIp}, u64{abi::kRegSp}, u64{abi::kRegArchFirst}, u64{abi::kRegCount - 1}}) {
        REQUIRE(w.invoke(10, TM::WriteRegisters, {reg, 1, 0xffff'8000'0000'0000}) == 0);
        CHECK_FALSE(t.take_registers_checked());
        CHECK(t.take_registers_checked());
    }
    // the syscall words (a message, a result) need no check
    REQUIRE(w.invoke(10, TM::WriteRegisters, {abi::kRegSyscall, 8, 1, 2, 3, 4, 5, 6, 7, 8}) == 0);
    t.set_mr(0, 5);
    t.set_result(Error::InvalidArgument);
    CHECK(t.take_registers_checked());
}

namespace {
void* g_fpu_saved = nullptr;
}

TEST_CASE("syscall: Thread.CopyFpu copies FP/SIMD state (the live registers saved first); the lazy FPU forgets a destroyed owner") {
    Sys w;
    Thread& a = w.thread(10);
    Thread& b = w.thread(11);
    std::memset(a.fpu_area(), 0x5a, kFpuAreaBytes);
    CHECK(a.first_fpu_use());
    w.sched.set_fpu_owner(0, &a);
    auto copy = [&](u64 target, u64 source) {
        w.me.set_reg(abi::kRegSyscall, static_cast<u64>(Syscall::Invoke));
        w.me.set_reg(abi::kRegCap, target);
        w.me.set_mr(0, source);
        w.me.set_reg(abi::kRegInfo, abi::MessageInfo{static_cast<u64>(TM::CopyFpu), 1, 0}.encode());
        SyscallContext ctx{w.me, 0, w.sched, w.reaper, w.mem.window(), {}, [](void* area) { g_fpu_saved = area; }};
        handle_syscall(ctx);
        return KernelWorld::result(w.me);
    };
    g_fpu_saved = nullptr;
    REQUIRE(copy(11, 10) == 0);
    CHECK(g_fpu_saved == a.fpu_area()); // the owner's registers went to its area first
    CHECK(std::memcmp(b.fpu_area(), a.fpu_area(), kFpuAreaBytes) == 0);
    CHECK_FALSE(b.first_fpu_use()); // a copy of a used state: no reset at its first use
    CHECK(w.sched.fpu_owner(0) == &a);
    // The target owning the registers: they are dropped (its area is what counts now).
    w.sched.set_fpu_owner(0, &b);
    g_fpu_saved = nullptr;
    REQUIRE(copy(11, abi::kNoSlot) == 0); // the reset state, given at first use
    CHECK(g_fpu_saved == nullptr);
    CHECK(w.sched.fpu_owner(0) == nullptr);
    CHECK(b.first_fpu_use());
    // The source needs Read; a bad slot is an error; the target's Control.
    REQUIRE(w.invoke(kCs, CM::Mint, {10, 20, r::kWrite, 0}) == 0);
    CHECK(copy(11, 20) == e(Error::AccessDenied));
    CHECK(copy(11, 63) == e(Error::BadCapability));
    REQUIRE(w.invoke(kCs, CM::Mint, {11, 21, r::kRead, 0}) == 0);
    CHECK(copy(21, 10) == e(Error::AccessDenied));
    // A destroyed owner is forgotten: nobody saves into its freed area later.
    w.sched.set_fpu_owner(0, &a);
    w.remove(20);
    REQUIRE(w.sched.fpu_owner(0) == &a);
    w.remove(10); // (its last capability)
    CHECK(w.sched.fpu_owner(0) == nullptr);
}

TEST_CASE("syscall: Thread.ReadFpu and WriteFpu reach the FP/SIMD image: the reset state first, live registers saved, a write drops them; ranges and rights") {
    Sys w;
    Thread& t = w.thread(10);
    auto call = [&](u64 slot, TM method, std::initializer_list<u64> words) {
        w.me.set_reg(abi::kRegSyscall, static_cast<u64>(Syscall::Invoke));
        w.me.set_reg(abi::kRegCap, slot);
        u32 i = 0;
        for (u64 word : words) w.me.set_mr(i++, word);
        w.me.set_reg(abi::kRegInfo, abi::MessageInfo{static_cast<u64>(method), i, 0}.encode());
        SyscallContext ctx{w.me, 0, w.sched, w.reaper, w.mem.window(), {}, [](void* area) { g_fpu_saved = area; },
                           [](void* area) { std::memset(area, 0x11, kFpuAreaBytes); }};
        handle_syscall(ctx);
        return KernelWorld::result(w.me);
    };
    // A thread that never used the registers reads the reset state, which it keeps.
    REQUIRE(call(10, TM::ReadFpu, {0, 3}) == 0);
    CHECK((w.me.mr(0) == 0x1111111111111111 && w.me.mr(2) == 0x1111111111111111));
    CHECK_FALSE(t.first_fpu_use());
    // Its live registers are saved before a read, and stay its own.
    w.sched.set_fpu_owner(0, &t);
    g_fpu_saved = nullptr;
    REQUIRE(call(10, TM::ReadFpu, {abi::kFpuWords - 1, 1}) == 0);
    CHECK(g_fpu_saved == t.fpu_area());
    CHECK(w.sched.fpu_owner(0) == &t);
    // A write: saved first (the words not written stay), then dropped (the area is loaded at its next use).
    g_fpu_saved = nullptr;
    REQUIRE(call(10, TM::WriteFpu, {2, 2, 7, 8}) == 0);
    CHECK(g_fpu_saved == t.fpu_area());
    CHECK(w.sched.fpu_owner(0) == nullptr);
    const u64* area = static_cast<const u64*>(t.fpu_area());
    CHECK((area[1] == 0x1111111111111111 && area[2] == 7 && area[3] == 8 && area[4] == 0x1111111111111111));
    REQUIRE(call(10, TM::ReadFpu, {2, 2}) == 0);
    CHECK((w.me.mr(0) == 7 && w.me.mr(1) == 8));
    // Ranges: inside the image, and no more than a message holds.
    CHECK(call(10, TM::ReadFpu, {abi::kFpuWords - 1, 2}) == e(Error::OutOfRange));
    CHECK(call(10, TM::ReadFpu, {~u64{0}, 2}) == e(Error::OutOfRange));
    CHECK(call(10, TM::WriteFpu, {abi::kFpuWords, 1, 0}) == e(Error::OutOfRange));
    CHECK(call(10, TM::WriteFpu, {0, 3, 1, 2}) == e(Error::InvalidArgument)); // (fewer values than it says)
    CHECK(call(10, TM::ReadFpu, {0}) == e(Error::InvalidArgument));
    // Read needs Read, Write needs Write.
    REQUIRE(w.invoke(kCs, CM::Mint, {10, 20, r::kWrite, 0}) == 0);
    REQUIRE(w.invoke(kCs, CM::Mint, {10, 21, r::kRead, 0}) == 0);
    CHECK(call(20, TM::ReadFpu, {0, 1}) == e(Error::AccessDenied));
    CHECK(call(21, TM::WriteFpu, {0, 1, 5}) == e(Error::AccessDenied));
    CHECK(call(21, TM::ReadFpu, {0, 1}) == 0);
    CHECK(call(20, TM::WriteFpu, {0, 1, 5}) == 0);
}

TEST_CASE("syscall: Thread.ReadCpuTime gives the thread's timer ticks in nanoseconds and its CPU; it needs Read") {
    Sys w(2);
    w.thread(10);
    REQUIRE(w.invoke(10, TM::ReadCpuTime, {}) == 0);
    CHECK(w.me.mr(0) == 0); // never ran (test_scheduler.cpp charges ticks to who runs)
    CHECK(w.me.mr(1) == 0); // (its CPU: 0 until it is placed)
    REQUIRE(w.invoke(10, TM::SetAffinity, {0b10}) == 0);
    REQUIRE(w.invoke(10, TM::Resume, {}) == 0);
    REQUIRE(w.invoke(10, TM::ReadCpuTime, {}) == 0);
    CHECK(w.me.mr(1) == 1); // queued on CPU 1, the one it may use
    REQUIRE(w.invoke(kCs, CM::Mint, {10, 20, r::kWrite | r::kControl, 0}) == 0);
    CHECK(w.invoke(20, TM::ReadCpuTime, {}) == e(Error::AccessDenied));
}
