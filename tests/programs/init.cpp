// The first process procserv starts (unless `exec=` names another): a short tour of the
// process API that also serves as the boot suite's smoke test of procserv. It reads a
// file of the initrd, starts threads on its own stacks and joins them, spawns a child
// process and waits for it, and exits with 0 when everything behaved.
#include "proc/check.hpp"

#include <sys/kernel.hpp>
#include <sys/proc.hpp>
#include <sys/string.hpp>

namespace {

alignas(16) char g_stacks[4][8192];
int g_shared = 0;

using pt::check;

void* worker(void* arg) {
    __atomic_fetch_add(&g_shared, 1, __ATOMIC_SEQ_CST);
    return reinterpret_cast<void*>(static_cast<long>(reinterpret_cast<long>(arg) * 10));
}

} // namespace

int main(int argc, char** argv) {
    pt::start("init");
    if (argc > 1 && strlen(argv[1]) == 5 && memcmp(argv[1], "child", 5) == 0) {
        sys::print("init: child process {} (parent {}) says hello\n", sys::getpid(), sys::getppid());
        return 7;
    }
    sys::print("init: pid {} tid {} ppid {}\n", sys::getpid(), sys::gettid(), sys::getppid());
    char buf[64] = {};
    int fd = sys::open("/etc/motd", sys::O_RDONLY);
    long n = fd >= 0 ? sys::read(fd, buf, sizeof buf - 1) : fd;
    check(n == 28 && memcmp(buf, "Welcome to the microkernel.\n", 28) == 0, "read /etc/motd from the initrd");
    check(sys::close(fd) == 0 && sys::close(fd) == -sys::kEBADF, "close, and close again fails with -EBADF");
    check(sys::chdir("/etc") == 0 && sys::getcwd(buf, sizeof buf) == 5 && memcmp(buf, "/etc", 5) == 0,
          "chdir /etc, getcwd");

    int tids[4];
    for (long i = 0; i < 4; ++i)
        tids[i] = sys::thread_create("worker", g_stacks[i] + sizeof g_stacks[i], worker, reinterpret_cast<void*>(i + 1));
    bool joined = true;
    for (long i = 0; i < 4; ++i) {
        int code = -1;
        joined &= tids[i] > 0 && sys::thread_join(tids[i], &code) == 0 && code == (i + 1) * 10;
    }
    check(joined && g_shared == 4, "4 threads created, ran and joined with their exit codes");
    check(sys::thread_join(tids[0], nullptr) == -sys::kESRCH || sys::thread_join(tids[0], nullptr) == -sys::kEINVAL,
          "a second join fails");
    check(sys::thread_create("bad", reinterpret_cast<void*>(0x10), worker, nullptr) == -sys::kEFAULT,
          "a thread on an unmapped stack: -EFAULT");

    const char* child_argv[] = {"init", "child", nullptr};
    int pid = sys::spawn("/init", child_argv);
    int status = 0;
    check(pid > 0 && sys::waitpid(pid, &status, 0) == pid && sys::wifexited(status) && sys::wexitstatus(status) == 7,
          "spawned a child and waited for its exit status 7");
    check(sys::waitpid(-1, &status, sys::WNOHANG) == -sys::kECHILD, "no more children: -ECHILD");
    return pt::finish();
}
