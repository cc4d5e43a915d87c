/* Files from an unmodified static glibc program: stdio on the console, open/read/fstat/
 * lseek/close of a file of the initrd (argv[1], default /hello.txt; on Linux the test
 * passes the same file's copy in the source tree), and the errors Linux gives. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/hello.txt";
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 1;
    struct stat st;
    if (fstat(fd, &st) != 0) return 2;
    char buf[128] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("read %zd of %lld bytes (a regular file: %d): %s", n, (long long)st.st_size, S_ISREG(st.st_mode), buf);
    off_t at = lseek(fd, 6, SEEK_SET);
    memset(buf, 0, sizeof buf);
    n = read(fd, buf, 4);
    off_t end = lseek(fd, 0, SEEK_END);
    ssize_t past = read(fd, buf + 8, 1);
    printf("lseek to %lld, read %zd: '%s'; the end at %lld, read there: %zd\n", (long long)at, n, buf, (long long)end, past);
    int first = close(fd);
    int second = close(fd);
    printf("close: %d, again: %d (EBADF %d)\n", first, second, errno == EBADF);
    errno = 0;
    int missing = open("/no/such/file", O_RDONLY);
    printf("open of a missing file: %d (ENOENT %d)\n", missing, errno == ENOENT);
    errno = 0;
    int notdir = open(path, O_RDONLY | O_DIRECTORY);
    printf("open of a file as a directory: %d (ENOTDIR %d)\n", notdir, errno == ENOTDIR);
    fprintf(stderr, "stderr works too\n");
    return 0;
}
