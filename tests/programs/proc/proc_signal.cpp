// Signal handlers of the native API (sys/proc.hpp): sigaction, sigprocmask, sigpending,
// kill and tkill; a handler's siginfo and mask; blocked signals delivered when unblocked;
// a call that waits interrupted (-EINTR) or restarted (SA_RESTART); a SIGSEGV handler
// that fixes the page and returns; SA_RESETHAND; the actions shared by threads and
// CLONE_SIGHAND children and copied by fork; their errors. The same program runs on
// Linux (tests/linux) with the same results.
#include "check.hpp"

using pt::check;
using pt::check_eq;
using pt::Stack;

namespace {

constexpr int kSigUsr1 = 10, kSigUsr2 = 12, kSiUser = 0, kSiTkill = -6, kSegvAccerr = 2;
constexpr unsigned long bit(int sig) { return 1ul << (sig - 1); }

int g_count, g_signo, g_code, g_pid;
unsigned long g_mask_inside;
void counting(int sig, const sys::SigInfo* info, void*) {
    pt::add(&g_count, 1);
    g_signo = sig, g_code = info->code, g_pid = info->pid;
    sys::sigprocmask(sys::SIG_BLOCK, nullptr, &g_mask_inside);
}

sys::SigAction action(sys::SigHandler h, unsigned flags = 0, unsigned long mask = 0) {
    sys::SigAction a{};
    a.handler = h, a.flags = flags, a.mask = mask;
    return a;
}

// A thread that sends SIGUSR2 to the main thread until `g_enough` handlers have run while
// the main thread was inside its waiting call (g_in_wait), then opens g_word.
int g_main_tid, g_in_wait, g_waited, g_enough, g_word;
void counting_in_wait(int, const sys::SigInfo*, void*) {
    if (pt::load(&g_in_wait)) pt::add(&g_waited, 1);
}
void* sender(void*) {
    while (pt::load(&g_waited) < pt::load(&g_enough)) {
        sys::tkill(g_main_tid, kSigUsr2);
        pt::spin(200000);
    }
    pt::release(&g_word, 1);
    return nullptr;
}
Stack<16384> g_sender_stack;
int start_sender(int enough) {
    g_in_wait = 0, g_waited = 0, g_word = 0, g_enough = enough;
    return sys::thread_create("sender", g_sender_stack.top(), sender, nullptr);
}

volatile int* volatile g_page; // (itself volatile: stored before the store that faults)
int g_fault_code;
unsigned long g_fault_address;
void fix_page(int, const sys::SigInfo* info, void*) {
    g_fault_code = info->code, g_fault_address = info->address;
    sys::mprotect(const_cast<int*>(g_page), 4096, sys::PROT_READ | sys::PROT_WRITE);
}

int fork_child(int (*body)()) {
    long pid = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid == 0) sys::exit_group(body());
    return static_cast<int>(pid);
}

Stack<16384> g_stack;
void* set_usr2_ignored(void*) {
    auto a = action(sys::sig_ignore);
    sys::sigaction(kSigUsr2, &a, nullptr);
    return nullptr;
}
int clone_sets_usr2_ignored(void*) {
    set_usr2_ignored(nullptr);
    return 0;
}
sys::SigHandler handler_of(int sig) {
    sys::SigAction old{};
    sys::sigaction(sig, nullptr, &old);
    return old.handler;
}

} // namespace

