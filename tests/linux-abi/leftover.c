// Leaves a directory and a 5000-byte file in it (under the path it is given, in /tmp) and
// ends: procserv's last line then says what /tmp still holds, whose memory is rightly not
// free again (tests/boot/linux_abi_test.cpp).
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    char path[256];
    snprintf(path, sizeof path, "%s/data", argv[1]);
    if (mkdir(argv[1], 0755) != 0) return 1;
    FILE *f = fopen(path, "w");
    if (!f) return 1;
    static char bytes[5000];
    memset(bytes, 'x', sizeof bytes);
    size_t wrote = fwrite(bytes, 1, sizeof bytes, f);
    if (fclose(f) != 0) return 1;
    printf("left %s: %zu bytes\n", path, wrote);
    return 0;
}
