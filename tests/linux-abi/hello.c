/* An unmodified static glibc program (Debian's gcc -static for each arch): the first
 * Linux binary procserv runs. The same binary runs on Linux (tests/linux-abi/README.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    printf("hello from glibc: %d arguments:", argc);
    for (int i = 0; i < argc; ++i) printf(" %s", argv[i]);
    printf("\n");
    char *p = malloc(1 << 20); /* brk or mmap */
    if (!p) return 1;
    memset(p, 7, 1 << 20);
    printf("malloc'd 1 MiB, pid %d\n", (int)getpid());
    return argc == 2 && strcmp(argv[1], "seven") == 0 ? 7 : 0;
}
