// The in-guest fuzzer's Linux mode (issue 15; scripts/fuzz ARCH --linux): random Linux
// system calls from several processes, made by an unmodified static glibc program that
// procserv runs as its first process (its Linux front end answers them):
//   fuzz seed=S [calls=N] [procs=P] [epoch=E]
//
// Every epoch the parent forks P children; each makes E / P system calls, chosen from the
// ones procserv answers (and numbers no Linux has), through glibc's raw syscall() so that
// glibc checks nothing: files in /tmp (created, written, truncated, renamed, unlinked,
// directories made and removed), the initrd's files, non-blocking pipes, descriptors
// duplicated and closed, mmap/munmap/mprotect/madvise/mremap/msync in a window of its own,
// brk, fork (children that make a few calls and end), wait4 and waitid, signals (kill,
// tgkill, rt_sigaction, rt_sigprocmask, sigaltstack), futexes, clocks and sleeps of a
// microsecond, poll and select with no wait, identities, limits and affinity. Arguments
// are mostly valid (its own descriptors, buffers, mappings and children) and sometimes
// wrong (null, unaligned and kernel pointers, huge lengths, unknown flags, descriptors
// and pids that do not exist).
//
// Excluded, and why: calls that would end the fuzzing process or wait forever (exit,
// execve of a real program, a read of the console or of a pipe with a writer, a futex wait
// on a matching value, pause, a blocking wait4 for a child that lives on, a signal whose
// default action ends it) are made only where they cannot. After every epoch the parent
// removes what the children left in /tmp; procserv's last line when the fuzzer ends must
// say that every KiB came back (tests/boot). Not run on the Linux host: its numbers no Linux
// has are safe only here.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef unsigned long u64;

// ---- options and the counts every process adds to (a shared mapping) -----------------
static u64 g_seed = 1, g_calls = 20000, g_procs = 3, g_epoch = 2000;

enum Kind {
    kOpenat, kRead, kWrite, kPread, kPwrite, kReadv, kWritev, kClose, kDup, kDup3, kFcntl, kLseek, kFstat,
    kNewfstatat, kStatx, kGetdents, kFtruncate, kPipe2, kUnlinkat, kRenameat, kMkdirat, kChdir, kGetcwd,
    kUmask, kMmap, kMunmap, kMprotect, kMadvise, kMremap, kMsync, kBrk, kFork, kWait4, kWaitid, kKill,
    kTgkill, kSigaction, kSigprocmask, kSigpending, kSigaltstack, kFutex, kNanosleep, kClockGettime,
    kGettimeofday, kTimes, kGetrusage, kGetrandom, kSchedYield, kAffinity, kPrlimit, kIds, kUname, kPoll,
    kSelect, kIoctl, kExecveBad, kUnknown, kKinds
};
static const char *const kNames[kKinds] = {
    "openat", "read", "write", "pread64", "pwrite64", "readv", "writev", "close", "dup", "dup3", "fcntl",
    "lseek", "fstat", "newfstatat", "statx", "getdents64", "ftruncate", "pipe2", "unlinkat", "renameat",
    "mkdirat", "chdir", "getcwd", "umask", "mmap", "munmap", "mprotect", "madvise", "mremap", "msync", "brk",
    "fork", "wait4", "waitid", "kill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigpending",
    "sigaltstack", "futex", "nanosleep", "clock_gettime", "gettimeofday", "times", "getrusage", "getrandom",
    "sched_yield", "sched_*affinity", "prlimit64", "get*id", "uname", "poll", "select", "ioctl",
    "execve (failing)", "(no such call)"};
struct Counts {
    u64 calls[kKinds], ok[kKinds];
    u64 children_ok, children_signalled, by_signal[65];
};
static struct Counts *g_counts;

// ---- one process's state --------------------------------------------------------------
static u64 g_rng;
static u64 next(void) {
    u64 x = g_rng;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return g_rng = x;
}
static u64 below(u64 n) { return n ? next() % n : 0; }
static int chance(unsigned percent) { return below(100) < percent; }

