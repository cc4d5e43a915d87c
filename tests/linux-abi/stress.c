/* glibc's threads under load, as a static program uses them: 64 MiB of malloc'd memory,
 * a mutex, a condition variable and a barrier stressed by several threads, exit_group from
 * a thread while the others block (in a read, a condition wait, a sleep), and main ending
 * with pthread_exit while a thread goes on. The same binary runs on Linux. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 8, kRounds = 20000, kItems = 4000, kBarrierRounds = 200 };

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static long g_counter;
static void *add(void *arg) {
    (void)arg;
    for (int i = 0; i < kRounds; ++i) {
        pthread_mutex_lock(&g_lock);
        ++g_counter;
        pthread_mutex_unlock(&g_lock);
    }
    return NULL;
}

/* A ring of 16 slots between producers and consumers. */
static pthread_cond_t g_not_empty = PTHREAD_COND_INITIALIZER, g_not_full = PTHREAD_COND_INITIALIZER;
static int g_ring[16], g_head, g_count, g_produced;
static long g_sum;
static void *produce(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&g_lock);
        while (g_count == 16 && g_produced < kItems) pthread_cond_wait(&g_not_full, &g_lock);
        if (g_produced == kItems) {
            pthread_mutex_unlock(&g_lock);
            return NULL;
        }
        g_ring[(g_head + g_count++) % 16] = ++g_produced;
        pthread_cond_signal(&g_not_empty);
        pthread_mutex_unlock(&g_lock);
    }
}
static void *consume(void *arg) {
    long taken = 0;
    for (;;) {
        pthread_mutex_lock(&g_lock);
        while (g_count == 0 && *(int *)arg == 0) pthread_cond_wait(&g_not_empty, &g_lock);
        if (g_count == 0) { /* told to stop */
            pthread_mutex_unlock(&g_lock);
            return (void *)taken;
        }
        g_sum += g_ring[g_head];
        g_head = (g_head + 1) % 16, --g_count, ++taken;
        pthread_cond_signal(&g_not_full);
        pthread_mutex_unlock(&g_lock);
    }
}

static pthread_barrier_t g_barrier;
static int g_phase[kThreads];
static int g_barrier_ok = 1;
static void *lockstep(void *arg) {
    long me = (long)arg;
    for (int r = 0; r < kBarrierRounds; ++r) {
        g_phase[me] = r;
        pthread_barrier_wait(&g_barrier);
        for (int i = 0; i < kThreads; ++i)
            if (g_phase[i] != r) g_barrier_ok = 0; /* someone ran ahead */
        pthread_barrier_wait(&g_barrier);
    }
    return NULL;
}

/* exit_group while others block */
static int g_pipe[2];
static void *block_read(void *arg) { char c; (void)arg; read(g_pipe[0], &c, 1); return NULL; }
static void *block_cond(void *arg) {
    (void)arg;
    pthread_mutex_lock(&g_lock);
    for (;;) pthread_cond_wait(&g_not_empty, &g_lock);
}
static void *block_sleep(void *arg) { (void)arg; sleep(100); return NULL; }
static void *end_all(void *arg) { (void)arg; usleep(20000); _exit(7); }

static void *outlive_main(void *arg) {
    (void)arg;
    usleep(50000);
    printf("a thread outlived main's pthread_exit and ends the process\n");
    exit(5);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* 64 MiB of malloc'd memory, every page touched. */
    size_t size = 64u << 20;
    unsigned char *big = malloc(size);
    long ok = big != NULL;
    for (size_t i = 0; ok && i < size; i += 4096) big[i] = (unsigned char)(i >> 12);
    for (size_t i = 0; ok && i < size; i += 4096) ok &= big[i] == (unsigned char)(i >> 12);
    free(big);
    printf("malloc of 64 MiB, every page written and read back: %ld\n", ok);

    pthread_t t[kThreads];
    for (int i = 0; i < kThreads; ++i) pthread_create(&t[i], NULL, add, NULL);
    for (int i = 0; i < kThreads; ++i) pthread_join(t[i], NULL);
    printf("mutex: %d threads x %d increments: %ld\n", kThreads, kRounds, g_counter);

    int stop = 0;
    for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, produce, NULL);
    for (int i = 4; i < 8; ++i) pthread_create(&t[i], NULL, consume, &stop);
    for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
    pthread_mutex_lock(&g_lock);
    while (g_count > 0) { /* let the consumers drain the ring */
        pthread_mutex_unlock(&g_lock);
        sched_yield();
        pthread_mutex_lock(&g_lock);
    }
    stop = 1;
    pthread_cond_broadcast(&g_not_empty);
    pthread_mutex_unlock(&g_lock);
    long taken = 0;
    for (int i = 4; i < 8; ++i) {
        void *n;
        pthread_join(t[i], &n);
        taken += (long)n;
    }
    printf("condition variables: 4 producers, 4 consumers, %ld items taken, sum %ld\n", taken, g_sum);

    pthread_barrier_init(&g_barrier, NULL, kThreads);
    for (long i = 0; i < kThreads; ++i) pthread_create(&t[i], NULL, lockstep, (void *)i);
    for (int i = 0; i < kThreads; ++i) pthread_join(t[i], NULL);
    printf("barrier: %d threads in lockstep for %d rounds: %d\n", kThreads, kBarrierRounds, g_barrier_ok);

    pid_t pid = fork();
    if (pid == 0) {
        pipe(g_pipe);
        pthread_create(&t[0], NULL, block_read, NULL);
        pthread_create(&t[1], NULL, block_cond, NULL);
        pthread_create(&t[2], NULL, block_sleep, NULL);
        pthread_create(&t[3], NULL, end_all, NULL);
        pthread_join(t[0], NULL); /* never: _exit ends everyone */
        return 1;
    }
    int status = -1;
    waitpid(pid, &status, 0);
    printf("exit_group from a thread while three others block: exited %d, status %d\n", WIFEXITED(status),
           WEXITSTATUS(status));

    pthread_create(&t[0], NULL, outlive_main, NULL);
    pthread_exit(NULL);
}
