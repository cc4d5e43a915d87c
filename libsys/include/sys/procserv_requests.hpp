// procserv's request table: every request of the native protocol once (sys/procserv_abi.hpp
// says how a request travels), with its arguments in order, their kinds, and its answer,
// in the vocabulary of the kernel's method table (abi/methods.hpp). Everything else is
// made from it:
//   - libsys sends a request as its struct (libsys/proc.cpp: ask(req::Open{.path = p,
//     .flags = f})), which encode() turns into the label and words;
//   - procserv checks every request against it before a handler runs (check(): ENOSYS
//     for an unknown operation, EINVAL for a word outside its kind or label bits the
//     request does not take) and its handler reads the request as its struct
//     (arguments<M>());
//   - docs/procserv.md's request table is printed from Requests (tests/unit/abi_table.cpp;
//     a unit test fails when the page and this file disagree: scripts/abi-table rewrites it);
//   - the host fuzz target `requests` checks that check(), arguments() and encode() agree.
// A request is a struct whose members are its words in order; an argument that travels in
// the label above the operation (Clone's flags, Mmap's fd) is an InLabel member, last.
#pragma once

#include <abi/methods.hpp>
#include <sys/procserv_abi.hpp>

namespace procserv {

constexpr u64 kOpMask = (u64{1} << kLabelArgShift) - 1;

/// A request's entry: its operation and the Op's name, the libsys call that sends it, what
/// it does.
struct RequestInfo {
    Op op;
    const char* op_name;
    const char* call;
    const char* doc;
};

/// An argument carried in the label above the Op, of bits within Mask (EINVAL otherwise).
template <abi::Name N, u64 Mask>
struct InLabel : abi::Param<N, abi::Kind::Flags, abi::ObjectType{}, 0, Mask> {
    using abi::Param<N, abi::Kind::Flags, abi::ObjectType{}, 0, Mask>::Param;
    static constexpr bool kInLabel = true;
};
template <class P>
constexpr bool is_in_label = requires { P::kInLabel; };

using abi::Address;
using abi::Flags;
using abi::Int32;
using abi::Limit;
using abi::Word;
using abi::Word32;

namespace req {
// ---- threads and processes ----------------------------------------------------------
struct Exit {
    static constexpr RequestInfo request{Op::Exit, "Exit", "exit", "ends the calling thread; never answered"};
    Int32<"status"> status;
    using Out = abi::Nothing;
};
struct ExitGroup {
    static constexpr RequestInfo request{Op::ExitGroup, "ExitGroup", "exit_group",
                                         "ends every thread of the process; never answered"};
    Int32<"status"> status;
    using Out = abi::Nothing;
};
struct Clone {
    static constexpr RequestInfo request{Op::Clone, "Clone", "clone, clone_fn",
        "a thread or process as Linux's clone; with kCloneStartBlock in `flags`, `stack` is a "
        "StartBlock's address"};
    Address<"stack"> stack;
    Address<"parent_tid"> parent_tid;
    Address<"child_tid"> child_tid;
    Word<"tls"> tls;
    InLabel<"flags", kCloneStartBlock | 0xffff'ffff> flags; ///< Linux's clone flags, and kCloneStartBlock
    struct Out { Word<"tid"> tid; };
};
struct ThreadCreate {
    static constexpr RequestInfo request{Op::ThreadCreate, "ThreadCreate", "thread_create",
                                         "a thread of the caller's process running entry(fn, arg) on `stack_top`"};
    Address<"stack_top"> stack_top;
    Address<"entry"> entry;
    Word<"fn"> fn;
    Word<"arg"> arg;
    struct Out { Word<"tid"> tid; };
};
struct Join {
    static constexpr RequestInfo request{Op::Join, "Join", "thread_join",
        "the code of thread `tid`, stored at `retval`; or the label kBlock: wait on the join "
        "semaphore in slot `semaphore`"};
    Int32<"tid"> tid;
    Address<"retval"> retval;
    struct Out { Word<"semaphore"> semaphore; }; ///< (0 unless the label is kBlock)
};
struct GetIds {
    static constexpr RequestInfo request{Op::GetIds, "GetIds", "getpid, gettid, getppid", "the caller's ids"};
    struct Out { Word<"pid"> pid; Word<"tid"> tid; Word<"ppid"> ppid; };
};
struct Waitpid {
    static constexpr RequestInfo request{Op::Waitpid, "Waitpid", "waitpid",
                                         "answered when a child ends; its status stored at `status`"};
    Int32<"pid"> pid;
    Int32<"options"> options;
    Address<"status"> status;
    struct Out { Word<"pid"> pid; };
};
struct Spawn {
    static constexpr RequestInfo request{Op::Spawn, "Spawn", "spawn",
                                         "a new process running the initrd's program `path`"};
    Address<"path"> path;
    Address<"argv"> argv;
    struct Out { Word<"pid"> pid; };
};
struct FutexWait {
    static constexpr RequestInfo request{Op::FutexWait, "FutexWait", "futex_wait",
                                         "answered when woken (EAGAIN: `*addr` is not `val`)"};
    Address<"addr"> addr;
    Word32<"val"> val;
    using Out = abi::Nothing;
};
struct FutexWake {
    static constexpr RequestInfo request{Op::FutexWake, "FutexWake", "futex_wake", "wakes up to `n` waiters"};
    Address<"addr"> addr;
    Int32<"n"> n;
    struct Out { Word<"woken"> woken; };
};
struct SchedAffinity {
    static constexpr RequestInfo request{Op::SchedAffinity, "SchedAffinity", "sched_getaffinity, sched_setaffinity",
                                         "sets thread `tid`'s (0: the caller's) CPUs unless `mask` is 0"};
    Int32<"tid"> tid;
    Word<"mask"> mask;
    struct Out { Word<"0"> zero; Word<"mask"> mask; };
};
// ---- files ---------------------------------------------------------------------------
struct Chdir {
    static constexpr RequestInfo request{Op::Chdir, "Chdir", "chdir", "the working directory"};
    Address<"path"> path;
    using Out = abi::Nothing;
};
struct Getcwd {
    static constexpr RequestInfo request{Op::Getcwd, "Getcwd", "getcwd", "the working directory into `buf`"};
    Address<"buf"> buf;
    Word<"size"> size;
    struct Out { Word<"length"> length; };
};
struct Umask {
    static constexpr RequestInfo request{Op::Umask, "Umask", "umask", "the file mode creation mask"};
    Flags<"mask", 0777> mask;
    struct Out { Word<"old"> old; };
};
struct Open {
    static constexpr RequestInfo request{Op::Open, "Open", "open", "a descriptor for `path`"};
    Address<"path"> path;
    Word32<"flags"> flags;
    struct Out { Word<"fd"> fd; };
};
struct Read {
    static constexpr RequestInfo request{Op::Read, "Read", "read", "up to `count` bytes of `fd`"};
    Int32<"fd"> fd;
    Address<"buf"> buf;
    Word<"count"> count;
    struct Out { Word<"read"> read; };
};
struct Close {
    static constexpr RequestInfo request{Op::Close, "Close", "close", "closes `fd`"};
    Int32<"fd"> fd;
    using Out = abi::Nothing;
};
struct Dup {
    static constexpr RequestInfo request{Op::Dup, "Dup", "dup", "the lowest free descriptor for `fd`'s file"};
    Int32<"fd"> fd;
    struct Out { Word<"fd"> fd; };
};
struct Write {
    static constexpr RequestInfo request{Op::Write, "Write", "write_console", "up to 256 bytes to the console"};
    Address<"buf"> buf;
    Word<"count"> count;
    struct Out { Word<"written"> written; };
};
// ---- memory --------------------------------------------------------------------------
struct Mmap {
    static constexpr RequestInfo request{Op::Mmap, "Mmap", "mmap", "a mapping, as Linux's mmap"};
    Address<"addr"> addr;
    Word<"length"> length;
    Word<"prot_flags"> prot_flags; ///< prot | flags << 32
    Word<"offset"> offset;
    InLabel<"fd", 0xffff'ffff> fd;
    struct Out { Word<"address"> address; };
};
struct Munmap {
    static constexpr RequestInfo request{Op::Munmap, "Munmap", "munmap", "unmaps a range"};
    Address<"addr"> addr;
    Word<"length"> length;
    using Out = abi::Nothing;
};
struct Mprotect {
    static constexpr RequestInfo request{Op::Mprotect, "Mprotect", "mprotect", "changes a range's protection"};
    Address<"addr"> addr;
    Word<"length"> length;
    Word32<"prot"> prot;
    using Out = abi::Nothing;
};
struct Madvise {
    static constexpr RequestInfo request{Op::Madvise, "Madvise", "madvise",
                                         "advice on a range (MADV_DONTNEED drops its pages)"};
    Address<"addr"> addr;
    Word<"length"> length;
    Word32<"advice"> advice;
    using Out = abi::Nothing;
};
struct Brk {
    static constexpr RequestInfo request{Op::Brk, "Brk", "brk", "moves the break (0: reads it)"};
    Address<"addr"> addr;
    struct Out { Word<"break"> brk; };
};
// ---- capabilities and servers --------------------------------------------------------
struct CapCreate {
    static constexpr RequestInfo request{Op::CapCreate, "CapCreate", "cap_create",
                                         "a new object (CapType) in the process's cap space"};
    Word<"type"> type;
    Word<"bytes"> bytes;
    struct Out { Word<"slot"> slot; };
};
struct IpcBuffer {
    static constexpr RequestInfo request{Op::IpcBuffer, "IpcBuffer", "ipc_buffer",
                                         "the calling thread's IPC buffer, made on first use"};
    struct Out { Word<"address"> address; };
};
struct ServiceRegister {
    static constexpr RequestInfo request{Op::ServiceRegister, "ServiceRegister", "service_register",
                                         "names the endpoint in slot `endpoint`"};
    Address<"name"> name;
    Word<"endpoint"> endpoint;
    using Out = abi::Nothing;
};
struct ServiceLookup {
    static constexpr RequestInfo request{Op::ServiceLookup, "ServiceLookup", "service_lookup",
                                         "a badged copy of the named endpoint in the caller's cap space"};
    Address<"name"> name;
    struct Out { Word<"slot"> slot; };
};
struct ServiceUnregister {
    static constexpr RequestInfo request{Op::ServiceUnregister, "ServiceUnregister", "service_unregister",
                                         "removes the caller's name"};
    Address<"name"> name;
    using Out = abi::Nothing;
};
struct MmapMemory {
    static constexpr RequestInfo request{Op::MmapMemory, "MmapMemory", "mmap_memory",
                                         "maps the memory object in `slot`"};
    Word<"slot"> slot;
    Address<"addr"> addr;
    Word<"length"> length;
    Word<"prot_flags"> prot_flags; ///< prot | flags << 32
    struct Out { Word<"address"> address; };
};
// ---- signals -------------------------------------------------------------------------
struct Kill {
    static constexpr RequestInfo request{Op::Kill, "Kill", "kill", "signal `sig` to a process or group, as kill(2)"};
    Int32<"pid"> pid;
    Int32<"sig"> sig;
    using Out = abi::Nothing;
};
struct Sigaction {
    static constexpr RequestInfo request{Op::Sigaction, "Sigaction", "sigaction",
                                         "the action for `sig`; a query without `trampoline`"};
    Word<"sig_flags"> sig_flags; ///< sig | flags << 32
    Word<"handler"> handler;
    Word<"mask"> mask;
    Address<"trampoline"> trampoline;
    struct Out { Word<"old_handler"> handler; Word<"old_flags"> flags; Word<"old_mask"> mask; };
};
struct Sigprocmask {
    static constexpr RequestInfo request{Op::Sigprocmask, "Sigprocmask", "sigprocmask",
                                         "blocks (0), unblocks (1) or sets (2) the blocked signals"};
    Limit<"how", 2> how;
    Word<"set"> set;
    struct Out { Word<"0"> zero; Word<"old"> old; };
};
struct Sigreturn {
    static constexpr RequestInfo request{Op::Sigreturn, "Sigreturn", "(libsys's signal trampoline)",
                                         "resumes the SignalFrame at `frame`; never answered"};
    Address<"frame"> frame;
    using Out = abi::Nothing;
};
struct Tkill {
    static constexpr RequestInfo request{Op::Tkill, "Tkill", "tkill", "signal `sig` to thread `tid` of any process"};
    Int32<"tid"> tid;
    Int32<"sig"> sig;
    using Out = abi::Nothing;
};
struct Sigpending {
    static constexpr RequestInfo request{Op::Sigpending, "Sigpending", "sigpending",
                                         "the signals pending for the thread and its process"};
    struct Out { Word<"0"> zero; Word<"pending"> pending; };
};
struct Stats {
    static constexpr RequestInfo request{Op::Stats, "Stats", "(tests)", "procserv's own account, for leak checks"};
    struct Out { Word<"free_bytes"> free; Word<"threads"> threads; Word<"processes"> processes; };
};
} // namespace req

/// Every request, in Op order (docs/procserv.md lists them so).
using Requests = abi::MethodList<
    req::Exit, req::ExitGroup, req::Clone, req::ThreadCreate, req::Join, req::GetIds, req::Chdir, req::Getcwd,
    req::Umask, req::Open, req::Read, req::Close, req::Dup, req::Waitpid, req::Spawn, req::FutexWait,
    req::FutexWake, req::Write, req::Stats, req::Mmap, req::Munmap, req::Mprotect, req::Madvise, req::Brk,
    req::CapCreate, req::IpcBuffer, req::ServiceRegister, req::ServiceLookup, req::ServiceUnregister,
    req::MmapMemory, req::Kill, req::Sigaction, req::Sigprocmask, req::Sigreturn, req::Tkill, req::Sigpending,
    req::SchedAffinity>;

constexpr u64 kFirstOp = static_cast<u64>(Op::Exit);
constexpr u64 kOpCount = Requests::kCount;

/// A request as it travels: its label and its four words (words not sent are 0).
struct Message {
    u64 label = 0;
    u64 word[abi::kMsgRegsInRegisters] = {};
};
constexpr u64 op_of(u64 label) { return label & kOpMask; }

/// The words of request M that travel as words (its InLabel argument does not).
template <class M>
constexpr u32 kArgWords = [] {
    u32 n = 0;
    M m{};
    abi::for_each_word(m, [&]<class P>(const P&) { n += is_in_label<P> ? 0 : 1; });
    return n;
}();

/// What the check of a request needs, found by Op: its words' rules, the kernel table's
/// (abi::detail::kWordRules), and the label bits it takes, its InLabel argument's (which
/// comes last: the rule after its words).
struct RequestRules {
    u32 words;
    u64 label_mask; ///< 0: none
    const abi::WordRule* rule;
};
template <class M>
constexpr RequestRules kRequestRules{
    kArgWords<M>, kArgWords<M> < abi::kWords<M> ? abi::detail::kWordRules<M>.rule[kArgWords<M>].limit : 0,
    abi::detail::kWordRules<M>.rule};
struct RulesByOp {
    RequestRules rules[Requests::kCount];
};
constexpr RulesByOp kRulesByOp = [] {
    RulesByOp t{};
    Requests::each([&]<class M>() { t.rules[static_cast<u64>(M::request.op) - kFirstOp] = kRequestRules<M>; });
    return t;
}();

/// 0, or the errno a request is refused with before any handler sees it: ENOSYS for an
/// operation that does not exist, EINVAL for label bits above the operation it does not
/// take or a word outside its kind (Word32, Int32, Flags, Limit).
constexpr int check(const Message& m) {
    const u64 op = op_of(m.label);
    if (op < kFirstOp || op - kFirstOp >= kOpCount) return abi::errc::kNoSys;
    const RequestRules& r = kRulesByOp.rules[op - kFirstOp];
    if ((m.label >> kLabelArgShift) & ~r.label_mask) return abi::errc::kInval;
    for (u32 i = 0; i < r.words; ++i)
        if (!r.rule[i].valid(m.word[i])) return abi::errc::kInval;
    return 0;
}

/// Request M's arguments from a message check() accepted for it.
template <class M>
constexpr M arguments(const Message& m) {
    M a{};
    u32 i = 0;
    abi::for_each_word(a, [&]<class P>(P& w) {
        w.value = is_in_label<P> ? m.label >> kLabelArgShift : m.word[i++];
    });
    return a;
}

/// The message that sends request M.
template <class M>
constexpr Message encode(const M& a) {
    Message m{static_cast<u64>(M::request.op)};
    u32 i = 0;
    abi::for_each_word(a, [&]<class P>(const P& w) {
        if constexpr (is_in_label<P>) m.label |= w.value << kLabelArgShift;
        else m.word[i++] = w.value;
    });
    return m;
}

/// Does request M have at most one InLabel argument, and that one last?
template <class M>
constexpr bool in_label_last() {
    M m{};
    u32 i = 0, at = abi::kWords<M>;
    abi::for_each_word(m, [&]<class P>(const P&) {
        if (is_in_label<P>) at = i;
        ++i;
    });
    return kArgWords<M> + 1 >= abi::kWords<M> && (at == abi::kWords<M> || at == abi::kWords<M> - 1);
}

/// The table's own rules: requests in Op order, one per Op, their words fit in registers,
/// an InLabel argument last.
constexpr bool requests_are_consistent() {
    bool ok = true;
    u64 next = kFirstOp;
    Requests::each([&]<class M>() {
        ok = ok && static_cast<u64>(M::request.op) == next++ && kArgWords<M> <= abi::kMsgRegsInRegisters &&
             abi::kWords<typename M::Out> <= abi::kMsgRegsInRegisters && in_label_last<M>();
    });
    return ok && next == static_cast<u64>(Op::SchedAffinity) + 1;
}
static_assert(requests_are_consistent());

} // namespace procserv
