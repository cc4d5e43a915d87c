// The IPC fastpath against the slowpath: every case is set up twice, identically; one
// world makes the last system call through handle_syscall, the other tries fastpath()
// first. Afterwards both must be indistinguishable (each thread's state and registers,
// who owes whom a reply, the thread on the CPU and the order of the ready queue), and the
// fastpath must have been taken exactly in the cases it is meant for.
#include "kernel_world.hpp"
#include "toy_pte.hpp"

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>
#include <microkernel/syscall/dispatch.hpp>
#include <microkernel/syscall/fastpath.hpp>

using namespace kernel;
namespace r = abi::rights;
using abi::Syscall;

namespace {
constexpr PagingOps kToyOps = paging_ops_for<ToyPte>();
constexpr u64 kCs = KernelWorld::kSelfSlot;
constexpr u64 kSpace = 2, kOtherSpace = 3, kEp = 4, kEpSend = 5, kEpRecv = 6, kEpGrant = 7, kEpOther = 8;
constexpr u64 kFirstThread = 10;
constexpr u32 kThreads = 5; // a: caller, b: server, c (no address space), d: others; e: a second caller

struct World : KernelWorld {
    std::vector<Thread*> t;
    abi::IpcBuffer buffers[kThreads]{};

    World() : KernelWorld(2 << 20, 1, &kToyOps) {
        make<AddressSpace>(ObjectType::AddressSpace, kSpace, 2);
        make<AddressSpace>(ObjectType::AddressSpace, kOtherSpace, 2);
        endpoint(kEp);
        endpoint(kEpOther);
        REQUIRE(cs->mint(kEp, *cs, kEpSend, r::kWrite, 0x77).ok());
        REQUIRE(cs->mint(kEp, *cs, kEpRecv, r::kRead, 0).ok());
        REQUIRE(cs->mint(kEp, *cs, kEpGrant, r::kWrite | r::kGrant, 0x99).ok());
        for (u32 i = 0; i < kThreads; ++i) {
            Thread& th = thread(kFirstThread + i);
            th.set_cap_space(cs->slot(kCs), reaper);
            if (i != 2) // (c has none: it may be ready, but never be switched to by the fastpath)
                th.set_address_space(cs->slot(i % 2 ? kOtherSpace : kSpace), reaper);
            th.set_ipc_buffer(&buffers[i]);
            REQUIRE(th.set_priority(100, 5, sched).ok());
            for (u32 reg = 0; reg < abi::kRegCount; ++reg) th.set_reg(reg, 0x1000 * (i + 1) + reg);
            t.push_back(&th);
        }
    }
    Thread& a() { return *t[0]; }
    Thread& b() { return *t[1]; }
    Thread& c() { return *t[2]; }
    Thread& d() { return *t[3]; }
    Thread& e() { return *t[4]; }
    int index(const Thread* x) const {
        for (u32 i = 0; i < kThreads; ++i)
            if (t[i] == x) return static_cast<int>(i);
        return -1;
    }

    void load(Thread& th, Syscall nr, u64 slot, u64 label, const std::vector<u64>& words, u32 caps = 0) {
        u32 i = 0;
        for (u64 w : words) th.set_mr(i++, w);
        th.set_reg(abi::kRegSyscall, static_cast<u64>(nr));
        th.set_reg(abi::kRegCap, slot);
        th.set_reg(abi::kRegInfo, abi::MessageInfo{label, i, caps}.encode());
    }
    /// What run_user_threads does after a system call: schedule if it must.
    void after() {
        Thread* cur = sched.current(0);
        if (!cur || cur->state() != ThreadState::Running || sched.need_resched(0)) sched.schedule(0);
    }
    /// A system call by the slowpath (setting the stage, or the reference run).
    void slow(Thread& th) {
        SyscallContext ctx{th, 0, sched, reaper, mem.window()};
        handle_syscall(ctx);
        after();
    }
    /// The kernel's way: the fastpath, else the slowpath. Returns whether it was fast.
    bool fast(Thread& th) {
        if (fastpath(th, sched.cpu(0), sched)) return true; // (the partner is current: nothing to schedule)
        slow(th);
        return false;
    }
    /// A Linux-ABI thread's system call, as on_user_trap makes it: slow, or fast first.
    static constexpr u32 kLinuxResult = 20;
    void slow_linux(Thread& th) {
        th.linux_syscall(kLinuxResult, sched);
        after();
    }
    bool fast_linux(Thread& th) {
        if (fastpath_linux(th, kLinuxResult, sched.cpu(0), sched)) return true;
        slow_linux(th);
        return false;
    }

