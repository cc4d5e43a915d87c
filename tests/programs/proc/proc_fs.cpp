// chdir, getcwd and umask, and CLONE_FS: threads cloned with it share cwd and umask,
// threads and processes cloned without it get a copy at the clone.
#include "check.hpp"

using pt::check;
using pt::check_eq;
using pt::Stack;

namespace {

using sys::CLONE_VM, sys::CLONE_FS, sys::CLONE_FILES, sys::CLONE_SIGHAND, sys::CLONE_THREAD;

Stack<16384> g_stack;
int g_ctid, g_gate, g_started;

/// What a child saw and did.
struct FsView {
    char cwd_at_start[64];
    unsigned umask_at_start;
    char cwd_later[64];
    int chdir_result;
};
FsView g_view;

bool cwd_is(const char* want) {
    char buf[128];
    long n = sys::getcwd(buf, sizeof buf);
    return n == static_cast<long>(strlen(want)) + 1 && pt::streq(buf, want);
}

/// Record the inherited state, wait for the gate, read the cwd again, then chdir to
/// /etc and set the umask to 027.
int fs_child(void*) {
    if (sys::getcwd(g_view.cwd_at_start, sizeof g_view.cwd_at_start) < 0) g_view.cwd_at_start[0] = '?';
    g_view.umask_at_start = sys::umask(0);
    sys::umask(g_view.umask_at_start);
    pt::release(&g_started, 1);
    pt::wait_change(&g_gate, 0);
    if (sys::getcwd(g_view.cwd_later, sizeof g_view.cwd_later) < 0) g_view.cwd_later[0] = '?';
    g_view.chdir_result = sys::chdir("/etc");
    sys::umask(027);
    return 0;
}

/// Run fs_child as a thread with `flags`; between its start and its changes, the parent
/// moves to `parent_moves_to`.
long run_fs_child(unsigned long flags, const char* parent_moves_to) {
    memset(&g_view, 0, sizeof g_view);
    g_gate = 0;
    g_started = 0;
    g_ctid = -1;
    long tid = sys::clone_fn(fs_child, nullptr, g_stack.top(), flags | sys::CLONE_CHILD_CLEARTID,
                             nullptr, &g_ctid);
    if (tid <= 0) return tid;
    // Our change comes after the child has read its start state and before it reads again.
    pt::wait_change(&g_started, 0);
    sys::chdir(parent_moves_to);
    pt::release(&g_gate, 1);
    pt::wait_change(&g_ctid, -1);
    pt::wait_zero(&g_ctid);
    return tid;
}

void* thread_chdir(void*) {
    sys::chdir("/etc");
    sys::umask(0111);
    return nullptr;
}

} // namespace

