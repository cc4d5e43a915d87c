// exit and exit_group, from the main thread and from others, while the rest are running,
// blocked in futex_wait or waiting in thread_join; checked through the status the parent's
// waitpid reports. The program spawns itself with a mode argument for each case.
//
// Linux's rules, which procserv follows: exit ends the calling thread only and the last
// thread's status is the process's; exit_group ends every thread wherever it is and its
// status wins over any exit; waitpid reports the process only when every thread is gone.
#include "check.hpp"

using pt::check;
using pt::check_eq;
using pt::Stack;

namespace {

Stack<16384> g_stacks[4];
int g_never;  // stays 0: threads wait on it forever
int g_started;

void* block_forever(void*) {
    pt::add(&g_started, 1);
    for (;;) sys::futex_wait(&g_never, 0);
}

void* run_forever(void*) {
    pt::add(&g_started, 1);
    for (;;) pt::spin(1000);
}

void* join_forever(void* arg) {
    pt::add(&g_started, 1);
    sys::thread_join(static_cast<int>(reinterpret_cast<long>(arg)), nullptr);
    for (;;) sys::futex_wait(&g_never, 0);
}

void* spin_then_exit(void* arg) {
    pt::spin(30'000'000);  // long after main's exit
    sys::exit(static_cast<int>(reinterpret_cast<long>(arg)));
}

void* join_then_exit(void* arg) {
    int code = -1;
    int r = sys::thread_join(static_cast<int>(reinterpret_cast<long>(arg)), &code);
    sys::exit(r == 0 && code == 2 ? 9 : 99);
}

void* group_exit(void* arg) {
    pt::spin(2'000'000);  // the others are in place by now
    sys::exit_group(static_cast<int>(reinterpret_cast<long>(arg)));
}

int g_go;
void* group_exit_at_go(void* arg) {
    pt::add(&g_started, 1);
    pt::wait_change(&g_go, 0);
    sys::exit_group(static_cast<int>(reinterpret_cast<long>(arg)));
}

void* arg(long v) { return reinterpret_cast<void*>(v); }

/// A running thread, one blocked in futex_wait and one joining that one; returns once all
/// three have started (and likely reached their state).
void start_running_blocked_joining() {
    sys::thread_create("runs", g_stacks[0].top(), run_forever, nullptr);
    int blocked = sys::thread_create("blocked", g_stacks[1].top(), block_forever, nullptr);
    sys::thread_create("joins", g_stacks[2].top(), join_forever, arg(blocked));
    while (pt::load(&g_started) < 3) pt::spin(1000);
    pt::spin(2'000'000);
}

/// The child modes: each ends the process in its own way.
[[noreturn]] void child(const char* mode) {
    if (pt::streq(mode, "main-exit")) sys::exit(6);
    if (pt::streq(mode, "main-exit-others-last")) {
        // main exits first with 3, T1 with 2, T2 (after joining T1) last with 9.
        int t1 = sys::thread_create("t1", g_stacks[0].top(), spin_then_exit, arg(2));
        sys::thread_create("t2", g_stacks[1].top(), join_then_exit, arg(t1));
        sys::exit(3);
    }
    if (pt::streq(mode, "thread-exit-then-main")) {
        int t = sys::thread_create("t", g_stacks[0].top(), spin_then_exit, arg(4));
        int code = -1;
        sys::thread_join(t, &code);
        sys::exit(code == 4 ? 8 : 98);
    }
    if (pt::streq(mode, "main-group")) {
        start_running_blocked_joining();
        sys::exit_group(21);
    }
    if (pt::streq(mode, "thread-group-main-joins")) {
        start_running_blocked_joining();
        int t = sys::thread_create("group", g_stacks[3].top(), group_exit, arg(22));
        sys::thread_join(t, nullptr);  // main waits in thread_join when the group ends
        sys::exit(97);
    }
    if (pt::streq(mode, "thread-group-main-blocked")) {
        sys::thread_create("runs", g_stacks[0].top(), run_forever, nullptr);
        sys::thread_create("group", g_stacks[1].top(), group_exit, arg(23));
        for (;;) sys::futex_wait(&g_never, 0);
    }
    if (pt::streq(mode, "group-after-main-exit")) {
        // main's exit(5) comes first; the later exit_group's status wins.
        sys::thread_create("group", g_stacks[0].top(), group_exit, arg(33));
        sys::exit(5);
    }
    if (pt::streq(mode, "group-truncated")) sys::exit_group(0x1234);
    if (pt::streq(mode, "two-groups")) {
        sys::thread_create("g1", g_stacks[0].top(), group_exit_at_go, arg(40));
        sys::thread_create("g2", g_stacks[1].top(), group_exit_at_go, arg(41));
        while (pt::load(&g_started) < 2) pt::spin(1000);
        pt::release(&g_go, 1);
        for (;;) sys::futex_wait(&g_never, 0);
    }
    sys::exit_group(120);  // unknown mode
}

int run(const char* mode) {
    const char* argv[] = {"proc_exit", mode, nullptr};
    int pid = sys::spawn("/proc_exit", argv);
    if (pid <= 0) {
        check(false, "spawn /proc_exit", pid);
        return -1;
    }
    return pt::reap(pid, "waitpid for the child");
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1) child(argv[1]);
    pt::start("proc_exit");

    pt::check_exited(run("main-exit"), 6, "exit from a lone main thread: status 6");
    pt::check_exited(run("main-exit-others-last"), 9,
                     "main exits first, the others later: the last thread's status (9)");
    pt::check_exited(run("thread-exit-then-main"), 8,
                     "a thread exits, main joins it and exits last: main's status (8)");
    pt::check_exited(run("main-group"), 21,
                     "exit_group from main while others run, block and join: status 21");
    pt::check_exited(run("thread-group-main-joins"), 22,
                     "exit_group from a thread while main joins it and others run, block, join: 22");
    pt::check_exited(run("thread-group-main-blocked"), 23,
                     "exit_group from a thread while main blocks in futex_wait: 23");
    pt::check_exited(run("group-after-main-exit"), 33, "exit_group after main's exit: its status wins (33)");
    pt::check_exited(run("group-truncated"), 0x34, "exit_group(0x1234): status 0x34");
    int s = run("two-groups");
    pt::check_status(s, sys::wifexited(s) && (sys::wexitstatus(s) == 40 || sys::wexitstatus(s) == 41),
                     "two exit_groups at once: one of their statuses");

    int status;
    check_eq(sys::waitpid(-1, &status, sys::WNOHANG), -sys::kECHILD, "every child reaped");
    sys::exit_group(pt::finish());
}
