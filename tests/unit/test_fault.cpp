// Faults become messages to the thread's fault endpoint; the handler's reply decides.
#include "kernel_world.hpp"

using namespace kernel;
using abi::FaultKind;
using abi::FaultReply;

namespace {
struct Faults : KernelWorld {
    Endpoint& ep;
    Thread& t;       ///< the thread that faults
    Thread& handler;
    Faults() : ep(endpoint(2)), t(thread(3)), handler(thread(4)) {
        REQUIRE(cs->mint(2, *cs, 5, abi::rights::kWrite, 0xf00).ok());
        t.set_fault_endpoint(cs->slot(5), reaper);
        REQUIRE(t.resume(sched).ok());
        REQUIRE(handler.resume(sched).ok());
        t.set_reg(abi::kRegIp, 0x400123);
        t.set_reg(abi::kRegSp, 0x7fff0000);
        t.set_reg(abi::kRegCap, 0x1111); // a user register that must survive
    }
    void reply(FaultReply how, u64 mr0 = 0, u64 mr1 = 0) {
        handler.set_mr(0, mr0);
        handler.set_mr(1, mr1);
        handler.set_reg(abi::kRegInfo, abi::MessageInfo{static_cast<u64>(how), 2, 0}.encode());
        REQUIRE(Endpoint::reply(handler, sched).ok());
    }
};
} // namespace

TEST_CASE("fault: the handler gets kind, address, IP and access; Resume continues the thread") {
    Faults w;
    w.ep.receive(w.handler, w.sched);
    w.t.fault(FaultKind::PageFault, 0xdead000, abi::FaultAccess::Write, w.sched);
    CHECK(w.t.state() == ThreadState::BlockedReply);
    auto info = abi::MessageInfo::decode(w.handler.reg(abi::kRegInfo));
    CHECK(info.label == static_cast<u64>(FaultKind::PageFault));
    CHECK(w.handler.mr(0) == static_cast<u64>(FaultKind::PageFault));
    CHECK(w.handler.mr(1) == 0xdead000);
    CHECK(w.handler.mr(2) == 0x400123);
    CHECK(w.handler.mr(3) == static_cast<u64>(abi::FaultAccess::Write));
    CHECK(info.length == 4);
    CHECK(w.handler.reg(abi::kRegBadge) == 0xf00);
    w.reply(FaultReply::Resume);
    CHECK(w.t.state() == ThreadState::Ready);
    CHECK(w.t.reg(abi::kRegCap) == 0x1111);
    CHECK(w.t.reg(abi::kRegIp) == 0x400123);
    CHECK_FALSE(w.t.fault_pending());
}

TEST_CASE("fault: resume with new registers, or kill") {
    Faults w;
    w.t.fault(FaultKind::IllegalInstruction, 0, abi::FaultAccess::None, w.sched); // queued: no handler waiting yet
    CHECK(w.t.state() == ThreadState::BlockedSend);
    w.ep.receive(w.handler, w.sched);
    CHECK(w.t.state() == ThreadState::BlockedReply);
    w.reply(FaultReply::ResumeWithRegs, 0x500000, 0x6000);
    CHECK(w.t.reg(abi::kRegIp) == 0x500000);
    CHECK(w.t.reg(abi::kRegSp) == 0x6000);
    CHECK(w.t.state() == ThreadState::Ready);

    w.ep.receive(w.handler, w.sched);
    w.t.fault(FaultKind::Other, 0, abi::FaultAccess::None, w.sched);
    w.reply(FaultReply::Kill);
    CHECK(w.t.state() == ThreadState::Suspended);
    w.remove(3); // the handler may now destroy it
}

