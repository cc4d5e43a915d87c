// CPU affinity (sched_setaffinity, sched_getaffinity, and glibc's pthread_*affinity_np,
// the same calls for one thread): a thread pinned to each CPU runs there (sched_getcpu,
// getcpu(2), says so), threads started without a mask spread over every CPU, a fork's child
// inherits the mask, the errors, and exit_group ending a process whose threads spin on
// every CPU; a nanosleep ends while other threads keep procserv busy; FUTEX_WAKE_OP's
// change to a word is atomic against another CPU's atomic adds to it. Booted with --smp 4
// (and on Linux, whatever its CPU count): the lines never say how many CPUs there are.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CPUS 64

static int ncpus;
static volatile unsigned long progress[MAX_CPUS];
static volatile int stop;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/// Pins itself to CPU `arg`, checks the mask it reads back, then counts until told to stop.
static void* spin(void* arg) {
    long cpu = (long)arg;
    cpu_set_t set, got;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) return (void*)1;
    if (pthread_getaffinity_np(pthread_self(), sizeof got, &got) != 0 || CPU_COUNT(&got) != 1 || !CPU_ISSET(cpu, &got))
        return (void*)2;
    if (sched_getcpu() != cpu) return (void*)4;
    unsigned got_cpu = ~0u, node = ~0u;
    if (syscall(SYS_getcpu, &got_cpu, &node, 0) != 0 || got_cpu != cpu || node != 0) return (void*)8;
    while (!stop) progress[cpu]++;
    return 0;
}

/// Without a mask: notes where it runs (sched_getcpu) now and then, until told to stop.
static volatile int where[MAX_CPUS];
static void* wander(void* arg) {
    long i = (long)arg;
    while (!stop) {
        where[i] = sched_getcpu();
        for (int k = 0; k < 1000000 && !stop; k++) progress[i]++;
    }
    return 0;
}

/// One thread per CPU, no mask: true once they were seen on every CPU at the same time
/// (at most 60 s).
static int spread_over_cpus(void) {
    pthread_t threads[MAX_CPUS];
    stop = 0;
    for (long i = 0; i < ncpus; i++) {
        where[i] = -1;
        if (pthread_create(&threads[i], 0, wander, (void*)i) != 0) return 0;
    }
    int spread = 0;
    double give_up = now() + 60;
    while (!spread && now() < give_up) {
        struct timespec tick = {0, 10000000};
        nanosleep(&tick, 0);
        unsigned long long seen = 0;
        for (int i = 0; i < ncpus; i++)
            if (where[i] >= 0 && where[i] < 64) seen |= 1ull << where[i];
        spread = __builtin_popcountll(seen) == ncpus;
    }
    stop = 1;
    for (int i = 0; i < ncpus; i++) pthread_join(threads[i], 0);
    return spread;
}

/// Starts a spinner per CPU; true once each has counted (at most 60 s).
static int start_spinners(pthread_t* threads) {
    for (long i = 0; i < ncpus; i++) {
        progress[i] = 0;
        if (pthread_create(&threads[i], 0, spin, (void*)i) != 0) return 0;
    }
    double give_up = now() + 60;
    for (int i = 0; i < ncpus; i++)
        while (progress[i] == 0 && now() < give_up) sched_yield();
    for (int i = 0; i < ncpus; i++)
        if (progress[i] == 0) return 0;
    return 1;
}

/// Makes a system call the process server answers (getcpu), again and again, until told to stop.
static volatile int callers_stop;
static void* caller(void* arg) {
    (void)arg;
    unsigned cpu;
    while (!callers_stop) syscall(SYS_getcpu, &cpu, 0, 0);
    return 0;
}

/// A 50 ms nanosleep while three threads per CPU keep making system calls: true if it
/// ends within 2 s. (procserv answered sleeps only when its receive timed out, which it
/// never did while a request was always waiting: the sleep never ended.)
static int sleep_among_callers(void) {
    pthread_t threads[3 * MAX_CPUS];
    const int n = 3 * ncpus;
    callers_stop = 0;
    for (int i = 0; i < n; i++)
        if (pthread_create(&threads[i], 0, caller, 0) != 0) return 0;
    const double start = now();
    struct timespec d = {0, 50000000};
    nanosleep(&d, 0);
    const double took = now() - start;
    callers_stop = 1;
    for (int i = 0; i < n; i++) pthread_join(threads[i], 0);
    return took >= 0.05 && took < 2;
}