int main() {
    pt::start("proc_signal");
    const int me = sys::getpid();
    g_main_tid = sys::gettid();

    // ---- a handler: siginfo, the mask while it runs, the old action ----
    auto usr1 = action(counting, 0, bit(kSigUsr2));
    check_eq(sys::sigaction(kSigUsr1, &usr1, nullptr), 0, "sigaction(SIGUSR1, handler): 0");
    check(handler_of(kSigUsr1) == counting, "sigaction reports the handler as the old action");
    check_eq(sys::kill(me, kSigUsr1), 0, "kill(self, SIGUSR1): 0");
    check_eq(g_count, 1, "the handler ran once, before kill returned");
    check(g_signo == kSigUsr1 && g_code == kSiUser && g_pid == me, "its siginfo: SIGUSR1, SI_USER, from this pid");
    check(g_mask_inside == (bit(kSigUsr1) | bit(kSigUsr2)), "inside it, its signal and its mask are blocked",
          static_cast<long>(g_mask_inside));
    unsigned long now = ~0ul;
    sys::sigprocmask(sys::SIG_BLOCK, nullptr, &now);
    check_eq(static_cast<long>(now), 0, "after it, the mask is as before");
    check_eq(sys::tkill(g_main_tid, kSigUsr1), 0, "tkill(own tid, SIGUSR1): 0");
    check(g_count == 2 && g_code == kSiTkill, "the handler ran again, with SI_TKILL");

    // ---- blocked, pending, then delivered when unblocked ----
    unsigned long block = bit(kSigUsr1);
    check_eq(sys::sigprocmask(sys::SIG_BLOCK, &block, nullptr), 0, "block SIGUSR1");
    sys::kill(me, kSigUsr1);
    check(g_count == 2 && (sys::sigpending() & bit(kSigUsr1)), "a blocked signal waits, pending");
    check_eq(sys::sigprocmask(sys::SIG_UNBLOCK, &block, nullptr), 0, "unblock it");
    check(g_count == 3 && sys::sigpending() == 0, "it was delivered as the unblocking call returned");

    // ---- ignored ----
    auto ignore = action(sys::sig_ignore);
    sys::sigaction(kSigUsr1, &ignore, nullptr);
    check(handler_of(kSigUsr1) == sys::sig_ignore, "SIG_IGN reads back as SIG_IGN");
    sys::kill(me, kSigUsr1);
    check(g_count == 3 && sys::sigpending() == 0, "an ignored signal does nothing and is not pending");

    // ---- a waiting call: EINTR, or with SA_RESTART the call again ----
    auto usr2 = action(counting_in_wait);
    sys::sigaction(kSigUsr2, &usr2, nullptr);
    int tid = start_sender(1);
    pt::store(&g_in_wait, 1);
    int r = sys::futex_wait(&g_word, 0);
    pt::store(&g_in_wait, 0);
    check_eq(r, -sys::kEINTR, "futex_wait interrupted by a handler: -EINTR");
    check_eq(sys::thread_join(tid, nullptr), 0, "join the sender");

    usr2.flags = sys::SA_RESTART;
    sys::sigaction(kSigUsr2, &usr2, nullptr);
    tid = start_sender(3);
    pt::store(&g_in_wait, 1);
    r = sys::futex_wait(&g_word, 0);
    pt::store(&g_in_wait, 0);
    // (It ends when the word changes: 0 when woken, -EAGAIN when the word changed between
    // the last handler and the call made again; never -EINTR.)
    check((r == 0 || r == -sys::kEAGAIN) && g_waited >= 3,
          "with SA_RESTART, futex_wait goes on through 3 handlers until the word changes", r);
    sys::thread_join(tid, nullptr);

    usr2.flags = 0;
    sys::sigaction(kSigUsr2, &usr2, nullptr);
    int never = 0;
    int child = static_cast<int>(sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0));
    if (child == 0) {
        pt::wait_change(&never, 0); // (nobody wakes it: killed below)
        sys::exit_group(0);
    }
    tid = start_sender(1);
    pt::store(&g_in_wait, 1);
    int status = 0;
    r = sys::waitpid(child, &status, 0);
    pt::store(&g_in_wait, 0);
    check_eq(r, -sys::kEINTR, "waitpid interrupted by a handler: -EINTR");
    sys::thread_join(tid, nullptr);
    sys::kill(child, sys::SIGKILL);
    pt::check_signaled(pt::reap(child, "reap the waiting child"), sys::SIGKILL, "then killed: SIGKILL");

    // ---- a fault handler that fixes the page and returns: the store happens ----
    auto segv = action(fix_page);
    sys::sigaction(sys::SIGSEGV, &segv, nullptr);
    long page = sys::mmap(nullptr, 4096, sys::PROT_READ, sys::MAP_PRIVATE | sys::MAP_ANONYMOUS, -1, 0);
    g_page = reinterpret_cast<volatile int*>(page);
    *g_page = 5;
    check(*g_page == 5 && g_fault_code == kSegvAccerr && g_fault_address == static_cast<unsigned long>(page),
          "a SIGSEGV handler made the page writable and returned: the store happened (SEGV_ACCERR, the address)");
    sys::munmap(const_cast<int*>(g_page), 4096);

    // ---- SA_RESETHAND: once the handler, then the default ----
    child = fork_child([] {
        auto once = action(counting, sys::SA_RESETHAND);
        sys::sigaction(kSigUsr1, &once, nullptr);
        sys::kill(sys::getpid(), kSigUsr1);
        if (g_count != 4 || handler_of(kSigUsr1) != sys::sig_default) return 1;
        sys::kill(sys::getpid(), kSigUsr1);
        return 2;
    });
    pt::check_signaled(pt::reap(child, "reap"), kSigUsr1, "SA_RESETHAND: the handler once, then killed by SIGUSR1");

    // ---- who shares the actions ----
    sys::sigaction(kSigUsr2, &usr2, nullptr);
    tid = sys::thread_create("setter", g_stack.top(), set_usr2_ignored, nullptr);
    sys::thread_join(tid, nullptr);
    check(handler_of(kSigUsr2) == sys::sig_ignore, "a thread's sigaction is the process's");
    sys::sigaction(kSigUsr2, &usr2, nullptr);
    child = fork_child([] { return set_usr2_ignored(nullptr), 0; });
    pt::reap(child, "reap");
    check(handler_of(kSigUsr2) == counting_in_wait, "a fork child's sigaction is its own");
    child = static_cast<int>(sys::clone_fn(clone_sets_usr2_ignored, nullptr, g_stack.top(),
                                           sys::CLONE_VM | sys::CLONE_SIGHAND | sys::SIGCHLD, nullptr, nullptr, 0));
    pt::reap(child, "reap");
    check(handler_of(kSigUsr2) == sys::sig_ignore, "a CLONE_VM | CLONE_SIGHAND child's sigaction is the parent's too");
    sys::sigaction(kSigUsr2, &usr2, nullptr);
    child = static_cast<int>(sys::clone_fn(clone_sets_usr2_ignored, nullptr, g_stack.top(),
                                           sys::CLONE_VM | sys::SIGCHLD, nullptr, nullptr, 0));
    pt::reap(child, "reap");
    check(handler_of(kSigUsr2) == counting_in_wait, "without CLONE_SIGHAND it is the child's own");

    // ---- errors ----
    check_eq(sys::sigaction(0, &usr1, nullptr), -sys::kEINVAL, "sigaction(0): -EINVAL");
    check_eq(sys::sigaction(65, &usr1, nullptr), -sys::kEINVAL, "sigaction(65): -EINVAL");
    check_eq(sys::sigaction(sys::SIGKILL, &usr1, nullptr), -sys::kEINVAL, "sigaction(SIGKILL): -EINVAL");
    check_eq(sys::sigprocmask(7, &block, nullptr), -sys::kEINVAL, "sigprocmask(7): -EINVAL");
    check_eq(sys::tkill(0, kSigUsr1), -sys::kEINVAL, "tkill(0): -EINVAL");
    check_eq(sys::tkill(g_main_tid, 65), -sys::kEINVAL, "tkill(tid, 65): -EINVAL");
    check_eq(sys::tkill(1 << 22, kSigUsr1), -sys::kESRCH, "tkill of no thread: -ESRCH");
    return pt::finish();
}