TEST_CASE("fault: a bad answer is rejected and the fault stays pending") {
    Faults w;
    w.ep.receive(w.handler, w.sched);
    w.t.fault(FaultKind::PageFault, 0x10, abi::FaultAccess::Read, w.sched);
    w.handler.set_reg(abi::kRegInfo, abi::MessageInfo{9, 0, 0}.encode());
    CHECK(Endpoint::reply(w.handler, w.sched).error() == Error::InvalidArgument);
    w.handler.set_reg(abi::kRegInfo, abi::MessageInfo{1, 1, 0}.encode()); // regs missing
    CHECK(Endpoint::reply(w.handler, w.sched).error() == Error::InvalidArgument);
    CHECK(w.t.state() == ThreadState::BlockedReply);
    w.reply(FaultReply::Resume);
    CHECK(w.t.state() == ThreadState::Ready);
}

TEST_CASE("fault: no handler, or a handler that dies, never hangs or corrupts the thread") {
    Faults w;
    Thread& lone = w.thread(6);
    REQUIRE(lone.resume(w.sched).ok());
    lone.fault(FaultKind::PageFault, 0, abi::FaultAccess::Read, w.sched);
    CHECK(lone.state() == ThreadState::Suspended);

    w.ep.receive(w.handler, w.sched);
    w.t.fault(FaultKind::PageFault, 0x20, abi::FaultAccess::Read, w.sched);
    w.remove(4); // the handler dies owing the answer
    CHECK(w.t.state() == ThreadState::Ready); // it will retry the instruction
    CHECK(w.t.reg(abi::kRegCap) == 0x1111);
    CHECK_FALSE(w.t.fault_pending());
}

TEST_CASE("fault: a Linux-ABI thread's syscall reaches its handler as a message; Resume sets the result register") {
    Faults w;
    abi::IpcBuffer buffer{};
    w.handler.set_ipc_buffer(&buffer); // nine words: the handler needs its buffer
    w.ep.receive(w.handler, w.sched);
    constexpr u32 kResult = 20; // the arch's Linux result register (user_entry.cpp passes it)
    w.t.set_reg(abi::kRegSyscall, 64); // write(1, buf, 5) in the generic table
    for (u32 i = 0; i < 6; ++i) w.t.set_reg(abi::kRegCap + i, 100 + i);
    w.t.set_reg(kResult, 7);
    w.t.linux_syscall(kResult, w.sched);
    CHECK(w.t.state() == ThreadState::BlockedReply);
    auto info = abi::MessageInfo::decode(w.handler.reg(abi::kRegInfo));
    CHECK(info.label == static_cast<u64>(FaultKind::LinuxSyscall));
    CHECK(info.length == abi::kLinuxSyscallWords);
    CHECK(w.handler.mr(0) == 64);
    for (u32 i = 0; i < 6; ++i) CHECK(w.handler.mr(1 + i) == 100 + i);
    CHECK(w.handler.mr(7) == 0x400123);
    CHECK(w.handler.mr(8) == 0x7fff0000);
    CHECK(w.handler.reg(abi::kRegBadge) == 0xf00);
    w.reply(FaultReply::Resume, static_cast<u64>(-9)); // -EBADF
    CHECK(w.t.state() == ThreadState::Ready);
    CHECK(w.t.reg(kResult) == static_cast<u64>(-9));
    CHECK(w.t.reg(abi::kRegCap + 1) == 101); // the arguments stay, as Linux keeps them
    CHECK_FALSE(w.t.fault_pending());

    // ResumeAsIs: the handler has set the registers itself (an execve, a sigreturn).
    w.ep.receive(w.handler, w.sched);
    w.t.linux_syscall(kResult, w.sched);
    w.reply(FaultReply::ResumeAsIs, 12345);
    CHECK(w.t.reg(kResult) == static_cast<u64>(-9));
    CHECK(w.t.state() == ThreadState::Ready);

    // Without a buffer the handler gets what fits: the number and three arguments.
    w.handler.set_ipc_buffer(nullptr);
    w.ep.receive(w.handler, w.sched);
    w.t.linux_syscall(kResult, w.sched);
    CHECK(abi::MessageInfo::decode(w.handler.reg(abi::kRegInfo)).length == abi::kMsgRegsInRegisters);
    w.reply(FaultReply::Kill);
    CHECK(w.t.state() == ThreadState::Suspended);
    w.remove(3);
}
