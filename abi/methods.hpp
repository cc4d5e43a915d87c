// The method table: every object method of the ABI once, with its label, the right it
// needs, its arguments in order with their kinds, and its answer. Everything else is made
// from it:
//   - the kernel checks every Invoke against it before the method runs (kRules<M>,
//     kernel::Message::decode: the method, the right, the words, each checked kind), the
//     method reads its arguments as its struct (Message::arguments) and looks its
//     capabilities up with the type and rights written here (SyscallContext::cap);
//   - libsys sends the same struct (sys::invoke(slot, abi::ThreadSetTls{.base = b})) and
//     reads the answer into the method's Out;
//   - docs/abi.md's method table is printed from abi::Methods (tests/unit/abi_table.cpp;
//     a unit test fails when the page and this file disagree: scripts/abi-table rewrites it).
// A method is a struct whose members are its message words, in order. Only <abi/abi.hpp>
// here: the kernel, user space and host tests include it alike.
#pragma once

#include <abi/abi.hpp>

namespace abi {

/// What an argument word is, and what the kernel checks before the method runs.
enum class Kind : unsigned char {
    Word,      ///< any value
    Word32,    ///< a value below 2^32 (EINVAL otherwise)
    Int32,     ///< a signed 32-bit value, sign-extended (EINVAL otherwise): procserv's ids and fds
    Cap,       ///< a capability in the caller's cap spaces, of `type` with `rights`
               ///< (EBADF empty, ERANGE no such slot, ENOTTY another type, EACCES a right missing)
    CapOrNone, ///< the same, or kNoSlot for none
    Slot,      ///< an index into a cap space the method names (not looked up in the caller's)
    EmptySlot, ///< an empty slot of the caller's cap spaces, for a capability the method makes
    Address,   ///< a user virtual address (the method says what must be there)
    Flags,     ///< bits within `limit` (EINVAL otherwise)
    Limit,     ///< a value at most `limit` (EINVAL otherwise)
};

/// An argument's (or an answer word's) name, kind and what the kind needs.
struct ParamInfo {
    const char* name;
    Kind kind;
    ObjectType type;  ///< Cap, CapOrNone
    u32 rights;       ///< Cap, CapOrNone: the rights the capability must carry
    u64 limit;        ///< Flags: the mask; Limit: the largest value
};

/// A name given as a template argument (an argument's name, printed in docs/abi.md).
template <unsigned N>
struct Name {
    char text[N];
    constexpr Name(const char (&s)[N]) {
        for (unsigned i = 0; i < N; ++i) text[i] = s[i];
    }
};

/// One message word of kind K. Converts from and to u64 so that both sides read naturally:
/// `abi::AddressSpaceUnmap{.va = va}` in user space, `as.unmap(a.va, ...)` in the kernel.
template <Name N, Kind K, ObjectType T = ObjectType{}, u32 R = 0, u64 L = 0>
struct Param {
    static constexpr ParamInfo info{N.text, K, T, R, L};
    static constexpr u64 kDefault = K == Kind::CapOrNone ? kNoSlot : 0;

    u64 value = kDefault;

