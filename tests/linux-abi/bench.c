/* Benchmarks of Linux programs on procserv (scripts/bench boots this with exec=linuxbench):
 * guest instructions per operation of an unmodified static glibc program, measured as
 * procbench measures (tests/programs/procbench.cpp): the counter read just before the
 * operation and just after the caller sees it complete, minus two back-to-back reads,
 * median of 11 after 2 warm-ups. The counter is TSC / PMCCNTR_EL0 / instret, which count
 * guest instructions under QEMU -icount shift=0 (docs/performance.md).
 *
 *   linux_getppid              an emulated system call: getppid(), through procserv
 *   linux_pthread_create_join  pthread_create of a thread that returns at once + pthread_join
 *   linux_fork_wait4           fork() of a child that _exits at once + waitpid
 *   linux_futex_wake_roundtrip two threads hand a token back and forth through futexes:
 *                              one wake and one wait each way (half the round trip is
 *                              reported per iteration's pair)
 * `linuxbench scale N` instead (scripts/bench --wall, without -icount, booted with 1, 2
 * and 4 CPUs): 1, 2, 4 ... threads at once, as many as there are CPUs, each making N
 * pthread_create + pthread_join of a thread that returns at once; the whole program's
 * pthread_create + join per second of the wall clock (QEMU's, not hardware's).
 * Runs on Linux too (the figures are then the host's, not comparable). */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The user-readable instruction counter, from the arch's own stubs (arch/<arch>/user/
 * syscall.S, linked in by the build): TSC / PMCCNTR_EL0 / instret. */
unsigned long long sys_read_counter(void);
static unsigned long long counter(void) { return sys_read_counter(); }

enum { kWarmup = 2, kSamples = 11 };
static unsigned long long overhead;

static unsigned long long median(unsigned long long (*op)(void)) {
    unsigned long long s[kSamples];
    for (int i = 0; i < kWarmup; ++i) op();
    for (int i = 0; i < kSamples; ++i) {
        unsigned long long d = op();
        s[i] = d > overhead ? d - overhead : 0;
    }
    for (int i = 1; i < kSamples; ++i)
        for (int j = i; j > 0 && s[j - 1] > s[j]; --j) {
            unsigned long long t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return s[kSamples / 2];
}

static unsigned long long op_getppid(void) {
    unsigned long long t0 = counter();
    syscall(SYS_getppid); /* glibc's getppid() is the same system call, not cached */
    return counter() - t0;
}

static void *nothing(void *arg) { return arg; }
static unsigned long long op_thread(void) {
    pthread_t t;
    unsigned long long t0 = counter();
    pthread_create(&t, NULL, nothing, NULL);
    pthread_join(t, NULL);
    return counter() - t0;
}

static unsigned long long op_fork(void) {
    unsigned long long t0 = counter();
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    int status;
    waitpid(pid, &status, 0);
    return counter() - t0;
}

/* The token: 0 = the main thread's turn, 1 = the partner's. */
static int token;
static void futex_wait_for(int value) {
    while (__atomic_load_n(&token, __ATOMIC_ACQUIRE) != value)
        syscall(SYS_futex, &token, FUTEX_WAIT_PRIVATE, !value, NULL, NULL, 0);
}
static void pass_to(int value) {
    __atomic_store_n(&token, value, __ATOMIC_RELEASE);
    syscall(SYS_futex, &token, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
static void *partner(void *arg) {
    long rounds = (long)arg;
    for (long i = 0; i < rounds; ++i) {
        futex_wait_for(1);
        pass_to(0);
    }
    return NULL;
}
static unsigned long long op_futex(void) {
    pthread_t t;
    pthread_create(&t, NULL, partner, (void *)1L);
    unsigned long long t0 = counter();
    pass_to(1);
    futex_wait_for(0);
    unsigned long long d = counter() - t0;
    pthread_join(t, NULL);
    return d;
}

static void* returns_at_once(void* arg) { return arg; }

/* Makes (long)arg pthread_create + pthread_join; the number that failed. */
static void* create_and_join(void* arg) {
    long failed = 0;
    for (long i = 0; i < (long)arg; i++) {
        pthread_t t;
        failed += pthread_create(&t, 0, returns_at_once, 0) != 0 || pthread_join(t, 0) != 0;
    }
    return (void*)failed;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int scale(long n) {
    cpu_set_t all;
    if (sched_getaffinity(0, sizeof all, &all) != 0) return 1;
    const int cpus = CPU_COUNT(&all);
    long failed = 0;
    for (int creators = 1; creators <= cpus && creators <= 16; creators *= 2) {
        pthread_t t[16];
        const double t0 = seconds();
        for (int i = 0; i < creators; i++) failed += pthread_create(&t[i], 0, create_and_join, (void*)n) != 0;
        for (int i = 0; i < creators; i++) {
            void* r = 0;
            pthread_join(t[i], &r);
            failed += (long)r;
        }
        const double t1 = seconds();
        printf("bench: wall: %d CPUs, %d threads each making pthread_create + join: %.0f per second\n", cpus, creators,
               creators * n / (t1 - t0));
    }
    printf(failed ? "bench: FAILED: %ld pthread_create or join\n" : "bench: done\n", failed);
    return failed != 0;
}

int main(int argc, char** argv) {
    if (argc == 3 && strcmp(argv[1], "scale") == 0) return scale(atol(argv[2]));
    unsigned long long a = counter(), b = counter();
    overhead = b - a;
    printf("bench: linux_getppid %llu\n", median(op_getppid));
    printf("bench: linux_pthread_create_join %llu\n", median(op_thread));
    fflush(stdout);
    printf("bench: linux_fork_wait4 %llu\n", median(op_fork));
    printf("bench: linux_futex_wake_roundtrip %llu\n", median(op_futex));
    printf("bench: done\n");
    return 0;
}
