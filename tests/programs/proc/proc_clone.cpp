// clone and clone_fn: flag validation (EINVAL before anything is created), the accepted
// legacy flags, threads sharing memory, fork-style children with a copy of it, CLONE_VM
// processes, CLONE_SETTLS, and the tid words: PARENT_SETTID, CHILD_SETTID, and
// CHILD_CLEARTID's futex wake reaching a waiter.
#include "check.hpp"

#include <sys/syscall.hpp>  // sys_read_tls

using pt::check;
using pt::check_eq;
using pt::Stack;

namespace {

using sys::CLONE_VM, sys::CLONE_FS, sys::CLONE_FILES, sys::CLONE_SIGHAND, sys::CLONE_THREAD;

constexpr unsigned long kThread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;

Stack<16384> g_stack, g_waiter_stack;
int g_ran;           // set by every child that runs
int g_shared;        // written by children
int g_child_tid;     // the child's own view of itself
int g_child_pid;
int g_gate;
int g_ctid;          // CHILD_SETTID / CHILD_CLEARTID word
int g_ptid;          // PARENT_SETTID word
unsigned long g_seen_tls;
alignas(64) unsigned char g_tls_block[256];

int mark_ran(void*) {
    pt::store(&g_ran, 1);
    return 0;
}

int write_shared(void* arg) {
    g_child_tid = sys::gettid();
    g_child_pid = sys::getpid();
    g_shared = static_cast<int>(reinterpret_cast<long>(arg));
    return 23;
}

int read_tls(void*) {
    g_seen_tls = sys_read_tls();
    return 0;
}

int wait_gate(void*) {
    pt::wait_change(&g_gate, 0);
    return 0;
}

/// Start a CLONE_VM child running fn and wait until it is gone, through CHILD_CLEARTID.
long run_thread(int (*fn)(void*), void* arg, unsigned long extra = 0, unsigned long tls = 0) {
    g_ctid = -1;
    long tid = sys::clone_fn(fn, arg, g_stack.top(), kThread | sys::CLONE_CHILD_CLEARTID | extra, nullptr,
                             &g_ctid, tls);
    if (tid > 0) {
        // CHILD_CLEARTID writes 0 when the child is gone; until the child starts the word
        // is still our -1, so wait for both to pass.
        pt::wait_change(&g_ctid, -1);
        pt::wait_zero(&g_ctid);
    }
    return tid;
}

bool no_children() {
    int status;
    return sys::waitpid(-1, &status, sys::WNOHANG) == -sys::kECHILD;
}

void check_rejected(unsigned long flags, const char* what) {
    g_ran = 0;
    long r = sys::clone_fn(mark_ran, nullptr, g_stack.top(), flags);
    pt::spin(1'000'000);  // a wrongly created child gets a chance to show itself
    check(r == -sys::kEINVAL && pt::load(&g_ran) == 0 && no_children(), what, r);
}

// The CHILD_CLEARTID waiter: what its last futex_wait returned.
int g_waiter_ready, g_waiter_result;

void* clear_waiter(void*) {
    int tid = pt::load(&g_ctid);
    pt::store(&g_waiter_ready, 1);
    int r = 1;  // never waited
    while (pt::load(&g_ctid) != 0) r = sys::futex_wait(&g_ctid, tid);
    pt::store(&g_waiter_result, r);
    return nullptr;
}

/// Fill 40 KiB of this thread's stack (most of procserv's 64 KiB stack, backed page by
/// page as it is first touched), fork, and check the pattern in the child and the parent.
/// 0 when both see it whole.
[[gnu::noinline]] int fork_with_stack_buffer() {
    volatile unsigned char buf[40 * 1024];
    for (unsigned i = 0; i < sizeof buf; ++i) buf[i] = static_cast<unsigned char>(i * 13 + 7);
    long child = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (child == 0) {
        for (unsigned i = 0; i < sizeof buf; ++i)
            if (buf[i] != static_cast<unsigned char>(i * 13 + 7)) sys::exit_group(1);
        sys::exit_group(0);
    }
    int status = -1;
    if (child < 0 || sys::waitpid(static_cast<int>(child), &status, 0) != child) return 2;
    for (unsigned i = 0; i < sizeof buf; ++i)
        if (buf[i] != static_cast<unsigned char>(i * 13 + 7)) return 3;
    return sys::wifexited(status) ? sys::wexitstatus(status) : 4;
}

} // namespace

