// The process API: what programs ask the process server (servers/procserv) for, with
// Linux's flag values, errno codes and wait-status encoding. docs/procserv.md documents
// every call, its errors and the protocol behind it.
//
// The same declarations have two implementations:
//   libsys/proc.cpp         in our system: each call is an IPC to procserv
//   libsys/linux/proc.cpp   on a Linux host: raw Linux system calls, so the semantics
//                           programs in tests/programs/ can be checked against a real
//                           kernel (DESIGN.md, "Testing")
// Every call returns a value >= 0 or a negated errno; none sets a global errno.
#pragma once

#include <sys/kernel.hpp>
#include <sys/procserv_abi.hpp>

#include <cstddef>

namespace sys {

// ---- clone flags (Linux values) ------------------------------------------------------
constexpr unsigned long CLONE_VM = 0x00000100;
constexpr unsigned long CLONE_FS = 0x00000200;
constexpr unsigned long CLONE_FILES = 0x00000400;
constexpr unsigned long CLONE_SIGHAND = 0x00000800;
constexpr unsigned long CLONE_THREAD = 0x00010000;
constexpr unsigned long CLONE_NEWNS = 0x00020000;
constexpr unsigned long CLONE_SYSVSEM = 0x00040000;
constexpr unsigned long CLONE_SETTLS = 0x00080000;
constexpr unsigned long CLONE_PARENT_SETTID = 0x00100000;
constexpr unsigned long CLONE_CHILD_CLEARTID = 0x00200000;
constexpr unsigned long CLONE_DETACHED = 0x00400000;
constexpr unsigned long CLONE_CHILD_SETTID = 0x01000000;
/// The caller waits until the child calls execve or ends (vfork; procserv's Linux front end).
constexpr unsigned long CLONE_VFORK = 0x00004000;
/// The low byte of Linux's flags is the exit signal; SIGCHLD (17) is accepted there.
constexpr unsigned long kCloneSignalMask = 0xff;
constexpr unsigned long SIGCHLD = 17;

// ---- errno values used here (Linux) --------------------------------------------------
constexpr int kEPERM = 1, kENOENT = 2, kESRCH = 3, kEINTR = 4, kE2BIG = 7, kENOEXEC = 8, kEBADF = 9,
              kECHILD = 10, kEAGAIN = 11, kENOMEM = 12, kEACCES = 13, kEFAULT = 14, kEBUSY = 16,
              kEEXIST = 17, kENOTDIR = 20, kEISDIR = 21, kEINVAL = 22, kENFILE = 23, kEMFILE = 24, kEROFS = 30, kERANGE = 34,
              kEDEADLK = 35, kENAMETOOLONG = 36, kENOSYS = 38, kENODEV = 19, kEOPNOTSUPP = 95,
              kENOSPC = 28, kEPIPE = 32, kENOTTY = 25, kEFBIG = 27, kESPIPE = 29, kENOTEMPTY = 39;

// ---- wait status (Linux encoding) ----------------------------------------------------
constexpr int WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8;
constexpr int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGABRT = 6, SIGBUS = 7, SIGKILL = 9, SIGUSR1 = 10,
              SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15;
constexpr bool wifexited(int s) { return (s & 0x7f) == 0; }
constexpr int wexitstatus(int s) { return (s >> 8) & 0xff; }
constexpr bool wifsignaled(int s) { return (s & 0x7f) != 0 && (s & 0x7f) != 0x7f; }
constexpr int wtermsig(int s) { return s & 0x7f; }

// ---- open flags ----------------------------------------------------------------------
constexpr int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_DIRECTORY = 0200000;
/// spawn's limits: argv[0] and at most 7 more arguments, each at most 63 bytes (-E2BIG).
constexpr int kSpawnMaxArgs = 8, kSpawnMaxArgLen = 63;

/// Linux's raw clone: the new thread's id in the caller, 0 in the child, -errno on
/// error. `child_stack` null: the child continues on (a copy of) the caller's stack,
/// which only makes sense without CLONE_VM (fork). With a new stack and CLONE_VM use
/// clone_fn: C code cannot safely continue on a new stack after a raw clone.
long clone(unsigned long flags, void* child_stack, int* parent_tid, int* child_tid, unsigned long tls);
/// clone that runs fn(arg) in the child on `stack_top` and ends the child with
/// exit(fn(arg)).
long clone_fn(int (*fn)(void*), void* arg, void* stack_top, unsigned long flags,
              int* parent_tid = nullptr, int* child_tid = nullptr, unsigned long tls = 0);

/// A thread of the calling process running start(arg) on `stack_top` (the top of a
/// caller-owned stack, in mapped writable memory: otherwise -EFAULT and nothing is
/// created). Returns its tid. Returning from start is exit() with the value returned
/// (truncated to int). `name` is for reports (may be null).
int thread_create(const char* name, void* stack_top, void* (*start)(void*), void* arg);
/// Wait until thread `tid` of the caller's process, made by thread_create, has exited;
/// its exit code goes to *retval (if not null). Only the first join of a thread gets it:
/// every other one, concurrent or later, fails with -EINVAL. Self: -EDEADLK. Unknown
/// tid, another process's thread, or a thread made by clone (Linux reaps those by
/// itself; wait on CLONE_CHILD_CLEARTID's word instead): -ESRCH. A thread that is never
/// joined keeps a small record until its process ends, counted in the process's share of
/// threads (EAGAIN beyond it).
int thread_join(int tid, int* retval);

/// End the calling thread; the last thread's exit ends the process with `status`.
[[noreturn]] void exit(int status);
/// End every thread of the calling process; the first exit_group's status is the
/// process's.
[[noreturn]] void exit_group(int status);

int getpid();
int gettid();
int getppid();

int chdir(const char* path);
/// The cwd into buf (NUL-terminated); returns the length including the NUL, -ERANGE if
/// it does not fit, -EFAULT for a null buffer.
long getcwd(char* buf, std::size_t size);
/// Set the file mode creation mask; returns the previous one. Never fails.
unsigned umask(unsigned mask);

/// The read-only filesystem of the initrd's files (one directory level: "/", "/bin").
int open(const char* path, int flags);
long read(int fd, void* buf, std::size_t count);
int close(int fd);
int dup(int fd);

/// Wait for a child process (pid > 0: that one; -1: any). Returns its pid, 0 with
/// WNOHANG when none has ended yet, -ECHILD when there is no such child.
int waitpid(int pid, int* status, int options);

/// Send `sig` to process `pid` (> 0), to the caller's process group (0), to everyone but
/// the first process and the caller (-1), or to group -pid; sig 0 only checks. -EINVAL for
/// a bad signal, -ESRCH when nobody matches. Without a handler (sigaction) a signal takes
/// its default action: Term and Core end the process, Ignore and Stop do nothing.
int kill(int pid, int sig);
/// Send `sig` to thread `tid` (of any process). -EINVAL; -ESRCH.
int tkill(int tid, int sig);

/// The CPUs thread `tid` (0: the caller) may run on, bit n for CPU n (every CPU the kernel
/// runs threads on, unless set), stored at `mask`: 0, or -ESRCH.
int sched_getaffinity(int tid, unsigned long* mask);
/// Let thread `tid` (0: the caller) run only on the CPUs of `mask` (those that do not
/// exist are dropped): 0, -EINVAL if none exists, -ESRCH. The threads it makes
/// (thread_create, clone) and the processes it forks inherit the mask; a program started
/// by spawn gets every CPU. As Linux's calls with an 8-byte mask.
int sched_setaffinity(int tid, unsigned long mask);

// ---- signal handlers (docs/procserv.md, "Signals") ------------------------------------
/// A handler runs when its thread's call to procserv is answered (a call that waits ends
/// with -EINTR first, or with SA_RESTART is made again after the handler), or at a fault
/// (SIGSEGV, SIGBUS, SIGILL), on the thread's stack; returning from it goes on where the
/// thread was. `context` is the procserv::SignalFrame with the interrupted registers.
using SigInfo = procserv::SigInfo;
using SigHandler = void (*)(int sig, const SigInfo* info, void* context);
/// The two dispositions that are not handlers (never called): the default action, and
/// ignoring the signal. A null handler is the default too.
void sig_default(int, const SigInfo*, void*);
void sig_ignore(int, const SigInfo*, void*);
constexpr unsigned SA_SIGINFO = 4, SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;
struct SigAction {
    SigHandler handler;
    unsigned long mask; ///< also blocked while the handler runs (bit sig - 1 for each)
    unsigned flags;     ///< SA_RESTART, SA_NODEFER, SA_RESETHAND (SA_SIGINFO: accepted)
};
/// The action for `sig` becomes *act (if act), the old one goes to *old (if old); the
/// actions are the process's, shared with its threads and CLONE_SIGHAND children. -EINVAL:
/// `sig` outside 1..64, a handler for SIGKILL or SIGSTOP, another flag.
int sigaction(int sig, const SigAction* act, SigAction* old);
constexpr int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
/// The thread's blocked set: `set` added, removed or made the set (if set); the old one to
/// *old (if old). SIGKILL and SIGSTOP are never blocked. -EINVAL: another `how`.
int sigprocmask(int how, const unsigned long* set, unsigned long* old);
/// The signals pending for the thread and its process.
unsigned long sigpending();
/// Start the program `path` of the initrd as a new process, child of the caller;
/// returns its pid.
int spawn(const char* path, const char* const argv[]);

/// Block while *addr == val (-EAGAIN at once if it differs); wake up to n waiters.
int futex_wait(int* addr, int val);
int futex_wake(int* addr, int n);

// ---- memory (Linux values, the same on x86_64, aarch64 and riscv64) ----------------
constexpr int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
constexpr int MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20,
              MAP_NORESERVE = 0x4000, MAP_FIXED_NOREPLACE = 0x100000;
constexpr int MADV_NORMAL = 0, MADV_RANDOM = 1, MADV_SEQUENTIAL = 2, MADV_WILLNEED = 3, MADV_DONTNEED = 4;

/// Linux's mmap: the address of the new mapping, or -errno. Pages are backed when first
/// touched. Anonymous memory reads as zeros; a file of the initrd (fd from open) is
/// copied in page by page (MAP_PRIVATE; MAP_SHARED only without PROT_WRITE, the files
/// being read-only), and a page wholly beyond its end is SIGBUS when touched.
long mmap(void* addr, std::size_t length, int prot, int flags, int fd, long offset);
/// Remove the mappings in [addr, addr + length) (rounded up to pages; nothing mapped is
/// fine). 0 or -errno.
int munmap(void* addr, std::size_t length);
/// Change the protection of [addr, addr + length), which must be mapped (ENOMEM).
int mprotect(void* addr, std::size_t length, int prot);
/// MADV_DONTNEED drops the pages of a private mapping (the next touch reads zeros, or
/// the file again); NORMAL, RANDOM, SEQUENTIAL and WILLNEED are accepted and do nothing.
int madvise(void* addr, std::size_t length, int advice);
/// Linux's brk system call: move the end of the data segment (the "break") to `addr`
/// and return the new break; on failure (and for a null addr) the current one.
long brk(void* addr);

/// Write to the console (stdout on Linux). Returns bytes written or -errno.
long write_console(const char* s, std::size_t n);

/// print() (sys/kernel.hpp's formats) through write_console: the text, up to 256 bytes,
/// reaches the console in one piece, so other processes' output cannot cut into it (print
/// writes a byte at a time, and a process switch may come between two bytes).
template <class... A>
void print_whole(const char* fmt, const A&... a) {
    struct Line {
        char text[256];
        std::size_t n;
    } line{{}, 0};
    const kernel::Sink sink{[](void* l, char c) {
                                auto& b = *static_cast<Line*>(l);
                                if (b.n < sizeof b.text) b.text[b.n++] = c;
                            },
                            &line};
    if constexpr (sizeof...(A) == 0) {
        kernel::vformat(sink, fmt, nullptr, 0);
    } else {
        const kernel::FmtArg args[] = {kernel::FmtArg(a)...};
        kernel::vformat(sink, fmt, args, sizeof...(A));
    }
    write_console(line.text, line.n);
}

} // namespace sys
