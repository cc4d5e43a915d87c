// thread_create and thread_join: good and bad stacks, the start routine's value as the
// exit code, join in every order (before the end, after it, twice, concurrently, self,
// unknown tid, another process's thread), 256 threads alive at once, and CPU affinity (a
// thread pinned to each CPU, a new thread inheriting its creator's mask, the errors).
#include "check.hpp"

using pt::check;
using pt::check_eq;
using pt::Stack;

namespace {

constexpr int kMany = 256;
Stack<4096> g_small[kMany];
Stack<16384> g_stacks[8];
alignas(4096) const unsigned char g_readonly[8192] = {1};

int g_gate;         // threads wait on it until main opens it
int g_arrived;      // how many reached the gate
int g_seen_tid[4];  // what the threads saw of themselves
int g_seen_pid[4];

void* return_arg(void* arg) { return arg; }

void* report_ids(void* arg) {
    long i = reinterpret_cast<long>(arg);
    g_seen_tid[i] = sys::gettid();
    g_seen_pid[i] = sys::getpid();
    return nullptr;
}

void* exit_inside(void* arg) {
    sys::exit(static_cast<int>(reinterpret_cast<long>(arg)));
}

void* wait_gate(void* arg) {
    pt::add(&g_arrived, 1);
    pt::wait_change(&g_gate, 0);
    return arg;
}

void* slow_return(void* arg) {
    pt::spin(20'000'000);
    return arg;
}

struct JoinResult {
    int tid;
    int result;
    int code;
};
JoinResult g_join[2];

void* joiner(void* arg) {
    auto* j = static_cast<JoinResult*>(arg);
    pt::add(&g_arrived, 1);
    j->code = -1;
    j->result = sys::thread_join(j->tid, &j->code);
    return nullptr;
}

/// Pins itself to CPU `arg` and reads the mask back: 1 if it is that CPU alone.
void* pin_self(void* arg) {
    const unsigned long want = 1ul << reinterpret_cast<long>(arg);
    unsigned long got = 0;
    return reinterpret_cast<void*>(
        static_cast<long>(sys::sched_setaffinity(0, want) == 0 && sys::sched_getaffinity(0, &got) == 0 && got == want));
}

/// Its mask, as it starts.
void* own_mask(void*) {
    unsigned long got = 0;
    return reinterpret_cast<void*>(sys::sched_getaffinity(0, &got) == 0 ? static_cast<long>(got) : -1l);
}

void* join_self(void*) {
    return reinterpret_cast<void*>(static_cast<long>(sys::thread_join(sys::gettid(), nullptr)));
}

} // namespace

