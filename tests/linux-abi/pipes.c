/* Pipes from an unmodified static glibc program: 200,000 bytes from a forked child
 * (more than the pipe holds, so both sides wait), end of file, death by SIGPIPE, a
 * child's stdout through a pipe, O_NONBLOCK, and a pthread waiting in read. The same
 * binary runs on Linux with the same output. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_pipe[2];

static void *reader(void *arg) {
    (void)arg;
    static char buf[64];
    ssize_t n = read(g_pipe[0], buf, sizeof buf - 1);
    return (void *)n;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    int p[2];
    if (pipe(p) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        char chunk[1000];
        for (int i = 0; i < 200; ++i) {
            for (int j = 0; j < 1000; ++j) chunk[j] = (char)(i + j);
            if (write(p[1], chunk, sizeof chunk) != (ssize_t)sizeof chunk) _exit(2);
        }
        _exit(0);
    }
    close(p[1]);
    long total = 0;
    unsigned long sum = 0;
    char buf[4096];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; ++i) sum = sum * 31 + (unsigned char)buf[i];
        total += n;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("read %ld bytes through a pipe, checksum %lu; then %zd (end of file); the child exited with %d\n", total,
           sum, n, WEXITSTATUS(status));
    close(p[0]);

    /* No reader: the writer dies by SIGPIPE (its default action). */
    pipe(p);
    close(p[0]);
    pid = fork();
    if (pid == 0) {
        write(p[1], "x", 1);
        _exit(3);
    }
    close(p[1]);
    waitpid(pid, &status, 0);
    printf("a write with no reader: killed by signal %d (SIGPIPE %d)\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0,
           SIGPIPE);

    /* A writer waiting for room when the last reader goes: SIGPIPE too. */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        static char lots[100000];
        write(p[1], lots, sizeof lots);
        _exit(4);
    }
    close(p[1]);
    n = read(p[0], buf, 1); /* the child is writing: it waits for room once the pipe is full */
    for (int i = 0; i < 200; ++i) sched_yield();
    close(p[0]);
    waitpid(pid, &status, 0);
    printf("a waiting writer whose reader goes: killed by signal %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);

    /* A child's stdout through a pipe. */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        printf("hello from the child's stdout\n");
        fflush(stdout);
        _exit(0);
    }
    close(p[1]);
    memset(buf, 0, sizeof buf);
    for (long at = 0; (n = read(p[0], buf + at, sizeof buf - 1 - at)) > 0;) at += n;
    close(p[0]);
    waitpid(pid, &status, 0);
    printf("the parent read: %s", buf);

    /* O_NONBLOCK: EAGAIN instead of waiting; a pipe holds 64 KiB. */
    pipe2(p, O_NONBLOCK | O_CLOEXEC);
    errno = 0;
    n = read(p[0], buf, 1);
    printf("an empty non-blocking pipe: %zd (EAGAIN %d); ", n, errno == EAGAIN);
    static char big[70000];
    n = write(p[1], big, sizeof big);
    int ready = 0;
    ioctl(p[0], FIONREAD, &ready);
    errno = 0;
    ssize_t more = write(p[1], big, 1);
    printf("a 70000-byte write: %zd, FIONREAD %d, then %zd (EAGAIN %d); close-on-exec %d\n", n, ready, more,
           errno == EAGAIN, fcntl(p[0], F_GETFD));
    close(p[0]);
    close(p[1]);

    /* A thread waits in read until another writes. */
    pipe(g_pipe);
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    for (int i = 0; i < 1000; ++i) sched_yield();
    write(g_pipe[1], "wake up", 7);
    void *got = NULL;
    pthread_join(t, &got);
    printf("the waiting thread read %ld bytes\n", (long)got);
    return 0;
}
