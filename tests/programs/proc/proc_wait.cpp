// waitpid: -ECHILD without children, WNOHANG before a child ends, one pid or any, the
// exit status encoding, and children killed by faults (WIFSIGNALED with SIGSEGV for a
// bad access, SIGILL for an illegal instruction), also when the faulting thread is not
// the main one. Also spawn: the child's pid and parent, and a missing program.
#include "check.hpp"

using pt::check;
using pt::check_eq;
using pt::Stack;

namespace {

Stack<16384> g_stack;

/// A fork-style child that runs body and ends with exit_group of its result.
int fork_child(int (*body)()) {
    long pid = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid == 0) sys::exit_group(body());
    return static_cast<int>(pid);
}

// A CLONE_VM child that ends with 7 only when the parent opens the gate, so that "before
// the child ends" does not depend on the scheduler (a spinning fork child may well end
// before its parent runs again).
int g_gate;
int gated_seven(void*) {
    pt::wait_change(&g_gate, 0);
    return 7;
}
int zero() { return 0; }
int one() { return 1; }
int two() { return 2; }
int three() { return 3; }
int big() { return 255; }

int g_parent;
int check_parent() { return sys::getppid() == g_parent ? 0 : 1; }

// volatile itself: the compiler must not see through it to the constant.
volatile int* volatile g_bad = reinterpret_cast<volatile int*>(16);

int write_bad() {
    *g_bad = 1;
    return 100;
}

int read_kernel() {
    return *reinterpret_cast<volatile int*>(0xffff800000000000ul) + 100;
}

int call_null() {
    // Execute at an address where nothing is mapped.
    auto fn = reinterpret_cast<int (*)()>(reinterpret_cast<unsigned long>(g_bad));
    return fn() + 100;
}

int illegal() { sys_illegal_instruction(); }

int write_code() {
    *reinterpret_cast<volatile unsigned char*>(reinterpret_cast<unsigned long>(&write_code)) = 0;
    return 100;
}

// A chain of fork-style processes, each waiting for the next: at the deepest level every
// one of them is alive at once, each in its own copy of the address space. Returns how
// many levels ran, counting this one (the exit status carries it up).
constexpr int kChain = 64;
int chain(int level) {
    if (level == kChain) return 1;
    long pid = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid == 0) sys::exit_group(chain(level + 1));
    int status = -1;
    if (pid < 0 || sys::waitpid(static_cast<int>(pid), &status, 0) != pid || !sys::wifexited(status)) return 0;
    return sys::wexitstatus(status) + 1;
}

void* thread_fault(void*) {
    pt::spin(1'000'000);
    *g_bad = 2;
    return nullptr;
}

