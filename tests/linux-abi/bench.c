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
 * Runs on Linux too (the figures are then the host's, not comparable). */
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
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

int main(void) {
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