enum { kWindowPages = 64, kMaxFds = 12, kMaxChildren = 8 };
static const long kPage = 4096;
static char *g_window;
static int g_fds[kMaxFds], g_nfds;       // its own descriptors (files, directories, pipes)
static int g_children[kMaxChildren], g_nchildren;
static int g_full = 1;                   // 0 in a fork's child: fewer kinds of calls
static void *g_brk0;

static const char *const kPaths[] = {"/tmp/fz0", "/tmp/fz1", "/tmp/fz2", "/tmp/fzd0", "/tmp/fzd0/x", "/tmp",
                                     "/README", "/hello.txt", "/etc/motd", "/", "/nonexistent", "", "relative",
                                     "/README/x", "/tmp/fz0/", "/dev/null", "/proc/self/maps"};
enum { kOurPaths = 5 }; // the first five: what the parent removes after each epoch

static u64 bad_address(void) {
    static const u64 bad[] = {0, 1, 0xffff800000001000ul, 0xfffffffffffff000ul, 0x0000800000000000ul,
                              0x8000000000000000ul, 7};
    return bad[below(sizeof bad / sizeof bad[0])];
}
static u64 any_word(void) {
    static const u64 w[] = {0, 1, 2, 3, 7, 64, 4096, ~0ul, 0xfffffffful, 0x80000000ul, 1ul << 40};
    return chance(90) ? w[below(sizeof w / sizeof w[0])] : next();
}
/// Its own memory mostly, else a bad address.
static u64 mem(const void *p) { return chance(85) ? (u64)p : bad_address(); }
static u64 path_arg(void) { return chance(92) ? (u64)kPaths[below(sizeof kPaths / sizeof kPaths[0])] : bad_address(); }
// One of its own descriptors, or one that is not open (never the console's 0, 1, 2).
static long fd_arg(void) {
    if (g_nfds && chance(80)) return g_fds[below(g_nfds)];
    static const long fds[] = {-1, 99, 1000, 1 << 20, -100};
    return fds[below(sizeof fds / sizeof fds[0])];
}
static void add_fd(long fd) {
    if (fd < 3) return;
    if (g_nfds < kMaxFds) g_fds[g_nfds++] = (int)fd;
    else close((int)fd); // (a raw close: not counted)
}
static void forget_fd(long fd) {
    for (int i = 0; i < g_nfds; ++i)
        if (g_fds[i] == fd) g_fds[i] = g_fds[--g_nfds];
}
static void window_range(u64 *a, u64 *len) {
    u64 first = below(kWindowPages), n = 1 + below(kWindowPages - first);
    *a = (u64)g_window + first * kPage, *len = n * kPage;
    if (chance(10)) *len -= below(kPage);
    if (chance(4)) *a += 1 + below(kPage - 1);          // unaligned
    if (chance(3)) *len = chance(50) ? 0 : ~0ul - below(kPage);
}
// Remove `path` and whatever a rename may have put under it.
static void remove_tree(const char *path) {
    if (unlink(path) == 0 || errno == ENOENT) return;
    DIR *d = opendir(path);
    if (d) {
        char sub[512];
        for (struct dirent *e; (e = readdir(d));)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name), remove_tree(sub);
        closedir(d);
    }
    rmdir(path);
}
static void remove_ours(void) {
    for (int i = kOurPaths - 1; i >= 0; --i) remove_tree(kPaths[i]);
}

