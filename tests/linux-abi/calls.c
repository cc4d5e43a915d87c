// getrandom, statx and sigaltstack as a static glibc program uses them; the same lines
// are expected on Linux and on procserv's Linux front end (tests/boot/boot_test.cpp).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <ucontext.h>
#include <unistd.h>

static long sys_getrandom(void* buf, size_t len, unsigned flags) { return syscall(SYS_getrandom, buf, len, flags); }
static long sys_statx(int dirfd, const char* path, int flags, unsigned mask, struct statx* out) {
    return syscall(SYS_statx, dirfd, path, flags, mask, out);
}

static void randomness(void) {
    unsigned char a[64], b[64];
    long n1 = sys_getrandom(a, sizeof a, 0), n2 = sys_getrandom(b, sizeof b, 1 /* GRND_NONBLOCK */);
    int nonzero = 0;
    for (int i = 0; i < 64; ++i) nonzero |= a[i];
    int differ = memcmp(a, b, sizeof a) != 0;
    printf("getrandom: %ld and %ld bytes, not all zero %d, the two differ %d\n", n1, n2, nonzero != 0, differ);
    long e1 = sys_getrandom(a, 16, 0x8);
    int err1 = errno;
    long e2 = sys_getrandom(a, 16, 2 | 4); // GRND_RANDOM | GRND_INSECURE
    int err2 = errno;
    long e3 = sys_getrandom((void*)8, 16, 0);
    int err3 = errno;
    long zero = sys_getrandom(a, 0, 0);
    static unsigned char big[100000];
    long many = sys_getrandom(big, sizeof big, 0);
    printf("getrandom errors: unknown flag %ld (EINVAL %d), RANDOM|INSECURE %ld (EINVAL %d), bad buffer %ld (EFAULT %d); "
           "0 bytes: %ld; 100000 bytes: %ld\n",
           e1, err1 == EINVAL, e2, err2 == EINVAL, e3, err3 == EFAULT, zero, many);
}

static void file_status(void) {
    umask(022);
    const char* path = "/tmp/calls-statx";
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0640);
    long wrote = write(fd, "hello", 5);
    struct stat st;
    struct statx sx;
    memset(&sx, 0xff, sizeof sx);
    fstat(fd, &st);
    long r = sys_statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx);
    int basic = (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS;
    int same = sx.stx_ino == st.st_ino && makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev &&
               sx.stx_mtime.tv_sec == st.st_mtim.tv_sec && sx.stx_mtime.tv_nsec == st.st_mtim.tv_nsec;
    printf("statx: %ld (wrote %ld), the basic stats %d, regular %d, mode %o, size %llu, links %u, "
           "inode, device and mtime as fstat's %d\n",
           r, wrote, basic, S_ISREG(sx.stx_mode), sx.stx_mode & 07777, (unsigned long long)sx.stx_size,
           sx.stx_nlink, same);
    long e = sys_statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx);
    printf("statx of the descriptor (AT_EMPTY_PATH): %ld, size %llu\n", e, (unsigned long long)sx.stx_size);
    long d = sys_statx(AT_FDCWD, "/tmp", 0, STATX_BASIC_STATS, &sx);
    printf("statx of /tmp: %ld, a directory %d\n", d, S_ISDIR(sx.stx_mode));
    long m = sys_statx(AT_FDCWD, "/tmp/calls-missing", 0, STATX_BASIC_STATS, &sx);
    int errm = errno;
    long f = sys_statx(AT_FDCWD, path, 0x4, STATX_BASIC_STATS, &sx);
    int errf = errno;
    long k = sys_statx(AT_FDCWD, path, 0, 0x80000000u, &sx);
    int errk = errno;
    long b = sys_statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, (struct statx*)8);
    int errb = errno;
    printf("statx errors: missing %ld (ENOENT %d), unknown flag %ld (EINVAL %d), reserved mask %ld (EINVAL %d), "
           "bad buffer %ld (EFAULT %d)\n",
           m, errm == ENOENT, f, errf == EINVAL, k, errk == EINVAL, b, errb == EFAULT);
    close(fd);
    unlink(path);
}

