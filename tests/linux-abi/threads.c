/* pthreads and fork from an unmodified static glibc program: 64 threads add to a counter
 * under a mutex and are joined; a forked child's exit code comes back through wait4 (and
 * the child's memory is its own). The same binary runs on Linux. */
#include <pthread.h>
#include <stdio.h>
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
    return 0;
}
