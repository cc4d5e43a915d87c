// The process API (sys/proc.hpp) on a Linux x86_64 host, so that the semantics programs
// of tests/programs/proc/ can be checked against a real kernel. Every call is a raw
// system call: threads made by clone_fn may run with a TLS base of their own, where
// glibc's errno or any other C library state must not be touched.
//
// What Linux has no call for is emulated with the same rules as procserv:
//   - thread_create / thread_join: a process-local table of joinable threads, woken
//     through CLONE_CHILD_CLEARTID and futex, with the first joiner getting the code;
//   - the filesystem root: the directory named by $PROC_ROOT. Absolute paths are resolved
//     under it and getcwd presents the cwd relative to it (no chroot without privilege);
//   - spawn: fork + execve of the host build of the program with the path's base name,
//     from the directory of the running program; another file of the root: ENOEXEC;
//   - clone flags outside the API's set are rejected with EINVAL (Linux's legacy clone
//     ignores some of them);
//   - an unwritable status (waitpid) or retval (thread_join) is -EFAULT and loses
//     nothing: the child stays waitable, the code stays unclaimed (Linux's wait4 would
//     reap the child and then fail).
#include <sys/proc.hpp>
#include <sys/syscall.hpp>

#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstdlib>
#include <cstring>

extern "C" long linux_clone_fn(int (*fn)(void*), void* arg, void* stack_top, unsigned long flags,
                               int* parent_tid, int* child_tid, unsigned long tls);
extern "C" [[noreturn]] void linux_clone_exit(int status);
extern "C" void linux_sigreturn();
extern char** environ;

namespace {

long sc(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
    register long r10 asm("r10") = d;
    register long r8 asm("r8") = e;
    register long r9 asm("r9") = f;
    long ret;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                 : "rcx", "r11", "memory");
    return ret;
}

template <typename T> long L(T v) { return (long)v; }

constexpr int kWall = 0x40000000;  // __WALL

constexpr unsigned long kKnownFlags =
    sys::CLONE_VM | sys::CLONE_FS | sys::CLONE_FILES | sys::CLONE_SIGHAND | sys::CLONE_THREAD |
    sys::CLONE_NEWNS | sys::CLONE_SYSVSEM | sys::CLONE_SETTLS | sys::CLONE_PARENT_SETTID |
    sys::CLONE_CHILD_CLEARTID | sys::CLONE_DETACHED | sys::CLONE_CHILD_SETTID;

int check_flags(unsigned long flags) {
    unsigned long sig = flags & sys::kCloneSignalMask;
    if ((flags & ~(kKnownFlags | sys::kCloneSignalMask)) != 0) return -sys::kEINVAL;
    if (sig != 0 && sig != sys::SIGCHLD) return -sys::kEINVAL;
    return 0;  // the combination rules are Linux's own, checked by the kernel
}

/// -EFAULT unless the int at p is writable: getcpu stores an unsigned there through the
/// kernel, so a bad address fails instead of faulting here.
int check_int_writable(void* p) {
    return sc(SYS_getcpu, L(p), 0, 0) < 0 ? -sys::kEFAULT : 0;
}

/// -EFAULT unless the word just below stack_top is mapped and writable.
int check_stack(void* stack_top) {
    auto top = reinterpret_cast<unsigned long>(stack_top) & ~15ul;
    if (top < 16) return -sys::kEFAULT;
    return check_int_writable(reinterpret_cast<void*>(top - 8));
}

// ---- joinable threads -----------------------------------------------------------------

enum : int { kFree, kCreating, kRunning, kJoined };

struct Slot {
    int state;     // kFree .. kJoined
    int word;      // the tid while the thread lives (PARENT_SETTID), 0 once it has ended
    int tid;       // the tid, kept after the end for join
    int pid;       // the owning process: after a fork the child holds a stale copy
    int code;      // exit code
    void* (*start)(void*);
    void* arg;
};

constexpr int kSlots = 1024;
Slot g_slots[kSlots];

