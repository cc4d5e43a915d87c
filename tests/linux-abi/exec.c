/* execve from an unmodified static glibc program: after fork, after vfork, through
 * posix_spawn (glibc: clone with CLONE_VM | CLONE_VFORK), and from a process with a
 * second thread; argv, envp and the auxv of the new program; descriptors kept across it
 * unless close-on-exec; exit codes through wait4; the errors Linux gives. The same binary
 * runs on Linux (x86_64: execve of a foreign binary needs binfmt_misc under qemu-user). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int run(const char *self, const char *how, int code, int keep, int drop) {
    char c[8], k[8], d[8];
    snprintf(c, sizeof c, "%d", code), snprintf(k, sizeof k, "%d", keep), snprintf(d, sizeof d, "%d", drop);
    char *argv[] = {(char *)self, "child", (char *)how, c, k, d, NULL};
    char *envp[] = {"MK_TEST=yes", "SECOND=2", NULL};
    return execve(self, argv, envp);
}

/* A call that failed: its result, and whether errno is what Linux gives. */
static void report(const char *what, int r, int code, const char *name) {
    int ok = errno == code;
    printf("%s: %d (%s %d)\n", what, r, name, ok);
    errno = 0;
}

static int g_pipe[2];
static void *blocked(void *arg) {
    char b;
    (void)arg;
    read(g_pipe[0], &b, 1); /* never returns: execve ends this thread */
    return NULL;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 6 && strcmp(argv[1], "child") == 0) {
        int n = 0;
        while (environ[n]) ++n;
        const char *execfn = (const char *)getauxval(AT_EXECFN);
        printf("%s: argc %d, %d environment strings (MK_TEST=%s), AT_PAGESZ %lu, AT_EXECFN is the path %d\n",
               argv[2], argc, n, getenv("MK_TEST"), getauxval(AT_PAGESZ), execfn && strcmp(execfn, argv[0]) == 0);
        int keep = atoi(argv[4]), drop = atoi(argv[5]);
        if (keep >= 0) {
            errno = 0;
            int dropped = fcntl(drop, F_GETFD) == -1 && errno == EBADF;
            printf("%s: kept descriptor open %d, close-on-exec one closed %d\n", argv[2], fcntl(keep, F_GETFD) == 0,
                   dropped);
        }
        return atoi(argv[3]);
    }
    const char *self = argv[0];
    int status = 0;

    /* fork, then execve with a descriptor to keep and one marked close-on-exec. */
    int keep = open("/dev/null", O_RDONLY), drop = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        run(self, "after fork", 42, keep, drop);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    printf("fork + execve: exit status %d\n", WEXITSTATUS(status));

    /* vfork: the parent waits until the child has called execve. */
    pid = vfork();
    if (pid == 0) {
        run(self, "after vfork", 7, -1, -1);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    printf("vfork + execve: exit status %d\n", WEXITSTATUS(status));

    /* posix_spawn */
    char *sargv[] = {(char *)self, "child", "posix_spawn", "9", "-1", "-1", NULL};
    char *senvp[] = {"MK_TEST=spawned", NULL};
    int e = posix_spawn(&pid, self, NULL, NULL, sargv, senvp);
    waitpid(pid, &status, 0);
    printf("posix_spawn: %d, exit status %d\n", e, WEXITSTATUS(status));

    /* execve from a process with a second thread (waiting in read): that thread ends. */
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pipe(g_pipe);
        pthread_create(&t, NULL, blocked, NULL);
        for (int i = 0; i < 100; ++i) sched_yield();
        run(self, "from two threads", 3, -1, -1);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    printf("execve with another thread: exit status %d\n", WEXITSTATUS(status));

    /* The errors: nothing there, a directory, a file with no x bit, not an ELF, bad argv. */
    char *none[] = {NULL};
    int r = execve("/no/such/program", none, none);
    report("execve of a missing file", r, ENOENT, "ENOENT");
    r = execve("/tmp", none, none);
    report("execve of a directory", r, EACCES, "EACCES");
    char path[64];
    snprintf(path, sizeof path, "/tmp/mk-exec-%d", (int)getpid());
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "not a program\n", 14);
    close(fd);
    r = execve(path, none, none);
    report("execve of a file without x", r, EACCES, "EACCES");
    chmod(path, 0755);
    r = execve(path, none, none);
    report("execve of a file that is no program", r, ENOEXEC, "ENOEXEC");
    unlink(path);
    char **bad = (char **)(long)atoi("16"); /* (hidden from the compiler's checks) */
    r = execve(self, bad, none);
    report("execve with a bad argv", r, EFAULT, "EFAULT");
    return 0;
}
