// The in-guest fuzzer's second mode (issue 15; scripts/fuzz ARCH --procserv): random
// requests to procserv from several processes at once. Started by procserv as its first
// program:
//   exec=fuzzproc seed=S [calls=N] [procs=P] [epoch=E] [trace=K]
//
// Every epoch the first process (the parent) forks P children. Each makes E / P random
// requests of procserv's native protocol (sys/procserv_abi.hpp), sent as raw words so
// that nothing in libsys can tidy them: every Op, unknown labels, and for each Op
// arguments that are mostly valid (its own mappings, descriptors, threads, children,
// objects and service names; flags within Linux's masks) and sometimes wrong (bad,
// unaligned or kernel pointers, huge lengths, unknown flags, fds and pids that do not
// exist). Children fork grandchildren and spawn programs, make threads (thread_create and
// clone) that make requests of their own, map, touch, protect and unmap memory, and signal
// each other. When every child has ended the parent checks procserv's own account
// (Op::Stats): the free bytes of its pools and its live threads and processes must be what
// they were after the first epoch, to the byte. After each request a child also checks that
// procserv still sees its stack. Every raw request goes first into its process's ring of
// the last 64 (a mapping the processes share), which the parent prints for a child that
// died of a signal.
//
// What is excluded, and why: a request that would end the caller's ability to go on
// (munmap or MADV_DONTNEED of its own code, stack or heap; a signal with its default
// action of Term to its own group; a handler at a wild address for a signal it sends) is
// made only on the fuzzer's own window of mappings, or with signals it ignores; a request
// that would wait forever (futex_wait on a value that matches, waitpid for a child that
// never ends) is made only where it cannot. O_CREAT is masked off: a file made in /tmp
// stays, and procserv's memory would rightly not come back.
//
// Output: "fuzzproc: seed S, N calls, P processes, epoch E", a line per tenth of the
// epochs, and at the end the requests made (N counts the children's main threads; their
// threads and grandchildren add theirs), each Op's calls and successes and "fuzzproc:
// procserv's memory back after every epoch: ok". trace=K: every process prints each raw
// request (before making it) from epoch K on. The interleaving of the processes depends on
// timing, so a seed gives the same requests in each process, not the same run.
#include <sys/kernel.hpp>
#include <sys/proc.hpp>
#include <sys/procserv_requests.hpp>
#include <sys/string.hpp>

#include "rng.hpp"