static int pid_arg(void) {
    if (g_nchildren && chance(50)) return g_children[below(g_nchildren)];
    static const int pids[] = {-1, 0, 1, 1000000, -1000000, 0x7fffffff};
    return chance(20) ? getpid() : pids[below(sizeof pids / sizeof pids[0])];
}
// A signal every fuzzing process ignores (SIGUSR1) or counts (SIGUSR2), SIGCHLD, none, or
// one that does not exist.
static int signal_arg(void) {
    static const int sigs[] = {0, SIGUSR1, SIGUSR2, SIGCHLD, 65, -1};
    return sigs[below(sizeof sigs / sizeof sigs[0])];
}
// An iovec count for iov[3]: 1 to 3, none, or more than IOV_MAX (never a count that
// would make the kernel read past the array: Linux would use what lies beyond it too).
static u64 iov_count(void) { return chance(90) ? 1 + below(3) : chance(50) ? 0 : 1025 + below(8); }

static volatile long g_caught;
static void on_usr2(int sig) { (void)sig, ++g_caught; }

static void tally(enum Kind k, int ok) {
    __atomic_fetch_add(&g_counts->calls[k], 1, __ATOMIC_RELAXED);
    if (ok) __atomic_fetch_add(&g_counts->ok[k], 1, __ATOMIC_RELAXED);
}
static long call(enum Kind k, long nr, u64 a, u64 b, u64 c, u64 d, u64 e, u64 f) {
    long r = syscall(nr, a, b, c, d, e, f);
    tally(k, r >= 0);
    return r;
}

static void grandchild(void);

