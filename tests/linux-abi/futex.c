/* Raw futex operations from an unmodified static glibc program: FUTEX_CMP_REQUEUE and
 * FUTEX_REQUEUE moving waiters from one word to another (musl's condition variables use
 * them), FUTEX_WAKE_OP, and their errors. The same binary runs on Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Atomic int g_a, g_b, g_done;
static long futex(_Atomic int *addr, int op, int val, long val2, _Atomic int *addr2, int val3) {
    return syscall(SYS_futex, addr, op, val, val2, addr2, val3);
}

static void *waiter(void *arg) {
    (void)arg;
    while (atomic_load(&g_a) == 0) futex(&g_a, FUTEX_WAIT, 0, 0, NULL, 0);
    atomic_fetch_add(&g_done, 1);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t t[2];
    for (int i = 0; i < 2; ++i) pthread_create(&t[i], NULL, waiter, NULL);
    /* Move both waiters to g_b once they wait (none woken: count 0); on a busy machine
     * they may take a while to get there (10 s at most). */
    long moved = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (now = start; moved < 2 && now.tv_sec - start.tv_sec < 10; clock_gettime(CLOCK_MONOTONIC, &now)) {
        long r = futex(&g_a, FUTEX_CMP_REQUEUE, 0, 10, &g_b, 0);
        if (r > 0) moved += r;
        sched_yield();
    }
    errno = 0;
    long wrong = futex(&g_a, FUTEX_CMP_REQUEUE, 0, 10, &g_b, 7);
    printf("FUTEX_CMP_REQUEUE moved %ld waiters; with a stale value: %ld (EAGAIN %d)\n", moved, wrong, errno == EAGAIN);
    atomic_store(&g_a, 1);
    long first = futex(&g_b, FUTEX_WAKE, 1, 0, NULL, 0);
    long second = futex(&g_b, FUTEX_WAKE, 10, 0, NULL, 0);
    futex(&g_a, FUTEX_WAKE, 10, 0, NULL, 0); /* (one never moved must not wait forever) */
    for (int i = 0; i < 2; ++i) pthread_join(t[i], NULL);
    printf("woken at the new word: %ld then %ld; both threads done %d\n", first, second, atomic_load(&g_done) == 2);

    /* FUTEX_WAKE_OP: b += 5, wake a's waiters, and b's if b was 0 (it was). */
    atomic_store(&g_b, 0);
    long r = futex(&g_a, FUTEX_WAKE_OP, 1, 1, &g_b, FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0));
    printf("FUTEX_WAKE_OP: %ld woken, the second word is now %d\n", r, atomic_load(&g_b));
    r = futex(&g_a, FUTEX_WAKE_OP, 1, 1, &g_b, FUTEX_OP(FUTEX_OP_OR, 2, FUTEX_OP_CMP_GT, 10));
    printf("FUTEX_WAKE_OP with OR 2: %ld woken, the word is now %d\n", r, atomic_load(&g_b));

    errno = 0;
    r = futex(&g_a, FUTEX_REQUEUE, 1, 1, (_Atomic int *)((uintptr_t)&g_b + 1), 0);
    printf("FUTEX_REQUEUE to an unaligned word: %ld (EINVAL %d)\n", r, errno == EINVAL);
    return 0;
}