int main(int, char**) {
    pt::start("proc_clone");
    const int pid = sys::getpid();

    // ---- invalid flags: -EINVAL, nothing created ----
    check(no_children(), "no children at the start");
    check_rejected(CLONE_THREAD, "THREAD without SIGHAND: -EINVAL, nothing created");
    check_rejected(CLONE_VM | CLONE_THREAD, "THREAD|VM without SIGHAND: -EINVAL, nothing created");
    check_rejected(CLONE_SIGHAND, "SIGHAND without VM: -EINVAL, nothing created");
    check_rejected(CLONE_SIGHAND | CLONE_THREAD | CLONE_FS, "SIGHAND|THREAD without VM: -EINVAL, nothing created");
    check_rejected(CLONE_FS | sys::CLONE_NEWNS | sys::SIGCHLD, "FS with NEWNS: -EINVAL, nothing created");
    check_rejected(kThread | CLONE_FS | sys::CLONE_NEWNS, "a thread with FS and NEWNS: -EINVAL, nothing created");
    check_rejected(kThread | 0x2000ul, "an unknown flag (0x2000): -EINVAL, nothing created");
    check_rejected(kThread | (1ul << 40), "an unknown flag (bit 40): -EINVAL, nothing created");
    check_rejected(sys::SIGCHLD | 0x80000000ul, "an unknown flag (bit 31) on a fork: -EINVAL, nothing created");
    check_rejected(sys::CLONE_VM | 9, "an exit signal other than SIGCHLD: -EINVAL, nothing created");

    // clone_fn on a stack that is not writable memory: -EFAULT, nothing created, the
    // caller lives (regression: libsys wrote below the stack top first and died).
    {
        static const unsigned char readonly[64] = {1};
        auto bad = [](void* top) { // the error, if nothing ran
            g_ran = 0;
            long r = sys::clone_fn(mark_ran, nullptr, top, kThread);
            pt::spin(1'000'000);
            return pt::load(&g_ran) == 0 ? r : 1;
        };
        check_eq(bad(reinterpret_cast<void*>(16)), -sys::kEFAULT, "clone_fn with stack top 16: -EFAULT");
        check_eq(bad(nullptr), -sys::kEFAULT, "clone_fn with a null stack: -EFAULT");
        check_eq(bad(const_cast<unsigned char*>(readonly) + sizeof readonly), -sys::kEFAULT,
                 "clone_fn with a stack in read-only memory: -EFAULT");
        check(no_children(), "no child after the bad stacks");
    }

    // futex: the word must be aligned (-EINVAL) and mapped (-EFAULT); a value that differs
    // is -EAGAIN at once; a wake with nobody waiting wakes 0.
    {
        alignas(4) static int words[2];
        int* odd = reinterpret_cast<int*>(reinterpret_cast<char*>(words) + 1);
        int* unmapped = reinterpret_cast<int*>(16);
        check_eq(sys::futex_wait(odd, 0), -sys::kEINVAL, "futex_wait on an unaligned word: -EINVAL");
        check_eq(sys::futex_wake(odd, 1), -sys::kEINVAL, "futex_wake on an unaligned word: -EINVAL");
        check_eq(sys::futex_wait(unmapped, 0), -sys::kEFAULT, "futex_wait on unmapped memory: -EFAULT");
        check_eq(sys::futex_wake(unmapped, 1), -sys::kEFAULT, "futex_wake on unmapped memory: -EFAULT");
        words[0] = 5;
        check_eq(sys::futex_wait(&words[0], 4), -sys::kEAGAIN, "futex_wait when the word differs: -EAGAIN");
        check_eq(sys::futex_wake(&words[0], 1), 0, "futex_wake with nobody waiting: 0");
    }

    // Accepted legacy flags.
    g_ran = 0;
    long tid = run_thread(mark_ran, nullptr, sys::CLONE_SYSVSEM | sys::CLONE_DETACHED);
    check(tid > 0 && pt::load(&g_ran) == 1, "SYSVSEM and DETACHED are accepted", tid);

    // ---- a thread shares memory ----
    g_shared = 0;
    tid = run_thread(write_shared, reinterpret_cast<void*>(1234l));
    check(tid > 0, "clone_fn of a thread", tid);
    check_eq(g_shared, 1234, "the thread's store is seen by its creator (shared memory)");
    check_eq(g_child_tid, tid, "the thread's gettid is clone's return value");
    check_eq(g_child_pid, pid, "the thread's getpid is the process's");

    // ---- a CLONE_VM process: shared memory, its own pid, reaped by waitpid ----
    g_shared = 0;
    g_child_pid = 0;
    long child = sys::clone_fn(write_shared, reinterpret_cast<void*>(77l), g_stack.top(), CLONE_VM | sys::SIGCHLD);
    int status = pt::reap(static_cast<int>(child), "reap the CLONE_VM process");
    pt::check_exited(status, 23, "a CLONE_VM process ends with exit(fn(arg))");
    check(g_shared == 77 && g_child_pid == child && child != pid,
          "a CLONE_VM process shares memory and has its own pid", g_child_pid);

    // ---- fork-style: a copy of memory ----
    g_shared = 5;
    child = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (child == 0) {
        bool copied = g_shared == 5;
        g_shared = 6;
        bool ids = sys::getppid() == pid && sys::getpid() != pid && sys::gettid() == sys::getpid();
        sys::exit_group((copied ? 0 : 1) | (ids ? 0 : 2));
    }
    check(child > 0, "fork-style clone returns the child's pid", child);
    status = pt::reap(static_cast<int>(child), "reap the fork child");
    pt::check_exited(status, 0, "the fork child sees a copy of memory and its own ids");
    check_eq(g_shared, 5, "the fork child's store is not seen by the parent");
    check_eq(fork_with_stack_buffer(), 0, "a 40 KiB stack buffer filled before a fork is the same in the child");

    // ---- CLONE_SETTLS ----
    const unsigned long my_tls = sys_read_tls();
    const unsigned long tls = reinterpret_cast<unsigned long>(g_tls_block);
    g_seen_tls = 0;
    tid = run_thread(read_tls, nullptr, sys::CLONE_SETTLS, tls);
    check(tid > 0 && g_seen_tls == tls, "SETTLS: the child's TLS register holds the value given",
          static_cast<long>(g_seen_tls));
    check(sys_read_tls() == my_tls, "SETTLS: the creator's TLS register is unchanged");
    g_seen_tls = 0;
    run_thread(read_tls, nullptr);
    check(g_seen_tls == my_tls, "without SETTLS the thread starts with its creator's TLS value",
          static_cast<long>(g_seen_tls));

    // ---- PARENT_SETTID and CHILD_SETTID ----
    g_gate = 0;
    g_ptid = 0;
    g_ctid = 0;
    tid = sys::clone_fn(wait_gate, nullptr, g_stack.top(),
                        kThread | sys::CLONE_PARENT_SETTID | sys::CLONE_CHILD_SETTID | sys::CLONE_CHILD_CLEARTID,
                        &g_ptid, &g_ctid);
    check_eq(g_ptid, tid, "PARENT_SETTID: the tid is stored before clone returns");
    while (pt::load(&g_ctid) == 0) pt::spin(1000);  // CHILD_SETTID wakes nobody: poll
    check_eq(pt::load(&g_ctid), tid, "CHILD_SETTID: the child's word holds its tid");

    // ---- CHILD_CLEARTID: the wake reaches a thread blocked on the word ----
    // A waiter that was not yet blocked would see -EAGAIN rather than a wake, so the
    // experiment is repeated a few times before that counts as a failure.
    for (int attempt = 0;; ++attempt) {
        g_waiter_ready = 0;
        g_waiter_result = 2;
        int w = sys::thread_create("waiter", g_waiter_stack.top(), clear_waiter, nullptr);
        while (pt::load(&g_waiter_ready) == 0) pt::spin(1000);
        pt::spin(5'000'000);  // let it block in futex_wait
        pt::release(&g_gate, 1);
        check_eq(sys::thread_join(w, nullptr), 0, "CHILD_CLEARTID: the waiter wakes and ends");
        if (g_waiter_result == 0 || attempt == 2) {
            check_eq(g_ctid, 0, "CHILD_CLEARTID: the word is 0 after the child's end");
            check_eq(g_waiter_result, 0, "CHILD_CLEARTID: futex_wait returned 0 (woken by the exit)");
            break;
        }
        // Again, with a new child holding the word.
        g_gate = 0;
        g_ctid = 0;
        sys::clone_fn(wait_gate, nullptr, g_stack.top(),
                      kThread | sys::CLONE_CHILD_SETTID | sys::CLONE_CHILD_CLEARTID, nullptr, &g_ctid);
        while (pt::load(&g_ctid) == 0) pt::spin(1000);
    }

    // ---- CHILD_SETTID in a fork child: written in the child's copy only ----
    g_ctid = 0;
    child = sys::clone(sys::SIGCHLD | sys::CLONE_CHILD_SETTID, nullptr, nullptr, &g_ctid, 0);
    if (child == 0) sys::exit_group(pt::load(&g_ctid) == sys::getpid() ? 0 : 1);
    status = pt::reap(static_cast<int>(child), "reap the CHILD_SETTID fork child");
    pt::check_exited(status, 0, "CHILD_SETTID in a fork: the child's copy holds its pid");
    check_eq(g_ctid, 0, "CHILD_SETTID in a fork: the parent's word is untouched");

    check(no_children(), "no children left");
    sys::exit_group(pt::finish());
}
