/* Robust mutexes from an unmodified static glibc program (set_robust_list): a thread, and
 * then a whole process, ends holding one; the next locker gets EOWNERDEAD. The same
 * binary runs on Linux (x86_64: qemu-user has no robust lists). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t g_robust;

static void *dies_holding(void *arg) {
    (void)arg;
    pthread_mutex_lock(&g_robust);
    return NULL; /* ends without unlocking */
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&g_robust, &attr);
    pthread_t owner;
    pthread_create(&owner, NULL, dies_holding, NULL);
    pthread_join(owner, NULL);
    int locked = pthread_mutex_lock(&g_robust);
    int made = locked == EOWNERDEAD ? pthread_mutex_consistent(&g_robust) : -1;
    int unlocked = pthread_mutex_unlock(&g_robust);
    printf("a robust mutex whose owner ended: EOWNERDEAD %d, consistent again %d, unlocked %d\n", locked == EOWNERDEAD,
           made == 0, unlocked == 0);

    /* In shared memory, between processes: the child exits holding it. */
    pthread_mutex_t *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(shared, &attr);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(shared);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    locked = pthread_mutex_lock(shared);
    printf("a robust mutex whose owner process ended: EOWNERDEAD %d\n", locked == EOWNERDEAD);
    return 0;
}
