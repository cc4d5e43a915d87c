/* A server in C: a counter that several client processes add to.
 *
 *   scripts/cc x86_64 -o counter.elf docs/examples/counter.c
 *   scripts/run x86_64 --exec counter.elf       # QEMU exits with status 0
 *
 * The C calls are at the end of <sys/proc.h>; C++ programs have a server library in
 * <sys/server.hpp> (see echo.cpp). Started with no argument, the program spawns itself as
 * the server and as two clients, waits for the clients, checks the total, and stops
 * the server. */
#include <sys/proc.h>

enum { ADD = 1, TOTAL = 2, QUIT = 3 };

static void print(const char *s) {
    size_t n = 0;
    while (s[n] != '\0') ++n;
    write_console(s, n);
}

static int server(void) {
    long ep = cap_create(CAP_ENDPOINT, 0);
    if (ep < 0 || service_register("counter", ep) != 0) return 1;
    unsigned long total = 0;
    struct ipc_message m;
    long e = ipc_receive(ep, &m);
    for (;;) {
        if (e < 0) return 2;
        if (m.label == ADD) total += m.w[0];
        if (m.label == QUIT) return 0; /* the caller gets EPIPE: no reply comes */
        m.label = 0;                    /* the answer: the total so far */
        m.length = 1;
        m.w[0] = total;
        e = ipc_reply_receive(ep, &m);
    }
}

static long counter(void) {
    long slot;
    while ((slot = service_lookup("counter")) == -ENOENT) {} /* the server is not up yet */
    return slot;
}

static int client(void) {
    long c = counter();
    for (unsigned long i = 1; i <= 100; ++i) {
        struct ipc_message m = {ADD, 1, {i}, 0};
        if (c < 0 || ipc_call(c, &m) != 0) return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1) return argv[1][0] == 's' ? server() : client();
    char path[64] = "/";
    for (int i = 0; argv[0][i] && i < 62; ++i) path[i + 1] = argv[0][i];
    const char *server_argv[] = {argv[0], "server", 0}, *client_argv[] = {argv[0], "client", 0};
    int srv = spawn(path, server_argv), a = spawn(path, client_argv), b = spawn(path, client_argv);
    int sa = -1, sb = -1, ss = -1;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    struct ipc_message m = {TOTAL, 0, {0}, 0};
    long c = counter();
    int ok = srv > 0 && sa == 0 && sb == 0 && ipc_call(c, &m) == 0 && m.w[0] == 2 * 5050;
    print(ok ? "counter: two clients added 1..100 each: 10100\n" : "counter: wrong total\n");
    m.label = QUIT;
    ipc_call(c, &m);
    waitpid(srv, &ss, 0);
    return ok ? 0 : 1;
}
