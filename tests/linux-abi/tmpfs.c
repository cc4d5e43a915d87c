/* A writable filesystem from an unmodified static glibc program: files and directories
 * in /tmp (create, append, pread/pwrite, truncate, rename, unlink while open, readdir),
 * descriptors (dup, dup2 of stdout into a file, fcntl), /dev/null, and the errors Linux
 * gives. The same binary runs on Linux with the same output. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names in directory `path`, sorted, on one line. */
static void list(const char *path) {
    DIR *d = opendir(path);
    char *names[32];
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 32) names[n++] = strdup(e->d_name);
    if (d) closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("%s holds:", path);
    for (int i = 0; i < n; ++i) printf(" %s", names[i]), free(names[i]);
    printf("\n");
}

/* A call that must fail: its result and whether errno is the one Linux gives. */
#define ERR(call, code)                                                                  \
    do {                                                                                 \
        errno = 0;                                                                       \
        long r_ = (long)(call);                                                          \
        int ok_ = errno == code;                                                         \
        printf("%s: %ld (%s %d)\n", #call, r_, #code, ok_);                              \
    } while (0)

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    umask(022);
    char dir[64], cwd[64];
    snprintf(dir, sizeof dir, "/tmp/mk-abi-%d", (int)getpid());
    struct stat st;
    printf("/tmp is a directory: %d\n", stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode));
    if (mkdir(dir, 0755) != 0 || chdir(dir) != 0) return 1; /* (never in anyone else's directory) */
    printf("getcwd is it: %d\n", getcwd(cwd, sizeof cwd) && strcmp(cwd, dir) == 0);

    int fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0666);
    printf("write: %zd\n", write(fd, "hello, tmpfs\n", 13));
    close(fd);
    fd = open("a.txt", O_RDWR | O_APPEND);
    write(fd, "more\n", 5);
    char buf[256] = {0};
    ssize_t got;
    printf("lseek: %ld, ", (long)lseek(fd, 0, SEEK_SET));
    got = read(fd, buf, sizeof buf - 1);
    printf("read %zd: %s", got, buf);
    fstat(fd, &st);
    printf("fstat: size %lld, regular %d, mode %o, links %d\n", (long long)st.st_size, S_ISREG(st.st_mode),
           st.st_mode & 0777, (int)st.st_nlink);
    close(fd);

    fd = open("a.txt", O_RDWR);
    printf("pwrite at 100: %zd; ", pwrite(fd, "far", 3, 100));
    memset(buf, 'x', sizeof buf);
    got = pread(fd, buf, 10, 50);
    printf("pread of the hole: %zd, zeros %d; ", got, buf[0] == 0 && buf[9] == 0);
    fstat(fd, &st);
    printf("size %lld; the offset is still %ld\n", (long long)st.st_size, (long)lseek(fd, 0, SEEK_CUR));
    printf("ftruncate to 5: %d; ", ftruncate(fd, 5));
    memset(buf, 0, sizeof buf);
    got = read(fd, buf, sizeof buf);
    printf("read %zd: '%s'\n", got, buf);

    int two = dup(fd);
    lseek(fd, 2, SEEK_SET);
    printf("dup shares the offset: %ld\n", (long)lseek(two, 0, SEEK_CUR));
    printf("FD_CLOEXEC: %d, ", fcntl(two, F_GETFD));
    fcntl(two, F_SETFD, FD_CLOEXEC);
    printf("set: %d; ", fcntl(two, F_GETFD));
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    printf("F_DUPFD_CLOEXEC from 10: >= 10 %d, cloexec %d; ", high >= 10, fcntl(high, F_GETFD));
    printf("O_RDWR %d; ", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
    fcntl(fd, F_SETFL, O_APPEND);
    printf("O_APPEND set %d\n", (fcntl(two, F_GETFL) & O_APPEND) != 0);
    close(two);
    close(high);
    close(fd);

    int out = open("stdout.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
    int saved = dup(1);
    dup2(out, 1);
    printf("this went into a file\n");
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    memset(buf, 0, sizeof buf);
    pread(out, buf, sizeof buf - 1, 0);
    printf("stdout.txt holds: %s", buf);
    fstat(out, &st);
    printf("its mode: %o\n", st.st_mode & 0777);

    printf("mkdir sub: %d; ", mkdir("sub", 0700));
    fd = open("sub/b", O_CREAT | O_WRONLY, 0644);
    close(fd);
    printf("rename a.txt to sub/c.txt: %d\n", rename("a.txt", "sub/c.txt"));
    list(".");
    list("sub");
    printf("access sub/b rw: %d; ", access("sub/b", R_OK | W_OK));
    ERR(access("nope", F_OK), ENOENT);
    ERR(open("nope", O_RDONLY), ENOENT);
    ERR(mkdir("sub", 0700), EEXIST);
    ERR(open("sub/b", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    ERR(rmdir("sub"), ENOTEMPTY);
    ERR(unlink("sub"), EISDIR);
    ERR(rmdir("stdout.txt"), ENOTDIR);
    ERR(open("sub/b/x", O_CREAT | O_WRONLY, 0644), ENOTDIR);
    ERR(rename("sub", "sub/inner"), EINVAL);
    ERR(open(".", O_WRONLY), EISDIR);
    ERR(read(out + 100, buf, 1), EBADF);
    ERR(dup2(out, -1), EBADF);

    /* A file unlinked while open lives on until its last close. */
    printf("unlink stdout.txt while open: %d; ", unlink("stdout.txt"));
    fstat(out, &st);
    got = pread(out, buf, 9, 0);
    printf("still reads %zd bytes, links %d\n", got, (int)st.st_nlink);
    close(out);

    /* A private mapping of a /tmp file: its bytes, writes of its own. */
    int m = open("mapped.bin", O_CREAT | O_RDWR, 0644);
    static char page[4096];
    for (int i = 0; i < 3; ++i) memset(page, 'a' + i, sizeof page), write(m, page, sizeof page);
    write(m, "tail", 4); /* 3 pages and 4 bytes */
    char *map = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, m, 4096);
    int right = map != MAP_FAILED && map[0] == 'b' && map[4095] == 'b' && map[4096] == 'c' &&
                memcmp(map + 8192, "tail", 4) == 0 && map[8196] == 0;
    if (map != MAP_FAILED) map[0] = 'Z';
    char first = 0;
    pread(m, &first, 1, 4096);
    pid_t child = fork();
    if (child == 0) _exit(map != MAP_FAILED && map[0] == 'Z' && map[1] == 'b' ? 0 : 1);
    int cst = -1;
    waitpid(child, &cst, 0);
    int ro = open("mapped.bin", O_WRONLY);
    void *none = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, ro, 0);
    int eno = errno;
    printf("a private mapping of a /tmp file at 4096: its bytes %d; a write to it stays its own (the file has '%c'), "
           "a fork child sees it %d; of a write-only descriptor: %d (EACCES %d)\n",
           right, first, WIFEXITED(cst) && WEXITSTATUS(cst) == 0, none == MAP_FAILED ? -1 : 0, eno == EACCES);
    munmap(map, 3 * 4096);
    close(ro);
    close(m);
    unlink("mapped.bin");

    int null = open("/dev/null", O_RDWR);
    got = write(null, "gone", 4);
    printf("/dev/null: write %zd, read %zd\n", got, read(null, buf, 4));
    close(null);

    int gone[5] = {unlink("sub/b"), unlink("sub/c.txt"), rmdir("sub"), chdir("/"), rmdir(dir)};
    printf("cleanup: %d %d %d %d %d\n", gone[0], gone[1], gone[2], gone[3], gone[4]);
    printf("the directory is gone: %d\n", stat(dir, &st) == -1 && errno == ENOENT);
    return 0;
}