int main(int, char**) {
    pt::start("proc_thread");
    const int pid = sys::getpid(), me = sys::gettid();

    // ---- creation ----
    int t = sys::thread_create("ids", g_stacks[0].top(), report_ids, reinterpret_cast<void*>(0l));
    check(t > 0 && t != me, "thread_create returns a new tid", t);
    check_eq(sys::thread_join(t, nullptr), 0, "join with a null retval");
    check_eq(g_seen_tid[0], t, "the thread's gettid is the tid thread_create returned");
    check_eq(g_seen_pid[0], pid, "the thread's getpid is its creator's");

    int code = -1;
    t = sys::thread_create("ret", g_stacks[0].top(), return_arg, reinterpret_cast<void*>(42l));
    check_eq(sys::thread_join(t, &code), 0, "join after a return");
    check_eq(code, 42, "the start routine's value is the exit code");

    t = sys::thread_create("exit", g_stacks[0].top(), exit_inside, reinterpret_cast<void*>(13l));
    code = -1;
    check_eq(sys::thread_join(t, &code), 0, "join a thread that called exit");
    check_eq(code, 13, "exit's status is the exit code");

    t = sys::thread_create("neg", g_stacks[0].top(), return_arg, reinterpret_cast<void*>(-7l));
    code = 0;
    sys::thread_join(t, &code);
    check_eq(code, -7, "a negative exit code comes back whole");

    // ---- bad stacks: -EFAULT and no thread ----
    check_eq(sys::thread_create("bad", reinterpret_cast<void*>(16), return_arg, nullptr), -sys::kEFAULT,
             "stack top 16 (unmapped page 0): -EFAULT");
    check_eq(sys::thread_create("bad", nullptr, return_arg, nullptr), -sys::kEFAULT,
             "null stack top: -EFAULT");
    check_eq(sys::thread_create("bad", reinterpret_cast<void*>(0x1000), return_arg, nullptr),
             -sys::kEFAULT, "stack top in unmapped low memory: -EFAULT");
    check_eq(sys::thread_create("bad", reinterpret_cast<void*>(0xffff800000100000ul), return_arg, nullptr),
             -sys::kEFAULT, "stack top in the kernel half: -EFAULT");
    check_eq(sys::thread_create("bad", const_cast<unsigned char*>(g_readonly) + sizeof g_readonly,
                                return_arg, nullptr),
             -sys::kEFAULT, "stack top in read-only memory: -EFAULT");
    // The good stack still works after the failures.
    t = sys::thread_create("after", g_stacks[0].top(), return_arg, reinterpret_cast<void*>(5l));
    code = -1;
    check(sys::thread_join(t, &code) == 0 && code == 5, "a good stack after the bad ones", code);

    // ---- join orders ----
    t = sys::thread_create("slow", g_stacks[0].top(), slow_return, reinterpret_cast<void*>(8l));
    code = -1;
    check_eq(sys::thread_join(t, &code), 0, "join before the thread ends");
    check_eq(code, 8, "join before the end gets the code");
    check_eq(sys::thread_join(t, &code), -sys::kEINVAL, "a second join: -EINVAL");

    g_gate = 0;
    g_arrived = 0;
    t = sys::thread_create("gate", g_stacks[0].top(), wait_gate, reinterpret_cast<void*>(9l));
    pt::release(&g_gate, 1);
    while (pt::load(&g_arrived) < 1) pt::spin(1000);
    pt::spin(5'000'000);  // likely ended before the join
    code = -1;
    check(sys::thread_join(t, &code) == 0 && code == 9, "join after the thread ended", code);
    check_eq(sys::thread_join(t, nullptr), -sys::kEINVAL, "a later join of a joined thread: -EINVAL");

    // An ended thread joined with an unwritable retval: -EFAULT, and the code is still
    // there for a join that can take it (regression: libsys stored it and died of SIGSEGV).
    g_gate = 0;
    g_arrived = 0;
    t = sys::thread_create("gate", g_stacks[0].top(), wait_gate, reinterpret_cast<void*>(10l));
    pt::release(&g_gate, 1);
    while (pt::load(&g_arrived) < 1) pt::spin(1000);
    pt::spin(5'000'000);
    check_eq(sys::thread_join(t, const_cast<int*>(reinterpret_cast<const int*>(g_readonly))), -sys::kEFAULT,
             "join into read-only memory: -EFAULT");
    code = -1;
    check(sys::thread_join(t, &code) == 0 && code == 10, "the code is still there after -EFAULT", code);

    // Two joins at once: exactly one gets the code.
    g_gate = 0;
    g_arrived = 0;
    t = sys::thread_create("target", g_stacks[0].top(), wait_gate, reinterpret_cast<void*>(77l));
    g_join[0] = {t, 1, -1};
    g_join[1] = {t, 1, -1};
    int j0 = sys::thread_create("joiner0", g_stacks[1].top(), joiner, &g_join[0]);
    int j1 = sys::thread_create("joiner1", g_stacks[2].top(), joiner, &g_join[1]);
    while (pt::load(&g_arrived) < 3) pt::spin(1000);
    pt::spin(5'000'000);  // both joiners likely blocked by now
    pt::release(&g_gate, 1);
    sys::thread_join(j0, nullptr);
    sys::thread_join(j1, nullptr);
    int winners = (g_join[0].result == 0) + (g_join[1].result == 0);
    int losers = (g_join[0].result == -sys::kEINVAL) + (g_join[1].result == -sys::kEINVAL);
    check(winners == 1 && losers == 1, "concurrent joins: one gets 0, the other -EINVAL",
          g_join[0].result * 100 + g_join[1].result);
    check_eq(g_join[0].result == 0 ? g_join[0].code : g_join[1].code, 77,
             "concurrent joins: the winner gets the code");

    // ---- join errors ----
    check_eq(sys::thread_join(me, nullptr), -sys::kEDEADLK, "main joins itself: -EDEADLK");
    t = sys::thread_create("self", g_stacks[0].top(), join_self, nullptr);
    code = 0;
    sys::thread_join(t, &code);
    check_eq(code, -sys::kEDEADLK, "a thread joins itself: -EDEADLK");
    check_eq(sys::thread_join(0x3ffffff0, nullptr), -sys::kESRCH, "unknown tid: -ESRCH");
    check_eq(sys::thread_join(-5, nullptr), -sys::kESRCH, "negative tid: -ESRCH");

    // A thread of another process: the child of a fork tries to join its parent's thread,
    // which is alive at the time.
    g_gate = 0;
    t = sys::thread_create("parent's", g_stacks[0].top(), wait_gate, nullptr);
    long child = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (child == 0) {
        int r = sys::thread_join(t, nullptr);
        sys::exit_group(r == -sys::kESRCH ? 0 : 1);
    }
    int status = pt::reap(static_cast<int>(child), "reap the forked child");
    pt::check_exited(status, 0, "joining another process's thread: -ESRCH");
    pt::release(&g_gate, 1);
    check_eq(sys::thread_join(t, nullptr), 0, "the parent still joins its thread");

    // ---- 256 threads alive at once, on 4 KiB stacks ----
    g_gate = 0;
    g_arrived = 0;
    static int tids[kMany];
    int created = 0;
    for (long i = 0; i < kMany; ++i) {
        tids[i] = sys::thread_create("many", g_small[i].top(), wait_gate, reinterpret_cast<void*>(i));
        if (tids[i] > 0) ++created;
    }
    check_eq(created, kMany, "256 threads created");
    while (pt::load(&g_arrived) < created) pt::spin(1000);
    check_eq(pt::load(&g_arrived), kMany, "256 threads alive at once");
    pt::release(&g_gate, 1);
    int good = 0;
    for (int i = 0; i < kMany; ++i) {
        code = -1;
        if (tids[i] > 0 && sys::thread_join(tids[i], &code) == 0 && code == i) ++good;
    }
    check_eq(good, kMany, "256 threads joined, each with its own code");

    // CPU affinity. (Machines differ in CPUs: only relations are checked.)
    unsigned long all = 0;
    check_eq(sys::sched_getaffinity(0, &all), 0, "sched_getaffinity of the caller");
    check((all & 1) != 0, "CPU 0 is among the caller's CPUs");
    int cpus = 0;
    while (cpus < 8 && ((all >> cpus) & 1)) ++cpus;
    int pinned = 0;
    for (long cpu = 0; cpu < cpus; ++cpu) {
        int tid = sys::thread_create("pinned", g_stacks[cpu].top(), pin_self, reinterpret_cast<void*>(cpu));
        if (tid > 0 && sys::thread_join(tid, &code) == 0 && code == 1) ++pinned;
    }
    check_eq(pinned, cpus, "a thread pinned to each CPU reads its mask back");
    check_eq(sys::sched_setaffinity(0, 1), 0, "main pins itself to CPU 0");
    t = sys::thread_create("child", g_stacks[0].top(), own_mask, nullptr);
    check(t > 0 && sys::thread_join(t, &code) == 0 && code == 1, "a new thread inherits its creator's mask");
    pt::store(&g_gate, 0);
    t = sys::thread_create("waits", g_stacks[1].top(), wait_gate, nullptr);
    unsigned long other = 0;
    check(t > 0 && sys::sched_setaffinity(t, all) == 0 && sys::sched_getaffinity(t, &other) == 0 && other == all,
          "another thread's mask is set and read by its tid");
    pt::release(&g_gate, 1);
    check_eq(sys::thread_join(t, nullptr), 0, "that thread ends");
    check_eq(sys::sched_setaffinity(0, all), 0, "main gets every CPU back");
    check_eq(sys::sched_setaffinity(0, 0), -sys::kEINVAL, "an empty mask: -EINVAL");
    check_eq(sys::sched_setaffinity(0, 1ul << 63), -sys::kEINVAL, "a mask of no existing CPU: -EINVAL");
    check_eq(sys::sched_setaffinity(0x3ffffff0, 1), -sys::kESRCH, "set for an unknown tid: -ESRCH");
    check_eq(sys::sched_getaffinity(0x3ffffff0, &other), -sys::kESRCH, "read for an unknown tid: -ESRCH");

    sys::exit_group(pt::finish());
}
