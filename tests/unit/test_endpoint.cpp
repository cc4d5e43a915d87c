// Synchronous IPC: rendezvous in either order, FIFO queues, badges, call/reply with the
// one-shot reply capability, capability transfer, and every way a partner can vanish.
#include "kernel_world.hpp"
#include <initializer_list>

using namespace kernel;
namespace r = abi::rights;

namespace {
void load(Thread& t, u64 label, std::initializer_list<u64> words, u32 caps = 0) {
    u32 i = 0;
    for (u64 v : words) t.set_mr(i++, v);
    t.set_reg(abi::kRegInfo, abi::MessageInfo{label, i, caps}.encode());
}
abi::MessageInfo info(const Thread& t) { return abi::MessageInfo::decode(t.reg(abi::kRegInfo)); }

struct Ipc : KernelWorld {
    Endpoint& ep;
    Thread& a;
    Thread& b;
    Thread& c;
    Ipc() : ep(endpoint(2)), a(thread(3)), b(thread(4)), c(thread(5)) {
        for (Thread* t : {&a, &b, &c}) REQUIRE(t->resume(sched).ok());
    }
    Endpoint::SendOptions opts(u64 slot) {
        Capability& cap = cs->slot(slot);
        return {cap.badge(), cap.has(r::kGrant)};
    }
};
} // namespace

TEST_CASE("ipc: send waits for a receiver; the message and badge arrive") {
    Ipc w;
    REQUIRE(w.cs->mint(2, *w.cs, 6, r::kWrite, 0xbad9e).ok());
    load(w.a, 42, {1, 2, 3});
    w.ep.send(w.a, w.opts(6), w.sched);
    CHECK(w.a.state() == ThreadState::BlockedSend);
    CHECK(w.ep.has_senders());
    w.ep.receive(w.b, w.sched);
    CHECK(w.a.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.a) == 0);
    CHECK(KernelWorld::result(w.b) == 0);
    CHECK(info(w.b).label == 42);
    CHECK(info(w.b).length == 3);
    CHECK(w.b.mr(0) == 1);
    CHECK(w.b.mr(2) == 3);
    CHECK(w.b.reg(abi::kRegBadge) == 0xbad9e);
    CHECK_FALSE(w.ep.has_senders());
}

TEST_CASE("ipc: receive waits for a sender; a sender that finds a receiver does not block") {
    Ipc w;
    w.ep.receive(w.b, w.sched);
    CHECK(w.b.state() == ThreadState::BlockedReceive);
    w.sched.schedule(0);
    Thread* running = w.sched.current(0);
    REQUIRE(running != nullptr);
    load(*running, 7, {9});
    w.ep.send(*running, {}, w.sched);
    CHECK(running->state() == ThreadState::Running);
    CHECK(w.b.state() == ThreadState::Ready);
    CHECK(w.b.mr(0) == 9);
    CHECK(w.b.reg(abi::kRegBadge) == 0);
}

TEST_CASE("ipc: queued senders are served in FIFO order") {
    Ipc w;
    Thread& d = w.thread(7);
    REQUIRE(d.resume(w.sched).ok());
    load(w.a, 1, {});
    load(w.b, 2, {});
    load(w.c, 3, {});
    for (Thread* t : {&w.a, &w.b, &w.c}) w.ep.send(*t, {}, w.sched);
    for (u64 expected : {1, 2, 3}) {
        w.ep.receive(d, w.sched);
        CHECK(info(d).label == expected);
    }
    w.ep.receive(d, w.sched);
    CHECK(d.state() == ThreadState::BlockedReceive);
}

TEST_CASE("ipc: call blocks for the reply; reply and reply-receive complete it") {
    Ipc w;
    w.ep.receive(w.b, w.sched); // server waits
    load(w.a, 5, {10, 20});
    w.ep.call(w.a, {}, w.sched);
    CHECK(w.a.state() == ThreadState::BlockedReply);
    CHECK(w.b.state() == ThreadState::Ready);
    CHECK(w.b.mr(1) == 20);
    load(w.b, 0, {30});
    w.ep.reply_receive(w.b, w.sched); // answers, then waits again
    CHECK(w.a.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.a) == 0);
    CHECK(w.a.mr(0) == 30);
    CHECK(w.b.state() == ThreadState::BlockedReceive);
    CHECK(Endpoint::reply(w.b, w.sched).error() == Error::NotFound); // one-shot

    // A call queued before the server arrives.
    load(w.c, 6, {});
    w.ep.call(w.c, {}, w.sched);
    CHECK(w.c.state() == ThreadState::BlockedReply); // delivered to the waiting b
    load(w.b, 0, {});
    REQUIRE(Endpoint::reply(w.b, w.sched).ok());
    CHECK(w.c.state() == ThreadState::Ready);
}

