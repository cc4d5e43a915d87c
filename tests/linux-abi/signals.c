/* Signals from an unmodified static glibc program: handlers with siginfo for kill and
 * raise (tgkill), blocking and sigpending, a SIGSEGV handler that siglongjmps out of a
 * fault, a read interrupted (EINTR) in a child, default actions (SIGTERM, abort's
 * SIGABRT, SIGKILL), SIG_IGN, SIGCHLD, SA_RESETHAND, and the errors Linux gives. The same
 * binary runs on Linux with the same output. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t g_count, g_signo, g_code, g_from_me, g_chld;
static sigjmp_buf g_jump;
static void *volatile g_fault_addr;
static volatile long g_bad = 16; /* an address nothing is mapped at */

static void on_usr(int sig, siginfo_t *info, void *uc) {
    (void)uc;
    g_count++;
    g_signo = sig;
    g_code = info->si_code;
    g_from_me = info->si_pid == getpid();
}
static void on_segv(int sig, siginfo_t *info, void *uc) {
    (void)sig, (void)uc;
    g_fault_addr = info->si_addr;
    siglongjmp(g_jump, 1);
}
static void on_chld(int sig) { (void)sig, g_chld++; }
static void on_plain(int sig) { (void)sig, g_count++; }

static int child_status(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);

    kill(getpid(), SIGUSR1);
    printf("kill(self, SIGUSR1): handler ran %d times, signo %d, SI_USER %d, from me %d\n", g_count, g_signo,
           g_code == SI_USER, g_from_me);
    raise(SIGUSR2);
    printf("raise(SIGUSR2): handler ran %d times, signo %d, SI_TKILL %d\n", g_count, g_signo, g_code == SI_TKILL);

    /* Blocked: pending until unblocked, then delivered at once. */
    sigset_t set, old, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR1);
    sigpending(&pending);
    int before = g_count;
    printf("blocked: handler ran %d more, pending %d; ", g_count - 2, sigismember(&pending, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: it ran %d\n", g_count - before);

    /* SIG_IGN */
    signal(SIGUSR1, SIG_IGN);
    kill(getpid(), SIGUSR1);
    printf("ignored: still alive, count %d\n", g_count);

    /* A fault's handler leaves by siglongjmp. */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(g_jump, 1) == 0) {
        *(volatile int *)g_bad = 1;
        printf("no fault?\n");
    } else {
        printf("SIGSEGV handler: fault address %p, and back by siglongjmp\n", g_fault_addr);
    }
    if (sigsetjmp(g_jump, 1) == 0) *(volatile int *)(g_bad + 8) = 2;
    printf("a second fault (the mask restored by siglongjmp): address %p\n", g_fault_addr);

    /* A child waiting in read is interrupted: EINTR, after its handler. */
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        g_count = 0;
        struct sigaction s2; /* (glibc's signal() would set SA_RESTART) */
        memset(&s2, 0, sizeof s2);
        s2.sa_handler = on_plain;
        sigaction(SIGUSR1, &s2, NULL);
        char c;
        close(p[1]);
        ssize_t n = read(p[0], &c, 1);
        _exit(n == -1 && errno == EINTR && g_count >= 1 ? 3 : 9);
    }
    close(p[0]);
    int status = 0, r;
    /* (again until it ends: a signal that comes before the child's read only runs the handler) */
    do {
        kill(pid, SIGUSR1);
        for (int i = 0; i < 100; ++i) sched_yield();
    } while (waitpid(pid, &status, WNOHANG) == 0);
    close(p[1]);
    printf("a read interrupted by a handled signal: EINTR, exit %d\n", WEXITSTATUS(status));

    /* SA_RESTART: the read starts again after the handler, and gets the byte. */
    int ready[2];
    pipe(p);
    pipe(ready);
    pid = fork();
    if (pid == 0) {
        g_count = 0;
        struct sigaction s2;
        memset(&s2, 0, sizeof s2);
        s2.sa_handler = on_plain;
        s2.sa_flags = SA_RESTART;
        sigaction(SIGUSR1, &s2, NULL);
        write(ready[1], "r", 1); /* (the handler is in place: signals may come) */
        char c = 0;
        close(p[1]);
        ssize_t n = read(p[0], &c, 1);
        _exit(n == 1 && c == 'x' && g_count >= 1 ? 4 : 9);
    }
    close(p[0]);
    char r1;
    read(ready[0], &r1, 1);
    close(ready[0]);
    close(ready[1]);
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 100; ++i) sched_yield();
        kill(pid, SIGUSR1);
    }
    for (int i = 0; i < 100; ++i) sched_yield();
    write(p[1], "x", 1);
    status = child_status(pid);
    close(p[1]);
    printf("SA_RESTART: the read restarted and got its byte: exit %d\n", WEXITSTATUS(status));

    /* Default actions */
    pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    for (int i = 0; i < 100; ++i) sched_yield();
    kill(pid, SIGTERM);
    status = child_status(pid);
    printf("SIGTERM's default: killed by %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    pid = fork();
    if (pid == 0) abort();
    status = child_status(pid);
    printf("abort(): killed by %d (SIGABRT %d)\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0, SIGABRT);
    pid = fork();
    if (pid == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL); /* SIGKILL cannot be blocked */
        for (;;) sched_yield();
    }
    for (int i = 0; i < 100; ++i) sched_yield();
    kill(pid, SIGKILL);
    status = child_status(pid);
    printf("SIGKILL with everything blocked: killed by %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);

    /* SIGCHLD */
    signal(SIGCHLD, on_chld);
    pid = fork();
    if (pid == 0) _exit(0);
    status = child_status(pid);
    getpid(); /* (a handler pending from the wait runs at a call at the latest) */
    printf("SIGCHLD handler ran: %d\n", g_chld >= 1);

    /* SA_RESETHAND: the second one takes the default action (SIGUSR2: the end). */
    pid = fork();
    if (pid == 0) {
        struct sigaction s3;
        memset(&s3, 0, sizeof s3);
        s3.sa_handler = on_plain;
        s3.sa_flags = SA_RESETHAND;
        sigaction(SIGUSR2, &s3, NULL);
        raise(SIGUSR2);
        printf("child: the first SIGUSR2 ran its handler\n");
        raise(SIGUSR2);
        _exit(5);
    }
    status = child_status(pid);
    printf("SA_RESETHAND: then killed by %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);

    /* sigsuspend: waits with its own mask until a handler runs, then the old mask is back. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_plain;
    sigaction(SIGUSR1, &sa, NULL);
    sigprocmask(SIG_BLOCK, &set, &old); /* SIGUSR1 blocked ... */
    pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 100; ++i) sched_yield();
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    before = g_count;
    sigset_t wait_mask = old;
    sigdelset(&wait_mask, SIGUSR1);
    r = sigsuspend(&wait_mask); /* ... except while it waits */
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("sigsuspend: %d (EINTR %d), the handler ran %d, SIGUSR1 blocked again %d\n", r, errno == EINTR,
           g_count - before, sigismember(&now, SIGUSR1));
    child_status(pid);
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* Errors */
    errno = 0;
    r = kill(getpid(), 99);
    printf("kill with signal 99: %d (EINVAL %d)\n", r, errno == EINVAL);
    errno = 0;
    r = kill(0x3ffffff0, SIGUSR1);
    printf("kill of no such process: %d (ESRCH %d)\n", r, errno == ESRCH);
    errno = 0;
    r = sigaction(SIGKILL, &sa, NULL);
    printf("sigaction(SIGKILL): %d (EINVAL %d)\n", r, errno == EINVAL);
    r = kill(getpid(), 0);
    printf("kill(self, 0): %d\n", r);
    errno = 0;
    r = (int)syscall(SYS_tkill, 0, SIGUSR1);
    int tkill_errno = errno;
    errno = 0;
    int r2 = (int)syscall(SYS_tgkill, 0, getpid(), SIGUSR1);
    printf("tkill(0): %d (EINVAL %d), tgkill(0, pid): %d (EINVAL %d)\n", r, tkill_errno == EINVAL, r2, errno == EINVAL);
    return 0;
}
