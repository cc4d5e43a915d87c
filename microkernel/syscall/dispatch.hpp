// The system-call entry of the portable kernel. The arch's trap handler saves the user
// registers into the current thread's register file, calls handle_syscall, then, if
// need_resched(cpu), calls schedule(cpu) and resumes whichever thread it returns.
//
// One file per object family (invoke_*.cpp) decodes a method's arguments, looks up
// every capability with its type and rights, and only then calls the object: errors
// leave no trace but the error code.
#pragma once

#include <microkernel/syscall/context.hpp>

namespace kernel {

/// Handle the system call in `ctx.caller`'s registers (abi::kRegSyscall and friends).
/// The result lands in the caller's registers, now or when it is woken.
void handle_syscall(SyscallContext& ctx);

Result<void> invoke_untyped(SyscallContext& ctx, Capability& cap, const Message& msg);
Result<void> invoke_cap_space(SyscallContext& ctx, Capability& cap, const Message& msg);
Result<void> invoke_thread(SyscallContext& ctx, Capability& cap, const Message& msg);
Result<void> invoke_semaphore(SyscallContext& ctx, Capability& cap, const Message& msg);
Result<void> invoke_reply(SyscallContext& ctx, Capability& cap, const Message& msg);
Result<void> invoke_address_space(SyscallContext& ctx, Capability& cap, const Message& msg);
/// Console, Machine and IrqHandler.
Result<void> invoke_machine(SyscallContext& ctx, Capability& cap, const Message& msg);

} // namespace kernel