    /// Everything the two runs must agree on, as text (a mismatch shows where).
    std::string snapshot() {
        std::string s;
        auto num = [&](u64 v) { s += std::to_string(v) + " "; };
        for (u32 i = 0; i < kThreads; ++i) {
            Thread& th = *t[i];
            s += "thread " + std::to_string(i) + ": state ";
            num(static_cast<u64>(th.state()));
            s += "regs ";
            for (u32 reg = 0; reg < abi::kRegCount; ++reg) num(th.reg(reg));
            s += "buffer ";
            for (u64 w : buffers[i].mr) num(w);
            s += "fault " + std::to_string(th.fault_pending()) + " slice " + std::to_string(th.remaining()) + " " +
                 std::to_string(th.slice_expired()) + "\n";
        }
        s += "current " + std::to_string(index(sched.current(0))) + " ready " + std::to_string(sched.ready_count(0));
        s += " resched " + std::to_string(sched.need_resched(0)) + "\n";
        // The endpoints' queues, in order: torn down, they wake their threads in turn onto
        // the ready queue, whose order comes next (the current thread taken off until none
        // is left). Then who owes whom a reply: each thread replies and says if it could.
        cs->slot(kEp).as<Endpoint>().teardown(sched);
        cs->slot(kEpOther).as<Endpoint>().teardown(sched);
        s += "queue:";
        for (Thread* cur = sched.current(0); cur; cur = sched.schedule(0)) {
            s += " " + std::to_string(index(cur));
            cur->suspend(sched);
        }
        s += "\nreplies:";
        for (u32 i = 0; i < kThreads; ++i) {
            load(*t[i], Syscall::Reply, 0, 5, {i});
            SyscallContext ctx{*t[i], 0, sched, reaper, mem.window()};
            handle_syscall(ctx);
            s += " " + std::to_string(static_cast<long long>(t[i]->reg(abi::kRegCap)));
        }
        return s + "\n";
    }
};

/// A message of `n` words: 1, 2, ... n.
std::vector<u64> words(u32 n) {
    std::vector<u64> v;
    for (u32 i = 1; i <= n; ++i) v.push_back(i);
    return v;
}

/// Sets up a world with `stage`, then makes `last` (the thread that calls, its registers
/// loaded by `stage`) both ways and compares. Returns whether the fastpath was taken.
/// `linux`: the call is a Linux-ABI thread's system call.
bool both_ways(const std::function<Thread&(World&)>& stage, bool linux = false) {
    World slow_world, fast_world;
    Thread& slow_caller = stage(slow_world);
    Thread& fast_caller = stage(fast_world);
    REQUIRE(slow_world.snapshot() == fast_world.snapshot()); // (an identical start; this consumes them)
    World slow2, fast2;
    Thread& s = stage(slow2);
    Thread& f = stage(fast2);
    (void)slow_caller, (void)fast_caller;
    REQUIRE(slow2.sched.current(0) == &s); // the caller is the running thread, as in the kernel
    if (linux) slow2.slow_linux(s);
    else slow2.slow(s);
    bool taken = linux ? fast2.fast_linux(f) : fast2.fast(f);
    CHECK(slow2.snapshot() == fast2.snapshot());
    return taken;
}

/// The common stage: b (server) waits on the endpoint at `server_prio`; d is ready at
/// `other_prio` (0: not started); a (the caller) runs at 200 and will Call with `words`.
Thread& call_stage(World& w, u32 server_prio, u32 other_prio, const std::vector<u64>& words = {1, 2},
                   u64 slot = kEpSend, u32 caps = 0) {
    REQUIRE(w.a().set_priority(200, 5, w.sched).ok());
    REQUIRE(w.b().set_priority(server_prio, 5, w.sched).ok());
    REQUIRE(w.d().set_priority(other_prio ? other_prio : 1, 5, w.sched).ok());
    REQUIRE(w.b().resume(w.sched).ok());
    if (other_prio) REQUIRE(w.d().resume(w.sched).ok());
    w.load(w.b(), Syscall::Receive, kEpRecv, 0, {});
    w.slow(w.b());
    REQUIRE(w.a().resume(w.sched).ok());
    w.after();
    w.load(w.a(), Syscall::Call, slot, 9, words, caps);
    return w.a();
}

/// `server` waits on the endpoint at `server_prio`, then a (the caller, at 200) runs and
/// will Call it with one word.
Thread& serve_then_call(World& w, Thread& server, u32 server_prio) {
    REQUIRE(server.set_priority(server_prio, 5, w.sched).ok());
    if (server.state() == ThreadState::Created) REQUIRE(server.resume(w.sched).ok());
    w.load(server, Syscall::Receive, kEpRecv, 0, {});
    w.slow(server);
    REQUIRE(w.a().set_priority(200, 5, w.sched).ok());
    REQUIRE(w.a().resume(w.sched).ok());
    w.after();
    w.load(w.a(), Syscall::Call, kEpSend, 9, {1});
    return w.a();
}

/// A stage where b (server, running at `server_prio`) owes a (caller, `caller_prio`) a
/// reply and will ReplyReceive on the endpoint with `words`.
Thread& reply_stage(World& w, u32 caller_prio, u32 other_prio, const std::vector<u64>& words = {42},
                    u64 slot = kEpRecv, u32 caps = 0) {
    REQUIRE(w.a().set_priority(caller_prio, 5, w.sched).ok());
    REQUIRE(w.b().set_priority(250, 5, w.sched).ok());
    REQUIRE(w.d().set_priority(other_prio ? other_prio : 1, 5, w.sched).ok());
    REQUIRE(w.b().resume(w.sched).ok());
    w.load(w.b(), Syscall::Receive, kEpRecv, 0, {});
    w.slow(w.b());
    REQUIRE(w.a().resume(w.sched).ok());
    if (other_prio) REQUIRE(w.d().resume(w.sched).ok());
    w.after();
    w.load(w.a(), Syscall::Call, kEpSend, 9, {1, 2});
    w.slow(w.a()); // b has the message and runs (it is the highest)
    REQUIRE(w.sched.current(0) == &w.b());
    w.load(w.b(), Syscall::ReplyReceive, slot, 3, words, caps);
    return w.b();
}
} // namespace