// ---- one random system call ------------------------------------------------------------
static void one(void) {
    char buf[512], small[64];
    struct iovec iov[3] = {{buf, 100}, {small, sizeof small}, {buf + 200, 200}};
    memset(buf, 'f', sizeof buf);
    enum Kind k = (enum Kind)below(kKinds);
    long r;
    u64 a, len;
    switch (k) {
    case kOpenat: {
        u64 flags = chance(80) ? below(3) | (chance(40) ? O_CREAT : 0) | (chance(20) ? O_TRUNC : 0) |
                                     (chance(10) ? O_APPEND : 0) | (chance(10) ? O_EXCL : 0) |
                                     (chance(10) ? O_DIRECTORY : 0) | (chance(20) ? O_NONBLOCK : 0)
                               : any_word();
        u64 path = path_arg();
        // O_CREAT and O_TMPFILE only in /tmp's names of its own: the parent removes them.
        int ours = 0;
        for (int i = 0; i < kOurPaths; ++i) ours |= path == (u64)kPaths[i];
        if (!ours) flags &= ~(u64)(O_CREAT | O_TMPFILE);
        r = call(k, SYS_openat, AT_FDCWD, path, flags, chance(90) ? 0644 : any_word(), 0, 0);
        if (r >= 0) add_fd(r);
        return;
    }
    case kRead: case kWrite: case kPread: case kPwrite: case kReadv: case kWritev: {
        // (its own descriptors: files and non-blocking pipes)
        static const long nrs[3][2] = {{SYS_read, SYS_write}, {SYS_pread64, SYS_pwrite64}, {SYS_readv, SYS_writev}};
        const long fd = fd_arg(), form = (k - kRead) / 2, w = (k - kRead) % 2;
        const u64 p = mem(buf), n = below(sizeof buf + 1);
        const u64 offset = chance(80) ? below(w ? 65536 : 8192) : any_word();
        if (form == 2) call(k, nrs[form][w], fd, mem(iov), iov_count(), 0, 0, 0);
        else call(k, nrs[form][w], fd, p, n, form ? offset : 0, 0, 0);
        return;
    }
    case kClose: {
        long fd = fd_arg();
        if (call(k, SYS_close, fd, 0, 0, 0, 0, 0) == 0) forget_fd(fd);
        return;
    }
    case kDup: add_fd(call(k, SYS_dup, fd_arg(), 0, 0, 0, 0, 0)); return;
    case kDup3: { // onto 100..109 (or a wild number): never over 0, 1, 2 or its own list
        long to = chance(90) ? 100 + (long)below(10) : (long)any_word();
        forget_fd(to);
        add_fd(call(k, SYS_dup3, fd_arg(), to, chance(80) ? (chance(50) ? O_CLOEXEC : 0) : any_word(), 0, 0, 0));
        return;
    }
    case kFcntl: {
        static const int cmds[] = {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC, 1234};
        int cmd = cmds[below(sizeof cmds / sizeof cmds[0])];
        u64 arg = cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? 100 + below(20) : chance(50) ? O_NONBLOCK : any_word();
        if (cmd == F_SETFL) arg |= O_NONBLOCK; // (a pipe that blocked could wait for good)
        r = call(k, SYS_fcntl, fd_arg(), cmd, arg, 0, 0, 0);
        if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) add_fd(r);
        return;
    }
    case kLseek:
        call(k, SYS_lseek, fd_arg(), chance(80) ? below(10000) : any_word(), chance(90) ? below(3) : any_word(), 0, 0,
             0);
        return;
    case kFstat: call(k, SYS_fstat, fd_arg(), mem(buf), 0, 0, 0, 0); return;
    case kNewfstatat:
        call(k, SYS_newfstatat, chance(80) ? (u64)AT_FDCWD : (u64)fd_arg(), path_arg(),
             mem(buf), chance(80) ? 0 : any_word(), 0, 0);
        return;
    case kStatx:
        call(k, SYS_statx, AT_FDCWD, path_arg(), chance(80) ? 0 : any_word(), chance(80) ? 0x7ff : any_word(),
             mem(buf), 0);
        return;
    case kGetdents:
        call(k, SYS_getdents64, fd_arg(), mem(buf), below(sizeof buf + 1), 0, 0, 0);
        return;
    case kFtruncate: call(k, SYS_ftruncate, fd_arg(), chance(90) ? below(70000) : any_word(), 0, 0, 0, 0); return;
    case kPipe2: {
        int p[2];
        if (g_nfds + 2 > kMaxFds) return;
        if (call(k, SYS_pipe2, chance(90) ? (u64)p : bad_address(), O_NONBLOCK | (chance(50) ? O_CLOEXEC : 0), 0, 0, 0,
                 0) == 0)
            add_fd(p[0]), add_fd(p[1]);
        return;
    }
    case kUnlinkat:
        call(k, SYS_unlinkat, AT_FDCWD, path_arg(), chance(70) ? 0 : chance(70) ? AT_REMOVEDIR : any_word(), 0, 0, 0);
        return;
#ifdef SYS_renameat
    case kRenameat: call(k, SYS_renameat, AT_FDCWD, path_arg(), AT_FDCWD, path_arg(), 0, 0); return;
#else // (riscv64 has renameat2 only)
    case kRenameat:
        call(k, SYS_renameat2, AT_FDCWD, path_arg(), AT_FDCWD, path_arg(), chance(90) ? 0 : any_word(), 0);
        return;
#endif
    case kMkdirat: call(k, SYS_mkdirat, AT_FDCWD, path_arg(), chance(90) ? 0755 : any_word(), 0, 0, 0); return;
    case kChdir: call(k, SYS_chdir, chance(80) ? (u64)(chance(50) ? "/tmp" : "/") : path_arg(), 0, 0, 0, 0, 0); return;
    case kGetcwd:
        call(k, SYS_getcwd, mem(buf), chance(80) ? below(sizeof buf) : any_word(), 0, 0, 0,
             0);
        return;
    case kUmask: call(k, SYS_umask, chance(50) ? 022 : any_word(), 0, 0, 0, 0, 0); return;
    case kMmap: {
        u64 prot = chance(90) ? below(8) : any_word();
        u64 flags = (chance(85) ? MAP_PRIVATE : chance(70) ? MAP_SHARED : below(4)) | (chance(75) ? MAP_ANONYMOUS : 0);
        long fd = (flags & MAP_ANONYMOUS) && chance(90) ? -1 : fd_arg();
        a = 0, len = (1 + below(16)) * kPage;
        if (g_full && chance(60))
            window_range(&a, &len), flags |= chance(70) ? MAP_FIXED : chance(50) ? MAP_FIXED_NOREPLACE : 0;
        else if (chance(10)) a = bad_address(); // (a hint only)
        if (chance(3)) flags |= 1ul << (8 + below(24));
        if (!g_full || (a < (u64)g_window || a >= (u64)g_window + kWindowPages * kPage))
            flags &= ~(u64)(MAP_FIXED | MAP_FIXED_NOREPLACE);
        r = call(k, SYS_mmap, a, len, prot, flags, fd, chance(90) ? 0 : chance(50) ? kPage * below(4) : any_word());
        if (r != -1 && (prot & 3) == 3 && prot < 8 && fd == -1 && (flags & MAP_ANONYMOUS) && len && len < (1ul << 30))
            ((volatile char *)r)[below(len)] = 1; // touch: a page fault, copy-on-write after a fork
        if (r != -1 && ((u64)r < (u64)g_window || (u64)r >= (u64)g_window + kWindowPages * kPage))
            syscall(SYS_munmap, r, len); // outside the window: it goes at once
        return;
    }
    case kMunmap: case kMprotect: case kMadvise: case kMsync: {
        if (!g_full) return;
        window_range(&a, &len);
        if (k == kMunmap) call(k, SYS_munmap, a, len, 0, 0, 0, 0);
        else if (k == kMprotect) call(k, SYS_mprotect, a, len, chance(90) ? below(8) : any_word(), 0, 0, 0);
        else if (k == kMadvise) call(k, SYS_madvise, a, len, chance(90) ? below(5) : any_word(), 0, 0, 0);
        else call(k, SYS_msync, a, len, chance(90) ? (below(2) ? MS_SYNC : MS_ASYNC) : any_word(), 0, 0, 0);
        return;
    }
    case kMremap: {
        if (!g_full) return;
        window_range(&a, &len);
        u64 new_len = chance(80) ? (1 + below(8)) * kPage : any_word();
        u64 flags = chance(70) ? 0 : chance(50) ? MREMAP_MAYMOVE : any_word() & 7;
        r = call(k, SYS_mremap, a, len, new_len, flags, 0, 0);
        if (r != -1 && ((u64)r < (u64)g_window || (u64)r + new_len > (u64)g_window + kWindowPages * kPage))
            syscall(SYS_munmap, r, new_len); // moved out of the window: it goes
        return;
    }
    case kBrk:
        call(k, SYS_brk, chance(70) ? (u64)g_brk0 + below(64) * kPage : chance(50) ? 0 : bad_address(), 0, 0, 0, 0, 0);
        return;
    case kFork: {
        if (!g_full || g_nchildren >= kMaxChildren) return;
        u64 seed = next();
        r = call(k, SYS_clone, SIGCHLD | (chance(10) ? CLONE_FILES : 0), 0, 0, 0, 0, 0);
        if (r == 0) g_rng = seed | 1, grandchild();
        if (r > 0) g_children[g_nchildren++] = (int)r;
        return;
    }
    case kWait4: case kWaitid: {
        // Blocks only for one of its own children (which all end), else WNOHANG.
        int pid = pid_arg(), mine = g_full && (pid == -1 || (pid > 0 && pid != getpid() && g_nchildren));
        u64 options = (mine && chance(50) ? 0 : WNOHANG) | (chance(10) ? below(16) : 0);
        if (k == kWait4) {
            r = call(k, SYS_wait4, pid, chance(10) ? 0 : mem(buf), options, chance(80) ? 0 : (u64)buf, 0, 0);
        } else {
            u64 idtype = chance(80) ? (pid == -1 ? P_ALL : P_PID) : any_word();
            u64 info = mem(buf);
            memset(buf, 0, 32);
            r = call(k, SYS_waitid, idtype, pid < 0 ? 0 : pid, info, options | WEXITED, 0, 0);
            if (r == 0 && info == (u64)buf) r = *(int *)(buf + 16); // si_pid (0: none yet)
        }
        for (int i = 0; r > 0 && i < g_nchildren; ++i)
            if (g_children[i] == r) g_children[i] = g_children[--g_nchildren];
        if (r == -1 && errno == ECHILD && pid == -1) g_nchildren = 0;
        return;
    }
    case kKill: call(k, SYS_kill, pid_arg(), signal_arg(), 0, 0, 0, 0); return;
    case kTgkill:
        call(k, SYS_tgkill, chance(80) ? getpid() : pid_arg(), chance(80) ? gettid() : pid_arg(), signal_arg(), 0, 0,
             0);
        return;
    case kSigaction: { // SIGUSR2 counted or ignored; others only where nothing sends them
        static const int sigs[] = {SIGUSR2, SIGUSR2, SIGPWR, SIGURG, SIGKILL, 0, 65, SIGSTOP};
        int sig = sigs[below(sizeof sigs / sizeof sigs[0])];
        struct sigaction act;
        memset(&act, 0, sizeof act);
        act.sa_handler = chance(50) ? on_usr2 : SIG_IGN;
        act.sa_flags = chance(50) ? SA_RESTART : 0;
        r = chance(90) ? sigaction(sig, &act, chance(50) ? NULL : (struct sigaction *)buf) : sigaction(sig, NULL, NULL);
        tally(k, r == 0);
        return;
    }
    case kSigprocmask: {
        u64 set = next() & ~(1ul << (SIGKILL - 1));
        call(k, SYS_rt_sigprocmask, chance(90) ? below(3) : any_word(), chance(10) ? 0 : mem(&set),
             chance(50) ? (u64)buf : 0, chance(90) ? 8 : any_word(), 0, 0);
        return;
    }
    case kSigpending:
        call(k, SYS_rt_sigpending, mem(buf), chance(90) ? 8 : any_word(), 0, 0, 0, 0);
        return;
    case kSigaltstack: { // (a query, or disabling it: never a stack at a wild place)
        stack_t ss = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0};
        call(k, SYS_sigaltstack, chance(50) ? (u64)&ss : 0, mem(buf), 0, 0, 0, 0);
        return;
    }
    case kFutex: { // a wait never on a matching value, or with a timeout of a microsecond
        int *word = (int *)(buf + 64);
        *word = (int)next();
        struct timespec ts = {0, 1000};
        u64 op = chance(60) ? 0 /* FUTEX_WAIT */ : chance(80) ? 1 /* FUTEX_WAKE */ : below(16) | (chance(50) ? 128 : 0);
        u64 val = op == 0 && chance(50) ? (u64)(unsigned)*word : (u64)(unsigned)(*word + 1);
        u64 timeout = op == 0 && val == (u64)(unsigned)*word ? (u64)&ts : chance(50) ? (u64)&ts : 0;
        if (op != 0 && op != 1) val = 1, timeout = (u64)&ts; // (the others: quick or refused)
        call(k, SYS_futex, chance(90) ? mem(word) : (u64)word + 1, op, val, timeout, 0, 0);
        return;
    }
    case kNanosleep: {
        struct timespec ts = {0, (long)below(2000)};
        if (chance(10)) ts.tv_nsec = 1000000000 + 5; // EINVAL
        call(k, SYS_nanosleep, chance(90) ? (u64)&ts : bad_address(), chance(50) ? (u64)buf : 0, 0, 0, 0, 0);
        return;
    }
    case kClockGettime:
        call(k, chance(50) ? SYS_clock_gettime : SYS_clock_getres, chance(90) ? below(8) : any_word(),
             mem(buf), 0, 0, 0, 0);
        return;
    case kGettimeofday: call(k, SYS_gettimeofday, mem(buf), 0, 0, 0, 0, 0); return;
    case kTimes: call(k, SYS_times, mem(buf), 0, 0, 0, 0, 0); return;
    case kGetrusage:
        call(k, SYS_getrusage, chance(90) ? below(3) - 1 : any_word(), mem(buf), 0, 0, 0,
             0);
        return;
    case kGetrandom:
        call(k, SYS_getrandom, mem(buf), below(sizeof buf + 1),
             chance(90) ? below(4) : any_word(), 0, 0, 0);
        return;
    case kSchedYield: call(k, SYS_sched_yield, 0, 0, 0, 0, 0, 0); return;
    case kAffinity: {
        u64 mask = chance(80) ? 1 + below(15) : any_word();
        if (chance(50))
            call(k, SYS_sched_getaffinity, chance(80) ? 0 : pid_arg(), chance(90) ? 8 : any_word(),
                 mem(buf), 0, 0, 0);
        else
            call(k, SYS_sched_setaffinity, chance(80) ? 0 : pid_arg(), chance(90) ? 8 : any_word(),
                 mem(&mask), 0, 0, 0);
        return;
    }
    case kPrlimit: // reads only (a new limit could starve the process)
        call(k, SYS_prlimit64, chance(80) ? 0 : pid_arg(), chance(90) ? below(16) : any_word(), 0,
             mem(buf), 0, 0);
        return;
    case kIds: {
        static const long nrs[] = {SYS_getpid, SYS_getppid, SYS_gettid,  SYS_getuid, SYS_geteuid,
                                   SYS_getgid, SYS_getegid, SYS_getpgid, SYS_getsid};
        call(k, nrs[below(sizeof nrs / sizeof nrs[0])], chance(80) ? 0 : pid_arg(), 0, 0, 0, 0, 0);
        return;
    }
    case kUname: call(k, SYS_uname, mem(buf), 0, 0, 0, 0, 0); return;
    case kPoll: { // no wait: a timeout of 0; 1 or 2 entries, or more than RLIMIT_NOFILE
        struct pollfd p[2] = {{(int)fd_arg(), POLLIN | POLLOUT, 0}, {(int)fd_arg(), (short)next(), 0}};
        struct timespec zero = {0, 0};
        call(k, SYS_ppoll, mem(p), chance(90) ? 1 + below(2) : 1ul << 20, (u64)&zero, 0, 8,
             0);
        return;
    }
    case kSelect: {
        fd_set rd;
        FD_ZERO(&rd);
        for (int i = 0; i < g_nfds; ++i) if (chance(50)) FD_SET(g_fds[i], &rd);
        struct timespec zero = {0, 0};
        call(k, SYS_pselect6, chance(90) ? 64 : any_word(), mem(&rd), 0, 0, (u64)&zero, 0);
        return;
    }
    case kIoctl: { // terminal requests on its own descriptors (not the console)
        static const u64 reqs[] = {0x5401 /* TCGETS */, 0x541b /* FIONREAD */, 0x5413 /* TIOCGWINSZ */, 0x540f,
                                   0xdeadbeef};
        call(k, SYS_ioctl, fd_arg(), reqs[below(sizeof reqs / sizeof reqs[0])], mem(buf),
             0, 0, 0);
        return;
    }
    case kExecveBad: { // only calls that fail: a file that is not a program, a bad pointer
        static const char *const paths[] = {"/README", "/nonexistent", "/tmp", ""};
        char *const argv[] = {"x", NULL};
        call(k, SYS_execve, chance(85) ? (u64)paths[below(4)] : bad_address(), chance(80) ? (u64)argv : bad_address(),
             0, 0, 0, 0);
        return;
    }
    case kUnknown:
        call(k, chance(50) ? 1000 + (long)below(1000) : (long)(0x40000000ul + 1000 + below(100)), any_word(),
             any_word(), any_word(), 0, 0, 0);
        return;
    case kKinds: return;
    }
}