TEST_CASE("ipc: a server that dies owing a reply fails its caller, never hangs it") {
    Ipc w;
    w.ep.receive(w.b, w.sched);
    w.ep.call(w.a, {}, w.sched);
    REQUIRE(w.a.state() == ThreadState::BlockedReply);
    w.remove(4); // the server
    CHECK(w.a.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.a) == KernelWorld::err(Error::PeerGone));
}

TEST_CASE("ipc: a caller that vanishes while waiting for its reply") {
    Ipc w;
    w.ep.receive(w.b, w.sched);
    w.ep.call(w.a, {}, w.sched);
    w.remove(3); // the caller dies
    CHECK(Endpoint::reply(w.b, w.sched).error() == Error::NotFound);
    // Suspended instead: it wakes, when resumed, with Interrupted.
    w.ep.receive(w.b, w.sched);
    w.ep.call(w.c, {}, w.sched);
    w.c.suspend(w.sched);
    CHECK(KernelWorld::result(w.c) == KernelWorld::err(Error::Interrupted));
    CHECK(Endpoint::reply(w.b, w.sched).error() == Error::NotFound);
    REQUIRE(w.c.resume(w.sched).ok());
}

TEST_CASE("ipc: a server taking a new call while owing a reply fails the older caller") {
    Ipc w;
    w.ep.call(w.a, {}, w.sched);
    w.ep.call(w.c, {}, w.sched);
    w.ep.receive(w.b, w.sched);
    CHECK(w.a.state() == ThreadState::BlockedReply);
    w.ep.receive(w.b, w.sched);
    CHECK(w.a.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.a) == KernelWorld::err(Error::PeerGone));
    CHECK(w.c.state() == ThreadState::BlockedReply);
}

TEST_CASE("ipc: queued threads leave cleanly when suspended, destroyed, or the endpoint dies") {
    Ipc w;
    w.ep.send(w.a, {}, w.sched);
    w.ep.send(w.b, {}, w.sched);
    w.a.suspend(w.sched);
    CHECK(KernelWorld::result(w.a) == KernelWorld::err(Error::Interrupted));
    w.remove(4); // b
    CHECK_FALSE(w.ep.has_senders());
    w.ep.receive(w.c, w.sched);
    CHECK(w.c.state() == ThreadState::BlockedReceive); // nobody left to receive from
    w.remove(2); // the endpoint
    CHECK(w.c.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.c) == KernelWorld::err(Error::PeerGone));
}

TEST_CASE("ipc: capabilities travel only with the grant right, into the receive slot") {
    Ipc w;
    CapSpace& theirs = w.make<CapSpace>(ObjectType::CapSpace, 8, 4);
    w.semaphore(9);
    w.a.set_cap_space(w.cs->slot(KernelWorld::kSelfSlot), w.reaper);
    w.b.set_cap_space(w.cs->slot(8), w.reaper);
    abi::IpcBuffer abuf{}, bbuf{};
    w.a.set_ipc_buffer(&abuf);
    w.b.set_ipc_buffer(&bbuf);
    abuf.send_caps[0] = 9;
    abuf.send_caps[1] = 2;
    bbuf.receive_slot = 3;
    REQUIRE(w.cs->mint(2, *w.cs, 10, r::kWrite, 0).ok()); // no grant

    // Without Grant the message goes, the capabilities do not.
    load(w.a, 1, {}, 2);
    w.ep.receive(w.b, w.sched);
    w.ep.send(w.a, w.opts(10), w.sched);
    CHECK(info(w.b).caps == 0);
    CHECK(theirs.slot(3).empty());

    // With Grant both arrive, as children of the sender's capabilities.
    w.ep.receive(w.b, w.sched);
    w.ep.send(w.a, w.opts(2), w.sched);
    CHECK(info(w.b).caps == 2);
    CHECK(theirs.slot(3).type() == ObjectType::Semaphore);
    CHECK(theirs.slot(4).type() == ObjectType::Endpoint);
    REQUIRE(w.cs->revoke(9, w.reaper).ok());
    CHECK(theirs.slot(3).empty()); // derived from ours: our revoke reaches it

    // An occupied receive slot stops the transfer there; the count says so.
    bbuf.receive_slot = 4;
    w.ep.receive(w.b, w.sched);
    w.ep.send(w.a, w.opts(2), w.sched);
    CHECK(info(w.b).caps == 0);
    // So does having no receive slot.
    bbuf.receive_slot = abi::kNoSlot;
    w.ep.receive(w.b, w.sched);
    w.ep.send(w.a, w.opts(2), w.sched);
    CHECK(info(w.b).caps == 0);
}

