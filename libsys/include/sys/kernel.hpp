// Typed wrappers over the kernel's system calls and object methods. Every method is sent
// as its struct of abi/methods.hpp (the table the kernel decodes with), so its label,
// argument order and optional words cannot drift from the kernel's: sys::invoke(slot,
// abi::ThreadSetTls{.base = b}). The named wrappers below are one line each over it.
//
// Every call returns 0 or a negated Linux errno (abi::errc), like the kernel does.
#pragma once

#include <initializer_list>
#include <abi/abi.hpp>
#include <abi/methods.hpp>
#include <base/format.hpp>
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

/// What method M answered: 0 or -errno, and its answer words (M::Out).
template <class M>
struct Answer {
    long long error = 0;
    typename M::Out out{};
    bool ok() const { return error == 0; }
};

/// Invoke method M (abi/methods.hpp) on the object in `slot` with `args`, followed by
/// `more` words (WriteRegisters' values, Reply.Send's words, Console.Write's bytes).
/// Optional arguments left at their default are not sent.
template <class M>
Answer<M> invoke(u64 slot, const M& args, const u64* more = nullptr, u32 more_count = 0) {
    SysRegs r{};
    r.nr = static_cast<u64>(abi::Syscall::Invoke);
    r.cap = slot;
    // Words 0..3 in registers, the rest in the IPC buffer (only methods of more words, or
    // with words following, reach it).
    abi::IpcBuffer* const buffer = abi::kWords<M> > abi::kMsgRegsInRegisters || more_count ? ipc_buffer() : nullptr;
    auto put = [&](u32 i, u64 w) {
        if (i < abi::kMsgRegsInRegisters) r.mr[i] = w;
        else buffer->mr[i] = w;
    };
    // Optional words left at their default are not sent (nor written: a five-word Mint
    // without its destination needs no IPC buffer).
    u64 words[abi::kWords<M> > 0 ? abi::kWords<M> : 1];
    u32 n = 0, sent = 0;
    abi::for_each_word(args, [&](const auto& w) {
        words[n++] = w.value;
        if (n <= M::method.required || w.value != w.kDefault) sent = n;
    });
    for (u32 i = 0; i < sent; ++i) put(i, words[i]);
    if (more_count) { // (then every argument goes, default or not)
        for (u32 i = sent; i < n; ++i) put(i, words[i]);
        sent = n;
        for (u32 i = 0; i < more_count && sent < abi::kMaxMsgWords; ++i) put(sent++, more[i]);
    }
    r.info = abi::MessageInfo{M::method.label, sent, 0}.encode();
    sys_trap(&r);
    Answer<M> a;
    a.error = static_cast<long long>(r.cap);
    u32 i = 0;
    abi::for_each_word(a.out, [&](auto& w) { w.value = r.mr[i++]; });
    return a;
}