// A fork's child: a few calls, then it ends.
static void grandchild(void) {
    g_full = 0, g_nchildren = 0;
    for (u64 n = below(12); n; --n) one();
    _exit((int)below(256));
}

static void child(u64 seed, u64 calls) {
    g_rng = seed | 1;
    g_nfds = 0, g_nchildren = 0;
    g_window = mmap(NULL, kWindowPages * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_brk0 = sbrk(0);
    for (u64 i = 0; i < calls; ++i) one();
    if (chance(50)) // or its children end as orphans
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
    _exit(0);
}

static u64 option(const char *arg, const char *name, u64 value) {
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && arg[n] == '=' ? strtoul(arg + n + 1, NULL, 10) : value;
}

static u64 mix(u64 seed, u64 n) { // splitmix64's finalizer: a seed of its own for each child
    u64 z = seed * 0x9e3779b97f4a7c15ul + n * 0xbf58476d1ce4e5b9ul;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul, z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
    return z ^ (z >> 31);
}

int main(int argc, char **argv) {
    if (argc < 2 || strncmp(argv[1], "seed=", 5) != 0) {
        fprintf(stderr, "usage: %s seed=S [calls=N] [procs=P] [epoch=E]\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; ++i) {
        g_seed = option(argv[i], "seed", g_seed), g_calls = option(argv[i], "calls", g_calls);
        g_procs = option(argv[i], "procs", g_procs), g_epoch = option(argv[i], "epoch", g_epoch);
    }
    if (g_procs < 1) g_procs = 1;
    if (g_epoch < g_procs) g_epoch = g_procs;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("linuxfuzz: seed %lu, %lu calls, %lu processes, epoch %lu\n", g_seed, g_calls, g_procs, g_epoch);
    g_counts = mmap(NULL, sizeof *g_counts, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_counts == MAP_FAILED) return 1;
    struct sigaction ignore = {.sa_handler = SIG_IGN}, count = {.sa_handler = on_usr2, .sa_flags = SA_RESTART};
    sigaction(SIGUSR1, &ignore, NULL);
    sigaction(SIGPIPE, &ignore, NULL); // (a write to a pipe with no reader: EPIPE, not death)
    sigaction(SIGUSR2, &count, NULL);
    const u64 epochs = (g_calls + g_epoch - 1) / g_epoch;
    for (u64 e = 0; e < epochs; ++e) {
        for (u64 p = 0; p < g_procs; ++p) {
            pid_t pid = fork();
            if (pid == 0) child(mix(g_seed, e * 1000 + p), g_epoch / g_procs);
            if (pid < 0) printf("linuxfuzz: FAILED: fork: %s\n", strerror(errno));
        }
        int status;
        for (pid_t got; (got = waitpid(-1, &status, 0)) != -1 || errno == EINTR;)
            if (got > 0 && WIFEXITED(status)) ++g_counts->children_ok;
            else if (got > 0) ++g_counts->children_signalled, ++g_counts->by_signal[WTERMSIG(status) & 63];
        // What the children left in /tmp goes (orphans may still run: they leave theirs too,
        // removed at the next epoch or at the end).
        remove_ours();
        if (epochs >= 10 && (e + 1) % (epochs / 10) == 0) printf("linuxfuzz: %lu epochs\n", e + 1);
    }
    // Orphans end by themselves (a few calls each); give them time, then clean up once more.
    for (int i = 0; i < 200; ++i) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    remove_ours();
    u64 total = 0;
    for (int k = 0; k < kKinds; ++k) total += g_counts->calls[k];
    printf("linuxfuzz: %lu calls; children: %lu exited, %lu killed by a signal\n", total, g_counts->children_ok,
           g_counts->children_signalled);
    for (int sig = 1; sig < 65; ++sig)
        if (g_counts->by_signal[sig])
            printf("linuxfuzz:   killed by %s: %lu\n", strsignal(sig), g_counts->by_signal[sig]);
    for (int k = 0; k < kKinds; ++k)
        printf("linuxfuzz:   %s: %lu calls, %lu succeeded\n", kNames[k], g_counts->calls[k], g_counts->ok[k]);
    printf("linuxfuzz: done\n");
    return 0;
}