// ---- sigaltstack ----
enum { kAltSize = 65536 };
static char* g_alt;
static int on_alt(const void* p) { return (const char*)p >= g_alt && (const char*)p < g_alt + kAltSize; }
static volatile int g_handler_on_alt = -1, g_reported_onstack = -1, g_change_refused = -1, g_uc_stack_right = -1;

static void on_stack_handler(int sig, siginfo_t* info, void* ucv) {
    (void)sig, (void)info;
    char here;
    ucontext_t* uc = ucv;
    stack_t cur, again = {.ss_sp = g_alt, .ss_size = kAltSize};
    g_handler_on_alt = on_alt(&here);
    g_reported_onstack = sigaltstack(NULL, &cur) == 0 && cur.ss_flags == SS_ONSTACK;
    g_change_refused = sigaltstack(&again, NULL) == -1 && errno == EPERM;
    g_uc_stack_right = uc->uc_stack.ss_sp == g_alt && uc->uc_stack.ss_size == kAltSize && uc->uc_stack.ss_flags == 0;
}

static volatile int g_plain_on_alt = -1;
static void plain_handler(int sig) {
    (void)sig;
    char here;
    g_plain_on_alt = on_alt(&here);
}

static volatile int g_disarmed = -1;
static void disarm_handler(int sig) {
    (void)sig;
    stack_t cur;
    g_disarmed = sigaltstack(NULL, &cur) == 0 && cur.ss_flags == SS_DISABLE;
}

// A thread with a small stack overflows it; its SIGSEGV handler runs on the alternate stack.
static sigjmp_buf g_jump;
static char* g_thread_alt;
static volatile int g_segv_on_alt = -1;
static void segv_handler(int sig) {
    (void)sig;
    char here;
    g_segv_on_alt = (char*)&here >= g_thread_alt && (char*)&here < g_thread_alt + kAltSize;
    siglongjmp(g_jump, 1);
}
__attribute__((noinline)) static int recurse(int n) {
    volatile char buf[512];
    buf[0] = (char)n;
    if (n > 100000000) return 0;
    return recurse(n + 1) + buf[0];
}
static void* overflow(void* arg) {
    (void)arg;
    g_thread_alt = malloc(kAltSize);
    stack_t ss = {.ss_sp = g_thread_alt, .ss_size = kAltSize};
    stack_t before;
    int had_none = sigaltstack(NULL, &before) == 0 && before.ss_flags == SS_DISABLE; // (a thread starts without)
    sigaltstack(&ss, NULL);
    if (sigsetjmp(g_jump, 1) == 0) recurse(0);
    return (void*)(intptr_t)(had_none ? 1 : 2);
}

