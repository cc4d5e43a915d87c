// Scale: what procserv holds is bounded by memory and per-process limits, not by tables.
// 10,000 threads alive at once across four processes, 1,000 processes alive at once,
// 4,096 descriptors open in one process (then EMFILE), 320 MiB touched by one process
// (more frames than a 65,536-slot cap space could name). On Linux the same program runs
// with `ulimit -n 4099` (tests/linux): 0, 1 and 2 are open there already. In the guest
// the boot suite runs it with 2 GiB (a process's memory comes in 1 MiB blocks) and checks
// that procserv's free memory is back at its starting value afterwards.
#include "check.hpp"

using pt::check;
using pt::check_eq;
using pt::Stack;

namespace {

constexpr int kGroups = 4, kPerGroup = 2500; // 10,000 threads
constexpr int kProcesses = 1000;
constexpr int kFds = 4096;

// Shared between the processes (MAP_SHARED): [0] threads started, [1] go, [2] processes
// started, [3] processes go.
int* g_words;
Stack<1024> g_stacks[kPerGroup]; // each process's own copy (fork), one per thread
int g_ctid[kPerGroup];

int sleeper(void*) {
    pt::add(&g_words[0], 1);
    sys::futex_wake(&g_words[0], 1 << 30);
    pt::wait_change(&g_words[1], 0);
    return 0;
}

/// A process with kPerGroup threads that wait for the go word, then end; it ends when all
/// of them have (exit code: how many could not be made).
int thread_group() {
    int missing = 0;
    for (int i = 0; i < kPerGroup; ++i) {
        g_ctid[i] = -1;
        long tid = sys::clone_fn(sleeper, nullptr, g_stacks[i].top(),
                                 sys::CLONE_VM | sys::CLONE_FS | sys::CLONE_FILES | sys::CLONE_SIGHAND |
                                     sys::CLONE_THREAD | sys::CLONE_CHILD_CLEARTID,
                                 nullptr, &g_ctid[i]);
        if (tid <= 0) ++missing, g_ctid[i] = 0;
    }
    for (int i = 0; i < kPerGroup; ++i) {
        pt::wait_change(&g_ctid[i], -1);
        pt::wait_zero(&g_ctid[i]);
    }
    return missing;
}

} // namespace

int main() {
    pt::start("proc_scale");
    long shared = sys::mmap(nullptr, 4096, sys::PROT_READ | sys::PROT_WRITE, sys::MAP_SHARED | sys::MAP_ANONYMOUS, -1, 0);
    if (shared <= 0) {
        check(false, "a shared page", shared);
        return pt::finish();
    }
    g_words = reinterpret_cast<int*>(shared);

    // ---- 10,000 threads alive at once, in four processes ----
    int pids[kGroups];
    for (int g = 0; g < kGroups; ++g) {
        long pid = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
        if (pid == 0) sys::exit_group(thread_group());
        pids[g] = static_cast<int>(pid);
    }
    for (int n = pt::load(&g_words[0]); n < kGroups * kPerGroup; n = pt::load(&g_words[0]))
        sys::futex_wait(&g_words[0], n);
    check_eq(pt::load(&g_words[0]), kGroups * kPerGroup, "10,000 threads alive at once in four processes");
    pt::release(&g_words[1], 1);
    int ended = 0;
    for (int g = 0; g < kGroups; ++g) {
        int st = pt::reap(pids[g], "reap a thread group");
        ended += sys::wifexited(st) && sys::wexitstatus(st) == 0;
    }
    check_eq(ended, kGroups, "and all of them end, with their processes");

    // ---- 1,000 processes alive at once ----
    int made = 0;
    static int children[kProcesses];
    for (int i = 0; i < kProcesses; ++i) {
        long pid = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
        if (pid == 0) {
            pt::add(&g_words[2], 1);
            sys::futex_wake(&g_words[2], 1 << 30);
            pt::wait_change(&g_words[3], 0);
            sys::exit_group(i & 0x7f);
        }
        children[i] = static_cast<int>(pid);
        made += pid > 0;
    }
    for (int n = pt::load(&g_words[2]); n < made; n = pt::load(&g_words[2])) sys::futex_wait(&g_words[2], n);
    check_eq(made, kProcesses, "1,000 processes alive at once");
    pt::release(&g_words[3], 1);
    int reaped = 0;
    for (int i = 0; i < kProcesses; ++i) {
        int st = children[i] > 0 ? pt::reap(children[i], "reap") : -1;
        reaped += sys::wifexited(st) && sys::wexitstatus(st) == (i & 0x7f);
    }
    check_eq(reaped, kProcesses, "and all of them reaped, each with its status");

    // ---- 320 MiB touched ----
    constexpr long kBig = 320l << 20;
    long big = sys::mmap(nullptr, kBig, sys::PROT_READ | sys::PROT_WRITE, sys::MAP_PRIVATE | sys::MAP_ANONYMOUS, -1, 0);
    check(big > 0, "mmap of 320 MiB", big);
    if (big > 0) {
        auto* p = reinterpret_cast<unsigned char*>(big);
        for (long i = 0; i < kBig; i += 4096) p[i] = static_cast<unsigned char>(i >> 12);
        bool same = true;
        for (long i = 0; i < kBig; i += 4096) same = same && p[i] == static_cast<unsigned char>(i >> 12);
        check(same, "every page of 320 MiB written and read back");
        check_eq(sys::munmap(p, kBig), 0, "munmap of the 320 MiB");
    }

    // ---- 4,096 descriptors in one process ----
    static int fds[kFds + 8];
    int open = 0;
    long last = 0;
    while (open < kFds + 8) {
        last = sys::open("/hello.txt", sys::O_RDONLY);
        if (last < 0) break;
        fds[open++] = static_cast<int>(last);
    }
    check(open >= kFds - 3 && open <= kFds, "4,096 descriptors open at once (less those already open)", open);
    check_eq(last, -sys::kEMFILE, "the next open: EMFILE");
    check_eq(sys::dup(fds[0]), -sys::kEMFILE, "and dup: EMFILE");
    int closed = 0;
    for (int i = 0; i < open; ++i) closed += sys::close(fds[i]) == 0;
    check_eq(closed, open, "all of them closed");
    int fd = sys::open("/hello.txt", sys::O_RDONLY);
    check(fd >= 0 && fd <= 3, "the lowest free descriptor is the first one again", fd);
    sys::close(fd);
    sys::munmap(g_words, 4096);
    return pt::finish();
}