TEST_CASE("ipc: long messages use the IPC buffer; a receiver without one gets what fits") {
    Ipc w;
    abi::IpcBuffer abuf{}, bbuf{};
    w.a.set_ipc_buffer(&abuf);
    w.b.set_ipc_buffer(&bbuf);
    for (u32 i = 0; i < abi::kMaxMsgWords; ++i) w.a.set_mr(i, 100 + i);
    w.a.set_reg(abi::kRegInfo, abi::MessageInfo{3, abi::kMaxMsgWords, 0}.encode());
    w.ep.send(w.a, {}, w.sched);
    w.ep.receive(w.b, w.sched);
    CHECK(info(w.b).length == abi::kMaxMsgWords);
    CHECK(bbuf.mr[abi::kMaxMsgWords - 1] == 100 + abi::kMaxMsgWords - 1);
    CHECK(w.b.mr(0) == 100);

    w.ep.send(w.a, {}, w.sched);
    w.ep.receive(w.c, w.sched); // c has no IPC buffer
    CHECK(info(w.c).length == abi::kMsgRegsInRegisters);
    CHECK(w.c.mr(3) == 103);
}

TEST_CASE("ipc: an IPC buffer disappears with the thread's frame capability") {
    KernelWorld w;
    Thread& t = w.thread(2);
    Frame& f = w.make<Frame>(ObjectType::Frame, 3);
    auto* buffer = reinterpret_cast<abi::IpcBuffer*>(w.mem.window().at(f.page()));
    t.set_ipc_buffer(w.cs->slot(3), buffer, w.reaper);
    CHECK(t.ipc_buffer() == buffer);
    CHECK(t.mr_capacity() == abi::kMaxMsgWords);
    t.set_mr(10, 5);
    CHECK(buffer->mr[10] == 5);
    REQUIRE(w.cs->revoke(3, w.reaper).ok()); // takes the thread's copy of the frame cap
    CHECK(t.ipc_buffer() == nullptr);
    CHECK(t.mr_capacity() == abi::kMsgRegsInRegisters);
    CHECK(t.mr(10) == 0);
    w.remove(3); // the frame can go now: nothing points at it
}

// ---- kept replies (microkernel/object/reply.hpp) ------------------------------------
namespace {
struct Kept : Ipc {
    Reply& r1;
    Reply& r2;
    Kept() : r1(make<Reply>(ObjectType::Reply, 8)), r2(make<Reply>(ObjectType::Reply, 9)) {}
    u64 words[2] = {77, 88};
};
} // namespace