int load(const int* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

Slot* claim_slot() {
    for (Slot& s : g_slots) {
        int st = load(&s.state);
        bool reusable = st == kFree || (st == kJoined && load(&s.word) == 0);
        if (reusable && __atomic_compare_exchange_n(&s.state, &st, kCreating, false,
                                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return &s;
    }
    return nullptr;
}

Slot* find_slot(int tid, int pid, bool live) {
    for (Slot& s : g_slots) {
        int st = load(&s.state);
        if ((st == kRunning || st == kJoined) && s.pid == pid &&
            (live ? load(&s.word) == tid : s.tid == tid))
            return &s;
    }
    return nullptr;
}

int thread_trampoline(void* p) {
    auto* s = static_cast<Slot*>(p);
    return static_cast<int>(reinterpret_cast<long>(s->start(s->arg)));
}

// ---- the root directory --------------------------------------------------------------

char g_root[PATH_MAX];
long g_root_len = -1;

/// The canonical $PROC_ROOT without a trailing slash ("" when unset: the host's root).
void init_root() {
    if (__atomic_load_n(&g_root_len, __ATOMIC_ACQUIRE) >= 0) return;
    const char* env = getenv("PROC_ROOT");
    char tmp[PATH_MAX];
    long n = 0;
    if (env != nullptr && realpath(env, tmp) != nullptr) {
        n = static_cast<long>(strlen(tmp));
        if (n == 1) n = 0;  // "/"
        memcpy(g_root, tmp, n);
    }
    g_root[n] = '\0';
    __atomic_store_n(&g_root_len, n, __ATOMIC_RELEASE);
}

/// path as the host sees it: absolute paths are under the root.
int host_path(const char* path, char* out) {
    if (path == nullptr) return -sys::kEFAULT;
    init_root();
    std::size_t n = strlen(path);
    std::size_t prefix = path[0] == '/' ? static_cast<std::size_t>(g_root_len) : 0;
    if (prefix + n + 1 > PATH_MAX) return -sys::kENAMETOOLONG;
    memcpy(out, g_root, prefix);
    memcpy(out + prefix, path, n + 1);
    return 0;
}

/// The cwd relative to the root, into out (PATH_MAX bytes); its length.
long relative_cwd(char* out) {
    init_root();
    char real[PATH_MAX];
    long r = sc(SYS_getcwd, L(real), PATH_MAX);
    if (r < 0) return r;
    const char* rel = real;
    if (g_root_len > 0 && strncmp(real, g_root, g_root_len) == 0 &&
        (real[g_root_len] == '/' || real[g_root_len] == '\0'))
        rel = real + g_root_len;
    if (*rel == '\0') rel = "/";
    long n = static_cast<long>(strlen(rel));
    memcpy(out, rel, n + 1);
    return n;
}

bool inside_root() {
    char real[PATH_MAX];
    if (sc(SYS_getcwd, L(real), PATH_MAX) < 0) return false;
    return g_root_len == 0 || (strncmp(real, g_root, g_root_len) == 0 &&
                               (real[g_root_len] == '/' || real[g_root_len] == '\0'));
}

} // namespace

extern "C" void linux_clone_exit(int status) { sys::exit(status); }

extern "C" abi::u64 sys_read_tls() {
    unsigned long fs = 0;
    sc(SYS_arch_prctl, ARCH_GET_FS, L(&fs));
    return fs;
}

namespace sys {

long clone(unsigned long flags, void* child_stack, int* parent_tid, int* child_tid, unsigned long tls) {
    if (int r = check_flags(flags); r < 0) return r;
    return sc(SYS_clone, L(flags), L(child_stack), L(parent_tid), L(child_tid), L(tls));
}

long clone_fn(int (*fn)(void*), void* arg, void* stack_top, unsigned long flags, int* parent_tid,
              int* child_tid, unsigned long tls) {
    if (int r = check_flags(flags); r < 0) return r;
    if (int r = check_stack(stack_top); r < 0) return r;
    return linux_clone_fn(fn, arg, stack_top, flags, parent_tid, child_tid, tls);
}

int thread_create(const char* name, void* stack_top, void* (*start)(void*), void* arg) {
    (void)name;
    if (int r = check_stack(stack_top); r < 0) return r;
    Slot* s = claim_slot();
    if (s == nullptr) return -kEAGAIN;
    s->start = start;
    s->arg = arg;
    s->code = 0;
    s->tid = 0;
    s->pid = getpid();
    constexpr unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                    CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
                                    CLONE_CHILD_CLEARTID;
    // The kernel stores the tid in s->word before the child runs, so that the child's
    // exit finds its slot; CHILD_CLEARTID zeroes it and wakes the joiner.
    __atomic_store_n(&s->state, kRunning, __ATOMIC_RELEASE);
    long tid = linux_clone_fn(thread_trampoline, s, stack_top, flags, &s->word, &s->word, 0);
    if (tid < 0) {
        __atomic_store_n(&s->state, kFree, __ATOMIC_RELEASE);
        return static_cast<int>(tid);
    }
    // A slot of an older thread that had the same tid must no longer answer to it.
    for (Slot& o : g_slots)
        if (&o != s && o.tid == tid && o.pid == s->pid) o.tid = 0;
    s->tid = static_cast<int>(tid);
    return static_cast<int>(tid);
}

int thread_join(int tid, int* retval) {
    int self = gettid(), pid = getpid();
    if (tid == self) return -kEDEADLK;
    // A lookup by the live word as well: another thread may join before thread_create
    // has stored s->tid.
    Slot* s = find_slot(tid, pid, false);
    if (s == nullptr && tid > 0) s = find_slot(tid, pid, true);
    if (s == nullptr) return -kESRCH;
    if (retval != nullptr && check_int_writable(retval) < 0) {
        // Only a join that could claim the code says -EFAULT; a claimed one is -EINVAL.
        return load(&s->state) == kRunning ? -kEFAULT : -kEINVAL;
    }
    int expected = kRunning;
    if (!__atomic_compare_exchange_n(&s->state, &expected, kJoined, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return -kEINVAL;
    for (int w = load(&s->word); w != 0; w = load(&s->word))
        futex_wait(&s->word, w);
    if (retval != nullptr) *retval = __atomic_load_n(&s->code, __ATOMIC_ACQUIRE);
    return 0;
}

void exit(int status) {
    int tid = gettid(), pid = getpid();
    if (Slot* s = find_slot(tid, pid, true)) __atomic_store_n(&s->code, status, __ATOMIC_RELEASE);
    for (;;) sc(SYS_exit, status);
}

void exit_group(int status) {
    for (;;) sc(SYS_exit_group, status);
}

int getpid() { return static_cast<int>(sc(SYS_getpid)); }
int gettid() { return static_cast<int>(sc(SYS_gettid)); }
int getppid() { return static_cast<int>(sc(SYS_getppid)); }

int chdir(const char* path) {
    char p[PATH_MAX];
    if (int r = host_path(path, p); r < 0) return r;
    long r = sc(SYS_chdir, L(p));
    if (r < 0) return static_cast<int>(r);
    // ".." from the root stays at the root, as it does under a real root.
    if (!inside_root()) sc(SYS_chdir, L(g_root_len > 0 ? g_root : "/"));
    return 0;
}

long getcwd(char* buf, std::size_t size) {
    if (buf == nullptr) return -kEFAULT;
    char rel[PATH_MAX];
    long n = relative_cwd(rel);
    if (n < 0) return n;
    if (static_cast<std::size_t>(n) + 1 > size) return -kERANGE;
    memcpy(buf, rel, n + 1);
    return n + 1;
}

unsigned umask(unsigned mask) { return static_cast<unsigned>(sc(SYS_umask, mask & 0777)); }

int open(const char* path, int flags) {
    if ((flags & 3) != O_RDONLY) return -kEROFS; // the API's filesystem is read-only
    char p[PATH_MAX];
    if (int r = host_path(path, p); r < 0) return r;
    return static_cast<int>(sc(SYS_openat, AT_FDCWD, L(p), flags, 0));
}

long read(int fd, void* buf, std::size_t count) { return sc(SYS_read, fd, L(buf), L(count)); }
int close(int fd) { return static_cast<int>(sc(SYS_close, fd)); }
int dup(int fd) { return static_cast<int>(sc(SYS_dup, fd)); }

int kill(int pid, int sig) { return static_cast<int>(sc(SYS_kill, pid, sig)); }
int tkill(int tid, int sig) { return static_cast<int>(sc(SYS_tkill, tid, sig)); }

int sched_getaffinity(int tid, unsigned long* mask) {
    unsigned long set = 0; // (the first 64 CPUs, as procserv's)
    long r = sc(SYS_sched_getaffinity, tid, sizeof set, L(&set));
    if (r < 0) return static_cast<int>(r);
    *mask = set;
    return 0;
}

int sched_setaffinity(int tid, unsigned long mask) {
    return static_cast<int>(sc(SYS_sched_setaffinity, tid, sizeof mask, L(&mask)));
}

// Handlers: Linux's SA_SIGINFO handler is one entry of ours that gives the process's
// handler (a table in the address space, as the API's own actions are in procserv) the
// API's SigInfo; SIG_DFL and SIG_IGN go to Linux as they are.
void sig_default(int, const SigInfo*, void*) {}
void sig_ignore(int, const SigInfo*, void*) {}
namespace {
SigHandler g_handlers[65];
constexpr unsigned long kSaRestorer = 0x04000000;
void* const kSigDfl = nullptr;
void* const kSigIgn = reinterpret_cast<void*>(1);
struct KernelSigaction {
    void* handler;
    unsigned long flags;
    void (*restorer)();
    unsigned long mask;
};
void signal_entry(int sig, const unsigned char* si, void* context) {
    // siginfo_t: si_signo, si_errno, si_code, then (kill, tkill) si_pid or (a fault) si_addr
    SigInfo info{};
    info.signo = sig;
    memcpy(&info.code, si + 8, 4);
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == 8 /* SIGFPE */) memcpy(&info.address, si + 16, 8);
    else memcpy(&info.pid, si + 16, 4);
    if (SigHandler h = g_handlers[sig]) h(sig, &info, context);
}
} // namespace

int sigaction(int sig, const SigAction* act, SigAction* old) {
    if (act && (act->flags & ~(SA_SIGINFO | SA_RESTART | SA_NODEFER | SA_RESETHAND))) return -kEINVAL;
    KernelSigaction fresh{}, was{};
    if (act) {
        fresh.handler = act->handler == sig_ignore                  ? kSigIgn
                        : !act->handler || act->handler == sig_default ? kSigDfl
                                                                       : reinterpret_cast<void*>(signal_entry);
        fresh.flags = act->flags | SA_SIGINFO | kSaRestorer, fresh.restorer = linux_sigreturn, fresh.mask = act->mask;
    }
    SigHandler before = sig >= 1 && sig <= 64 ? g_handlers[sig] : nullptr;
    if (act && sig >= 1 && sig <= 64 && fresh.handler == reinterpret_cast<void*>(signal_entry)) g_handlers[sig] = act->handler;
    long r = sc(SYS_rt_sigaction, sig, act ? L(&fresh) : 0, L(&was), 8);
    if (r < 0) {
        if (sig >= 1 && sig <= 64) g_handlers[sig] = before;
        return static_cast<int>(r);
    }
    if (old) {
        old->handler = was.handler == kSigIgn ? sig_ignore : was.handler == kSigDfl ? sig_default : before;
        old->flags = static_cast<unsigned>(was.flags & ~(SA_SIGINFO | kSaRestorer)), old->mask = was.mask;
    }
    return 0;
}

int sigprocmask(int how, const unsigned long* set, unsigned long* old) {
    return static_cast<int>(sc(SYS_rt_sigprocmask, how, L(set), L(old), 8));
}

unsigned long sigpending() {
    unsigned long set = 0;
    sc(SYS_rt_sigpending, L(&set), 8);
    return set;
}

int waitpid(int pid, int* status, int options) {
    // The API's options (Linux also takes its own __W* flags).
    if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED)) != 0) return -kEINVAL;
    // __WALL: a child made by clone without SIGCHLD is still a child to wait for.
    if (status != nullptr && check_int_writable(status) < 0) {
        // -EFAULT only when a child's status would be stored: look without reaping.
        constexpr int kPAll = 0, kPPid = 1, kPPgid = 2, kWExited = 4, kWNoWait = 0x01000000;
        unsigned char info[128] = {};
        // (P_PGID 0: the caller's own group)
        long r = sc(SYS_waitid, pid == -1 ? kPAll : pid > 0 ? kPPid : kPPgid, pid == -1 ? 0 : pid > 0 ? pid : -pid, L(info),
                    kWExited | kWNoWait | kWall | (options & WNOHANG), 0);
        if (r < 0) return static_cast<int>(r);
        int found;
        memcpy(&found, info + 16, sizeof found); // siginfo_t's si_pid; 0 when none has ended
        return found != 0 ? -kEFAULT : 0;
    }
    return static_cast<int>(sc(SYS_wait4, pid, L(status), options | kWall, 0));
}

long mmap(void* addr, std::size_t length, int prot, int flags, int fd, long offset) {
    return sc(SYS_mmap, L(addr), L(length), prot, flags, fd, offset);
}
int munmap(void* addr, std::size_t length) { return static_cast<int>(sc(SYS_munmap, L(addr), L(length))); }
int mprotect(void* addr, std::size_t length, int prot) {
    return static_cast<int>(sc(SYS_mprotect, L(addr), L(length), prot));
}
int madvise(void* addr, std::size_t length, int advice) {
    return static_cast<int>(sc(SYS_madvise, L(addr), L(length), advice));
}
long brk(void* addr) { return sc(SYS_brk, L(addr)); }

int spawn(const char* path, const char* const argv[]) {
    if (path == nullptr) return -kEFAULT;
    for (int i = 0; argv != nullptr && argv[i] != nullptr; ++i) // the API's limits (proc.hpp)
        if (i == kSpawnMaxArgs || strlen(argv[i]) > static_cast<std::size_t>(kSpawnMaxArgLen)) return -kE2BIG;
    char exe[PATH_MAX];
    long n = sc(SYS_readlink, L("/proc/self/exe"), L(exe), PATH_MAX - 1);
    if (n < 0) return static_cast<int>(n);
    while (n > 0 && exe[n - 1] != '/') --n;
    const char* base = strrchr(path, '/');
    base = base != nullptr ? base + 1 : path;
    std::size_t bn = strlen(base);
    if (bn == 0) return -kENOENT;
    if (static_cast<std::size_t>(n) + bn + 1 > PATH_MAX) return -kENAMETOOLONG;
    memcpy(exe + n, base, bn + 1);
    if (long r = sc(SYS_access, L(exe), 1 /* X_OK */); r < 0) {
        // Not one of the programs: a file that exists in the root is not a program for
        // this machine (procserv's answer to a file that is not an ELF executable).
        char file[PATH_MAX];
        if (host_path(path, file) == 0 && sc(SYS_access, L(file), 0 /* F_OK */) == 0) {
            struct stat st {};
            return sc(SYS_stat, L(file), L(&st)) == 0 && S_ISDIR(st.st_mode) ? -kEACCES : -kENOEXEC;
        }
        return static_cast<int>(r);
    }
    const char* fallback[] = {path, nullptr};
    const char* const* args = argv != nullptr ? argv : fallback;
    long pid = sc(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        sc(SYS_execve, L(exe), L(args), L(environ));
        exit_group(127);
    }
    return static_cast<int>(pid);
}

int futex_wait(int* addr, int val) {
    return static_cast<int>(sc(SYS_futex, L(addr), FUTEX_WAIT, val, 0, 0, 0));
}

int futex_wake(int* addr, int n) {
    return static_cast<int>(sc(SYS_futex, L(addr), FUTEX_WAKE, n, 0, 0, 0));
}

long write_console(const char* s, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
        long r = sc(SYS_write, 1, L(s + done), L(n - done));
        if (r < 0) return done > 0 ? static_cast<long>(done) : r;
        done += static_cast<std::size_t>(r);
    }
    return static_cast<long>(done);
}

} // namespace sys
