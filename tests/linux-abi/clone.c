/* glibc's clone() with the flag combinations of the native semantics programs (proc_clone):
 * CLONE_VM shares memory, CLONE_FS the working directory, CLONE_FILES the descriptors, the
 * thread flags make a thread (CLONE_PARENT_SETTID / CLONE_CHILD_CLEARTID), and the flag
 * rules' errors. (qemu-user cannot run CLONE_VM without the thread flags: the x86_64 run on
 * Linux is the oracle.) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_stacks[2][65536] __attribute__((aligned(16)));
static void *top(int i) { return g_stacks[i] + sizeof g_stacks[i]; }
static volatile int g_value, g_fd = -1, g_tid_seen;
static int g_ptid, g_ctid;

static int write_value(void *arg) { g_value = 42; return (int)(long)arg; }
static int go_to_tmp(void *arg) { (void)arg; return chdir("/tmp") == 0 ? 0 : 1; }
static int open_null(void *arg) { (void)arg; g_fd = open("/dev/null", O_RDONLY); return g_fd >= 0 ? 0 : 1; }
static int thread_body(void *arg) {
    (void)arg;
    g_tid_seen = (int)syscall(SYS_gettid);
    return 0;
}

static int run(int (*fn)(void *), unsigned long flags, void *arg) {
    int pid = clone(fn, top(0), (int)flags, arg);
    int status = -1;
    if (pid > 0) waitpid(pid, &status, __WALL);
    return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    char start[256], now[256];
    getcwd(start, sizeof start);

    g_value = 0;
    int e1 = run(write_value, CLONE_VM | SIGCHLD, (void *)3);
    printf("CLONE_VM: the child exits %d, its write is seen %d\n", e1, g_value == 42);
    g_value = 0;
    int e2 = run(write_value, SIGCHLD, (void *)4);
    printf("no CLONE_VM: the child exits %d, its write is its own %d\n", e2, g_value == 0);

    int e3 = run(go_to_tmp, CLONE_VM | CLONE_FS | SIGCHLD, NULL);
    getcwd(now, sizeof now);
    printf("CLONE_FS: the child's chdir moves the parent too %d (exit %d)\n", strcmp(now, "/tmp") == 0, e3);
    chdir(start);
    int e4 = run(go_to_tmp, CLONE_VM | SIGCHLD, NULL);
    getcwd(now, sizeof now);
    printf("no CLONE_FS: the parent stays %d (exit %d)\n", strcmp(now, start) == 0, e4);

    int e5 = run(open_null, CLONE_VM | CLONE_FILES | SIGCHLD, NULL);
    printf("CLONE_FILES: the child's descriptor is the parent's %d (exit %d)\n", fcntl(g_fd, F_GETFD) >= 0, e5);
    close(g_fd);
    g_fd = -1;
    int e6 = run(open_null, CLONE_VM | SIGCHLD, NULL);
    errno = 0;
    int r6 = fcntl(g_fd, F_GETFD);
    printf("no CLONE_FILES: it is not the parent's %d (EBADF %d, exit %d)\n", r6 == -1, errno == EBADF, e6);

    unsigned long thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                           CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    g_ctid = -1;
    int tid = clone(thread_body, top(1), (int)thread, NULL, &g_ptid, NULL, &g_ctid);
    while (__atomic_load_n(&g_ctid, __ATOMIC_ACQUIRE) != 0) syscall(SYS_futex, &g_ctid, FUTEX_WAIT, -1, NULL, NULL, 0);
    printf("a thread: parent's tid word %d, its own gettid %d, cleared and woken at its end 1\n", g_ptid == tid,
           g_tid_seen == tid);

    errno = 0;
    int bad1 = clone(thread_body, top(1), CLONE_VM | CLONE_THREAD, NULL);
    int err1 = errno;
    errno = 0;
    int bad2 = clone(thread_body, top(1), CLONE_SIGHAND | SIGCHLD, NULL);
    int err2 = errno;
    printf("CLONE_THREAD without CLONE_SIGHAND: %d (EINVAL %d); CLONE_SIGHAND without CLONE_VM: %d (EINVAL %d)\n", bad1,
           err1 == EINVAL, bad2, err2 == EINVAL);
    return 0;
}
