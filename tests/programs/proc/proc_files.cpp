// open, read, close and dup on the read-only filesystem, their errors, and CLONE_FILES:
// a thread cloned with it shares the descriptor table (a close or open in one is seen by
// the other), without it gets a copy, whose descriptors still share the open files
// (and so their offsets), as after a fork.
#include "check.hpp"

using pt::check;
using pt::check_eq;
using pt::Stack;

namespace {

using sys::CLONE_VM, sys::CLONE_FS, sys::CLONE_FILES, sys::CLONE_SIGHAND, sys::CLONE_THREAD;

constexpr char kHello[] = "Hello from the initrd.\n";
constexpr char kMotd[] = "Welcome to the microkernel.\n";

Stack<16384> g_stack;
int g_ctid;

/// Read the whole of fd (up to the buffer) and compare with want.
bool reads(int fd, const char* want) {
    char buf[128];
    long total = 0, n;
    while ((n = sys::read(fd, buf + total, sizeof buf - total)) > 0) total += n;
    return n == 0 && total == static_cast<long>(strlen(want)) && memcmp(buf, want, total) == 0;
}

bool reads_n(int fd, long n, const char* want) {
    char buf[64];
    return sys::read(fd, buf, n) == n && memcmp(buf, want, n) == 0;
}

/// What the child did with its descriptors.
struct FilesChild {
    int fd;          // the parent's open descriptor
    int close_result;
    int read_after_close;
    int opened[2];   // two descriptors the child opens
};
FilesChild g_child;

int files_child(void*) {
    // Open first, so that the new descriptors do not take the closed one's number.
    g_child.opened[0] = sys::open("/etc/motd", sys::O_RDONLY);
    g_child.opened[1] = sys::open("/etc/motd", sys::O_RDONLY);
    g_child.close_result = sys::close(g_child.fd);
    char c;
    g_child.read_after_close = static_cast<int>(sys::read(g_child.fd, &c, 1));
    return 0;
}

long run_files_child(unsigned long flags, int fd) {
    memset(&g_child, 0, sizeof g_child);
    g_child.fd = fd;
    g_ctid = -1;
    long tid = sys::clone_fn(files_child, nullptr, g_stack.top(), flags | sys::CLONE_CHILD_CLEARTID,
                             nullptr, &g_ctid);
    if (tid > 0) {
        pt::wait_change(&g_ctid, -1);
        pt::wait_zero(&g_ctid);
    }
    return tid;
}

} // namespace

