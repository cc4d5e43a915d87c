/* Time from an unmodified static glibc program: clocks that move forward, sleeps that
 * last at least what was asked (nanosleep, clock_nanosleep with an absolute deadline,
 * usleep), timed waits that time out (pthread_cond_timedwait, sem_timedwait: futex
 * timeouts) or are woken first, and the errors Linux gives. The same binary runs on Linux
 * with the same output. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long ms_since(const struct timespec *a) {
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000LL + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static volatile sig_atomic_t g_alarms;
static void on_alarm(int sig) { (void)sig, g_alarms++; }

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_flag;

static void *signaller(void *arg) {
    (void)arg;
    struct timespec d = {0, 30 * 1000000};
    nanosleep(&d, NULL);
    pthread_mutex_lock(&g_lock);
    g_flag = 1;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

/* Busy in user code for `ms` milliseconds of the monotonic clock (looking at the clock
   only now and then: its calls are procserv's work, not this thread's). */
static void spin(long long ms) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (ms_since(&start) < ms)
        for (volatile int i = 0; i < 200000; i++) {
        }
}
static long long g_spinner_cpu_ms;
static void *spinner(void *arg) {
    (void)arg;
    spin(300);
    struct timespec cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    g_spinner_cpu_ms = cpu.tv_sec * 1000 + cpu.tv_nsec / 1000000;
    return NULL;
}
static long long ms_of(const struct timeval *tv) { return tv->tv_sec * 1000LL + tv->tv_usec / 1000; }

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct timespec a, b, res;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    int forward = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
    int r = clock_getres(CLOCK_MONOTONIC, &res);
    printf("monotonic moves forward: %d; clock_getres: %d, at most 10 ms %d\n", forward, r,
           res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);
    struct timeval tv;
    r = gettimeofday(&tv, NULL);
    time_t now = time(NULL);
    /* Within a second either way: Linux's time() reads the coarse clock, which may still
       be in the second before the one gettimeofday just saw. */
    printf("gettimeofday: %d; time() agrees: %d\n", r, now - tv.tv_sec <= 1 && tv.tv_sec - now <= 1);
    printf("the real time is after 2020: %d\n", now > 1577836800); /* (the machine's clock, not 1970) */

    struct timespec d = {0, 50 * 1000000};
    clock_gettime(CLOCK_MONOTONIC, &a);
    r = nanosleep(&d, NULL);
    long long slept = ms_since(&a);
    printf("nanosleep(50 ms): %d, slept at least 50 ms %d, less than 2 s %d\n", r, slept >= 50, slept < 2000);

    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec until = a;
    until.tv_nsec += 40 * 1000000;
    if (until.tv_nsec >= 1000000000) until.tv_sec += 1, until.tv_nsec -= 1000000000;
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    slept = ms_since(&a);
    printf("clock_nanosleep to an absolute time 40 ms away: %d, at least 40 ms %d\n", r, slept >= 40);
    clock_gettime(CLOCK_MONOTONIC, &a);
    usleep(20000);
    printf("usleep(20000): at least 20 ms %d\n", ms_since(&a) >= 20);

    /* A condition variable's timed wait times out (a futex wait with a deadline)... */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 60 * 1000000;
    if (deadline.tv_nsec >= 1000000000) deadline.tv_sec += 1, deadline.tv_nsec -= 1000000000;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pthread_mutex_lock(&g_lock);
    r = pthread_cond_timedwait(&g_cond, &g_lock, &deadline);
    pthread_mutex_unlock(&g_lock);
    printf("pthread_cond_timedwait with nobody signalling: ETIMEDOUT %d, after at least 60 ms %d\n", r == ETIMEDOUT,
           ms_since(&a) >= 60);
    /* ... or is woken first. */
    pthread_t t;
    pthread_create(&t, NULL, signaller, NULL);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&g_lock);
    r = 0;
    while (!g_flag && r == 0) r = pthread_cond_timedwait(&g_cond, &g_lock, &deadline);
    pthread_mutex_unlock(&g_lock);
    pthread_join(t, NULL);
    printf("pthread_cond_timedwait signalled after 30 ms: %d, flag %d\n", r, g_flag);

    sem_t sem;
    sem_init(&sem, 0, 0);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 30 * 1000000;
    if (deadline.tv_nsec >= 1000000000) deadline.tv_sec += 1, deadline.tv_nsec -= 1000000000;
    r = sem_timedwait(&sem, &deadline);
    printf("sem_timedwait: %d (ETIMEDOUT %d)\n", r, errno == ETIMEDOUT);

    /* The real-time timer: SIGALRM, once (alarm) or periodically (setitimer). */
    signal(SIGALRM, on_alarm);
    alarm(5);
    unsigned left = alarm(0);
    printf("alarm(0) after alarm(5): %u seconds were left\n", left);
    struct itimerval it = {{0, 20000}, {0, 30000}}, got;
    clock_gettime(CLOCK_MONOTONIC, &a);
    setitimer(ITIMER_REAL, &it, NULL);
    while (g_alarms < 3) pause();
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    getitimer(ITIMER_REAL, &got);
    printf("setitimer every 20 ms: SIGALRM %d times, after at least 70 ms %d; then off %d\n", (int)g_alarms,
           ms_since(&a) >= 70, got.it_value.tv_sec == 0 && got.it_value.tv_usec == 0);

    /* A handled signal ends a sleep early: EINTR (SA_RESTART or not), and rem says how
       much of it was left. */
    struct itimerval once = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &once, NULL);
    struct timespec two = {2, 0}, rem = {-1, -1};
    errno = 0;
    r = nanosleep(&two, &rem);
    printf("nanosleep(2 s) with SIGALRM after 100 ms: %d (EINTR %d), rem between 1 and 2 s %d\n", r, errno == EINTR,
           rem.tv_sec == 1 && rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);

    /* The errors */
    struct timespec bad = {0, 1000000000};
    errno = 0;
    r = nanosleep(&bad, NULL);
    printf("nanosleep with tv_nsec 10^9: %d (EINVAL %d)\n", r, errno == EINVAL);
    bad.tv_sec = -1, bad.tv_nsec = 0;
    errno = 0;
    r = nanosleep(&bad, NULL);
    printf("nanosleep of a negative time: %d (EINVAL %d)\n", r, errno == EINVAL);
    errno = 0;
    r = clock_gettime((clockid_t)100, &a);
    printf("clock_gettime of no such clock: %d (EINVAL %d)\n", r, errno == EINVAL);

    /* CPU time: a thread that spins for 300 ms has used about that much, the main thread
       that slept meanwhile almost none; the process's counts both (clock, getrusage,
       times), and a reaped child's shows in RUSAGE_CHILDREN and tms_cutime. */
    pthread_t spin_thread;
    pthread_create(&spin_thread, NULL, spinner, NULL);
    struct timespec tenth = {0, 100000000};
    nanosleep(&tenth, NULL);
    pthread_join(spin_thread, NULL);
    struct timespec mine, res_cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mine);
    int res_ok = clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res_cpu) == 0 && res_cpu.tv_sec == 0 && res_cpu.tv_nsec > 0 &&
                 res_cpu.tv_nsec <= 10000000;
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    struct tms tms_now;
    times(&tms_now);
    long long process_ms = (long long)clock() * 1000 / CLOCKS_PER_SEC;
    printf("CPU time: a thread spinning 300 ms used at least 150 ms %d; the sleeping main thread less than 100 ms %d; "
           "the process at least 150 ms by clock() %d, getrusage %d, times %d; resolution at most 10 ms %d\n",
           g_spinner_cpu_ms >= 150, mine.tv_sec == 0 && mine.tv_nsec < 100000000, process_ms >= 150,
           ms_of(&self.ru_utime) + ms_of(&self.ru_stime) >= 150,
           (tms_now.tms_utime + tms_now.tms_stime) * 1000 / sysconf(_SC_CLK_TCK) >= 150, res_ok);
    pid_t child = fork();
    if (child == 0) {
        spin(200);
        _exit(0);
    }
    struct rusage of_child;
    wait4(child, NULL, 0, &of_child);
    struct rusage children;
    getrusage(RUSAGE_CHILDREN, &children);
    times(&tms_now);
    errno = 0;
    r = getrusage(7, &children);
    printf("a reaped child's 200 ms: wait4's rusage at least 100 ms %d, RUSAGE_CHILDREN %d, tms_cutime %d; "
           "getrusage(7): %d (EINVAL %d)\n",
           ms_of(&of_child.ru_utime) + ms_of(&of_child.ru_stime) >= 100,
           ms_of(&children.ru_utime) + ms_of(&children.ru_stime) >= 100,
           (tms_now.tms_cutime + tms_now.tms_cstime) * 1000 / sysconf(_SC_CLK_TCK) >= 100, r, errno == EINVAL);
    return 0;
}