namespace {

using abi::u64;
using procserv::Op;

constexpr long kPage = 4096;
constexpr u64 kFirstOp = procserv::kFirstOp, kOps = procserv::kOpCount;
/// Each Op's name, from procserv's request table.
constexpr auto kOpNames = [] {
    struct {
        const char* at[kOps];
    } names{};
    procserv::Requests::each(
        [&]<class M>() { names.at[static_cast<u64>(M::request.op) - kFirstOp] = M::request.op_name; });
    return names;
}();

// ---- options, and the counts every process adds to (a shared mapping) -------------------
u64 g_seed = 1, g_calls = 20000, g_procs = 3, g_epoch = 2000, g_trace = ~u64{0};
/// The last requests of each process (by pid modulo kRings), for the report of a child
/// that died of a signal.
constexpr u64 kRings = 64, kRing = 64;
struct Record {
    u64 pid, index, label, w[4];
    long result;
};
struct Counts {
    u64 calls[kOps + 1]; ///< the last: labels procserv does not know
    u64 ok[kOps + 1];
    u64 children_ok, children_signalled;
    Record ring[kRings][kRing];
    u64 next[kRings];
};
Counts* g_counts;
u64 g_epoch_now = 0;

// ---- one fuzzing process's state (each thread draws from an Rng of its own) ------------
/// What the calling process made that its requests may name (fork copies it; threads of
/// the process share it, and only the main thread changes the lists of stacks, mappings
/// and children).
constexpr int kStacks = 6, kStackBytes = 16384;
constexpr u64 kWindowPages = 64;
struct Mine {
    u64 window = 0;        ///< kWindowPages of address space this process fuzzes at will
    u64 brk0 = 0;          ///< its break at the start
    int fds[8] = {};
    int nfds = 0;
    int children[8] = {};  ///< live children (forked and spawned)
    int nchildren = 0;
    int tids[kStacks] = {}; ///< threads on each stack (0: free); thread_create ones are joined
    bool joinable[kStacks] = {};
    u64 slots[8] = {};      ///< objects it asked for (CapCreate)
    int nslots = 0;
};
Mine g_mine;
alignas(16) unsigned char g_stacks[kStacks][kStackBytes];
int g_pid = 0; ///< the calling process's (its ring, its trace lines)

const char* const kPaths[] = {"/", "/README", "/hello.txt", "/etc/motd", "/etc", "/bin", "/tmp", "/dev/shm",
                              "/nonexistent", "", "relative", "../..", "/README/x", "/etc/motd/", "/fuzzproc"};
const char* const kNames[] = {"fz.a", "fz.b", "fz.c", "",
                              "a-name-of-sixty-four-bytes-which-is-one-more-than-the-limit-of-63"};
const char* const kSpawnArgv[] = {"fuzzproc", "-", nullptr}; // (a spawned copy ends at once)
const char* const kTooManyArgs[] = {"fuzzproc", "-", "1", "2", "3", "4", "5", "6", "7", "8", nullptr};

u64 ptr(const void* p) { return reinterpret_cast<u64>(p); }
/// A seed of its own for each child (splitmix64's finalizer of seed and n).
u64 mix(u64 seed, u64 n) {
    u64 z = seed * 0x9e3779b97f4a7c15 + n * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9, z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
}

/// An address no request may use: kernel space, unaligned, non-canonical, null, or past
/// user space.
u64 bad_address(Rng& r) {
    const u64 bad[] = {0, 1, 0xffff800000001000, 0xffffffffffffff00, 0x0000800000000000, 0x7fffffffffff,
                       0x8000000000000000, g_mine.window + 1, g_mine.window - 7};
    return bad[r.below(sizeof bad / sizeof bad[0])];
}
/// A word worth trying anywhere.
u64 any_word(Rng& r) {
    const u64 w[] = {0, 1, 2, 3, 7, 64, 4096, ~u64{0}, 0xffffffff, 0x80000000, u64{1} << 40, r.next()};
    return w[r.below(sizeof w / sizeof w[0])];
}
/// A valid pointer to writable memory of at least 256 bytes (the thread's stack), or a
/// bad one.
u64 buffer(Rng& r, unsigned char* local) { return r.chance(85) ? ptr(local) : bad_address(r); }
/// Where an answer is stored: the thread's stack mostly, else null or a bad address.
u64 out_ptr(Rng& r, unsigned char* local) { return r.chance(80) ? ptr(local) : r.chance(50) ? 0 : bad_address(r); }
u64 path_arg(Rng& r) {
    return r.chance(90) ? ptr(kPaths[r.below(sizeof kPaths / sizeof kPaths[0])]) : bad_address(r);
}
u64 name_arg(Rng& r) { return r.chance(90) ? ptr(kNames[r.below(sizeof kNames / sizeof kNames[0])]) : bad_address(r); }
/// A descriptor: one the process opened (only its main thread tracks them), or one that
/// is not open. Never the console's 0, 1 and 2: a read of it would wait for input.
u64 fd_arg(Rng& r, bool full) {
    if (full && g_mine.nfds && r.chance(70))
        return static_cast<u64>(g_mine.fds[r.below(static_cast<u64>(g_mine.nfds))]);
    const long fds[] = {-1, 63, 64, 4096, -100, 0x7fffffff};
    return static_cast<u64>(fds[r.below(sizeof fds / sizeof fds[0])]);
}
/// A range of the window (page-aligned, inside it) or, sometimes, a wrong one.
void window_range(Rng& r, u64& a, u64& len) {
    u64 first = r.below(kWindowPages), n = 1 + r.below(kWindowPages - first);
    a = g_mine.window + first * kPage, len = n * kPage;
    if (r.chance(10)) len -= r.below(kPage);   // not a whole page: rounded up
    if (r.chance(5)) a = bad_address(r);
    if (r.chance(3)) len = r.chance(50) ? 0 : ~u64{0} - r.below(kPage);
}
int pid_arg(Rng& r) {
    if (g_mine.nchildren && r.chance(50)) return g_mine.children[r.below(static_cast<u64>(g_mine.nchildren))];
    const int pids[] = {-1, 0, 1, 2, 1000000, -1000000, sys::getpid(), -sys::getpid(), 0x7fffffff};
    return pids[r.below(sizeof pids / sizeof pids[0])];
}
/// A signal this process may be sent without harm: it ignores SIGUSR1, counts SIGUSR2
/// (or ignores it), and SIGCHLD's default is to ignore. Or no signal, or one that does not
/// exist.
int signal_arg(Rng& r) {
    const int sigs[] = {0, sys::SIGUSR1, sys::SIGUSR2, int(sys::SIGCHLD), 65, -1, 1000};
    return sigs[r.below(sizeof sigs / sizeof sigs[0])];
}

volatile u64 g_caught;
void on_usr2(int, const sys::SigInfo*, void*) { g_caught = g_caught + 1; }

/// Touch a page of a mapping this thread has just made writable: a page fault, a frame,
/// copy-on-write after a fork.
void touch(u64 a, u64 len, Rng& r) {
    if (!len) return;
    u64 page = r.below((len + kPage - 1) / kPage);
    *reinterpret_cast<volatile unsigned char*>(a + page * kPage + r.below(kPage)) = 0x5a;
}

// ---- one request ----------------------------------------------------------------------
struct Call {
    u64 label;
    u64 w[4];
};

/// Count a request of `op` (an index past the Ops: a label procserv does not know).
void tally(u64 op, bool ok) {
    if (op > kOps) op = kOps;
    __atomic_fetch_add(&g_counts->calls[op], 1, __ATOMIC_RELAXED);
    if (ok) __atomic_fetch_add(&g_counts->ok[op], 1, __ATOMIC_RELAXED);
}
void tally(Op op, bool ok) { tally(static_cast<u64>(op) - kFirstOp, ok); }

/// One raw request, recorded in the process's ring first (its answer after).
long send(const Call& c, u64 index) {
    if (g_epoch_now >= g_trace)
        sys::print_whole("fuzzproc:   pid {} call {} label {:#x}: {:#x} {:#x} {:#x} {:#x}\n", g_pid, index,
                         c.label, c.w[0], c.w[1], c.w[2], c.w[3]);
    const u64 pid = static_cast<u64>(g_pid);
    const u64 at = __atomic_fetch_add(&g_counts->next[pid % kRings], 1, __ATOMIC_RELAXED);
    Record& rec = g_counts->ring[pid % kRings][at % kRing];
    rec = {pid, index, c.label, {c.w[0], c.w[1], c.w[2], c.w[3]}, -99999};
    sys::Reply rep = sys::call(procserv::kEndpoint, c.label, {c.w[0], c.w[1], c.w[2], c.w[3]});
    long result = rep.ok() ? static_cast<long>(rep.mr[0]) : static_cast<long>(rep.error);
    rec.result = result;
    tally((c.label & 0xffff) - kFirstOp, result >= 0);
    return result;
}

void* worker(void* arg);
int clone_worker(void* arg);
[[noreturn]] void grandchild(Rng r);

constexpr u64 label(Op op) { return static_cast<u64>(op); }

/// A mapping made outside the window goes again at once (a worker's, or the main
/// thread's without MAP_FIXED): the process's own memory stays where it was.
void unmap_outside_window(long got, u64 len, u64 index) {
    const u64 a = static_cast<u64>(got);
    if (got <= 0 || (a >= g_mine.window && a < g_mine.window + kWindowPages * kPage)) return;
    Call u{label(Op::Munmap), {a, len, 0, 0}};
    send(u, index);
}

/// One random request and what the process learns from its answer. `full`: the main
/// thread of a fuzzing process (may fork, map at fixed places, make threads); workers and
/// grandchildren make only requests that leave the process's shape alone.
void one(Rng& r, u64 index, bool full) {
    unsigned char local[512];
    memset(local, 0, sizeof local);
    Call c{};
    auto w = [&](u64 a = 0, u64 b = 0, u64 d = 0, u64 e = 0) { c.w[0] = a, c.w[1] = b, c.w[2] = d, c.w[3] = e; };
    const u64 pick = r.below(100);
    if (pick < 4) { // an unknown label, or a known one with wild words where that is safe
        // (not Read, Close or Dup: a wild fd may be the console's, and a read of it waits)
        const Op safe[] = {Op::GetIds,          Op::Getcwd,        Op::Umask,      Op::Open,
                           Op::FutexWake,       Op::Stats,         Op::CapCreate,  Op::IpcBuffer,
                           Op::ServiceRegister, Op::ServiceLookup, Op::ServiceUnregister,
                           Op::Sigpending,      Op::SchedAffinity};
        c.label = r.chance(40)
                      ? (r.chance(50) ? r.below(kFirstOp) : kFirstOp + kOps + r.below(0x100))
                      : label(safe[r.below(sizeof safe / sizeof safe[0])]) | (r.chance(30) ? r.next() << 16 : 0);
        if ((c.label & 0xffff) == label(Op::Umask) || (c.label & 0xffff) == label(Op::SchedAffinity))
            c.label &= 0xffff; // (a wild affinity may pin the process anywhere: still fine)
        w(any_word(r), any_word(r), any_word(r), any_word(r));
        if ((c.label & 0xffff) == label(Op::Getcwd))
            c.w[0] = r.below(2) ? ptr(local) : bad_address(r), c.w[1] = r.below(sizeof local);
        send(c, index);
        return;
    }
    // The Ops, each with its own arguments.
    static const Op kinds[] = {Op::GetIds,   Op::Chdir,     Op::Getcwd,    Op::Umask,     Op::Open,
                               Op::Open,     Op::Read,      Op::Close,     Op::Dup,       Op::Waitpid,
                               Op::FutexWait, Op::FutexWake, Op::Write,    Op::Stats,     Op::Mmap,
                               Op::Mmap,     Op::Munmap,    Op::Mprotect,  Op::Madvise,   Op::Brk,
                               Op::CapCreate, Op::IpcBuffer, Op::ServiceRegister, Op::ServiceLookup,
                               Op::ServiceUnregister, Op::MmapMemory, Op::Kill, Op::Sigaction,
                               Op::Sigprocmask, Op::Tkill, Op::Sigpending, Op::SchedAffinity,
                               Op::Join,     Op::ThreadCreate, Op::Clone, Op::Clone, Op::Spawn};
    Op op = kinds[r.below(sizeof kinds / sizeof kinds[0])];
    c.label = label(op);
    switch (op) {
    case Op::GetIds: case Op::Stats: case Op::IpcBuffer: case Op::Sigpending: break;
    case Op::Chdir: w(path_arg(r)); break;
    case Op::Getcwd: w(buffer(r, local), r.chance(80) ? r.below(sizeof local) : any_word(r)); break;
    case Op::Umask: w(r.below(01000)); break;
    case Op::Open: { // O_CREAT (0100) and O_TMPFILE (020000000) masked off: see the top
        u64 flags = r.chance(80) ? r.below(3) | (r.chance(20) ? sys::O_DIRECTORY : 0) : any_word(r);
        w(path_arg(r), flags & ~u64{020000100});
        long fd = send(c, index);
        if (fd >= 0 && g_mine.nfds < 8 && full) g_mine.fds[g_mine.nfds++] = static_cast<int>(fd);
        return;
    }
    case Op::Read:
        w(fd_arg(r, full), buffer(r, local), r.chance(90) ? r.below(sizeof local + 1) : any_word(r) & 0xffff);
        if (c.w[1] == ptr(local) && c.w[2] > sizeof local) c.w[2] = sizeof local;
        break;
    case Op::Close: case Op::Dup: {
        w(fd_arg(r, full));
        long got = send(c, index);
        if (!full) return;
        for (int i = 0; op == Op::Close && got == 0 && i < g_mine.nfds; ++i)
            if (g_mine.fds[i] == static_cast<int>(c.w[0])) g_mine.fds[i] = g_mine.fds[--g_mine.nfds];
        if (op == Op::Dup && got >= 0 && g_mine.nfds < 8) g_mine.fds[g_mine.nfds++] = static_cast<int>(got);
        return;
    }
    case Op::Waitpid: {
        // Blocks only for a child of its own (which ends), else WNOHANG.
        int pid = pid_arg(r);
        bool mine = pid == -1 || (pid > 0 && pid != sys::getpid() && g_mine.nchildren);
        u64 options = (mine && r.chance(50) ? 0 : u64{sys::WNOHANG}) |
                      (r.chance(10) ? r.below(16) : 0) | (r.chance(3) ? u64{0x40000000} : 0);
        if (!full) options |= sys::WNOHANG;
        w(static_cast<u64>(static_cast<long>(pid)), options, out_ptr(r, local));
        long got = send(c, index);
        for (int i = 0; full && got > 0 && i < g_mine.nchildren; ++i)
            if (g_mine.children[i] == got) g_mine.children[i] = g_mine.children[--g_mine.nchildren];
        if (got == -sys::kECHILD && full && pid == -1) g_mine.nchildren = 0;
        return;
    }
    case Op::FutexWait: { // never a matching value: it would wait for good
        auto* word = reinterpret_cast<int*>(local + 64);
        *word = static_cast<int>(r.next());
        u64 addr = r.chance(80) ? ptr(word) : r.chance(50) ? ptr(word) + 1 + r.below(3) : bad_address(r);
        w(addr, static_cast<unsigned>(*word + 1 + static_cast<int>(r.below(5))));
        break;
    }
    case Op::FutexWake: w(r.chance(80) ? ptr(local) + 4 * r.below(16) : bad_address(r), any_word(r)); break;
    case Op::Write: // nothing printed: no bytes, or a kernel address
        w(r.chance(50) ? ptr(local) : 0xffff800000001000 + r.below(kPage), r.chance(50) ? 0 : any_word(r));
        if (c.w[0] == ptr(local)) c.w[1] = 0;
        break;
    case Op::Mmap: {
        u64 a = 0, len = (1 + r.below(16)) * kPage;
        u64 prot = r.chance(90) ? r.below(8) : any_word(r) & 0xffffffff;
        u64 flags = (r.chance(85) ? sys::MAP_PRIVATE : r.chance(70) ? sys::MAP_SHARED : r.below(4)) |
                    (r.chance(75) ? sys::MAP_ANONYMOUS : 0) | (r.chance(10) ? sys::MAP_NORESERVE : 0);
        if (full && r.chance(60)) { // inside the window, at a fixed place
            window_range(r, a, len);
            flags |= r.chance(70) ? sys::MAP_FIXED : r.chance(50) ? sys::MAP_FIXED_NOREPLACE : 0;
        } else if (r.chance(10)) {
            a = bad_address(r);
            flags |= r.chance(50) ? sys::MAP_FIXED : 0;
            if (a == 0 || a == 1) flags &= ~u64(sys::MAP_FIXED); // (never over its own code)
        }
        if (r.chance(3)) flags |= u64{1} << (8 + r.below(20)); // an unknown flag
        if (!full) flags &= ~u64(sys::MAP_FIXED | sys::MAP_FIXED_NOREPLACE), a = 0;
        long fd = (flags & sys::MAP_ANONYMOUS) && r.chance(90) ? -1 : static_cast<long>(fd_arg(r, full));
        u64 offset = r.chance(90) ? 0 : r.chance(50) ? kPage * r.below(4) : any_word(r);
        c.label |= static_cast<u64>(static_cast<unsigned>(fd)) << procserv::kLabelArgShift;
        w(a, len, prot | flags << 32, offset);
        long got = send(c, index);
        bool writable_anon = got > 0 && (prot & 3) == 3 && fd == -1 && (flags & sys::MAP_ANONYMOUS) && !(prot >> 3);
        // (A worker's touch races with the main thread's fixed mappings over the window:
        // now and then a process dies of SIGSEGV in a secondary thread, as it should.)
        if (writable_anon) touch(static_cast<u64>(got), len, r);
        unmap_outside_window(got, len, index);
        return;
    }
    case Op::Munmap: case Op::Mprotect: case Op::Madvise: {
        if (!full) { // a worker: only wrong ranges (never from 0: a huge length would take everything)
            u64 a = bad_address(r);
            w(a < 2 ? 0xffff800000000000 : a, any_word(r), r.below(8));
            break;
        }
        u64 a, len;
        window_range(r, a, len);
        u64 third = op == Op::Mprotect ? (r.chance(90) ? r.below(8) : any_word(r))
                                       : (r.chance(90) ? r.below(5) : any_word(r) & 0xff);
        w(a, len, third);
        send(c, index); // (no touch after: the window may hold a file mapped past its end, SIGBUS)
        return;
    }
    case Op::Brk: {
        u64 want = r.chance(70) ? g_mine.brk0 + r.below(64) * kPage + (r.chance(20) ? r.below(kPage) : 0)
                                : r.chance(50) ? 0 : bad_address(r);
        if (!full) want = 0;
        w(want);
        break;
    }
    case Op::CapCreate: {
        u64 type = r.chance(85) ? 1 + r.below(4) : any_word(r);
        u64 bytes = r.chance(80) ? kPage * (1 + r.below(8)) : any_word(r);
        w(type, bytes);
        long slot = send(c, index);
        if (slot >= 0 && full && g_mine.nslots < 8) g_mine.slots[g_mine.nslots++] = static_cast<u64>(slot);
        return;
    }
    case Op::ServiceRegister: case Op::ServiceLookup: case Op::ServiceUnregister: case Op::MmapMemory: {
        u64 slot = g_mine.nslots && r.chance(70) ? g_mine.slots[r.below(static_cast<u64>(g_mine.nslots))] : any_word(r);
        if (op == Op::MmapMemory) {
            if (!full) slot = any_word(r);
            u64 a = 0, len = kPage * (1 + r.below(8));
            u64 flags = sys::MAP_SHARED;
            if (full && r.chance(50)) window_range(r, a, len), flags |= sys::MAP_FIXED;
            u64 prot = r.chance(90) ? r.below(8) : any_word(r) & 0xffffffff;
            w(slot, a, len, prot | (r.chance(90) ? flags : any_word(r) & 0xffffffff) << 32);
            long got = send(c, index);
            if (got > 0 && (prot & 3) == 3 && !(prot >> 3) && (c.w[3] >> 32) == flags)
                touch(static_cast<u64>(got), len, r);
            unmap_outside_window(got, len, index);
            return;
        }
        w(name_arg(r), slot);
        break;
    }
    case Op::Kill: case Op::Tkill: {
        int target = op == Op::Kill ? pid_arg(r) : (r.chance(50) ? g_mine.tids[r.below(kStacks)] : pid_arg(r));
        if (op == Op::Tkill && target == 0) target = sys::gettid();
        w(static_cast<u64>(static_cast<long>(target)), static_cast<u64>(static_cast<long>(signal_arg(r))));
        break;
    }
    case Op::Sigaction: {
        // SIGUSR2: ignored or counted; any other: only what cannot be sent by this fuzzer.
        int sig = r.chance(50) ? sys::SIGUSR2 : static_cast<int>(r.below(70));
        bool sent = sig == sys::SIGUSR2 || sig == sys::SIGUSR1 || sig == int(sys::SIGCHLD);
        u64 handler =
            r.chance(50) ? ptr(reinterpret_cast<void*>(on_usr2)) : ptr(reinterpret_cast<void*>(sys::sig_ignore));
        if (!sent && r.chance(30)) handler = any_word(r);
        if (sig == sys::SIGUSR1) handler = ptr(reinterpret_cast<void*>(sys::sig_ignore));
        if (sig == int(sys::SIGCHLD) && r.chance(50)) handler = 0; // the default: ignore
        u64 flags = r.chance(80) ? (r.chance(50) ? sys::SA_RESTART : 0) : (sent ? 0 : any_word(r) & 0xffffffff);
        if (sent) { // through libsys, which supplies the trampoline
            sys::SigAction act{reinterpret_cast<sys::SigHandler>(handler), r.next(), static_cast<unsigned>(flags)};
            sys::SigAction old{};
            if (g_epoch_now >= g_trace)
                sys::print_whole("fuzzproc:   pid {} call {} sigaction {}\n", g_pid, index, sig);
            tally(op, sys::sigaction(sig, &act, &old) == 0);
            return;
        }
        w(static_cast<u64>(sig) | flags << 32, handler, r.next(), r.chance(50) ? any_word(r) : bad_address(r));
        break;
    }
    case Op::Sigprocmask: w(r.chance(90) ? r.below(3) : any_word(r), r.next()); break;
    case Op::SchedAffinity: {
        // (0: the caller; a mask of 0 only reads; a mask of CPUs that do not exist: EINVAL)
        int target = r.chance(10) ? pid_arg(r) : r.chance(50) ? 0 : g_mine.tids[r.below(kStacks)];
        u64 mask = r.chance(50) ? 0 : r.chance(80) ? r.below(16) : any_word(r);
        w(static_cast<u64>(static_cast<long>(target)), mask);
        break;
    }
    case Op::Join: {
        int i = static_cast<int>(r.below(kStacks));
        int tid = r.chance(80) ? g_mine.tids[i] : pid_arg(r);
        if (!full) tid = pid_arg(r); // (joining may wait: only the main thread joins its own)
        w(static_cast<u64>(static_cast<long>(tid)), out_ptr(r, local));
        sys::Reply rep = sys::call(procserv::kEndpoint, c.label, {c.w[0], c.w[1], c.w[2], c.w[3]});
        // kBlock: the join semaphore is signalled once the thread has ended and its code is
        // stored (if the wait fails, the semaphore went with the thread: the same answer).
        const bool blocked = rep.ok() && rep.label == static_cast<u64>(procserv::Reply::kBlock);
        if (blocked) (void)sys::sem_wait(rep.mr[0]);
        const bool joined = blocked || (rep.ok() && static_cast<long>(rep.mr[0]) == 0);
        tally(op, joined);
        if (joined) {
            for (int k = 0; k < kStacks; ++k)
                if (g_mine.tids[k] == tid && g_mine.joinable[k]) g_mine.tids[k] = 0;
        }
        return;
    }
    case Op::ThreadCreate: case Op::Clone: {
        if (!full) { // wrong arguments only: a stack in kernel space, or flags Linux refuses
            const u64 kernel_stacks[] = {0xffff800000010000, 0xfffffffffffff000, 0x0000800000000000};
            w(kernel_stacks[r.below(3)], ptr(reinterpret_cast<void*>(worker)), 0, 0);
            if (op == Op::Clone) { // CLONE_THREAD or CLONE_SIGHAND without CLONE_VM
                c.label |= (sys::CLONE_THREAD | (r.chance(50) ? sys::CLONE_SIGHAND : 0) | r.below(0x100))
                           << procserv::kLabelArgShift;
                w(0, any_word(r), any_word(r), any_word(r));
            }
            break;
        }
        if (op == Op::Clone && r.chance(40)) { // fork: the child makes a few requests and ends
            if (g_mine.nchildren >= 8) return;
            u64 seed = r.next();
            u64 flags = sys::SIGCHLD | (r.chance(30) ? sys::CLONE_FS : 0) | (r.chance(30) ? sys::CLONE_FILES : 0) |
                        (r.chance(5) ? u64{1} << (26 + r.below(6)) : 0) | (r.chance(5) ? sys::CLONE_THREAD : 0);
            long pid = sys::clone(flags, nullptr, nullptr, nullptr, 0);
            if (pid == 0) grandchild(Rng{seed | 1});
            tally(op, pid > 0);
            if (pid > 0) g_mine.children[g_mine.nchildren++] = static_cast<int>(pid);
            return;
        }
        int i = static_cast<int>(r.below(kStacks));
        if (g_mine.tids[i]) return; // that stack is in use
        u64 top = ptr(g_stacks[i] + kStackBytes);
        long tid;
        if (op == Op::ThreadCreate) {
            tid =
                sys::thread_create("fuzz", reinterpret_cast<void*>(top), worker, reinterpret_cast<void*>(r.next() | 1));
            g_mine.joinable[i] = true;
        } else { // a thread of the process (the tid word clears when it ends), or a process sharing memory
            u64 flags = sys::CLONE_VM | sys::CLONE_CHILD_CLEARTID | sys::CLONE_PARENT_SETTID |
                        (r.chance(80) ? sys::CLONE_THREAD | sys::CLONE_SIGHAND : sys::SIGCHLD) |
                        (r.chance(50) ? sys::CLONE_FS : 0) | (r.chance(50) ? sys::CLONE_FILES : 0);
            tid = sys::clone_fn(clone_worker, reinterpret_cast<void*>(r.next() | 1), reinterpret_cast<void*>(top),
                                flags, &g_mine.tids[i], &g_mine.tids[i]);
            g_mine.joinable[i] = false;
            if (tid > 0 && !(flags & sys::CLONE_THREAD) && g_mine.nchildren < 8)
                g_mine.children[g_mine.nchildren++] = static_cast<int>(tid);
        }
        tally(op, tid > 0);
        if (tid > 0 && g_mine.joinable[i]) g_mine.tids[i] = static_cast<int>(tid);
        return;
    }
    case Op::Spawn: {
        if (!full || g_mine.nchildren >= 8) {
            w(path_arg(r), r.chance(50) ? bad_address(r) : ptr(kTooManyArgs));
            break;
        }
        u64 argv = r.chance(80) ? ptr(kSpawnArgv) : r.chance(50) ? ptr(kTooManyArgs) : bad_address(r);
        w(r.chance(70) ? ptr("/fuzzproc") : path_arg(r), argv);
        long pid = send(c, index);
        if (pid > 0) g_mine.children[g_mine.nchildren++] = static_cast<int>(pid);
        return;
    }
    default: break;
    }
    send(c, index);
}

/// The last requests of process `pid` (-99999: not answered).
void print_last(u64 pid) {
    const u64 slot = pid % kRings, end = g_counts->next[slot];
    for (u64 i = end > kRing ? end - kRing : 0; i < end; ++i) {
        const Record& x = g_counts->ring[slot][i % kRing];
        if (x.pid == pid)
            sys::print_whole("fuzzproc:   call {} {:#x}: {:#x} {:#x} {:#x} {:#x} -> {}\n", x.index, x.label, x.w[0],
                             x.w[1], x.w[2], x.w[3], x.result);
    }
}

/// An invariant checked after each request of a main thread: procserv still sees its
/// stack (a futex wake of a word of it is not EFAULT). If not, it prints its last requests.
void check_stack(u64 index) {
    volatile int word = 0;
    sys::Reply rep = sys::call(procserv::kEndpoint, label(Op::FutexWake), {ptr(const_cast<int*>(&word)), 0});
    if (!rep.ok() || static_cast<long>(rep.mr[0]) != -sys::kEFAULT) return;
    sys::print_whole("fuzzproc: FAILED: pid {}: its stack is gone after its call {}; its last requests:\n", g_pid,
                     index);
    print_last(static_cast<u64>(g_pid));
    sys::exit_group(99);
}

/// A thread of a fuzzing process: a few requests, then it ends.
void* worker(void* arg) {
    Rng r{reinterpret_cast<u64>(arg)};
    u64 n = 1 + r.below(24);
    for (u64 i = 0; i < n; ++i) one(r, i, false);
    return reinterpret_cast<void*>(r.below(256));
}
int clone_worker(void* arg) { return static_cast<int>(reinterpret_cast<u64>(worker(arg))); }

/// A fork's child: a few requests, then it ends (by exit or exit_group: the same for one
/// thread).
[[noreturn]] void grandchild(Rng r) {
    g_pid = sys::getpid();
    g_mine.nchildren = 0;
    u64 n = r.below(16);
    for (u64 i = 0; i < n; ++i) one(r, i, false);
    if (r.chance(50)) sys::exit_group(static_cast<int>(r.below(256)));
    sys::exit(static_cast<int>(r.below(256)));
}

/// A fuzzing process: `calls` requests, then everything it made goes with it (its
/// threads end, its children are waited for or orphaned) and it ends.
[[noreturn]] void child(u64 seed, u64 calls) {
    Rng r{seed | 1};
    g_mine = Mine{};
    g_mine.window = static_cast<u64>(sys::mmap(nullptr, kWindowPages * kPage, sys::PROT_NONE,
                                               sys::MAP_PRIVATE | sys::MAP_ANONYMOUS, -1, 0));
    g_mine.brk0 = static_cast<u64>(sys::brk(nullptr));
    for (u64 i = 0; i < calls; ++i) one(r, i, true), check_stack(i);
    // Wait for the threads on its stacks (a clone thread's word clears when it ends): the
    // process ends when its last thread does, so this is only for a tidy end.
    for (int i = 0; i < kStacks; ++i)
        if (g_mine.tids[i] && g_mine.joinable[i]) sys::thread_join(g_mine.tids[i], nullptr);
    if (r.chance(50)) // leave some children to end as orphans
        while (sys::waitpid(-1, nullptr, 0) > 0) {}
    if (r.chance(70)) sys::exit_group(0);
    sys::exit(0);
}

struct Stats {
    u64 free, threads, procs;
};
Stats stats() {
    sys::Reply r = sys::call(procserv::kEndpoint, label(Op::Stats), {});
    return {r.mr[0], r.mr[1], r.mr[2]};
}

/// Touch the next 32 KiB of the stack, for the same reason as the shared counts (main):
/// the parent's deepest path (printing a dead child's requests) must not back a page of
/// its stack for the first time after the baseline.
[[gnu::noinline]] void warm_stack() {
    volatile unsigned char deep[32768];
    for (u64 i = 0; i < sizeof deep; i += 64) deep[i] = 0;
}

u64 option(const char* arg, const char* name, u64 value) {
    u64 n = strlen(name);
    if (memcmp(arg, name, n) != 0 || arg[n] != '=') return value;
    u64 v = 0;
    for (const char* c = arg + n + 1; *c >= '0' && *c <= '9'; ++c) v = v * 10 + static_cast<u64>(*c - '0');
    return v;
}

} // namespace