TEST_CASE("fastpath: a Call to a waiting server above every ready thread is fast, and ends as the slowpath's") {
    CHECK(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100); }));
    CHECK(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 0); }));          // nothing else ready
    CHECK(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, {}); }));    // 0 words
    CHECK(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, {1, 2, 3, 4}); }));
    // words beyond the registers, buffer to buffer: one more, ten, as many as a message holds
    CHECK(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, {1, 2, 3, 4, 5}); }));
    CHECK(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}); }));
    CHECK(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, words(abi::kMaxMsgWords)); }));
    CHECK(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, {7}, kEpGrant); })); // grant, no caps
    CHECK(both_ways([](World& w) -> Thread& { return call_stage(w, 250, 100); }));        // above the caller
}

TEST_CASE("fastpath: every Call it must not take goes to the slowpath, with the same end") {
    // a ready thread at the server's priority goes first; one above it, all the more
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return call_stage(w, 100, 100); }));
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return call_stage(w, 90, 100); }));
    // a message longer than any, capabilities, a wrong right, an empty slot, a slot out of range
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, words(abi::kMaxMsgWords + 1)); }));
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        w.buffers[0].send_caps[0] = kEpSend;
        w.buffers[1].receive_slot = 40;
        return call_stage(w, 150, 100, {1}, kEpGrant, 1);
    }));
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, {1}, kEpRecv); }));
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, {1}, 30); }));
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return call_stage(w, 150, 100, {1}, ~u64{0}); }));
    // words beyond the registers and a receiver without an IPC buffer (the slowpath cuts
    // the message short), or a caller without one (the slowpath refuses the message)
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        Thread& caller = call_stage(w, 150, 100, {1, 2, 3, 4, 5});
        w.a().set_ipc_buffer(nullptr);
        return caller;
    }));
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        Thread& caller = call_stage(w, 150, 100, {1, 2, 3, 4, 5});
        caller.set_ipc_buffer(nullptr);
        return caller;
    }));
    // no receiver waiting (on this endpoint: b waits on another)
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        REQUIRE(w.cs->mint(kEpOther, *w.cs, 31, r::kWrite, 0).ok());
        return call_stage(w, 150, 100, {1}, 31);
    }));
    // the server still owes an earlier caller (e) its reply
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        REQUIRE(w.e().set_priority(220, 5, w.sched).ok());
        REQUIRE(w.b().set_priority(210, 5, w.sched).ok());
        REQUIRE(w.b().resume(w.sched).ok());
        w.load(w.b(), Syscall::Receive, kEpRecv, 0, {});
        w.slow(w.b());
        REQUIRE(w.e().resume(w.sched).ok());
        w.after();
        w.load(w.e(), Syscall::Call, kEpSend, 1, {5});
        w.slow(w.e()); // b runs, owing e
        return serve_then_call(w, w.b(), 210); // b waits again, still owing e
    }));
    // a server without an address space (the slowpath suspends it, loudly)
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return serve_then_call(w, w.c(), 150); }));
    // a reschedule already asked for (c, above the caller, woke meanwhile)
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        Thread& caller = call_stage(w, 150, 100);
        REQUIRE(w.c().set_priority(210, 5, w.sched).ok());
        REQUIRE(w.c().resume(w.sched).ok());
        return caller;
    }));
    // a server whose affinity excludes this CPU cannot exist on one CPU; a Send is never fast
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        Thread& caller = call_stage(w, 150, 100);
        w.load(caller, Syscall::Send, kEpSend, 9, {1});
        return caller;
    }));
}

