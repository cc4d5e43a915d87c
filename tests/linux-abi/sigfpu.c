/* A signal handler does not disturb the FP/SIMD state of the code it interrupts: a
   computation keeps eight accumulators in FP registers across a store that faults; the
   SIGSEGV handler computes with many FP registers of its own and changes the rounding
   mode, then makes the page writable and returns; the computation goes on and gets
   exactly what it gets without faults, in the rounding mode it had. A handler may also
   change the interrupted code's FP registers through its frame on purpose (here: not
   tested, the layouts differ per arch). Checked against Linux. */
#define _GNU_SOURCE
#include <fenv.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { kIterations = 200000, kPages = 16 };

/* No calls in the loop: the accumulators live in registers the calling convention does
   not preserve, which only the signal frame can keep. */
static __attribute__((noinline)) double work(double seed, volatile char* pages) {
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
        if ((i & 8191) == 0) pages[(i / 8192 % kPages) * 4096] = 1; /* faults while the page is read-only */
    }
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

static volatile double g_sink;
static __attribute__((noinline)) void clobber(double seed) {
    double b[16];
    for (int k = 0; k < 16; k++) b[k] = seed * (k + 1);
    for (int i = 0; i < 1000; i++)
        for (int k = 0; k < 16; k++) b[k] = b[k] * 1.0001 + b[(k + 1) & 15] / 7;
    double s = 0;
    for (int k = 0; k < 16; k++) s += b[k];
    g_sink = s;
}

static volatile char* g_pages;
static volatile int g_faults;
static void on_segv(int sig, siginfo_t* info, void* uc) {
    (void)sig, (void)uc;
    g_faults++;
    fesetround(FE_UPWARD);
    clobber(3.75);
    char* page = (char*)((unsigned long)info->si_addr & ~4095ul);
    mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

int main(void) {
    static char alone_pages[kPages * 4096];
    double alone = work(1.5, alone_pages);

    g_pages = mmap(0, kPages * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    double faulted = work(1.5, g_pages);
    int mode = fegetround();
    printf("%d faults, each handler clobbering FP registers and the rounding mode: the same result %d, "
           "still round to nearest %d\n",
           g_faults, memcmp(&alone, &faulted, sizeof alone) == 0, mode == FE_TONEAREST);
    return 0;
}
