// The console as a terminal for input, as a static glibc program sees it: canonical lines
// and their editing, EOF, ^C as SIGINT to a read's caller, poll of the console and of
// pipes, and raw mode. The boot suite types the input after each marker line; on Linux
// it runs under script(1) with the same input fed slowly (tests/boot/boot_test.cpp).
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static volatile int interrupted;
static void on_int(int sig) { (void)sig; interrupted++; }

static void line(const char* what) {
    char buf[256];
    ssize_t n = read(0, buf, sizeof buf);
    int err = errno;
    if (n > 0 && buf[n - 1] == '\n') buf[--n] = 0;
    else if (n >= 0) buf[n] = 0;
    if (n < 0) printf("%s: -1 (EINTR %d), SIGINT handled %d\n", what, err == EINTR, interrupted);
    else printf("%s: %zd '%s'\n", what, n, buf);
}

static void pipes(void) {
    int p[2];
    pipe(p);
    struct pollfd pf[2] = {{.fd = p[0], .events = POLLIN}, {.fd = p[1], .events = POLLOUT}};
    int r1 = poll(pf, 2, 0);
    printf("poll of an empty pipe: %d, read end %#x, write end %#x\n", r1, pf[0].revents, pf[1].revents);
    write(p[1], "x", 1);
    int r2 = poll(pf, 1, 0);
    printf("with a byte in it: %d, read end %#x\n", r2, pf[0].revents);
    close(p[1]);
    char c;
    read(p[0], &c, 1);
    int r3 = poll(pf, 1, 0);
    printf("emptied, the writer gone: %d, read end %#x\n", r3, pf[0].revents);
    close(p[0]);
    pipe(p);
    pf[0].fd = p[0];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r4 = poll(pf, 1, 30);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("a timeout of 30 ms: %d after at least 30 ms %d\n", r4, ms >= 29);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "y", 1);
        _exit(0);
    }
    int r5 = poll(pf, 1, -1);
    printf("waiting for a child's write: %d, read end %#x\n", r5, pf[0].revents);
    waitpid(pid, NULL, 0);
    struct timespec zero = {0, 0};
    int r6 = ppoll(pf, 1, &zero, NULL);
    int closed = dup(0); /* a descriptor surely not open */
    close(closed);
    struct pollfd bad = {.fd = closed, .events = POLLIN};
    int r7 = poll(&bad, 1, 0);
    struct pollfd* volatile nowhere = (struct pollfd*)8;
    int r8 = poll(nowhere, 1, 0);
    int e8 = errno;
    printf("ppoll with a zero timeout: %d; a closed descriptor: %d, %#x (POLLNVAL); a bad array: %d (EFAULT %d)\n", r6,
           r7, bad.revents, r8, e8 == EFAULT);
    close(p[0]);
    close(p[1]);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_int;
    sigaction(SIGINT, &sa, NULL);
    pipes();
    printf("input: ready\n");
    line("a line");
    line("an edited line");
    line("interrupted");
    line("after it");
    line("end of file");
    struct pollfd in = {.fd = 0, .events = POLLIN};
    int none = poll(&in, 1, 0);
    printf("poll of the console with nothing typed: %d; waiting for a line\n", none);
    int got = poll(&in, 1, -1);
    printf("poll of the console: %d, %#x\n", got, in.revents);
    line("the line");
    struct termios t, raw;
    tcgetattr(0, &t);
    raw = t;
    raw.c_lflag &= ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &raw);
    printf("raw: ready\n");
    char c[3];
    ssize_t n = 0;
    while (n < 3) {
        ssize_t k = read(0, c + n, 3 - n);
        if (k <= 0) break;
        n += k;
    }
    tcsetattr(0, TCSANOW, &t);
    printf("raw: %zd bytes: %02x %02x %02x\n", n, c[0] & 0xff, c[1] & 0xff, c[2] & 0xff);
    return 0;
}