TEST_CASE("fastpath: a ReplyReceive to a caller above every ready thread is fast, and ends as the slowpath's") {
    CHECK(both_ways([](World& w) -> Thread& { return reply_stage(w, 200, 100); }));
    CHECK(both_ways([](World& w) -> Thread& { return reply_stage(w, 200, 0, {}); }));
    CHECK(both_ways([](World& w) -> Thread& { return reply_stage(w, 200, 100, {1, 2, 3, 4}); }));
    CHECK(both_ways([](World& w) -> Thread& { return reply_stage(w, 200, 100, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}); }));
    CHECK(both_ways([](World& w) -> Thread& { return reply_stage(w, 200, 100, words(abi::kMaxMsgWords)); }));
    // another server waits already: b queues behind it
    CHECK(both_ways([](World& w) -> Thread& {
        Thread& server = reply_stage(w, 200, 100);
        REQUIRE(w.d().set_priority(250, 5, w.sched).ok());
        w.load(w.d(), Syscall::Receive, kEpRecv, 0, {});
        w.slow(w.d());
        return server;
    }));
}

TEST_CASE("fastpath: every ReplyReceive it must not take goes to the slowpath, with the same end") {
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return reply_stage(w, 100, 100); })); // d goes first
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return reply_stage(w, 90, 100); }));
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return reply_stage(w, 200, 100, words(abi::kMaxMsgWords + 1)); }));
    // words beyond the registers to a caller without an IPC buffer
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        Thread& server = reply_stage(w, 200, 100, {1, 2, 3, 4, 5});
        w.a().set_ipc_buffer(nullptr);
        return server;
    }));
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return reply_stage(w, 200, 100, {1}, kEpSend); })); // no Read
    CHECK_FALSE(both_ways([](World& w) -> Thread& { return reply_stage(w, 200, 100, {1}, 33); }));
    // a sender already queued: the server receives at once
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        Thread& server = reply_stage(w, 200, 100);
        REQUIRE(w.c().set_priority(50, 5, w.sched).ok());
        w.load(w.c(), Syscall::Send, kEpSend, 4, {8});
        w.slow(w.c()); // c is not running, but the endpoint queues it all the same
        return server;
    }));
    // no reply owed
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        Thread& server = reply_stage(w, 200, 100);
        w.load(server, Syscall::Reply, 0, 0, {});
        w.slow(server);
        REQUIRE(w.sched.current(0) == &w.b());
        w.load(server, Syscall::ReplyReceive, kEpRecv, 0, {1});
        return server;
    }));
    // a receive deadline armed
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        Thread& server = reply_stage(w, 200, 100);
        w.sched.set_timeout(server, 1'000'000);
        return server;
    }));
    // the reply answers a fault (e faulted; b, its handler, answers)
    CHECK_FALSE(both_ways([](World& w) -> Thread& {
        REQUIRE(w.b().set_priority(250, 5, w.sched).ok());
        REQUIRE(w.b().resume(w.sched).ok());
        w.load(w.b(), Syscall::Receive, kEpRecv, 0, {});
        w.slow(w.b());
        w.e().set_fault_endpoint(w.cs->slot(kEpSend), w.reaper);
        REQUIRE(w.e().set_priority(200, 5, w.sched).ok());
        REQUIRE(w.e().resume(w.sched).ok());
        w.after();
        REQUIRE(w.sched.current(0) == &w.e());
        w.e().fault(abi::FaultKind::PageFault, 0x1234, abi::FaultAccess::Write, w.sched);
        w.after();
        REQUIRE(w.sched.current(0) == &w.b());
        w.load(w.b(), Syscall::ReplyReceive, kEpRecv, static_cast<u64>(abi::FaultReply::Resume), {});
        return w.b();
    }));
}