int main(int, char**) {
    pt::start("proc_files");

    // ---- reading ----
    int fd = sys::open("/hello.txt", sys::O_RDONLY);
    check(fd >= 0, "open /hello.txt", fd);
    check(reads(fd, kHello), "read /hello.txt to its end");
    char c;
    check_eq(sys::read(fd, &c, 1), 0, "read at the end returns 0");
    check_eq(sys::close(fd), 0, "close");
    check_eq(sys::close(fd), -sys::kEBADF, "close again: -EBADF");
    check_eq(sys::read(fd, &c, 1), -sys::kEBADF, "read a closed descriptor: -EBADF");

    fd = sys::open("/etc/motd", sys::O_RDONLY);
    check(fd >= 0 && reads(fd, kMotd), "read /etc/motd", fd);
    sys::close(fd);
    fd = sys::open("hello.txt", sys::O_RDONLY);
    check(fd >= 0 && reads(fd, kHello), "open a relative path from /", fd);
    sys::close(fd);

    fd = sys::open("/hello.txt", sys::O_RDONLY);
    check(reads_n(fd, 5, "Hello") && reads_n(fd, 5, " from"), "reads continue at the offset");
    check_eq(sys::read(fd, &c, 0), 0, "a read of 0 bytes returns 0");
    sys::close(fd);

    // The lowest free descriptor is reused.
    int a = sys::open("/hello.txt", sys::O_RDONLY);
    int b = sys::open("/hello.txt", sys::O_RDONLY);
    sys::close(a);
    int again = sys::open("/etc/motd", sys::O_RDONLY);
    check(a >= 0 && b > a && again == a, "open returns the lowest free descriptor", again);
    sys::close(b);
    sys::close(again);

    // ---- dup ----
    fd = sys::open("/hello.txt", sys::O_RDONLY);
    reads_n(fd, 6, "Hello ");
    int d = sys::dup(fd);
    check(d >= 0 && d != fd, "dup returns a new descriptor", d);
    check(reads_n(d, 5, "from "), "dup shares the offset");
    check_eq(sys::close(fd), 0, "close the original");
    check(reads_n(d, 3, "the"), "the duplicate still reads after the original's close");
    sys::close(d);

    // ---- errors ----
    check_eq(sys::open("/nonexistent", sys::O_RDONLY), -sys::kENOENT, "open a missing file: -ENOENT");
    check_eq(sys::open("/etc/nothing", sys::O_RDONLY), -sys::kENOENT, "open a missing file in /etc: -ENOENT");
    check_eq(sys::open("", sys::O_RDONLY), -sys::kENOENT, "open the empty path: -ENOENT");
    check_eq(sys::open("/hello.txt/x", sys::O_RDONLY), -sys::kENOTDIR, "open through a file: -ENOTDIR");
    check_eq(sys::open("/hello.txt", sys::O_RDONLY | sys::O_DIRECTORY), -sys::kENOTDIR,
             "open a file with O_DIRECTORY: -ENOTDIR");
    check_eq(sys::open(nullptr, sys::O_RDONLY), -sys::kEFAULT, "open a null path: -EFAULT");
    {
        // The console takes a long write whole (procserv moves 256 bytes per request).
        static char dots[600];
        for (char& c : dots) c = '.';
        dots[sizeof dots - 1] = '\n';
        check_eq(sys::write_console(dots, sizeof dots), static_cast<long>(sizeof dots),
                 "write_console of 600 bytes writes them all");
    }
    check_eq(sys::open("/hello.txt", sys::O_WRONLY), -sys::kEROFS, "open for writing: -EROFS (read-only)");
    check_eq(sys::open("/etc/motd", sys::O_RDWR), -sys::kEROFS, "open for reading and writing: -EROFS");
    fd = sys::open("/etc", sys::O_RDONLY | sys::O_DIRECTORY);
    check(fd >= 0, "open a directory with O_DIRECTORY", fd);
    check_eq(sys::read(fd, &c, 1), -sys::kEISDIR, "read a directory: -EISDIR");
    sys::close(fd);
    check_eq(sys::read(-1, &c, 1), -sys::kEBADF, "read fd -1: -EBADF");
    check_eq(sys::read(4000, &c, 1), -sys::kEBADF, "read fd 4000: -EBADF");
    check_eq(sys::close(-1), -sys::kEBADF, "close fd -1: -EBADF");
    check_eq(sys::dup(-1), -sys::kEBADF, "dup fd -1: -EBADF");
    check_eq(sys::dup(4000), -sys::kEBADF, "dup fd 4000: -EBADF");

    // ---- CLONE_FILES: one table ----
    constexpr unsigned long kThreadNoFiles = CLONE_VM | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD;
    fd = sys::open("/hello.txt", sys::O_RDONLY);
    long tid = run_files_child(kThreadNoFiles | CLONE_FILES, fd);
    check(tid > 0, "a CLONE_FILES thread", tid);
    check_eq(g_child.close_result, 0, "CLONE_FILES: the thread closes its creator's descriptor");
    check_eq(sys::read(fd, &c, 1), -sys::kEBADF, "CLONE_FILES: the close is seen by the creator");
    check(g_child.opened[0] >= 0 && reads(g_child.opened[0], kMotd),
          "CLONE_FILES: a descriptor the thread opened reads in its creator");
    sys::close(g_child.opened[0]);
    sys::close(g_child.opened[1]);

    // ---- without CLONE_FILES: a copy ----
    fd = sys::open("/hello.txt", sys::O_RDONLY);
    reads_n(fd, 6, "Hello ");
    tid = run_files_child(kThreadNoFiles, fd);
    check(tid > 0, "a thread without CLONE_FILES", tid);
    check_eq(g_child.close_result, 0, "no CLONE_FILES: the thread closes its copy");
    check_eq(g_child.read_after_close, -sys::kEBADF, "no CLONE_FILES: the copy is closed for the thread");
    check(reads_n(fd, 5, "from "), "no CLONE_FILES: the creator's descriptor still reads");
    int theirs = g_child.opened[1];
    check(theirs >= 0 && theirs != fd, "no CLONE_FILES: the thread opens in its own table", theirs);
    check_eq(sys::read(theirs, &c, 1), -sys::kEBADF, "no CLONE_FILES: its descriptor is not in the creator's table");
    sys::close(fd);

    // A fork: a copy of the table, sharing the open files.
    fd = sys::open("/hello.txt", sys::O_RDONLY);
    long child = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (child == 0) {
        bool read_ok = reads_n(fd, 6, "Hello ");
        bool closed = sys::close(fd) == 0;
        sys::exit_group((read_ok ? 0 : 1) | (closed ? 0 : 2));
    }
    int status = pt::reap(static_cast<int>(child), "reap the fork child");
    pt::check_exited(status, 0, "fork: the child reads and closes its copy of the descriptor");
    check(reads_n(fd, 5, "from "), "fork: the parent's descriptor is open, at the offset the child left");
    sys::close(fd);

    sys::exit_group(pt::finish());
}
