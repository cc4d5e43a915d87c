/* Raw clone3 from an unmodified static glibc program: as a fork, and its errors (glibc's
 * pthread_create and posix_spawn use it for threads where they can: threads.c and
 * exec.c). The same binary runs on Linux (x86_64: qemu-user 7.2 has no clone3). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* struct clone_args (linux/sched.h), version 2: 88 bytes */
struct clone3_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct clone3_args args;
    int status = 0;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    long child = syscall(SYS_clone3, &args, sizeof args);
    if (child == 0) _exit(6);
    waitpid((pid_t)child, &status, 0);
    printf("clone3 as a fork: the child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    memset(&args, 0, sizeof args);
    args.flags = SIGCHLD; /* the exit signal belongs in its own field */
    errno = 0;
    long r = syscall(SYS_clone3, &args, sizeof args);
    printf("clone3 with a signal in flags: %ld (EINVAL %d)\n", r, errno == EINVAL);
    args.flags = 0;
    errno = 0;
    r = syscall(SYS_clone3, &args, (size_t)32);
    printf("clone3 with a size below 64: %ld (EINVAL %d)\n", r, errno == EINVAL);
    uint64_t bigger[12];
    memset(bigger, 0, sizeof bigger);
    bigger[4] = SIGCHLD;
    bigger[11] = 1;
    errno = 0;
    r = syscall(SYS_clone3, bigger, sizeof bigger);
    printf("clone3 with a nonzero field past what is known: %ld (E2BIG %d)\n", r, errno == E2BIG);
    return 0;
}