int fault_in_thread() {
    int t = sys::thread_create("fault", g_stack.top(), thread_fault, nullptr);
    sys::thread_join(t, nullptr);  // main waits here when the thread faults
    return 100;
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && pt::streq(argv[1], "exit7")) sys::exit_group(7);
    if (argc > 1 && pt::streq(argv[1], "ppid")) {
        // argv[2]: the parent's pid in decimal.
        int want = 0;
        for (const char* p = argv[2]; p != nullptr && *p >= '0' && *p <= '9'; ++p) want = want * 10 + (*p - '0');
        sys::exit_group(sys::getppid() == want ? 0 : 1);
    }
    pt::start("proc_wait");
    int status = -1;
    g_parent = sys::getpid();

    // ---- no children ----
    check_eq(sys::waitpid(-1, &status, 0), -sys::kECHILD, "waitpid(-1) without children: -ECHILD");
    check_eq(sys::waitpid(-1, &status, sys::WNOHANG), -sys::kECHILD,
             "waitpid(-1, WNOHANG) without children: -ECHILD");
    check_eq(sys::waitpid(g_parent, &status, 0), -sys::kECHILD, "waitpid of myself: -ECHILD");
    check_eq(sys::waitpid(0x3ffffff0, &status, 0), -sys::kECHILD, "waitpid of an unknown pid: -ECHILD");
    check_eq(sys::waitpid(0, &status, sys::WNOHANG), -sys::kECHILD, "waitpid of my process group (0), no children: -ECHILD");
    check_eq(sys::waitpid(-0x3ffffff0, &status, sys::WNOHANG), -sys::kECHILD,
             "waitpid of another process group, no children: -ECHILD");
    check_eq(sys::waitpid(-1, &status, sys::WUNTRACED | sys::WCONTINUED), -sys::kECHILD,
             "waitpid with WUNTRACED | WCONTINUED: accepted (-ECHILD)");
    check_eq(sys::waitpid(-1, &status, 0x100), -sys::kEINVAL, "waitpid with an unknown option: -EINVAL");

    // ---- WNOHANG, one pid ----
    int pid = static_cast<int>(sys::clone_fn(gated_seven, nullptr, g_stack.top(), sys::CLONE_VM | sys::SIGCHLD));
    check(pid > 0, "start a child", pid);
    check_eq(sys::waitpid(pid, &status, sys::WNOHANG), 0, "WNOHANG before the child ends: 0");
    check_eq(sys::waitpid(-1, &status, sys::WNOHANG), 0, "WNOHANG for any child before it ends: 0");
    pt::release(&g_gate, 1);
    check_eq(sys::waitpid(pid, &status, 0), pid, "waitpid returns the child's pid");
    pt::check_exited(status, 7, "WIFEXITED and WEXITSTATUS 7");
    check(!sys::wifsignaled(status), "an exit is not WIFSIGNALED");
    check_eq(sys::waitpid(pid, &status, 0), -sys::kECHILD, "a reaped child: -ECHILD");

    pid = fork_child(zero);
    check_eq(sys::waitpid(pid, nullptr, 0), pid, "waitpid with a null status pointer");

    // An unwritable status pointer: -EFAULT, and the child's status is not lost (it
    // stays waitable). Regression: libsys stored the status itself and died of SIGSEGV
    // after procserv had reaped the child.
    pid = fork_child(big);
    alignas(4) static const int readonly_status = 0;
    check_eq(sys::waitpid(pid, const_cast<int*>(&readonly_status), 0), -sys::kEFAULT,
             "waitpid into read-only memory: -EFAULT");
    check_eq(sys::waitpid(pid, reinterpret_cast<int*>(16), 0), -sys::kEFAULT, "waitpid into unmapped memory: -EFAULT");
    status = -1;
    check_eq(sys::waitpid(pid, &status, 0), pid, "the child stays waitable after -EFAULT");
    pt::check_exited(status, 255, "and its status is still there");
    pt::check_exited(pt::reap(fork_child(check_parent), "reap"), 0, "the child's getppid is its parent");
    pid = fork_child(big);
    pt::check_exited(pt::reap(pid, "reap"), 255, "exit status 255");
    pid = fork_child(zero);
    while ((status = sys::waitpid(pid, nullptr, sys::WNOHANG)) == 0) pt::spin(10'000);
    check_eq(status, pid, "WNOHANG after the child ended returns its pid");

    // ---- any child, and one among several ----
    int pids[3] = {fork_child(one), fork_child(two), fork_child(three)};
    int s = -1;
    check_eq(sys::waitpid(pids[1], &s, 0), pids[1], "waitpid of one child among three");
    pt::check_exited(s, 2, "that child's status");
    int seen = 0;
    for (int i = 0; i < 2; ++i) {
        int r = sys::waitpid(-1, &s, 0);
        if (r == pids[0] && sys::wexitstatus(s) == 1) seen |= 1;
        if (r == pids[2] && sys::wexitstatus(s) == 3) seen |= 4;
    }
    check_eq(seen, 5, "waitpid(-1) returns each remaining child once with its status");
    check_eq(sys::waitpid(-1, &s, 0), -sys::kECHILD, "then -ECHILD");

    // ---- faults ----
    pt::check_signaled(pt::reap(fork_child(write_bad), "reap"), sys::SIGSEGV, "a write to address 16: SIGSEGV");
    pt::check_signaled(pt::reap(fork_child(read_kernel), "reap"), sys::SIGSEGV,
                       "a read of a kernel address: SIGSEGV");
    pt::check_signaled(pt::reap(fork_child(call_null), "reap"), sys::SIGSEGV,
                       "a jump to unmapped memory: SIGSEGV");
    pt::check_signaled(pt::reap(fork_child(illegal), "reap"), sys::SIGILL, "an illegal instruction: SIGILL");
    pt::check_signaled(pt::reap(fork_child(write_code), "reap"), sys::SIGSEGV, "a write to the program's code: SIGSEGV");
    pt::check_signaled(pt::reap(fork_child(fault_in_thread), "reap"), sys::SIGSEGV,
                       "a fault in a thread while main joins it: the process dies of SIGSEGV");
    s = pt::reap(fork_child(write_bad), "reap");
    check(!sys::wifexited(s), "a fault is not WIFEXITED");

    // ---- spawn ----
    const char* exit7[] = {"proc_wait", "exit7", nullptr};
    pid = sys::spawn("/proc_wait", exit7);
    check(pid > 0 && pid != g_parent, "spawn returns the new process's pid", pid);
    pt::check_exited(pt::reap(pid, "reap the spawned child"), 7, "the spawned child's status");
    char num[16];
    {
        pt::Line l;
        l.num(g_parent);
        memcpy(num, l.buf, l.n);
        num[l.n] = '\0';
    }
    const char* ppid[] = {"proc_wait", "ppid", num, nullptr};
    pid = sys::spawn("/proc_wait", ppid);
    pt::check_exited(pt::reap(pid, "reap the spawned child"), 0, "the spawned child's getppid is its spawner");
    check_eq(sys::spawn("/no-such-program", exit7), -sys::kENOENT, "spawn a missing program: -ENOENT");
    check_eq(sys::spawn("/hello.txt", exit7), -sys::kENOEXEC, "spawn a file that is not a program: -ENOEXEC");
    const char* nine[] = {"proc_wait", "exit7", "3", "4", "5", "6", "7", "8", "9", nullptr};
    check_eq(sys::spawn("/proc_wait", nine), -sys::kE2BIG, "spawn with 9 arguments: -E2BIG");
    const char* longarg[] = {"proc_wait", "exit7",
                             "0123456789012345678901234567890123456789012345678901234567890123", nullptr};
    check_eq(sys::spawn("/proc_wait", longarg), -sys::kE2BIG, "spawn with a 64-byte argument: -E2BIG");
    check_eq(sys::spawn("/etc", exit7), -sys::kEACCES, "spawn a directory: -EACCES");

    // ---- kill: default actions (a libsys program installs no handlers) ----
    auto spin_forever = [] {
        for (;;) pt::spin(1'000'000);
        return 0;
    };
    pid = fork_child(spin_forever);
    check_eq(sys::kill(pid, 0), 0, "kill with signal 0 of a live child: 0");
    check_eq(sys::kill(pid, sys::SIGCHLD), 0, "SIGCHLD (its default: ignored)");
    check_eq(sys::waitpid(pid, &s, sys::WNOHANG), 0, "the child still runs");
    check_eq(sys::kill(pid, sys::SIGTERM), 0, "kill of a spinning child with SIGTERM: 0");
    s = pt::reap(pid, "reap the killed child");
    check(sys::wifsignaled(s) && sys::wtermsig(s) == sys::SIGTERM, "it died of SIGTERM", s);
    check_eq(sys::kill(pid, 0), -sys::kESRCH, "kill of a reaped pid: -ESRCH");
    check_eq(sys::kill(sys::getpid(), 65), -sys::kEINVAL, "signal 65: -EINVAL");
    check_eq(sys::kill(0, 0), 0, "kill(0, 0): the caller's own group exists");
    pid = fork_child(spin_forever);
    check_eq(sys::kill(-pid, sys::SIGUSR1), -sys::kESRCH, "kill of a group nobody leads: -ESRCH");
    check_eq(sys::kill(pid, sys::SIGUSR1), 0, "SIGUSR1 (its default: Term)");
    s = pt::reap(pid, "reap the second child");
    check(sys::wifsignaled(s) && sys::wtermsig(s) == sys::SIGUSR1, "it died of SIGUSR1", s);

    // ---- scale ----
    pt::check_exited(pt::reap(fork_child([] { return chain(1); }), "reap the chain"), kChain,
                     "64 processes alive at once, a chain of fork children each waiting for the next");
    check_eq(sys::waitpid(-1, &s, sys::WNOHANG), -sys::kECHILD, "no child left");

    sys::exit_group(pt::finish());
}
