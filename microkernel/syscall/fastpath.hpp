// The fastpath, after seL4's: Call and ReplyReceive in their common case (a message
// without capabilities, whose words beyond the registers go from IPC buffer to IPC
// buffer, the partner waiting and able to run at once on this CPU) carried out whole,
// without the syscall layer, the reaper or a run-queue operation: the caller blocks and
// the partner simply becomes current. Every other case falls to handle_syscall, which
// stays the reference semantics. Also a Yield that has nobody to yield to (the null
// system call) returns at once. The fastpath must leave thread states, registers,
// queues and results exactly as the slowpath would (the host test
// tests/unit/test_fastpath.cpp runs every case both ways and compares).
#pragma once

#include <abi/methods.hpp>
#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/endpoint.hpp>
#include <microkernel/object/thread.hpp>
#include <microkernel/sched/scheduler.hpp>

namespace kernel {

/// Call and ReplyReceive (`is_call` says which) on the fastpath; fastpath() decides.
/// (Inline, into the system call's entry: no call, no second stack frame.)
[[gnu::always_inline]] inline Thread* fastpath_ipc(Thread& caller, bool is_call, Scheduler::Cpu cpu,
                                                  Scheduler& scheduler) {
    // (what check_message would accept, narrowed to no capabilities; words beyond the
    // registers also need both IPC buffers, which Endpoint checks)
    auto info = abi::MessageInfo::decode(caller.reg(abi::kRegInfo));
    if (info.caps || info.length > abi::kMaxMsgWords) return nullptr;
    // CapSpace::lookup without its error values: any failure is the slowpath's to report.
    u64 slot = caller.reg(abi::kRegCap);
    CapSpace* space = caller.space_for(slot);
    if (!space || slot >= space->slot_count()) return nullptr;
    Capability& cap = space->slot(slot);
    // (abi::kSyscalls: the type and right the slowpath's lookup asks for)
    constexpr abi::SyscallInfo call = abi::syscall_info(abi::Syscall::Call),
                               reply_receive = abi::syscall_info(abi::Syscall::ReplyReceive);
    static_assert(call.object == ObjectType::Endpoint && reply_receive.object == ObjectType::Endpoint);
    if (cap.empty() || cap.type() != ObjectType::Endpoint) return nullptr;
    auto& ep = cap.as<Endpoint>();
    if (is_call) return cap.has(call.right) ? ep.fast_call(caller, cap, cpu, scheduler) : nullptr;
    return cap.has(reply_receive.right) ? ep.fast_reply_receive(caller, cpu, scheduler) : nullptr;
}

/// A Linux-ABI thread's system call (the current thread of `cpu`) on the fastpath: the
/// call to its handler that Thread::linux_syscall(result_reg) makes, when the handler
/// waits and can run at once: the handler, now current. Null: nothing changed; call
/// linux_syscall.
Thread* fastpath_linux(Thread& caller, u32 result_reg, Scheduler::Cpu cpu, Scheduler& scheduler);

/// A Yield that keeps the CPU (the null system call) on the fastpath: `caller` again.
[[gnu::always_inline]] inline Thread* fastpath_yield(Thread& caller, Scheduler::Cpu cpu, Scheduler& scheduler) {
    if (!scheduler.yield_in_place(cpu)) return nullptr;
    caller.set_result({});
    return &caller;
}

/// Try the system call in `caller`'s registers (the current thread of `cpu`) on the
/// fastpath. Done: the thread to resume, now scheduler.current(cpu). Null: nothing
/// changed; call handle_syscall. (The kernel's entry, on_user_syscall_fast, makes the same
/// tests itself, to call each kind in a function of its own; the host test calls this.)
inline Thread* fastpath(Thread& caller, Scheduler::Cpu cpu, Scheduler& scheduler) {
    u64 nr = caller.reg(abi::kRegSyscall);
    if (nr == static_cast<u64>(abi::Syscall::Call)) return fastpath_ipc(caller, true, cpu, scheduler);
    if (nr == static_cast<u64>(abi::Syscall::ReplyReceive)) return fastpath_ipc(caller, false, cpu, scheduler);
    if (nr == static_cast<u64>(abi::Syscall::Yield)) return fastpath_yield(caller, cpu, scheduler);
    return nullptr;
}

} // namespace kernel
