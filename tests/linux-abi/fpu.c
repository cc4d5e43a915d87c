/* FP/SIMD state is each thread's own (the kernel switches it lazily): threads that
   compute with many live FP registers run beside each other and beside threads that use
   no FP, across preemption, page faults and system calls, and each gets exactly what it
   gets alone; each thread keeps its own rounding mode; a new thread starts with the
   reset state (round to nearest, no exception traps). Checked against Linux. */
#define _GNU_SOURCE
#include <fenv.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { kIterations = 300000, kPages = 64 };

/* Eight accumulators kept in registers through a long loop: a lost or mixed-up register
   on a switch changes the result. Every 4096 rounds: a yield, a system call and a first
   touch of a page (a fault the kernel hands to the process server). */
static __attribute__((noinline)) double work(double seed, char* pages) {
    double a0 = seed, a1 = seed + 0.25, a2 = seed + 0.5, a3 = seed + 0.75;
    double a4 = seed + 1, a5 = seed + 1.25, a6 = seed + 1.5, a7 = seed + 1.75;
    for (int i = 0; i < kIterations; i++) {
        double x = (double)(i & 7);
        a0 = a0 * 1.0000001 + x / 3;
        a1 = a1 * 0.9999999 + x / 5;
        a2 = a2 * 1.0000003 - x / 7;
        a3 = a3 * 0.9999997 + x / 11;
        a4 = a4 * 1.0000002 - x / 13;
        a5 = a5 * 0.9999998 + x / 17;
        a6 = a6 * 1.0000004 - x / 19;
        a7 = a7 * 0.9999996 + x / 23;
        if ((i & 4095) == 0) {
            sched_yield();
            (void)getppid();
            if (pages) pages[(i / 4096 % kPages) * 4096] = 1;
        }
    }
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

static volatile double g_seed = 1.5;
static double g_alone[2];
static int g_same[2];

static void* fp_thread(void* arg) {
    long k = (long)arg;
    char* pages = mmap(0, kPages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    double r = work(g_seed + (double)k, pages == MAP_FAILED ? 0 : pages);
    g_same[k] = memcmp(&r, &g_alone[k], sizeof r) == 0;
    return 0;
}

static volatile long g_spins;
static void* int_thread(void* arg) { /* no FP at all */
    (void)arg;
    for (long i = 0; i < 20 * 4096; i++) {
        g_spins += i;
        if ((i & 4095) == 0) sched_yield(), (void)getppid();
    }
    return 0;
}

static volatile double g_one = 1, g_three = 3;
static int g_kept[2];
static void* rounding_thread(void* arg) {
    long up = (long)arg;
    fesetround(up ? FE_UPWARD : FE_DOWNWARD);
    fesetround(up ? FE_UPWARD : FE_DOWNWARD);
    double nearest = 0x1.5555555555555p-2; /* 1/3 rounded to nearest (downward too) */
    int kept = 1;
    for (int i = 0; i < 2000; i++) {
        double third = g_one / g_three;
        if (up ? !(third > nearest) : !(third == nearest)) kept = 0;
        if (fegetround() != (up ? FE_UPWARD : FE_DOWNWARD)) kept = 0;
        if ((i & 63) == 0) sched_yield();
    }
    g_kept[up] = kept;
    return 0;
}

static int g_new_nearest, g_new_traps;
static void* fresh_thread(void* arg) {
    (void)arg;
    g_new_nearest = fegetround() == FE_TONEAREST;
    g_new_traps = fegetexcept();
    return 0;
}

int main(void) {
    printf("main: round to nearest %d, exception traps %#x\n", fegetround() == FE_TONEAREST, fegetexcept());
    fesetround(FE_UPWARD); /* a new thread does not inherit it (its own reset state) */
    pthread_t t[7];
    pthread_create(&t[0], 0, fresh_thread, 0);
    pthread_join(t[0], 0);
    fesetround(FE_TONEAREST);
    printf("a new thread: round to nearest %d, exception traps %#x\n", g_new_nearest, g_new_traps);

    for (int k = 0; k < 2; k++) g_alone[k] = work(g_seed + k, 0);
    pthread_create(&t[0], 0, fp_thread, (void*)0);
    pthread_create(&t[1], 0, fp_thread, (void*)1);
    pthread_create(&t[2], 0, int_thread, 0);
    pthread_create(&t[3], 0, int_thread, 0);
    pthread_create(&t[4], 0, rounding_thread, (void*)1);
    pthread_create(&t[5], 0, rounding_thread, (void*)0);
    double mine = work(g_seed + 7, 0); /* main computes meanwhile too */
    for (int i = 0; i < 6; i++) pthread_join(t[i], 0);
    double again = work(g_seed + 7, 0);
    printf("FP threads beside each other: the same results as alone %d %d, main's %d\n", g_same[0], g_same[1],
           memcmp(&mine, &again, sizeof mine) == 0);
    printf("rounding kept per thread: upward %d, downward %d; main's still to nearest %d\n", g_kept[1], g_kept[0],
           fegetround() == FE_TONEAREST);
    return 0;
}