TEST_CASE("kept replies: a server keeps two callers, serves a third, answers the two later in any order") {
    Kept w;
    w.ep.call(w.a, {}, w.sched);
    w.ep.call(w.c, {}, w.sched);
    w.ep.receive(w.b, w.sched); // a's call
    CHECK(w.r1.send(0, w.words, 2, w.sched).error() == Error::NotFound); // nothing kept yet
    REQUIRE(w.r1.keep(w.b).ok());
    CHECK(w.r1.caller() == &w.a);
    CHECK(w.r1.keep(w.b).error() == Error::Busy);            // holds a caller already
    CHECK(w.r2.keep(w.b).error() == Error::NotFound);        // b owes nothing now
    CHECK(Endpoint::reply(w.b, w.sched).error() == Error::NotFound);
    w.ep.receive(w.b, w.sched); // c's call: taking it does not fail the kept a
    CHECK(w.a.state() == ThreadState::BlockedReply);
    REQUIRE(w.r2.keep(w.b).ok());
    // A third caller, served at once, while a and c wait.
    Thread& d = w.thread(10);
    REQUIRE(d.resume(w.sched).ok());
    w.ep.receive(w.b, w.sched);
    load(d, 3, {});
    w.ep.call(d, {}, w.sched);
    load(w.b, 0, {5});
    REQUIRE(Endpoint::reply(w.b, w.sched).ok());
    CHECK(d.state() == ThreadState::Ready);
    CHECK(w.a.state() == ThreadState::BlockedReply);
    CHECK(w.c.state() == ThreadState::BlockedReply);
    // c first, then a: each gets its own label and words, exactly once.
    REQUIRE(w.r2.send(9, w.words, 1, w.sched).ok());
    CHECK(w.c.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.c) == 0);
    CHECK(info(w.c).label == 9);
    CHECK(info(w.c).length == 1);
    CHECK(w.c.mr(0) == 77);
    REQUIRE(w.r1.send(4, w.words, 2, w.sched).ok());
    CHECK(w.a.state() == ThreadState::Ready);
    CHECK(info(w.a).label == 4);
    CHECK(w.a.mr(1) == 88);
    CHECK(w.r1.send(4, w.words, 2, w.sched).error() == Error::NotFound); // replying twice
    CHECK(w.r1.caller() == nullptr);
}

TEST_CASE("kept replies: a kept caller that is suspended or destroyed fails the Send cleanly") {
    Kept w;
    w.ep.receive(w.b, w.sched);
    w.ep.call(w.a, {}, w.sched);
    REQUIRE(w.r1.keep(w.b).ok());
    w.a.suspend(w.sched);
    CHECK(KernelWorld::result(w.a) == KernelWorld::err(Error::Interrupted));
    CHECK(w.r1.caller() == nullptr);
    CHECK(w.r1.send(0, w.words, 0, w.sched).error() == Error::PeerGone);
    CHECK(w.r1.send(0, w.words, 0, w.sched).error() == Error::NotFound); // said once
    REQUIRE(w.a.resume(w.sched).ok());
    // Destroyed: the object is empty again and can keep the next caller.
    w.ep.receive(w.b, w.sched);
    w.ep.call(w.c, {}, w.sched);
    REQUIRE(w.r1.keep(w.b).ok());
    w.remove(5); // c
    CHECK(w.r1.send(0, w.words, 0, w.sched).error() == Error::PeerGone);
    w.ep.receive(w.b, w.sched);
    w.ep.call(w.a, {}, w.sched);
    CHECK(w.r1.keep(w.b).ok());
}

TEST_CASE("kept replies: destroying the Reply object or the server leaves no caller hanging") {
    Kept w;
    w.ep.receive(w.b, w.sched);
    w.ep.call(w.a, {}, w.sched);
    REQUIRE(w.r1.keep(w.b).ok());
    w.remove(8); // the Reply object holding a
    CHECK(w.a.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.a) == KernelWorld::err(Error::PeerGone));
    // The server dies: its kept replies live in its cap space, not in it, and still answer.
    w.ep.receive(w.b, w.sched);
    w.ep.call(w.c, {}, w.sched);
    REQUIRE(w.r2.keep(w.b).ok());
    w.remove(4); // b
    CHECK(w.c.state() == ThreadState::BlockedReply);
    REQUIRE(w.r2.send(1, w.words, 1, w.sched).ok());
    CHECK(w.c.state() == ThreadState::Ready);
    CHECK(w.c.mr(0) == 77);
}