/// An invocation as raw words, unchecked: for tests that send what no table allows.
inline Reply invoke_raw(u64 slot, u64 label, std::initializer_list<u64> words = {}) {
    return syscall(abi::Syscall::Invoke, slot, label, words);
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
inline long long reply_keep(u64 reply_slot) { return invoke(reply_slot, abi::ReplyKeep{}).error; }
/// Answer the caller kept in `reply_slot` with `label` and up to 3 words (more with an
/// IPC buffer). -ENOENT: nothing kept; -EPIPE: the caller is gone.
inline long long reply_send(u64 reply_slot, u64 label, u64 w0 = 0, u64 w1 = 0, u64 w2 = 0) {
    const u64 words[] = {w0, w1, w2};
    return invoke(reply_slot, abi::ReplySend{.label = label}, words, 3).error;
}

// ---- Objects -------------------------------------------------------------------------
inline long long retype(u64 untyped, abi::ObjectType type, u32 size_bits, u64 cap_space, u64 first,
                        u32 count = 1) {
    return invoke(untyped, abi::UntypedRetype{.type = static_cast<u64>(type), .size_bits = size_bits,
                                              .cap_space = cap_space, .first = first, .count = count}).error;
}

inline long long cap_copy(u64 cs, u64 src, u64 dest) {
    return invoke(cs, abi::CapSpaceCopy{.src = src, .dest = dest, .dest_cap_space = abi::kNoSlot}).error;
}
/// Copy with fewer rights and/or a badge into `dest` of the cap space in `dest_cs`.
inline long long cap_mint(u64 cs, u64 src, u64 dest, u32 rights, u64 badge, u64 dest_cs) {
    return invoke(cs, abi::CapSpaceMint{.src = src, .dest = dest, .rights = rights, .badge = badge,
                                        .dest_cap_space = dest_cs}).error;
}
inline long long cap_copy_to(u64 cs, u64 src, u64 dest_cs, u64 dest) {
    return invoke(cs, abi::CapSpaceCopy{.src = src, .dest = dest, .dest_cap_space = dest_cs}).error;
}
inline long long cap_move(u64 cs, u64 src, u64 dest, u64 dest_cs = abi::kNoSlot) {
    return invoke(cs, abi::CapSpaceMove{.src = src, .dest = dest, .dest_cap_space = dest_cs}).error;
}
inline long long cap_delete(u64 cs, u64 slot) { return invoke(cs, abi::CapSpaceDelete{.slot = slot}).error; }
inline long long cap_revoke(u64 cs, u64 slot) { return invoke(cs, abi::CapSpaceRevoke{.slot = slot}).error; }
/// What the capability in `slot` of cap space `cs` is (CapSpace.Identify: type, rights,
/// badge, a frame's physical address).
inline Answer<abi::CapSpaceIdentify> identify(u64 cs, u64 slot) {
    return invoke(cs, abi::CapSpaceIdentify{.slot = slot});
}

/// Configure a thread; pass abi::kNoSlot for what it should not have (or keep what it
/// has). `shared_cs`: the cap space that capability addresses beyond its own cap space's
/// slots name (docs/abi.md, "Capability addresses").
inline long long thread_configure(u64 t, u64 cs, u64 as, u64 ipc_frame, u64 ipc_va, u64 fault_ep,
                                  u64 shared_cs = abi::kNoSlot) {
    return invoke(t, abi::ThreadConfigure{.cap_space = cs, .address_space = as, .ipc_buffer_frame = ipc_frame,
                                          .ipc_buffer = ipc_va, .fault_endpoint = fault_ep,
                                          .shared_cap_space = shared_cs}).error;
}
/// Words [first, first + count) of the thread's register file (abi::Reg), or with
/// WriteRegisters from `values`: at most 30 per call (kMaxMsgWords - 2), beyond four only
/// with an IPC buffer.
long long thread_read_registers(u64 t, u64 first, u32 count, u64* values);
long long thread_write_registers(u64 t, u64 first, u32 count, const u64* values);
/// The same for the thread's FP/SIMD image (abi::kFpuWords words).
long long thread_read_fpu(u64 t, u64 first, u32 count, u64* values);
long long thread_write_fpu(u64 t, u64 first, u32 count, const u64* values);
/// Start a configured thread at `ip` with stack pointer `sp` (register file words 0, 1).
inline long long thread_start(u64 t, u64 ip, u64 sp) {
    const u64 regs[] = {ip, sp};
    long long e = thread_write_registers(t, abi::kRegIp, 2, regs);
    return e ? e : invoke(t, abi::ThreadResume{}).error;
}
inline long long thread_set_priority(u64 t, u32 priority, u32 time_slice) {
    return invoke(t, abi::ThreadSetPriority{.priority = priority, .time_slice = time_slice}).error;
}
/// The CPUs the thread may run on: bit n for CPU n (the kernel's logical numbers, the
/// boot CPU 0). EINVAL if no CPU the kernel runs is in the mask.
inline long long thread_set_affinity(u64 t, u64 mask) {
    return invoke(t, abi::ThreadSetAffinity{.cpu_mask = mask}).error;
}
inline long long thread_set_tls(u64 t, u64 base) { return invoke(t, abi::ThreadSetTls{.base = base}).error; }
/// The thread's Receive / ReplyReceive gives up with -ETIMEDOUT at `deadline` (read_clock's
/// nanoseconds; 0: never), checked at each timer tick; a deadline fires once.
inline long long thread_set_timeout(u64 t, u64 deadline) {
    return invoke(t, abi::ThreadSetTimeout{.deadline = deadline}).error;
}
/// Every syscall instruction of the thread becomes a LinuxSyscall message to its fault
/// endpoint (`on`), or none does.
inline long long thread_set_linux_abi(u64 t, bool on) {
    return invoke(t, abi::ThreadSetLinuxAbi{.on = on ? 1u : 0u}).error;
}
/// Nanoseconds since the kernel's timer started (Machine.ReadClock: the root task's), 0 on error.
inline u64 read_clock(u64 machine) {
    auto a = invoke(machine, abi::MachineReadClock{});
    return a.ok() ? a.out.ns.value : 0;
}
/// Stop the machine; QEMU exits with `status` (0..255). Returns only on error.
inline long long power_off(u64 machine, u64 status) {
    return invoke(machine, abi::MachinePowerOff{.status = status}).error;
}
/// Where and how long the thread ran (Thread.ReadCpuTime): `ns`, its CPU time in the
/// kernel's 10 ms ticks; `cpu`, the CPU it runs on, last ran on or waits on (0 for one
/// that never ran). 0 or a negative error.
inline long long thread_cpu(u64 t, u64& ns, u32& cpu) {
    auto a = invoke(t, abi::ThreadReadCpuTime{});
    ns = a.out.ns;
    cpu = static_cast<u32>(a.out.cpu);
    return a.error;
}
inline long long thread_resume(u64 t) { return invoke(t, abi::ThreadResume{}).error; }
/// The thread's FP/SIMD state becomes a copy of thread `from`'s (abi::kNoSlot: the reset
/// state), as clone, fork and execve want it.
inline long long thread_copy_fpu(u64 t, u64 from) { return invoke(t, abi::ThreadCopyFpu{.source = from}).error; }
inline long long thread_suspend(u64 t) { return invoke(t, abi::ThreadSuspend{}).error; }

inline long long map(u64 as, u64 frame, u64 va, u32 rights) {
    return invoke(as, abi::AddressSpaceMap{.frame = frame, .va = va, .rights = rights}).error;
}
/// Give the address space `as` the table frames and mapping slots of the map budget in
/// `budget` (its capability moves into the space: the slot is empty afterwards).
inline long long grow(u64 as, u64 budget) { return invoke(as, abi::AddressSpaceGrow{.budget = budget}).error; }
inline long long unmap(u64 as, u64 va) { return invoke(as, abi::AddressSpaceUnmap{.va = va}).error; }
/// Lower every page mapped in [va, va + size) to at most `rights` in one call (pages not
/// mapped are skipped; no right is added: map again for that): how many pages lost one,
/// or a negative error.
inline long long protect(u64 as, u64 va, u64 size, u32 rights) {
    auto a = invoke(as, abi::AddressSpaceProtect{.va = va, .size = size, .rights = rights});
    return a.error ? a.error : static_cast<long long>(a.out.pages.value);
}
/// The frame mapped at `va` of `as` (AddressSpace.Query): its physical address and rights.
inline Answer<abi::AddressSpaceQuery> query(u64 as, u64 va) { return invoke(as, abi::AddressSpaceQuery{.va = va}); }

inline long long sem_signal(u64 s) { return invoke(s, abi::SemaphoreSignal{}).error; }
inline long long sem_wait(u64 s) { return invoke(s, abi::SemaphoreWait{}).error; }
inline long long sem_try_wait(u64 s) { return invoke(s, abi::SemaphoreTryWait{}).error; }

// ---- Devices (the kernel's console, interrupt lines) ----------------------------------
/// Up to 8 * 31 bytes on the kernel's console through its capability (Console.Write).
long long console_write(u64 console, const char* bytes, u64 count);
/// A byte that arrived on the kernel's console, or -EAGAIN (Console.Read).
inline long long console_read(u64 console) {
    auto a = invoke(console, abi::ConsoleRead{});
    return a.error ? a.error : static_cast<long long>(a.out.byte.value);
}
/// An IrqHandler capability for interrupt `line` into the caller's empty slot `dest`.
inline long long irq_issue(u64 machine, u32 line, u64 dest) {
    return invoke(machine, abi::MachineIssueIrqHandler{.line = line, .dest = dest}).error;
}
/// The line signals the semaphore in `semaphore` when it fires (and is unmasked).
inline long long irq_set_semaphore(u64 handler, u64 semaphore) {
    return invoke(handler, abi::IrqHandlerSetSemaphore{.semaphore = semaphore}).error;
}
/// The interrupt was handled: unmask the line.
inline long long irq_ack(u64 handler) { return invoke(handler, abi::IrqHandlerAck{}).error; }

// ---- Console -------------------------------------------------------------------------
void debug_putc(char c);
void debug_puts(const char* s);

/// printf-style output on the kernel's debug console, with the kernel's formatter:
/// "{}" decimal/text, "{:#x}" hex with prefix, "{:08x}" padded (base/format.hpp).
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