int main(int, char**) {
    pt::start("proc_fs");
    char buf[128];

    // ---- getcwd and chdir ----
    check_eq(sys::getcwd(buf, sizeof buf), 2, "getcwd at the start returns 2 (\"/\" and its NUL)");
    check(pt::streq(buf, "/"), "the program starts in /");
    check_eq(sys::chdir("/etc"), 0, "chdir /etc");
    check_eq(sys::getcwd(buf, sizeof buf), 5, "getcwd in /etc returns 5");
    check(pt::streq(buf, "/etc"), "getcwd reads /etc");
    check_eq(sys::chdir(".."), 0, "chdir ..");
    check(cwd_is("/"), "back in /");
    check_eq(sys::chdir(".."), 0, "chdir .. in /");
    check(cwd_is("/"), ".. of / is /");
    check_eq(sys::chdir("etc"), 0, "chdir to a relative path");
    check(cwd_is("/etc"), "the relative chdir reached /etc");
    int fd = sys::open("motd", sys::O_RDONLY);
    check(fd >= 0, "open a path relative to the cwd", fd);
    if (fd >= 0) sys::close(fd);
    check_eq(sys::chdir("/"), 0, "chdir /");

    check_eq(sys::chdir("/nonexistent"), -sys::kENOENT, "chdir to a missing directory: -ENOENT");
    check_eq(sys::chdir("/etc/nothing"), -sys::kENOENT, "chdir to a missing subdirectory: -ENOENT");
    check_eq(sys::chdir(""), -sys::kENOENT, "chdir to the empty path: -ENOENT");
    check_eq(sys::chdir("/hello.txt"), -sys::kENOTDIR, "chdir to a file: -ENOTDIR");
    check_eq(sys::chdir("/hello.txt/x"), -sys::kENOTDIR, "chdir through a file: -ENOTDIR");
    check_eq(sys::chdir(nullptr), -sys::kEFAULT, "chdir with a null path: -EFAULT");
    check(cwd_is("/"), "failed chdirs leave the cwd alone");

    check_eq(sys::getcwd(buf, 0), -sys::kERANGE, "getcwd with size 0: -ERANGE");
    check_eq(sys::getcwd(buf, 1), -sys::kERANGE, "getcwd of / with size 1: -ERANGE");
    check_eq(sys::getcwd(buf, 2), 2, "getcwd of / with size 2 fits");
    check_eq(sys::getcwd(nullptr, 128), -sys::kEFAULT, "getcwd into a null buffer: -EFAULT");
    sys::chdir("/etc");
    check_eq(sys::getcwd(buf, 4), -sys::kERANGE, "getcwd of /etc with size 4: -ERANGE");
    check_eq(sys::getcwd(buf, 5), 5, "getcwd of /etc with size 5 fits");
    sys::chdir("/");

    // ---- umask ----
    unsigned first = sys::umask(022);
    check(first <= 0777, "umask returns the previous mask", first);
    check_eq(sys::umask(077), 022, "umask returns the mask set before");
    check_eq(sys::umask(07777), 077, "umask again");
    check_eq(sys::umask(022), 0777, "umask keeps only the permission bits");

    // ---- CLONE_FS: shared ----
    constexpr unsigned long kThreadNoFs = CLONE_VM | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
    sys::chdir("/");
    long tid = run_fs_child(kThreadNoFs | CLONE_FS, "/etc");
    check(tid > 0, "a CLONE_FS thread", tid);
    check(pt::streq(g_view.cwd_at_start, "/"), "CLONE_FS: the thread starts in its creator's cwd");
    check_eq(g_view.umask_at_start, 022, "CLONE_FS: the thread starts with its creator's umask");
    check(pt::streq(g_view.cwd_later, "/etc"), "CLONE_FS: the thread sees its creator's chdir");
    check_eq(g_view.chdir_result, 0, "CLONE_FS: the thread's chdir");
    check(cwd_is("/etc"), "CLONE_FS: the creator sees the thread's chdir");
    check_eq(sys::umask(022), 027, "CLONE_FS: the creator sees the thread's umask");

    // ---- a thread without CLONE_FS: a copy ----
    sys::chdir("/");
    tid = run_fs_child(kThreadNoFs, "/etc");
    check(tid > 0, "a thread without CLONE_FS", tid);
    check(pt::streq(g_view.cwd_at_start, "/"), "no CLONE_FS: the thread starts with a copy of the cwd");
    check_eq(g_view.umask_at_start, 022, "no CLONE_FS: the thread starts with a copy of the umask");
    check(pt::streq(g_view.cwd_later, "/"), "no CLONE_FS: the creator's later chdir is not seen");
    check(cwd_is("/etc"), "no CLONE_FS: the thread's chdir is not seen by its creator");
    check_eq(sys::umask(022), 022, "no CLONE_FS: the thread's umask is not seen by its creator");

    // The copy is taken at the clone: a child cloned in /etc starts in /etc.
    sys::chdir("/etc");
    tid = run_fs_child(kThreadNoFs, "/");
    check(pt::streq(g_view.cwd_at_start, "/etc") && pt::streq(g_view.cwd_later, "/etc"),
          "no CLONE_FS: the copy is the cwd at the clone");
    check(cwd_is("/"), "no CLONE_FS: the creator's own chdir holds");

    // ---- a fork-style child: a copy ----
    sys::chdir("/etc");
    sys::umask(033);
    long child = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (child == 0) {
        bool inherited = cwd_is("/etc") && sys::umask(022) == 033;
        bool moved = sys::chdir("/") == 0 && cwd_is("/");
        sys::exit_group((inherited ? 0 : 1) | (moved ? 0 : 2));
    }
    int status = pt::reap(static_cast<int>(child), "reap the fork child");
    pt::check_exited(status, 0, "fork: the child starts with a copy of cwd and umask and may change them");
    check(cwd_is("/etc"), "fork: the child's chdir is not seen by the parent");
    check_eq(sys::umask(022), 033, "fork: the child's umask is not seen by the parent");

    // ---- thread_create: threads of a process share cwd and umask ----
    sys::chdir("/");
    int t = sys::thread_create("chdir", g_stack.top(), thread_chdir, nullptr);
    check_eq(sys::thread_join(t, nullptr), 0, "join the thread_create thread");
    check(cwd_is("/etc"), "thread_create: the thread's chdir is the process's");
    check_eq(sys::umask(022), 0111, "thread_create: the thread's umask is the process's");

    sys::exit_group(pt::finish());
}
