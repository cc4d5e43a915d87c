// MAP_SHARED mappings of files in the RAM filesystems (/tmp, /dev/shm through shm_open):
// one set of bytes seen by every mapping, by read and write, and by a fork's child that
// keeps its results in one; SIGBUS past the end; the rights of a read-only descriptor;
// a mapping that outlives its file's name and descriptor; msync. Runs the same on Linux.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int bus_signal;

static void on_bus(int sig) {
    bus_signal = sig;
    siglongjmp(back, 1);
}

int main(void) {
    // Bytes written before the first mapping are in it; writes through either way show in the other.
    int fd = open("/tmp/shared.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int wrote = (int)write(fd, "hello", 5);
    int grown = ftruncate(fd, 2 * 4096);
    char *map = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        printf("mmap failed: errno %d\n", errno);
        return 1;
    }
    printf("write 5: %d, ftruncate: %d; the mapping holds 'hello': %d\n", wrote, grown, memcmp(map, "hello", 5) == 0);
    map[4096] = 'X';
    char got = 0;
    int pread_x = (int)pread(fd, &got, 1, 4096);
    int pwrote = (int)pwrite(fd, "W", 1, 10);
    printf("a store shows in pread: %d %c; a pwrite shows in the mapping: %d %c\n", pread_x, got, pwrote, map[10]);

    // A fork's child writes its results into the mapping it inherited, and into a mapping of its own.
    pid_t child = fork();
    if (child == 0) {
        map[100] = 42;
        int again = open("/tmp/shared.dat", O_RDWR);
        char *own = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, again, 4096);
        if (own == MAP_FAILED) _exit(2);
        own[200] = 'C'; // page 1 of the file: map[4096 + 200]
        _exit(own[0] == 'X' ? 0 : 1);
    }
    int st = 0;
    waitpid(child, &st, 0);
    printf("the child exited %d; its results are in the parent's mapping: %d %c\n", WEXITSTATUS(st), map[100],
           map[4096 + 200]);

    // Past the end of the file: SIGBUS; within the last page: zeros.
    char *three = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, fd, 0);
    signal(SIGBUS, on_bus);
    volatile char past = 0;
    if (sigsetjmp(back, 1) == 0) past = three[2 * 4096];
    printf("a read past the end of the file: signal %d (SIGBUS %d)\n", bus_signal, bus_signal == SIGBUS);
    (void)past;
    munmap(three, 3 * 4096);

    // A read-only descriptor maps for reading only, and mprotect cannot add writing.
    int ro = open("/tmp/shared.dat", O_RDONLY);
    void *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    int rw_errno = errno;
    char *rd = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
    int prot = mprotect(rd, 4096, PROT_READ | PROT_WRITE);
    int prot_errno = errno;
    int priv = mprotect(rd, 4096, PROT_READ);
    printf("read-only descriptor: PROT_WRITE %d (EACCES %d), PROT_READ reads 'hello' %d, mprotect to write %d "
           "(EACCES %d), to read %d\n",
           rw == MAP_FAILED ? -1 : 0, rw_errno == EACCES, rd != MAP_FAILED && memcmp(rd, "hello", 5) == 0, prot,
           prot_errno == EACCES, priv);
    munmap(rd, 4096);
    close(ro);

    // Shrinking the file: its tail reads zeros after it grows again, through read and the mapping.
    int shrunk = ftruncate(fd, 3);
    int regrown = ftruncate(fd, 2 * 4096);
    char tail[3] = {1, 1, 1};
    pread(fd, tail, 3, 3);
    printf("ftruncate to 3 and back: %d %d; 'hel' kept %d, zeros after it %d %d\n", shrunk, regrown,
           memcmp(map, "hel", 3) == 0, map[3] == 0 && map[4096] == 0, tail[0] == 0 && tail[1] == 0);

    // The mapping outlives the name and the descriptor.
    map[0] = 'M';
    int gone = unlink("/tmp/shared.dat");
    int closed = close(fd);
    map[1] = 'N';
    int synced = msync(map, 2 * 4096, MS_SYNC);
    int bad = msync(map, 4096, MS_SYNC | MS_ASYNC);
    printf("unlink %d, close %d: the mapping still holds %c%c; msync %d, MS_SYNC|MS_ASYNC %d (EINVAL %d)\n", gone,
           closed, map[0], map[1], synced, bad, errno == EINVAL);
    munmap(map, 2 * 4096);

    // POSIX shared memory: shm_open in /dev/shm, shared with a child that maps it by name.
    int shm = shm_open("/mk-test", O_RDWR | O_CREAT | O_EXCL, 0600);
    int sized = ftruncate(shm, 4096);
    volatile int *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
    *counter = 1;
    child = fork();
    if (child == 0) {
        int again = shm_open("/mk-test", O_RDWR, 0);
        volatile int *other = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, again, 0);
        if (other == MAP_FAILED) _exit(2);
        *other += 10;
        _exit(0);
    }
    waitpid(child, &st, 0);
    printf("shm_open %d, ftruncate %d; the child added 10: %d; shm_unlink %d\n", shm >= 0, sized, *counter,
           shm_unlink("/mk-test"));
    munmap((void *)counter, 4096);
    close(shm);
    return 0;
}