static void alternate_stacks(void) {
    stack_t old;
    int r = sigaltstack(NULL, &old);
    printf("sigaltstack at the start: %d, disabled %d\n", r, old.ss_flags == SS_DISABLE);
    g_alt = malloc(kAltSize);
    stack_t small = {.ss_sp = g_alt, .ss_size = 1024}, bad = {.ss_sp = g_alt, .ss_size = kAltSize, .ss_flags = 0x10};
    long s1 = sigaltstack(&small, NULL);
    int errs = errno;
    long s2 = sigaltstack(&bad, NULL);
    int errb = errno;
    printf("sigaltstack errors: too small %ld (ENOMEM %d), unknown flag %ld (EINVAL %d)\n", s1, errs == ENOMEM, s2,
           errb == EINVAL);
    stack_t ss = {.ss_sp = g_alt, .ss_size = kAltSize};
    r = sigaltstack(&ss, NULL);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_stack_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, plain_handler);
    raise(SIGUSR1);
    raise(SIGUSR2);
    printf("set: %d; an SA_ONSTACK handler runs on it %d, sees SS_ONSTACK %d, cannot change it there (EPERM) %d, "
           "finds it in uc_stack %d; a handler without SA_ONSTACK runs on it %d\n",
           r, g_handler_on_alt, g_reported_onstack, g_change_refused, g_uc_stack_right, g_plain_on_alt);
    stack_t now;
    sigaltstack(NULL, &now);
    printf("after the handlers: flags %d, the same stack %d\n", now.ss_flags, now.ss_sp == g_alt && now.ss_size == kAltSize);
    // SS_AUTODISARM: a handler on the stack finds none set; its return sets it again.
    stack_t ad = {.ss_sp = g_alt, .ss_size = kAltSize, .ss_flags = (int)(1u << 31)}; // SS_AUTODISARM
    long a = sigaltstack(&ad, NULL);
    sa.sa_handler = disarm_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    sigaltstack(NULL, &now);
    printf("SS_AUTODISARM: %ld; disarmed in the handler %d; after it: flags %#x\n", a, g_disarmed, (unsigned)now.ss_flags);
    // Disabled again.
    stack_t off = {.ss_flags = SS_DISABLE};
    long o = sigaltstack(&off, NULL);
    sigaltstack(NULL, &now);
    printf("SS_DISABLE: %ld, flags %d\n", o, now.ss_flags);

    sa.sa_handler = segv_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    pthread_t th;
    void* result = NULL;
    pthread_create(&th, &attr, overflow, NULL);
    pthread_join(th, &result);
    printf("a thread's stack overflow: it started without an alternate stack %d, SIGSEGV handled on its own %d\n",
           result == (void*)1, g_segv_on_alt);
}