TEST_CASE("fastpath: a Yield with nobody to yield to returns at once, as the slowpath's yield and schedule would") {
    auto yield_stage = [](u32 other_prio, bool spend) {
        return [other_prio, spend](World& w) -> Thread& {
            REQUIRE(w.a().set_priority(200, 5, w.sched).ok());
            REQUIRE(w.a().resume(w.sched).ok());
            if (other_prio) {
                REQUIRE(w.d().set_priority(other_prio, 5, w.sched).ok());
                REQUIRE(w.d().resume(w.sched).ok());
            }
            w.after();
            REQUIRE(w.sched.current(0) == &w.a());
            if (spend) w.sched.tick(0), w.sched.tick(0); // part of the slice used
            w.load(w.a(), Syscall::Yield, 0, 0, {});
            return w.a();
        };
    };
    CHECK(both_ways(yield_stage(0, false)));
    CHECK(both_ways(yield_stage(0, true)));
    CHECK(both_ways(yield_stage(100, true)));
    CHECK_FALSE(both_ways(yield_stage(200, true))); // an equal priority takes its turn
    // a reschedule already pending
    CHECK_FALSE(both_ways([&](World& w) -> Thread& {
        Thread& t = yield_stage(0, false)(w);
        REQUIRE(w.c().set_priority(250, 5, w.sched).ok());
        REQUIRE(w.c().resume(w.sched).ok());
        return t;
    }));
}