TEST_CASE("kept replies: the answer to a kept fault resumes, moves or kills the thread") {
    Kept w;
    w.ep.receive(w.b, w.sched);
    w.a.set_reg(abi::kRegIp, 0x1000);
    Capability& fault_ep = w.cs->slot(2);
    w.a.set_fault_endpoint(fault_ep, w.reaper);
    w.a.fault(abi::FaultKind::PageFault, 0xdead000, abi::FaultAccess::Write, w.sched);
    REQUIRE(w.a.state() == ThreadState::BlockedReply);
    CHECK(w.b.mr(1) == 0xdead000);
    REQUIRE(w.r1.keep(w.b).ok());
    CHECK(w.r1.send(7, w.words, 0, w.sched).error() == Error::InvalidArgument); // no such FaultReply
    CHECK(w.r1.send(static_cast<u64>(abi::FaultReply::ResumeWithRegs), w.words, 1, w.sched).error() ==
          Error::InvalidArgument); // needs ip and sp
    CHECK(w.a.state() == ThreadState::BlockedReply); // still kept after the refusals
    REQUIRE(w.r1.send(static_cast<u64>(abi::FaultReply::ResumeWithRegs), w.words, 2, w.sched).ok());
    CHECK(w.a.state() == ThreadState::Ready);
    CHECK_FALSE(w.a.fault_pending());
    CHECK(w.a.reg(abi::kRegIp) == 77);
    CHECK(w.a.reg(abi::kRegSp) == 88);
}

TEST_CASE("kept replies: a Reply object holding a caller is destroyed and every byte comes back") {
    KernelWorld w;
    u64 used0 = w.untyped->used_bytes();
    Endpoint& ep = w.endpoint(2);
    Thread& caller = w.thread(3);
    Thread& server = w.thread(4);
    Reply& kept = w.make<Reply>(ObjectType::Reply, 5);
    CHECK(w.untyped->used_bytes() > used0);
    REQUIRE(caller.resume(w.sched).ok());
    REQUIRE(server.resume(w.sched).ok());
    ep.receive(server, w.sched);
    ep.call(caller, {}, w.sched);
    REQUIRE(kept.keep(server).ok());
    for (u64 s : {5, 4, 2, 3}) w.remove(s); // the Reply object first: it wakes the caller
    CHECK(w.untyped->used_bytes() == used0);
}

TEST_CASE("receive deadlines: a receiver wakes with ETIMEDOUT once the clock passes its deadline, not before") {
    Ipc w;
    w.sched.expire(1000);
    w.sched.set_timeout(w.b, 5000);
    w.ep.receive(w.b, w.sched);
    CHECK(w.b.state() == ThreadState::BlockedReceive);
    w.sched.expire(4999);
    CHECK(w.b.state() == ThreadState::BlockedReceive);
    w.sched.expire(5000);
    CHECK(w.b.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.b) == -110); // ETIMEDOUT
    CHECK_FALSE(w.ep.has_senders());
    // It fired once: the next receive waits without a deadline.
    w.ep.receive(w.b, w.sched);
    w.sched.expire(1000000);
    CHECK(w.b.state() == ThreadState::BlockedReceive);
    load(w.a, 1, {7});
    w.ep.send(w.a, {}, w.sched);
    CHECK(w.b.state() == ThreadState::Ready);
    CHECK(KernelWorld::result(w.b) == 0);
    CHECK(w.b.mr(0) == 7);
}

TEST_CASE("receive deadlines: a passed deadline fails the receive at once; a message first wins; teardown disarms") {
    Ipc w;
    w.sched.expire(100);
    w.sched.set_timeout(w.b, 50); // already over
    w.ep.receive(w.b, w.sched);
    CHECK(w.b.state() != ThreadState::BlockedReceive);
    CHECK(KernelWorld::result(w.b) == -110);
    // A sender already waiting: the message is taken, the deadline stays armed.
    w.sched.set_timeout(w.c, 50);
    load(w.a, 1, {9});
    w.ep.send(w.a, {}, w.sched);
    w.ep.receive(w.c, w.sched);
    CHECK(KernelWorld::result(w.c) == 0);
    CHECK(w.c.mr(0) == 9);
    // A thread destroyed while armed leaves the scheduler's list (no dangling pointer).
    w.sched.set_timeout(w.b, 1000);
    w.remove(4); // b
    w.sched.expire(2000); // would touch b if it were still listed
    w.ep.receive(w.c, w.sched); // c's deadline (50) passed: at once
    CHECK(KernelWorld::result(w.c) == -110);
}