    constexpr Param() = default;
    constexpr Param(u64 v) : value(v) {}
    constexpr operator u64() const { return value; }
    /// The value as 32 bits (Word32, Flags and Limit below 2^32 are checked to fit).
    constexpr u32 word32() const { return static_cast<u32>(value); }
};

/// The ParamInfo of an argument word, whatever its kind.
template <class P>
constexpr ParamInfo info_of(const P&) {
    return P::info;
}

template <Name N> using Word = Param<N, Kind::Word>;
template <Name N> using Word32 = Param<N, Kind::Word32>;
template <Name N> using Int32 = Param<N, Kind::Int32>;
template <Name N, ObjectType T, u32 R> using Cap = Param<N, Kind::Cap, T, R>;
template <Name N, ObjectType T, u32 R> using CapOrNone = Param<N, Kind::CapOrNone, T, R>;
template <Name N> using Slot = Param<N, Kind::Slot>;
template <Name N> using EmptySlot = Param<N, Kind::EmptySlot>;
template <Name N> using Address = Param<N, Kind::Address>;
template <Name N, u64 Mask> using Flags = Param<N, Kind::Flags, ObjectType{}, 0, Mask>;
template <Name N, u64 Max> using Limit = Param<N, Kind::Limit, ObjectType{}, 0, Max>;

/// A system call (abi::Syscall): the capability it names in kRegCap, if any (ObjectType{}
/// for none, and for Invoke, whose capability the method's row names), the right it needs
/// there, and what it does. The kernel looks the capability up as this says (dispatch.cpp,
/// the fastpath); docs/abi.md's system-call table is printed from it.
struct SyscallInfo {
    Syscall nr;
    const char* name;
    ObjectType object;
    u32 right;
    const char* doc;
};
constexpr SyscallInfo kSyscalls[] = {
    {Syscall::Send, "Send", ObjectType::Endpoint, rights::kWrite,
     "send the message to the endpoint; blocks until a receiver takes it"},
    {Syscall::Receive, "Receive", ObjectType::Endpoint, rights::kRead,
     "wait on the endpoint; returns the message and the sender's badge"},
    {Syscall::Call, "Call", ObjectType::Endpoint, rights::kWrite,
     "send, then wait for the reply through a one-shot reply capability"},
    {Syscall::Reply, "Reply", ObjectType{}, 0,
     "answer the caller this thread last received a call from (ENOENT if none)"},
    {Syscall::ReplyReceive, "ReplyReceive", ObjectType::Endpoint, rights::kRead,
     "reply if a reply is owed, then receive on the endpoint (both checked before the reply goes)"},
    {Syscall::Yield, "Yield", ObjectType{}, 0, "give up the rest of the time slice"},
    {Syscall::Invoke, "Invoke", ObjectType{}, 0,
     "call method `MessageInfo::label` on the object the capability names (the method table below)"},
    {Syscall::DebugPutChar, "DebugPutChar", ObjectType{}, 0,
     "write the low byte of mr0 to the kernel's console (bring-up and tests, like seL4's debug put-char); "
     "always 0"},
};
static_assert(sizeof kSyscalls / sizeof kSyscalls[0] == static_cast<u64>(Syscall::Count_));
constexpr bool syscalls_in_order() {
    for (u64 i = 0; i < static_cast<u64>(Syscall::Count_); ++i)
        if (static_cast<u64>(kSyscalls[i].nr) != i) return false;
    return true;
}
static_assert(syscalls_in_order());
/// System call `nr`'s row.
constexpr const SyscallInfo& syscall_info(Syscall nr) { return kSyscalls[static_cast<u64>(nr)]; }

/// A method: its object and label, the right the invoked capability needs, how many of its
/// arguments must be given (the rest are optional: absent, they take their default, kNoSlot
/// for CapOrNone), and where a message or answer goes on past them (words of any number).
struct MethodInfo {
    ObjectType object;
    u64 label;
    const char* name;
    u32 right;
    u32 required;
    const char* more;      ///< name of the words that may follow the arguments, or null
    const char* more_out;  ///< name of the words that may follow the answer, or null
    const char* doc;
};

/// An answer of no words.
struct Nothing {};

/// The words of a method struct (or an answer), in order, for code that walks them.
template <class S>
constexpr u32 kWords = __is_empty(S) ? 0 : sizeof(S) / sizeof(u64);

template <class S, class F>
constexpr void for_each_word(S& s, F&& f) {
    constexpr u32 n = kWords<S>;
    static_assert(n <= 6, "a method has at most six argument words");
    if constexpr (n == 1) { auto& [a] = s; f(a); }
    else if constexpr (n == 2) { auto& [a, b] = s; f(a), f(b); }
    else if constexpr (n == 3) { auto& [a, b, c] = s; f(a), f(b), f(c); }
    else if constexpr (n == 4) { auto& [a, b, c, d] = s; f(a), f(b), f(c), f(d); }
    else if constexpr (n == 5) { auto& [a, b, c, d, e] = s; f(a), f(b), f(c), f(d), f(e); }
    else if constexpr (n == 6) { auto& [a, b, c, d, e, g] = s; f(a), f(b), f(c), f(d), f(e), f(g); }
}

/// What the kernel checks of one argument word without looking at an object.
struct WordRule {
    u64 limit;
    Kind kind;
    constexpr bool valid(u64 v) const {
        return kind == Kind::Word32 ? v <= 0xffffffffu
             : kind == Kind::Int32  ? v + 0x80000000u <= 0xffffffffu
             : kind == Kind::Flags  ? (v & ~limit) == 0
             : kind == Kind::Limit  ? v <= limit
                                    : true;
    }
};
/// A method as a decoder that takes any method sees it (the kernel's Message::decode):
/// kRules<M>, found by object type and label with rules_for().
struct MethodRules {
    ObjectType object;
    u32 right;
    u32 required;
    u32 words;
    u32 checked; ///< bit i: word i has a check of its own (Word32, Flags, Limit)
    u32 none;    ///< bit i: word i, absent, stands for kNoSlot
    const WordRule* rule; ///< one per word
};
namespace detail {
template <u32 N>
struct WordRules {
    WordRule rule[N > 0 ? N : 1];
};
template <class M>
constexpr WordRules<kWords<M>> kWordRules = [] {
    WordRules<kWords<M>> rules{};
    M words{};
    u32 i = 0;
    for_each_word(words, [&](const auto& w) {
        const ParamInfo p = info_of(w);
        rules.rule[i++] = {p.limit, p.kind};
    });
    return rules;
}();
template <class M>
constexpr u32 word_bits(bool (*pick)(const WordRule&)) {
    u32 bits = 0;
    for (u32 i = 0; i < kWords<M>; ++i)
        if (pick(kWordRules<M>.rule[i])) bits |= 1u << i;
    return bits;
}
constexpr bool has_check(const WordRule& r) {
    return r.kind == Kind::Word32 || r.kind == Kind::Int32 || r.kind == Kind::Flags || r.kind == Kind::Limit;
}
constexpr bool absent_is_none(const WordRule& r) { return r.kind == Kind::CapOrNone; }
} // namespace detail
template <class M>
constexpr MethodRules kRules{M::method.object, M::method.right, M::method.required, kWords<M>,
                             detail::word_bits<M>(detail::has_check), detail::word_bits<M>(detail::absent_is_none),
                             detail::kWordRules<M>.rule};

namespace detail {
constexpr ObjectType object_of(UntypedMethod) { return ObjectType::Untyped; }
constexpr ObjectType object_of(CapSpaceMethod) { return ObjectType::CapSpace; }
constexpr ObjectType object_of(ThreadMethod) { return ObjectType::Thread; }
constexpr ObjectType object_of(SemaphoreMethod) { return ObjectType::Semaphore; }
constexpr ObjectType object_of(AddressSpaceMethod) { return ObjectType::AddressSpace; }
constexpr ObjectType object_of(ReplyMethod) { return ObjectType::Reply; }
constexpr ObjectType object_of(ConsoleMethod) { return ObjectType::Console; }
constexpr ObjectType object_of(MachineMethod) { return ObjectType::Machine; }
constexpr ObjectType object_of(IrqHandlerMethod) { return ObjectType::IrqHandler; }
} // namespace detail

/// The MethodInfo of method `m` (an abi::*Method enumerator), named `name`.
template <class E>
constexpr MethodInfo method(E m, const char* name, u32 right, u32 required, const char* doc,
                            const char* more = nullptr, const char* more_out = nullptr) {
    return {detail::object_of(m), static_cast<u64>(m), name, right, required, more, more_out, doc};
}

constexpr u64 kMapRights = rights::kRead | rights::kWrite | rights::kExecute;

// ---- Untyped ------------------------------------------------------------------------
struct UntypedRetype {
    static constexpr MethodInfo method = abi::method(UntypedMethod::Retype, "Retype", rights::kRetype, 5,
        "`count` objects of `type` and `size_bits`, their capabilities in slots `first`.. of "
        "`cap_space`, paid from the untyped");
    Word32<"type"> type;
    Word32<"size_bits"> size_bits;
    Cap<"cap_space", ObjectType::CapSpace, rights::kEdit> cap_space;
    Slot<"first"> first;
    Word32<"count"> count;
    using Out = Nothing;
};

// ---- CapSpace: the invoked cap space is the source; `dest_cap_space` (in the caller's
// cap spaces) the destination, the invoked one when absent or kNoSlot.
struct CapSpaceCopy {
    static constexpr MethodInfo method = abi::method(CapSpaceMethod::Copy, "Copy", rights::kEdit, 2,
        "a copy of the capability in `src`, a child of it (revoking `src` removes it)");
    Slot<"src"> src;
    Slot<"dest"> dest;
    CapOrNone<"dest_cap_space", ObjectType::CapSpace, rights::kEdit> dest_cap_space;
    using Out = Nothing;
};
struct CapSpaceMint {
    static constexpr MethodInfo method = abi::method(CapSpaceMethod::Mint, "Mint", rights::kEdit, 4,
        "a copy with `rights` (no more than `src`'s) and, for an unbadged endpoint, `badge`");
    Slot<"src"> src;
    Slot<"dest"> dest;
    Flags<"rights", rights::kAll> rights;
    Word<"badge"> badge;
    CapOrNone<"dest_cap_space", ObjectType::CapSpace, rights::kEdit> dest_cap_space;
    using Out = Nothing;
};
struct CapSpaceMove {
    static constexpr MethodInfo method = abi::method(CapSpaceMethod::Move, "Move", rights::kEdit, 2,
        "the capability moves from `src` to `dest`, its children and mappings with it");
    Slot<"src"> src;
    Slot<"dest"> dest;
    CapOrNone<"dest_cap_space", ObjectType::CapSpace, rights::kEdit> dest_cap_space;
    using Out = Nothing;
};
struct CapSpaceDelete {
    static constexpr MethodInfo method = abi::method(CapSpaceMethod::Delete, "Delete", rights::kEdit, 1,
        "empties `slot` (the object goes with its last capability)");
    Slot<"slot"> slot;
    using Out = Nothing;
};
struct CapSpaceRevoke {
    static constexpr MethodInfo method = abi::method(CapSpaceMethod::Revoke, "Revoke", rights::kEdit, 1,
        "deletes every capability derived from the one in `slot`");
    Slot<"slot"> slot;
    using Out = Nothing;
};
struct CapSpaceIdentify {
    static constexpr MethodInfo method = abi::method(CapSpaceMethod::Identify, "Identify", rights::kRead, 1,
        "what the capability in `slot` is (`address`: a frame's physical address, else 0)");
    Slot<"slot"> slot;
    struct Out {
        Word<"type"> type;
        Word<"rights"> rights;
        Word<"badge"> badge;
        Word<"address"> address;
    };
};

// ---- Thread -------------------------------------------------------------------------
struct ThreadConfigure {
    static constexpr MethodInfo method = abi::method(ThreadMethod::Configure, "Configure", rights::kControl, 5,
        "the thread's cap spaces, address space, IPC buffer (a frame and where it is mapped) and "
        "fault endpoint; kNoSlot leaves a part as it is");
    CapOrNone<"cap_space", ObjectType::CapSpace, rights::kEdit> cap_space;
    CapOrNone<"address_space", ObjectType::AddressSpace, rights::kMap> address_space;
    CapOrNone<"ipc_buffer_frame", ObjectType::Frame, rights::kRead | rights::kWrite> ipc_buffer_frame;
    Address<"ipc_buffer"> ipc_buffer;
    CapOrNone<"fault_endpoint", ObjectType::Endpoint, rights::kWrite> fault_endpoint;
    CapOrNone<"shared_cap_space", ObjectType::CapSpace, rights::kEdit> shared_cap_space;
    using Out = Nothing;
};
struct ThreadReadRegisters {
    static constexpr MethodInfo method = abi::method(ThreadMethod::ReadRegisters, "ReadRegisters", rights::kRead, 2,
        "words [first, first + count) of the register file (abi::Reg)", nullptr, "values");
    Word<"first"> first;
    Word<"count"> count;
    using Out = Nothing;
};
struct ThreadWriteRegisters {
    static constexpr MethodInfo method = abi::method(ThreadMethod::WriteRegisters, "WriteRegisters", rights::kWrite, 2,
        "`count` values into the register file from word `first`", "values");
    Word<"first"> first;
    Word<"count"> count;
    using Out = Nothing;
};
struct ThreadSetTls {
    static constexpr MethodInfo method = abi::method(ThreadMethod::SetTls, "SetTls", rights::kControl, 1,
        "the TLS base register (FS base / TPIDR_EL0 / tp)");
    Address<"base"> base;
    using Out = Nothing;
};
struct ThreadSetPriority {
    static constexpr MethodInfo method = abi::method(ThreadMethod::SetPriority, "SetPriority", rights::kControl, 2,
        "`priority` 0..255 (higher runs first), `time_slice` in timer ticks, at least 1");
    Word32<"priority"> priority;
    Word32<"time_slice"> time_slice;
    using Out = Nothing;
};
struct ThreadSetAffinity {
    static constexpr MethodInfo method = abi::method(ThreadMethod::SetAffinity, "SetAffinity", rights::kControl, 1,
        "the CPUs it may run on, bit n for CPU n (EINVAL: none the kernel runs)");
    Word<"cpu_mask"> cpu_mask;
    using Out = Nothing;
};
struct ThreadResume {
    static constexpr MethodInfo method = abi::method(ThreadMethod::Resume, "Resume", rights::kControl, 0,
        "a new or suspended thread runs (EBUSY: it is neither)");
    using Out = Nothing;
};
struct ThreadSuspend {
    static constexpr MethodInfo method = abi::method(ThreadMethod::Suspend, "Suspend", rights::kControl, 0,
        "the thread stops (a blocked call ends with EINTR)");
    using Out = Nothing;
};
struct ThreadSetLinuxAbi {
    static constexpr MethodInfo method = abi::method(ThreadMethod::SetLinuxAbi, "SetLinuxAbi", rights::kControl, 1,
        "1: every syscall instruction of the thread becomes a LinuxSyscall message to its fault "
        "endpoint; 0: off");
    Limit<"on", 1> on;
    using Out = Nothing;
};
struct ThreadSetTimeout {
    static constexpr MethodInfo method = abi::method(ThreadMethod::SetTimeout, "SetTimeout", rights::kControl, 1,
        "its Receive / ReplyReceive ends with ETIMEDOUT at `deadline` (ReadClock's "
        "nanoseconds; 0: never), checked at each tick, once");
    Word<"deadline"> deadline;
    using Out = Nothing;
};
struct ThreadCopyFpu {
    static constexpr MethodInfo method = abi::method(ThreadMethod::CopyFpu, "CopyFpu", rights::kControl, 1,
        "its FP/SIMD state becomes a copy of `source`'s (kNoSlot: the reset state)");
    CapOrNone<"source", ObjectType::Thread, rights::kRead> source;
    using Out = Nothing;
};
struct ThreadReadFpu {
    static constexpr MethodInfo method = abi::method(ThreadMethod::ReadFpu, "ReadFpu", rights::kRead, 2,
        "words [first, first + count) of its FP/SIMD image (kFpuWords)", nullptr, "values");
    Word<"first"> first;
    Word<"count"> count;
    using Out = Nothing;
};
struct ThreadWriteFpu {
    static constexpr MethodInfo method = abi::method(ThreadMethod::WriteFpu, "WriteFpu", rights::kWrite, 2,
        "`count` values into its FP/SIMD image from word `first`", "values");
    Word<"first"> first;
    Word<"count"> count;
    using Out = Nothing;
};
struct ThreadReadCpuTime {
    static constexpr MethodInfo method = abi::method(ThreadMethod::ReadCpuTime, "ReadCpuTime", rights::kRead, 0,
        "the nanoseconds it has run (kTickNs per tick that found it running) and the CPU it "
        "runs on, last ran on or waits on");
    struct Out {
        Word<"ns"> ns;
        Word<"cpu"> cpu;
    };
};

// ---- Semaphore ----------------------------------------------------------------------
struct SemaphoreSignal {
    static constexpr MethodInfo method = abi::method(SemaphoreMethod::Signal, "Signal", rights::kWrite, 0,
        "wakes the first waiter, or counts one");
    using Out = Nothing;
};
struct SemaphoreWait {
    static constexpr MethodInfo method = abi::method(SemaphoreMethod::Wait, "Wait", rights::kRead, 0,
        "takes one, waiting until there is one");
    using Out = Nothing;
};
struct SemaphoreTryWait {
    static constexpr MethodInfo method = abi::method(SemaphoreMethod::TryWait, "TryWait", rights::kRead, 0,
        "takes one, or EAGAIN");
    using Out = Nothing;
};

// ---- AddressSpace -------------------------------------------------------------------
struct AddressSpaceMap {
    static constexpr MethodInfo method = abi::method(AddressSpaceMethod::Map, "Map", rights::kMap, 3,
        "maps `frame` at page `va` with `rights` (Read among them, none the frame "
        "capability lacks)");
    Cap<"frame", ObjectType::Frame, 0> frame;
    Address<"va"> va;
    Flags<"rights", kMapRights> rights;
    using Out = Nothing;
};
struct AddressSpaceUnmap {
    static constexpr MethodInfo method = abi::method(AddressSpaceMethod::Unmap, "Unmap", rights::kMap, 1,
        "removes the page at `va`");
    Address<"va"> va;
    using Out = Nothing;
};
struct AddressSpaceProtect {
    static constexpr MethodInfo method = abi::method(AddressSpaceMethod::Protect, "Protect", rights::kMap, 3,
        "lowers every page mapped in [va, va + size) to at most `rights` (never adds one)");
    Address<"va"> va;
    Word<"size"> size;
    Flags<"rights", kMapRights> rights;
    struct Out {
        Word<"pages"> pages; ///< how many lost a right
    };
};
struct AddressSpaceQuery {
    static constexpr MethodInfo method = abi::method(AddressSpaceMethod::Query, "Query", rights::kRead, 1,
        "the frame mapped at `va` (ENOENT: none)");
    Address<"va"> va;
    struct Out {
        Word<"physical"> physical;
        Word<"rights"> rights;
    };
};
struct AddressSpaceGrow {
    static constexpr MethodInfo method = abi::method(AddressSpaceMethod::Grow, "Grow", rights::kMap, 1,
        "the map budget's tables and slots join the space (its capability moves in)");
    Cap<"budget", ObjectType::MapBudget, 0> budget;
    using Out = Nothing;
};

// ---- Reply (kept replies) -----------------------------------------------------------
struct ReplyKeep {
    static constexpr MethodInfo method = abi::method(ReplyMethod::Keep, "Keep", rights::kWrite, 0,
        "takes the reply the invoking thread owes (ENOENT: none; EBUSY: it holds one)");
    using Out = Nothing;
};
struct ReplySend {
    static constexpr MethodInfo method = abi::method(ReplyMethod::Send, "Send", rights::kWrite, 1,
        "answers the kept caller with `label` and the words (ENOENT: nothing kept; EPIPE: "
        "the caller is gone)", "words");
    Word<"label"> label;
    using Out = Nothing;
};

// ---- Console, Machine, IrqHandler (the kernel's own objects) ------------------------
struct ConsoleWrite {
    static constexpr MethodInfo method = abi::method(ConsoleMethod::Write, "Write", rights::kWrite, 1,
        "`count` bytes, packed little-endian into the words that follow", "bytes");
    Limit<"count", 8 * (kMaxMsgWords - 1)> count;
    using Out = Nothing;
};
struct ConsoleRead {
    static constexpr MethodInfo method = abi::method(ConsoleMethod::Read, "Read", rights::kRead, 0,
        "a byte that arrived (EAGAIN: none)");
    struct Out {
        Word<"byte"> byte;
    };
};
struct MachineIssueIrqHandler {
    static constexpr MethodInfo method = abi::method(MachineMethod::IssueIrqHandler, "IssueIrqHandler",
        rights::kControl, 2, "an IrqHandler for `line` into `dest` (EINVAL: no such line for user space; "
        "EBUSY: issued already)");
    Word32<"line"> line;
    EmptySlot<"dest"> dest;
    using Out = Nothing;
};
struct MachinePowerOff {
    static constexpr MethodInfo method = abi::method(MachineMethod::PowerOff, "PowerOff", rights::kControl, 1,
        "the machine stops; QEMU exits with `status`");
    Limit<"status", 255> status;
    using Out = Nothing;
};
struct MachineReadClock {
    static constexpr MethodInfo method = abi::method(MachineMethod::ReadClock, "ReadClock", rights::kControl, 0,
        "nanoseconds since the kernel's timer started");
    struct Out {
        Word<"ns"> ns;
    };
};
struct IrqHandlerSetSemaphore {
    static constexpr MethodInfo method = abi::method(IrqHandlerMethod::SetSemaphore, "SetSemaphore",
        rights::kControl, 1, "the line signals `semaphore` when it fires; unmasks it");
    Cap<"semaphore", ObjectType::Semaphore, rights::kWrite> semaphore;
    using Out = Nothing;
};
struct IrqHandlerAck {
    static constexpr MethodInfo method = abi::method(IrqHandlerMethod::Ack, "Ack", rights::kControl, 0,
        "the interrupt was handled: unmask the line (EBUSY: no semaphore bound)");
    using Out = Nothing;
};

/// Every method, in the order docs/abi.md lists them.
template <class... M>
struct MethodList {
    template <class F>
    static constexpr void each(F&& f) {
        (f.template operator()<M>(), ...);
    }
    static constexpr unsigned kCount = sizeof...(M);
};
using Methods = MethodList<
    UntypedRetype,
    CapSpaceCopy, CapSpaceMint, CapSpaceMove, CapSpaceDelete, CapSpaceRevoke, CapSpaceIdentify,
    ThreadConfigure, ThreadReadRegisters, ThreadWriteRegisters, ThreadSetTls, ThreadSetPriority,
    ThreadSetAffinity, ThreadResume, ThreadSuspend, ThreadSetLinuxAbi, ThreadSetTimeout, ThreadCopyFpu,
    ThreadReadFpu, ThreadWriteFpu, ThreadReadCpuTime,
    SemaphoreSignal, SemaphoreWait, SemaphoreTryWait,
    AddressSpaceMap, AddressSpaceUnmap, AddressSpaceProtect, AddressSpaceQuery, AddressSpaceGrow,
    ReplyKeep, ReplySend,
    ConsoleWrite, ConsoleRead,
    MachineIssueIrqHandler, MachinePowerOff, MachineReadClock,
    IrqHandlerSetSemaphore, IrqHandlerAck>;

/// The decoding rules of every method by object type and label (null: no such method), for
/// a decoder that checks the arguments before it knows which method it serves.
constexpr u32 kMaxObjectType = static_cast<u32>(ObjectType::MapBudget);
constexpr u64 kMaxLabel = [] {
    u64 max = 0;
    Methods::each([&]<class M>() { max = M::method.label > max ? M::method.label : max; });
    return max;
}();
struct RulesByMethod {
    const MethodRules* rules[kMaxObjectType + 1][kMaxLabel + 1];
};
constexpr RulesByMethod kRulesByMethod = [] {
    RulesByMethod t{};
    Methods::each([&]<class M>() { t.rules[static_cast<u32>(M::method.object)][M::method.label] = &kRules<M>; });
    return t;
}();
/// The rules of method `label` of an object of type `type`, or null.
constexpr const MethodRules* rules_for(ObjectType type, u64 label) {
    const u32 t = static_cast<u32>(type);
    return t <= kMaxObjectType && label <= kMaxLabel ? kRulesByMethod.rules[t][label] : nullptr;
}

/// The table's own rules: optional arguments only after required ones, and a method's
/// words fit in a message with room for what follows.
constexpr bool table_is_consistent() {
    bool ok = true;
    Methods::each([&]<class M>() {
        ok = ok && M::method.required <= kWords<M> && kWords<M> <= kMaxMsgWords &&
             kWords<typename M::Out> <= kMsgRegsInRegisters;
    });
    return ok;
}
static_assert(table_is_consistent());

} // namespace abi