int main(int argc, char** argv) {
    // A copy a fuzzing process spawned (its argv as the fuzzer chose, often none) ends at
    // once: the fuzzer runs only with seed= first.
    if (argc < 2 || memcmp(argv[1], "seed=", 5) != 0) return 3;
    for (int i = 1; i < argc; ++i) {
        g_seed = option(argv[i], "seed", g_seed), g_calls = option(argv[i], "calls", g_calls);
        g_procs = option(argv[i], "procs", g_procs), g_epoch = option(argv[i], "epoch", g_epoch);
        g_trace = option(argv[i], "trace", g_trace);
    }
    if (g_procs < 1) g_procs = 1;
    if (g_epoch < g_procs) g_epoch = g_procs;
    sys::print_whole("fuzzproc: seed {}, {} calls, {} processes, epoch {}\n", g_seed, g_calls, g_procs, g_epoch);
    long shared = sys::mmap(nullptr, sizeof(Counts), sys::PROT_READ | sys::PROT_WRITE,
                            sys::MAP_SHARED | sys::MAP_ANONYMOUS, -1, 0);
    if (shared < 0) {
        sys::print_whole("fuzzproc: FAILED: no shared mapping ({})\n", shared);
        return 1;
    }
    g_counts = reinterpret_cast<Counts*>(shared);
    // Every page of it backed and mapped here now: a page the parent first read after the
    // baseline (a dead child's requests) would add a record to its page map, and a correct
    // run would look like a leak.
    memset(g_counts, 0, sizeof *g_counts);
    // Signals its processes may send each other: SIGUSR1 ignored, SIGUSR2 counted.
    sys::SigAction ignore{sys::sig_ignore, 0, 0}, count{on_usr2, 0, sys::SA_RESTART};
    sys::sigaction(sys::SIGUSR1, &ignore, nullptr);
    sys::sigaction(sys::SIGUSR2, &count, nullptr);

    // Epoch 0 leaves the parent as it will be after every epoch (each fork makes its
    // writable pages copy-on-write, and its store of frames grows once for the copies);
    // procserv's account after it is the baseline. (What the whole run lends comes back
    // when the parent ends too: procserv's last line, "F of T KiB free again".)
    Stats before{};
    u64 epochs = (g_calls + g_epoch - 1) / g_epoch;
    if (epochs < 2) epochs = 2; // (the first sets the baseline)
    warm_stack();
    bool ok = true;
    for (u64 e = 0; e < epochs && ok; ++e) {
        g_epoch_now = e;
        for (u64 p = 0; p < g_procs; ++p) {
            long pid = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
            if (pid == 0) g_pid = sys::getpid(), child(mix(g_seed, e * 1000 + p), g_epoch / g_procs);
            if (pid < 0) sys::print_whole("fuzzproc: FAILED: fork: {}\n", pid), ok = false;
        }
        int status = 0;
        for (long got; (got = sys::waitpid(-1, &status, 0)) != -sys::kECHILD;) // (-EINTR: a SIGUSR2 came)
            if (got > 0) {
                ++(sys::wifexited(status) ? g_counts->children_ok : g_counts->children_signalled);
                if (!sys::wifexited(status)) {
                    sys::print_whole("fuzzproc: pid {} (epoch {}) killed by signal {}; its last requests:\n", got, e,
                                     sys::wtermsig(status));
                    print_last(static_cast<u64>(got));
                }
            }
        // Orphans (children of the children) end by themselves: wait until procserv counts
        // as many processes and threads as before.
        Stats now = stats();
        for (u64 spin = 0; spin < 100000 && (now.procs != 1 || now.threads != 1); ++spin) sys::yield(), now = stats();
        if (e == 0) before = now;
        if (now.free != before.free || now.procs != before.procs || now.threads != before.threads) {
            sys::print_whole("fuzzproc: FAILED after epoch {} (seed {}): procserv has {} bytes free, {} threads, {} "
                             "processes; {}, {}, {} before\n",
                             e, g_seed, now.free, now.threads, now.procs, before.free, before.threads, before.procs);
            ok = false;
        }
        if (epochs >= 10 && (e + 1) % (epochs / 10) == 0) sys::print_whole("fuzzproc: {} epochs\n", e + 1);
    }
    u64 total = 0;
    for (u64 i = 0; i <= kOps; ++i) total += g_counts->calls[i];
    sys::print_whole("fuzzproc: {} calls; children: {} exited, {} killed by a signal\n", total, g_counts->children_ok,
                     g_counts->children_signalled);
    for (u64 i = 0; i <= kOps; ++i)
        if (g_counts->calls[i])
            sys::print_whole("fuzzproc:   {}: {} calls, {} succeeded\n", i < kOps ? kOpNames.at[i] : "(unknown label)",
                             g_counts->calls[i], g_counts->ok[i]);
    if (!ok) return 1;
    sys::print_whole("fuzzproc: procserv's memory back after every epoch: ok\n");
    return 0;
}
