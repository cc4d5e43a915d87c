/* pthreads and fork from an unmodified static glibc program: 64 threads add to a counter
 * under a mutex and are joined; a forked child's exit code comes back through wait4 (and
 * the child's memory is its own), and through waitid (WNOWAIT, WNOHANG, a death by
 * signal). The same binary runs on Linux. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *add(void *arg) {
    for (int i = 0; i < 1000; ++i) {
        pthread_mutex_lock(&lock);
        counter += (long)arg;
        pthread_mutex_unlock(&lock);
    }
    return arg;
}

int main(void) {
    pthread_t t[64];
    long joined = 0;
    for (long i = 0; i < 64; ++i)
        if (pthread_create(&t[i], NULL, add, (void *)(i + 1)) != 0) return 1;
    for (int i = 0; i < 64; ++i) {
        void *r;
        if (pthread_join(t[i], &r) != 0) return 2;
        joined += (long)r;
    }
    printf("64 threads joined: counter %ld, sum of their results %ld\n", counter, joined);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        counter = -1; /* the parent's copy stays */
        _exit(5);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return 3;
    printf("fork: the child exited with %d; the parent's counter is still %ld\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, counter);
    fflush(stdout);

    pid = fork();
    if (pid == 0) _exit(7);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    printf("waitid WNOWAIT: %d, the child %d, CLD_EXITED %d, status %d; ", r, si.si_pid == pid, si.si_code == CLD_EXITED,
           si.si_status);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED);
    printf("then reaped: %d, the child %d\n", r, si.si_pid == pid);
    errno = 0;
    r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
    printf("waitid with no child: %d (ECHILD %d)\n", r, errno == ECHILD);
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        for (;;) pause();
    memset(&si, 0xff, sizeof si);
    r = waitid(P_PID, pid, &si, WEXITED | WNOHANG);
    printf("waitid WNOHANG while it runs: %d, si_pid %d; ", r, si.si_pid);
    kill(pid, SIGKILL);
    r = waitid(P_PGID, 0, &si, WEXITED);
    printf("killed: %d, CLD_KILLED %d, signal %d\n", r, si.si_code == CLD_KILLED, si.si_status);
    errno = 0;
    r = waitid(P_ALL, 0, &si, 0);
    printf("waitid without WEXITED: %d (EINVAL %d)\n", r, errno == EINVAL);
    return 0;
}
