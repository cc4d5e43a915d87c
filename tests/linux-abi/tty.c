/* The console as a terminal, from an unmodified static glibc program: isatty on 0, 1 and
 * 2, tcgetattr and tcsetattr (the settings are kept), the window size, the foreground
 * process group; a pipe and /dev/null are no terminals (ENOTTY). The same binary runs on
 * Linux on a pseudo-terminal (script(1)) with the same output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("isatty: stdin %d, stdout %d, stderr %d\n", isatty(0), isatty(1), isatty(2));
    struct termios t, back;
    int r = tcgetattr(1, &t);
    printf("tcgetattr: %d; canonical %d, echo %d, output processing %d\n", r, (t.c_lflag & ICANON) != 0,
           (t.c_lflag & ECHO) != 0, (t.c_oflag & OPOST) != 0);
    struct termios raw = t;
    raw.c_lflag &= ~(ECHO | ICANON);
    r = tcsetattr(1, TCSANOW, &raw);
    tcgetattr(1, &back);
    printf("tcsetattr without ECHO and ICANON: %d; read back: echo %d, canonical %d\n", r, (back.c_lflag & ECHO) != 0,
           (back.c_lflag & ICANON) != 0);
    tcsetattr(1, TCSANOW, &t);
    struct winsize ws;
    r = ioctl(1, TIOCGWINSZ, &ws);
    printf("TIOCGWINSZ: %d\n", r);
    printf("the foreground process group is mine: %d\n", tcgetpgrp(1) == getpgrp());
    int p[2];
    pipe(p);
    errno = 0;
    int a = isatty(p[0]);
    printf("a pipe: isatty %d (ENOTTY %d); ", a, errno == ENOTTY);
    int null = open("/dev/null", O_RDWR);
    errno = 0;
    a = isatty(null);
    printf("/dev/null: isatty %d (ENOTTY %d)\n", a, errno == ENOTTY);
    // /dev/tty is the terminal too; /dev/zero reads zeros, /dev/urandom random bytes.
    int tty = open("/dev/tty", O_RDWR);
    long wrote = write(tty, "written to /dev/tty\n", 20);
    printf("/dev/tty: opened %d, isatty %d, wrote %ld\n", tty >= 0, isatty(tty), wrote);
    unsigned char zeros[64], random[64];
    memset(zeros, 1, sizeof zeros);
    int z = open("/dev/zero", O_RDWR), u = open("/dev/urandom", O_RDONLY);
    long nz = read(z, zeros, sizeof zeros), nu = read(u, random, sizeof random), wz = write(z, "x", 1);
    int all_zero = 1, some_set = 0;
    for (int i = 0; i < 64; ++i) all_zero &= zeros[i] == 0, some_set |= random[i];
    struct stat sz, su;
    fstat(z, &sz);
    stat("/dev/urandom", &su);
    printf("/dev/zero: read %ld, all zero %d, write %ld, char device %u:%u; /dev/urandom: read %ld, not all zero %d, "
           "char device %u:%u\n",
           nz, all_zero, wz, major(sz.st_rdev), minor(sz.st_rdev), nu, some_set != 0, major(su.st_rdev),
           minor(su.st_rdev));
    return 0;
}
