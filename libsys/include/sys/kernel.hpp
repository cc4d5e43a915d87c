// Typed wrappers over the kernel's system calls and object methods. Numbers, argument
// order and rights come from abi/abi.hpp (the one source of truth), so a change
// there is a compile error here rather than a silent mismatch.
//
// Every call returns 0 or a negated Linux errno (abi::errc), like the kernel does.
#pragma once

#include <initializer_list>
#include <abi/abi.hpp>
#include <microkernel/format.hpp>
#include <sys/syscall.hpp>

namespace sys {

using abi::u32;
using abi::u64;

/// What came back from the kernel: status, and the message that arrived (replies,
/// received messages, method results).
struct Reply {
    long long error = 0; ///< 0 or -errno
    u64 label = 0;
    u32 length = 0;      ///< words that arrived (the first four are in mr)
    u32 caps = 0;        ///< capabilities that arrived
    u64 mr[abi::kMsgRegsInRegisters] = {};
    u64 badge = 0;       ///< Receive / ReplyReceive: the sender's badge
    bool ok() const { return error == 0; }
};

/// The registers of a call with `count` words (at most four of them from `words`: the
/// rest travel in the IPC buffer) and `caps` capabilities, and the Reply of the registers
/// a call returned: syscall()'s halves, inline for callers that trap inline themselves
/// (sys/server.hpp).
inline SysRegs pack_call(abi::Syscall nr, u64 slot, u64 label, const u64* words, u32 count, u32 caps = 0) {
    SysRegs r{};
    r.nr = static_cast<u64>(nr);
    r.cap = slot;
    r.info = abi::MessageInfo{label, count, caps}.encode();
    for (u32 i = 0; i < count && i < abi::kMsgRegsInRegisters; ++i) r.mr[i] = words[i];
    return r;
}
inline Reply unpack_reply(const SysRegs& r) {
    abi::MessageInfo info = abi::MessageInfo::decode(r.info);
    Reply out;
    out.error = static_cast<long long>(r.cap);
    out.label = info.label;
    out.length = info.length;
    out.caps = info.caps;
    for (u32 k = 0; k < abi::kMsgRegsInRegisters; ++k) out.mr[k] = r.mr[k];
    out.badge = r.badge;
    return out;
}

/// The raw call: `nr` on `slot` with a message of `label` and `words` (the first four
/// in registers, the rest in this thread's IPC buffer at `ipc_buffer()`).
Reply syscall(abi::Syscall nr, u64 slot, u64 label, std::initializer_list<u64> words);
/// The same with `count` words from an array (beyond four they travel in the IPC buffer)
/// and `caps` capabilities (their slots in the IPC buffer's send_caps).
Reply syscall(abi::Syscall nr, u64 slot, u64 label, const u64* words, u32 count, u32 caps = 0);

/// Where this thread's IPC buffer is mapped (set_ipc_buffer; the root task's default).
abi::IpcBuffer* ipc_buffer();
void set_ipc_buffer(abi::IpcBuffer* buffer);

inline Reply invoke(u64 slot, u64 method, std::initializer_list<u64> words = {}) {
    return syscall(abi::Syscall::Invoke, slot, method, words);
}
template <class Method>
Reply invoke(u64 slot, Method method, std::initializer_list<u64> words = {}) {
    return invoke(slot, static_cast<u64>(method), words);
}
template <class Method>
Reply invoke(u64 slot, Method method, const u64* words, u32 count) {
    return syscall(abi::Syscall::Invoke, slot, static_cast<u64>(method), words, count);
}

// ---- IPC -----------------------------------------------------------------------------
inline Reply send(u64 ep, u64 label, std::initializer_list<u64> words = {}) {
    return syscall(abi::Syscall::Send, ep, label, words);
}
inline Reply call(u64 ep, u64 label, std::initializer_list<u64> words = {}) {
    return syscall(abi::Syscall::Call, ep, label, words);
}
inline Reply receive(u64 ep) { return syscall(abi::Syscall::Receive, ep, 0, {}); }
inline Reply reply(u64 label, std::initializer_list<u64> words = {}) {
    return syscall(abi::Syscall::Reply, 0, label, words);
}
inline Reply reply_receive(u64 ep, u64 label, std::initializer_list<u64> words = {}) {
    return syscall(abi::Syscall::ReplyReceive, ep, label, words);
}
inline void yield() { (void)syscall(abi::Syscall::Yield, 0, 0, {}); }

/// Kept replies (docs/abi.md): move the reply this thread owes (to the Call it received
/// last) into the Reply object in `reply_slot`, serve others, answer it later, once.
inline long long reply_keep(u64 reply_slot) { return invoke(reply_slot, abi::ReplyMethod::Keep).error; }
/// Answer the caller kept in `reply_slot` with `label` and up to 3 words (more with an
/// IPC buffer). -ENOENT: nothing kept; -EPIPE: the caller is gone.
inline long long reply_send(u64 reply_slot, u64 label, u64 w0 = 0, u64 w1 = 0, u64 w2 = 0) {
    return invoke(reply_slot, abi::ReplyMethod::Send, {label, w0, w1, w2}).error;
}

// ---- Objects -------------------------------------------------------------------------
inline long long retype(u64 untyped, abi::ObjectType type, u32 size_bits, u64 cap_space, u64 first,
                        u32 count = 1) {
    return invoke(untyped, abi::UntypedMethod::Retype,
                  {static_cast<u64>(type), size_bits, cap_space, first, count}).error;
}

inline long long cap_copy(u64 cs, u64 src, u64 dest) {
    return invoke(cs, abi::CapSpaceMethod::Copy, {src, dest}).error;
}
/// Copy with fewer rights and/or a badge into `dest` of the cap space in `dest_cs`.
inline long long cap_mint(u64 cs, u64 src, u64 dest, u32 rights, u64 badge, u64 dest_cs) {
    return invoke(cs, abi::CapSpaceMethod::Mint, {src, dest, rights, badge, dest_cs}).error;
}
inline long long cap_copy_to(u64 cs, u64 src, u64 dest_cs, u64 dest) {
    return invoke(cs, abi::CapSpaceMethod::Copy, {src, dest, dest_cs}).error;
}
inline long long cap_move(u64 cs, u64 src, u64 dest) {
    return invoke(cs, abi::CapSpaceMethod::Move, {src, dest}).error;
}
inline long long cap_delete(u64 cs, u64 slot) { return invoke(cs, abi::CapSpaceMethod::Delete, {slot}).error; }
inline long long cap_revoke(u64 cs, u64 slot) { return invoke(cs, abi::CapSpaceMethod::Revoke, {slot}).error; }

/// Configure a thread; pass abi::kNoSlot for what it should not have (or keep what it
/// has). `shared_cs`: the cap space that capability addresses beyond its own cap space's
/// slots name (docs/abi.md, "Capability addresses").
inline long long thread_configure(u64 t, u64 cs, u64 as, u64 ipc_frame, u64 ipc_va, u64 fault_ep,
                                  u64 shared_cs = abi::kNoSlot) {
    if (shared_cs == abi::kNoSlot) // (five words travel in fewer registers and buffer words)
        return invoke(t, abi::ThreadMethod::Configure, {cs, as, ipc_frame, ipc_va, fault_ep}).error;
    return invoke(t, abi::ThreadMethod::Configure, {cs, as, ipc_frame, ipc_va, fault_ep, shared_cs}).error;
}
/// Start a configured thread at `ip` with stack pointer `sp` (register file words 0, 1).
inline long long thread_start(u64 t, u64 ip, u64 sp) {
    long long e = invoke(t, abi::ThreadMethod::WriteRegisters, {abi::kRegIp, 2, ip, sp}).error;
    return e ? e : invoke(t, abi::ThreadMethod::Resume).error;
}
inline long long thread_set_priority(u64 t, u32 priority, u32 time_slice) {
    return invoke(t, abi::ThreadMethod::SetPriority, {priority, time_slice}).error;
}
/// The CPUs the thread may run on: bit n for CPU n (the kernel's logical numbers, the
/// boot CPU 0). EINVAL if no CPU the kernel runs is in the mask.
inline long long thread_set_affinity(u64 t, u64 mask) {
    return invoke(t, abi::ThreadMethod::SetAffinity, {mask}).error;
}
inline long long thread_set_tls(u64 t, u64 base) { return invoke(t, abi::ThreadMethod::SetTls, {base}).error; }
/// The thread's Receive / ReplyReceive gives up with -ETIMEDOUT at `deadline` (read_clock's
/// nanoseconds; 0: never), checked at each timer tick; a deadline fires once.
inline long long thread_set_timeout(u64 t, u64 deadline) {
    return invoke(t, abi::ThreadMethod::SetTimeout, {deadline}).error;
}
/// Nanoseconds since the kernel's timer started (Machine.ReadClock: the root task's), 0 on error.
inline u64 read_clock(u64 machine) {
    Reply r = invoke(machine, abi::MachineMethod::ReadClock);
    return r.ok() ? r.mr[0] : 0;
}
/// Where and how long the thread ran (Thread.ReadCpuTime): `ns`, its CPU time in the
/// kernel's 10 ms ticks; `cpu`, the CPU it runs on, last ran on or waits on (0 for one
/// that never ran). 0 or a negative error.
inline long long thread_cpu(u64 t, u64& ns, u32& cpu) {
    Reply r = invoke(t, abi::ThreadMethod::ReadCpuTime);
    ns = r.mr[0];
    cpu = static_cast<u32>(r.mr[1]);
    return r.error;
}
inline long long thread_resume(u64 t) { return invoke(t, abi::ThreadMethod::Resume).error; }
/// The thread's FP/SIMD state becomes a copy of thread `from`'s (abi::kNoSlot: the reset
/// state), as clone, fork and execve want it.
inline long long thread_copy_fpu(u64 t, u64 from) { return invoke(t, abi::ThreadMethod::CopyFpu, {from}).error; }
inline long long thread_suspend(u64 t) { return invoke(t, abi::ThreadMethod::Suspend).error; }

inline long long map(u64 as, u64 frame, u64 va, u32 rights) {
    return invoke(as, abi::AddressSpaceMethod::Map, {frame, va, rights}).error;
}
/// Give the address space `as` the table frames and mapping slots of the map budget in
/// `budget` (its capability moves into the space: the slot is empty afterwards).
inline long long grow(u64 as, u64 budget) { return invoke(as, abi::AddressSpaceMethod::Grow, {budget}).error; }
inline long long unmap(u64 as, u64 va) { return invoke(as, abi::AddressSpaceMethod::Unmap, {va}).error; }
/// Lower every page mapped in [va, va + size) to at most `rights` in one call (pages not
/// mapped are skipped; no right is added: map again for that): how many pages lost one,
/// or a negative error.
inline long long protect(u64 as, u64 va, u64 size, u32 rights) {
    auto r = invoke(as, abi::AddressSpaceMethod::Protect, {va, size, rights});
    return r.error ? r.error : static_cast<long long>(r.mr[0]);
}

inline long long sem_signal(u64 s) { return invoke(s, abi::SemaphoreMethod::Signal).error; }
inline long long sem_wait(u64 s) { return invoke(s, abi::SemaphoreMethod::Wait).error; }
inline long long sem_try_wait(u64 s) { return invoke(s, abi::SemaphoreMethod::TryWait).error; }

// ---- Console -------------------------------------------------------------------------
void debug_putc(char c);
void debug_puts(const char* s);

/// printf-style output on the kernel's debug console, with the kernel's formatter:
/// "{}" decimal/text, "{:#x}" hex with prefix, "{:08x}" padded (microkernel/format.hpp).
template <class... A>
void print(const char* fmt, const A&... a) {
    if constexpr (sizeof...(A) == 0) {
        kernel::vformat(kernel::Sink{[](void*, char c) { debug_putc(c); }, nullptr}, fmt, nullptr, 0);
    } else {
        const kernel::FmtArg args[] = {kernel::FmtArg(a)...};
        kernel::vformat(kernel::Sink{[](void*, char c) { debug_putc(c); }, nullptr}, fmt, args,
                        sizeof...(A));
    }
}

} // namespace sys