TEST_CASE("fastpath: a Linux program's system call to its waiting handler, and the handler's answer, are fast when the IPC would be") {
    // a: a Linux-ABI thread whose fault endpoint is the endpoint b serves
    auto linux_stage = [](u32 server_prio, u32 other_prio, bool with_buffer) {
        return [=](World& w) -> Thread& {
            Thread& caller = call_stage(w, server_prio, other_prio);
            w.a().set_fault_endpoint(w.cs->slot(kEpSend), w.reaper);
            w.a().set_linux_abi(true);
            if (!with_buffer) w.b().set_ipc_buffer(nullptr);
            for (u32 i = 0; i < 6; ++i) w.a().set_reg(abi::kRegCap + i, 100 + i); // the six arguments
            w.a().set_reg(abi::kRegSyscall, 39);                                  // the number
            return caller;
        };
    };
    CHECK(both_ways(linux_stage(150, 100, true), true));
    CHECK(both_ways(linux_stage(150, 0, true), true));
    CHECK_FALSE(both_ways(linux_stage(100, 100, true), true)); // d goes first
    CHECK_FALSE(both_ways(linux_stage(150, 100, false), true)); // no room for nine words
    // no handler waiting; no fault endpoint (the slowpath suspends the thread)
    CHECK_FALSE(both_ways([&](World& w) -> Thread& {
        Thread& caller = linux_stage(150, 100, true)(w);
        w.a().set_fault_endpoint(w.cs->slot(kEpOther), w.reaper);
        return caller;
    }, true));
    CHECK_FALSE(both_ways([&](World& w) -> Thread& {
        REQUIRE(w.a().set_priority(200, 5, w.sched).ok());
        REQUIRE(w.a().resume(w.sched).ok());
        w.after();
        w.a().set_linux_abi(true);
        return w.a();
    }, true));

    // The handler's answer: Resume with the result in mr0 is fast; any other answer is not.
    auto answer_stage = [&](u64 label, u32 caller_prio) {
        return [=](World& w) -> Thread& {
            REQUIRE(w.b().set_priority(250, 5, w.sched).ok());
            REQUIRE(w.b().resume(w.sched).ok());
            w.load(w.b(), Syscall::Receive, kEpRecv, 0, {});
            w.slow(w.b());
            REQUIRE(w.a().set_priority(caller_prio, 5, w.sched).ok());
            REQUIRE(w.a().resume(w.sched).ok());
            w.after();
            REQUIRE(w.sched.current(0) == &w.a());
            REQUIRE(w.d().set_priority(100, 5, w.sched).ok());
            REQUIRE(w.d().resume(w.sched).ok());
            w.a().set_fault_endpoint(w.cs->slot(kEpSend), w.reaper);
            w.a().set_linux_abi(true);
            w.slow_linux(w.a()); // b has the call and runs
            REQUIRE(w.sched.current(0) == &w.b());
            w.load(w.b(), Syscall::ReplyReceive, kEpRecv, label, {42, 0x5000, 0x6000});
            return w.b();
        };
    };
    using FR = abi::FaultReply;
    CHECK(both_ways(answer_stage(static_cast<u64>(FR::Resume), 200)));
    CHECK_FALSE(both_ways(answer_stage(static_cast<u64>(FR::Resume), 100))); // d goes first
    CHECK_FALSE(both_ways(answer_stage(static_cast<u64>(FR::ResumeWithRegs), 200)));
    CHECK_FALSE(both_ways(answer_stage(static_cast<u64>(FR::Kill), 200)));
    CHECK_FALSE(both_ways(answer_stage(static_cast<u64>(FR::ResumeAsIs), 200)));
    CHECK_FALSE(both_ways(answer_stage(77, 200))); // not an answer: EINVAL, the caller still waits
}