// ---- mremap ----
enum { P = 4096 };
static void fill(char* p, long pages, int base) {
    for (long i = 0; i < pages; ++i) p[i * P] = (char)(base + i), p[i * P + P - 1] = (char)(base + i);
}
static int holds(const char* p, long pages, int base) {
    for (long i = 0; i < pages; ++i)
        if (p[i * P] != (char)(base + i) || p[i * P + P - 1] != (char)(base + i)) return 0;
    return 1;
}
static int zeros(const char* p, long n) {
    for (long i = 0; i < n; ++i)
        if (p[i]) return 0;
    return 1;
}
static int is_free(void* p, long len) { // a MAP_FIXED_NOREPLACE mapping there works
    void* q = mmap(p, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (q == MAP_FAILED) return 0;
    munmap(q, len);
    return q == p;
}

static void remapping(void) {
    const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
    // Shrink in place.
    char* a = mmap(NULL, 4 * P, rw, anon, -1, 0);
    fill(a, 4, 1);
    char* s = mremap(a, 4 * P, 2 * P, 0);
    printf("mremap shrinks in place %d, keeps the bytes %d, frees the rest %d\n", s == a, holds(a, 2, 1), is_free(a + 2 * P, 2 * P));
    // Grow in place: the space above is free.
    char* g = mremap(a, 2 * P, 4 * P, 0);
    printf("mremap grows in place %d, keeps the bytes %d, zeros above %d\n", g == a, holds(a, 2, 1), zeros(a + 2 * P, 2 * P));
    // Grow where another mapping is in the way: ENOMEM, or a move with MREMAP_MAYMOVE.
    char* blocker = mmap(a + 4 * P, P, rw, anon | MAP_FIXED, -1, 0);
    fill(a, 4, 10);
    void* stuck = mremap(a, 4 * P, 16 * P, 0);
    int err = errno;
    char* moved = mremap(a, 4 * P, 16 * P, MREMAP_MAYMOVE);
    printf("blocked: %d (ENOMEM %d); with MREMAP_MAYMOVE it moves %d, keeps the bytes %d, zeros above %d, the old place "
           "free %d, the blocker kept %d\n",
           stuck == MAP_FAILED ? -1 : 0, err == ENOMEM, moved != MAP_FAILED && moved != a, holds(moved, 4, 10),
           zeros(moved + 4 * P, 12 * P), is_free(a, 4 * P), blocker == a + 4 * P);
    // MREMAP_FIXED to a chosen place (what was there goes); MREMAP_DONTUNMAP.
    char* target = mmap(NULL, 8 * P, rw, anon, -1, 0);
    fill(target, 8, 50);
    char* f = mremap(moved, 16 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, target + 2 * P);
    printf("MREMAP_FIXED: there %d, the bytes %d, what was around it kept %d\n", f == target + 2 * P, holds(f, 4, 10),
           holds(target, 2, 50) && holds(target + 6 * P, 2, 56));
    char* d = mremap(f, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
    printf("MREMAP_DONTUNMAP: moved %d, the bytes %d, the old range still mapped and empty %d\n",
           d != MAP_FAILED && d != f, holds(d, 4, 10), zeros(f, 4 * P));
    // A fork child's copy-on-write pages move; the parent's stay as they were.
    char* c = mmap(NULL, 8 * P, rw, anon, -1, 0);
    fill(c, 8, 70);
    pid_t pid = fork();
    if (pid == 0) {
        char* m = mremap(c, 8 * P, 32 * P, MREMAP_MAYMOVE);
        int ok = m != MAP_FAILED && holds(m, 8, 70);
        if (ok) fill(m, 8, 90);
        _exit(ok && holds(m, 8, 90) ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    printf("a fork child moves copy-on-write pages: exit %d; the parent's are as they were %d\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, holds(c, 8, 70));
    // glibc's realloc of a big block moves it with mremap.
    char* big = malloc(1 << 20);
    memset(big, 7, 1 << 20);
    char* bigger = realloc(big, 8 << 20);
    int same = 1;
    for (long i = 0; i < (1 << 20); i += 4096) same &= bigger[i] == 7;
    printf("realloc of 1 MiB to 8 MiB keeps the bytes %d\n", same);
    // Errors.
    long e1 = (long)mremap(c + 1, P, 2 * P, 0);
    int er1 = errno;
    long e2 = (long)mremap(c, P, 2 * P, 0x8);
    int er2 = errno;
    long e3 = (long)mremap(c, P, 2 * P, MREMAP_FIXED, c + 16 * P);
    int er3 = errno;
    long e4 = (long)mremap(c, P, 0, 0);
    int er4 = errno;
    long e5 = (long)mremap(c, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, c + 2 * P);
    int er5 = errno;
    char* hole = mmap(NULL, 4 * P, rw, anon, -1, 0);
    munmap(hole, 4 * P);
    long e6 = (long)mremap(hole, P, 2 * P, MREMAP_MAYMOVE);
    int er6 = errno;
    char* two = mmap(NULL, 3 * P, rw, anon, -1, 0); // two mappings: [0, 2) writable, [2, 3) not
    mprotect(two + 2 * P, P, PROT_READ);
    long e7 = (long)mremap(two, 3 * P, 6 * P, MREMAP_MAYMOVE);
    int er7 = errno;
    printf("mremap errors: unaligned %ld (EINVAL %d), unknown flag %ld (EINVAL %d), MREMAP_FIXED alone %ld (EINVAL %d), "
           "new size 0 %ld (EINVAL %d), overlapping %ld (EINVAL %d), nothing mapped %ld (EFAULT %d), across two "
           "mappings %ld (EFAULT %d)\n",
           e1, er1 == EINVAL, e2, er2 == EINVAL, e3, er3 == EINVAL, e4, er4 == EINVAL, e5, er5 == EINVAL, e6,
           er6 == EFAULT, e7, er7 == EFAULT);
}

// ---- select ----
static void selecting(void) {
    int p[2], q[2];
    pipe(p);
    pipe(q);
    write(q[1], "z", 1);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(q[0], &r);
    FD_SET(p[1], &w);
    struct timeval zero = {0, 0};
    int n1 = select(q[1] + 1, &r, &w, NULL, &zero);
    printf("select: %d; the empty pipe %d, the one with a byte %d, a write end %d\n", n1, FD_ISSET(p[0], &r) != 0,
           FD_ISSET(q[0], &r) != 0, FD_ISSET(p[1], &w) != 0);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {0, 20000};
    int n2 = select(p[0] + 1, &r, NULL, NULL, &tv);
    printf("a timeout of 20 ms: %d, the set emptied %d\n", n2, !FD_ISSET(p[0], &r));
    pid_t pid = fork();
    if (pid == 0) {
        usleep(30000);
        write(p[1], "y", 1);
        _exit(0);
    }
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    sigset_t none;
    sigemptyset(&none);
    int n3 = pselect(p[0] + 1, &r, NULL, NULL, NULL, &none);
    printf("pselect waiting for a child's write: %d, ready %d\n", n3, FD_ISSET(p[0], &r) != 0);
    waitpid(pid, NULL, 0);
    int closed = dup(0); /* a descriptor surely not open (77 may be, in a test harness) */
    close(closed);
    FD_ZERO(&r);
    FD_SET(closed, &r);
    int n4 = select(closed + 1, &r, NULL, NULL, &zero);
    int e4 = errno;
    int n5 = select(-1, NULL, NULL, NULL, &zero);
    int e5 = errno;
    struct timespec bad = {0, 2000000000};
    int n6 = pselect(1, NULL, NULL, NULL, &bad, NULL);
    int e6 = errno;
    printf("select errors: a closed descriptor %d (EBADF %d), nfds -1 %d (EINVAL %d), a bad timeout %d (EINVAL %d)\n", n4,
           e4 == EBADF, n5, e5 == EINVAL, n6, e6 == EINVAL);
    close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

// ---- system call 5 ----
// Number 5 is also the native kernel's null system call (Yield), which each arch's entry
// answers before it saves a register: a Linux thread's 5 (fstat on x86_64, setxattr on
// aarch64 and riscv64) must still mean what it means on Linux, with its arguments intact,
// whether the CPU has another thread to run or not.
static volatile int g_spinning, g_spin_stop;
static void* spinner(void* arg) {
    (void)arg;
    g_spinning = 1;
    while (!g_spin_stop) sched_yield();
    return NULL;
}
static int call_five(int fd) {
#if SYS_fstat == 5 // (x86_64's table; the generic one has setxattr there)
    struct stat st;
    memset(&st, 0, sizeof st);
    return syscall(5, fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5;
#else
    _Static_assert(SYS_setxattr == 5, "the generic system-call table");
    (void)fd;
    errno = 0; // (a missing file: Linux says ENOENT; procserv serves no extended attributes: ENOSYS)
    return syscall(5, "/tmp/calls-missing", "user.x", "v", 1, 0) == -1 && (errno == ENOENT || errno == ENOSYS);
#endif
}
static void number_five(void) {
    const char* path = "/tmp/calls-five";
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    long wrote = write(fd, "hello", 5);
    int alone = 1, crowded = 1;
    for (int i = 0; i < 100; ++i) alone &= call_five(fd);
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    while (!g_spinning) sched_yield();
    for (int i = 0; i < 100; ++i) crowded &= call_five(fd);
    g_spin_stop = 1;
    pthread_join(t, NULL);
    printf("system call 5 (x86_64 fstat, else setxattr) as on Linux (wrote %ld): alone 1 = %d, another thread "
           "ready 1 = %d\n", wrote, alone, crowded);
    close(fd);
    unlink(path);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    randomness();
    file_status();
    alternate_stacks();
    remapping();
    selecting();
    number_five();
    return 0;
}
