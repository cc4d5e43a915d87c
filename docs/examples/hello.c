/* Your first program: prints its arguments, runs a thread and waits for it, starts a
 * second copy of itself as a child process and reads its exit status.
 *
 *   scripts/cc x86_64 -o hello.elf docs/examples/hello.c
 *   scripts/run x86_64 --exec hello.elf world     # QEMU exits with status 42
 *
 * The calls are in <sys/proc.h> (docs/procserv.md); each returns a value >= 0 or -errno. */
#include <sys/proc.h>

static void print(const char *s) {
    size_t n = 0;
    while (s[n] != '\0') ++n;
    write_console(s, n);
}

/* A thread runs on a stack its creator provides; its top is what thread_create takes. */
static char stack[16384] __attribute__((aligned(16)));

static void *worker(void *arg) {
    print("hello from a thread\n");
    return (void *)((long)arg * 2); /* the exit code its joiner receives */
}

int main(int argc, char **argv) {
    if (argc > 1 && argv[1][0] == '-') return 7; /* the child started below */

    print("hello,");
    for (int i = 1; i < argc; ++i) {
        print(" ");
        print(argv[i]);
    }
    print("\n");

    int tid = thread_create("worker", stack + sizeof stack, worker, (void *)21);
    int code = 0;
    if (tid < 0 || thread_join(tid, &code) != 0) return 1;

    const char *child_argv[] = {argv[0], "-child", 0};
    int status = 0;
    int pid = spawn(argv[0], child_argv);
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 2;
    print(WEXITSTATUS(status) == 7 ? "the child exited with 7\n" : "the child's status is wrong\n");
    return code; /* 42: main's return value is the process's exit status */
}