/// Adds 1 to the word, atomically, until told to stop (pinned to CPU `arg`); the count.
static int wake_op_word, wake_op_other;
static volatile int adders_stop;
static void* adder(void* arg) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((long)arg, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    long adds = 0;
    while (!adders_stop) {
        __atomic_fetch_add(&wake_op_word, 1, __ATOMIC_SEQ_CST);
        adds++;
    }
    return (void*)adds;
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    cpu_set_t all;
    if (sched_getaffinity(0, sizeof all, &all) != 0) return 1;
    ncpus = CPU_COUNT(&all);
    if (ncpus > MAX_CPUS) ncpus = MAX_CPUS;
    int from_zero = 1;
    for (int i = 0; i < ncpus; i++) from_zero &= CPU_ISSET(i, &all) != 0;
    printf("sched_getaffinity: the CPUs from 0 on %d\n", from_zero);

    pthread_t threads[MAX_CPUS];
    int ran = start_spinners(threads);
    stop = 1;
    long bad = 0;
    for (int i = 0; i < ncpus; i++) {
        void* r;
        pthread_join(threads[i], &r);
        bad |= (long)r;
    }
    printf("a thread pinned to each CPU runs there (sched_getcpu and getcpu say so) and reads its mask back: %d\n",
           ran && !bad);
    printf("threads started without a mask, one per CPU, run on every CPU at once: %d\n", spread_over_cpus());
    printf("a 50 ms sleep ends while three threads per CPU keep making system calls: %d\n", sleep_among_callers());
    unsigned cpu = 0;
    errno = 0;
    long bad_cpu = syscall(SYS_getcpu, (void*)8, &cpu, 0);
    printf("getcpu into a bad address: %ld (EFAULT %d)\n", bad_cpu, errno == EFAULT);

    // The mask is inherited: a fork's child of a thread pinned to CPU 0 is pinned too.
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    pid_t child = fork();
    if (child == 0) {
        cpu_set_t got;
        _exit(sched_getaffinity(0, sizeof got, &got) == 0 && CPU_COUNT(&got) == 1 && CPU_ISSET(0, &got) ? 0 : 1);
    }
    int status = -1;
    waitpid(child, &status, 0);
    printf("a fork's child inherits its parent's mask: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    sched_setaffinity(0, sizeof all, &all);

    // FUTEX_WAKE_OP adds 1 to wake_op_word 2,000 times while a thread on another CPU adds
    // to it too: no add may be lost (procserv makes the change for the program).
    pthread_t add_thread;
    pthread_create(&add_thread, 0, adder, (void*)(long)(ncpus - 1));
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    while (__atomic_load_n(&wake_op_word, __ATOMIC_SEQ_CST) == 0) sched_yield(); // (the adder runs)
    const int kOps = 2000;
    int op_failed = 0;
    for (int i = 0; i < kOps; i++)
        op_failed |= syscall(SYS_futex, &wake_op_other, FUTEX_WAKE_OP, 0, (void*)0, &wake_op_word,
                             FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)) != 0;
    adders_stop = 1;
    void* adds;
    pthread_join(add_thread, &adds);
    sched_setaffinity(0, sizeof all, &all);
    printf("FUTEX_WAKE_OP's adds and another CPU's atomic adds to one word all count: %d\n",
           !op_failed && wake_op_word == (long)adds + kOps);

    // Errors.
    cpu_set_t none;
    CPU_ZERO(&none);
    errno = 0;
    long r = sched_setaffinity(0, sizeof none, &none);
    printf("an empty mask: %ld (EINVAL %d)\n", r, errno == EINVAL);
    cpu_set_t beyond;
    CPU_ZERO(&beyond);
    CPU_SET(1023, &beyond); // (no machine here has that many)
    errno = 0;
    r = sched_setaffinity(0, sizeof beyond, &beyond);
    printf("a mask of no existing CPU: %ld (EINVAL %d)\n", r, errno == EINVAL);
    errno = 0;
    r = syscall(SYS_sched_setaffinity, 0, sizeof all, (void*)8);
    printf("a mask at a bad address: %ld (EFAULT %d)\n", r, errno == EFAULT);
    errno = 0;
    r = syscall(SYS_sched_getaffinity, 0, sizeof all, (void*)8);
    printf("reading into a bad address: %ld (EFAULT %d)\n", r, errno == EFAULT);
    errno = 0;
    r = syscall(SYS_sched_getaffinity, 0, 4, &all);
    printf("reading into 4 bytes: %ld (EINVAL %d)\n", r, errno == EINVAL);
    errno = 0;
    r = sched_setaffinity(999999, sizeof all, &all);
    printf("no such thread: %ld (ESRCH %d)\n", r, errno == ESRCH);

    // exit_group while a thread spins on each CPU (exit from main is exit_group).
    child = fork();
    if (child == 0) {
        stop = 0;
        if (!start_spinners(threads)) _exit(1);
        exit(9);
    }
    status = -1;
    waitpid(child, &status, 0);
    printf("exit_group while a thread spins on each CPU: exited %d, status %d\n", WIFEXITED(status),
           WEXITSTATUS(status));
    return 0;
}
