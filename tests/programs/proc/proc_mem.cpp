// Memory: mmap of anonymous memory and of files, munmap and mprotect splitting what they
// cut, MADV_DONTNEED, brk, MAP_FIXED and MAP_FIXED_NOREPLACE, every error Linux gives,
// pages backed only when touched (a 64 MiB reservation, a 5 MiB .bss), and what a fork's
// child sees of private and shared memory. Bad accesses are made in fork children, which
// must die of SIGSEGV (or SIGBUS past the end of a mapped file).
#include "check.hpp"

using pt::check;
using pt::check_eq;

namespace {

constexpr long P = 4096;
constexpr int RW = sys::PROT_READ | sys::PROT_WRITE;
constexpr int kAnon = sys::MAP_PRIVATE | sys::MAP_ANONYMOUS;

unsigned char g_big_bss[5 << 20]; // 5 MiB: more than a process could once hold at all

volatile unsigned char* volatile g_target;
int read_target() { return *g_target + 100; }
int write_target() {
    *g_target = 1;
    return 100;
}

int fork_child(int (*body)()) {
    long pid = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid == 0) sys::exit_group(body());
    return static_cast<int>(pid);
}

/// The signal a fork child running body dies of (-1: it did not die of one).
int signal_of(int (*body)(), volatile unsigned char* at) {
    g_target = at;
    int status = pt::reap(fork_child(body), "reap");
    return sys::wifsignaled(status) ? sys::wtermsig(status) : -1;
}

unsigned char* map(long length, int prot = RW, int flags = kAnon, void* hint = nullptr) {
    long a = sys::mmap(hint, static_cast<std::size_t>(length), prot, flags, -1, 0);
    return a > 0 ? reinterpret_cast<unsigned char*>(a) : nullptr;
}

bool all(const unsigned char* p, long n, unsigned char v) {
    for (long i = 0; i < n; ++i)
        if (p[i] != v) return false;
    return true;
}

long addr(const void* p) { return reinterpret_cast<long>(p); }

unsigned char* g_shared;
unsigned char* g_private;

// Copy-on-write, as a user sees it: after a fork each side's writes are its own.
constexpr long kCowPages = 64;
unsigned char* g_cow;
bool cow_pattern(long from) { // page i holds i (from page `from` on)
    for (long i = from; i < kCowPages; ++i)
        if (g_cow[i * P] != static_cast<unsigned char>(i)) return false;
    return true;
}
unsigned char* g_huge; // 128 MiB

/// Does every page of g_huge hold its pattern (every `stride`-th page written with +1)?
bool huge_pattern(unsigned bump) {
    for (long i = 0; i < (128l << 20); i += P) {
        unsigned want = static_cast<unsigned>(i / P) * 7 + 1 + (bump && (i / P) % 64 == 0 ? bump : 0);
        if (*reinterpret_cast<unsigned*>(g_huge + i) != want) return false;
    }
    return true;
}

int huge_child() {
    if (!huge_pattern(0)) return 1;
    for (long i = 0; i < (128l << 20); i += 64 * P) *reinterpret_cast<unsigned*>(g_huge + i) += 5;
    return huge_pattern(5) ? 0 : 2;
}

int cow_child() {
    // Wait for the parent to write page 0 after the fork: this copy must not see it.
    while (pt::load(reinterpret_cast<int*>(g_shared + 64)) == 0) pt::spin(1000);
    bool before = g_cow[0] == 0 && cow_pattern(1);
    // A system call that stores into a shared page (the process server writes it): the
    // parent's page must not change either.
    bool stored = sys::getcwd(reinterpret_cast<char*>(g_cow + 5 * P), 64) == 2 && g_cow[5 * P] == '/';
    for (long i = 0; i < kCowPages; ++i) g_cow[i * P] = 0x55;
    before = before && stored;
    return before && g_cow[(kCowPages - 1) * P] == 0x55 ? 0 : 1;
}
int cow_writer() { // even pages written; odd ones must still hold the pattern
    for (long i = 0; i < kCowPages; i += 2) g_cow[i * P] = 0x66;
    for (long i = 0; i < kCowPages; ++i)
        if (g_cow[i * P] != (i % 2 ? static_cast<unsigned char>(i) : 0x66)) return 1;
    return 0;
}
int cow_grandparent() {
    // A child of a fork forks again: three address spaces share the pages.
    g_cow[2 * P] = 0x77;
    int status = pt::reap(fork_child(cow_writer), "reap");
    bool ok = sys::wifexited(status) && sys::wexitstatus(status) == 0;
    return ok && g_cow[2 * P] == 0x77 && g_cow[4 * P] == 4 && g_cow[P] == 1 ? 0 : 1;
}
/// Pages [from, to) of g_cow hold their pattern (page 0: 0xee, as the parent left it).
bool cow_holds(long from, long to) {
    for (long i = from; i < to; ++i)
        if (g_cow[i * P] != (i == 0 ? 0xee : static_cast<unsigned char>(i))) return false;
    return true;
}
int cow_unmapper() {
    // Pages go in the child: unmapped, dropped, replaced; the parent must keep all of its.
    if (sys::munmap(g_cow + 10 * P, 10 * P) != 0) return 1;
    if (sys::madvise(g_cow + 30 * P, 4 * P, sys::MADV_DONTNEED) != 0 || !all(g_cow + 30 * P, 4 * P, 0)) return 2;
    if (map(2 * P, RW, kAnon | sys::MAP_FIXED, g_cow + 40 * P) != g_cow + 40 * P || !all(g_cow + 40 * P, 2 * P, 0))
        return 3;
    g_cow[21 * P] = 0x21;
    return cow_holds(0, 10) && cow_holds(22, 30) && cow_holds(34, 40) && cow_holds(42, kCowPages) ? 0 : 4;
}
int cow_survivor() {
    // The parent unmaps pages and writes others meanwhile: this copy keeps all of them.
    while (pt::load(reinterpret_cast<int*>(g_shared + 128)) == 0) pt::spin(1000);
    return cow_holds(0, kCowPages) ? 0 : 1;
}
int write_both() {
    g_shared[0] = 42;
    g_private[0] = 43;
    return g_private[0] == 43 && g_shared[0] == 42 ? 0 : 1;
}

} // namespace

int main(int, char**) {
    pt::start("proc_mem");

    // ---- anonymous private memory, split by munmap and mprotect ----
    unsigned char* m = map(3 * P);
    check(m && addr(m) % P == 0, "mmap of 3 anonymous pages: a page-aligned address", addr(m));
    if (!m) return pt::finish();
    check(all(m, 3 * P, 0), "they read as zeros");
    m[0] = 1, m[P] = 2, m[3 * P - 1] = 3;
    check(m[0] == 1 && m[P] == 2 && m[3 * P - 1] == 3, "and keep what is written");
    check_eq(sys::munmap(m + P, P), 0, "munmap of the middle page");
    check(m[0] == 1 && m[3 * P - 1] == 3, "the pages around it stay");
    check_eq(signal_of(read_target, m + P), sys::SIGSEGV, "a read of the unmapped page: SIGSEGV");
    check_eq(sys::munmap(m + P, P), 0, "munmap where nothing is mapped: 0");
    check_eq(sys::mprotect(m, P, sys::PROT_READ), 0, "mprotect of one page to PROT_READ");
    check_eq(signal_of(write_target, m), sys::SIGSEGV, "a write to it: SIGSEGV");
    check_eq(m[0], 1, "a read of it still works");
    check_eq(sys::mprotect(m, P, sys::PROT_NONE), 0, "mprotect to PROT_NONE");
    check_eq(signal_of(read_target, m), sys::SIGSEGV, "a read of it: SIGSEGV");
    check_eq(sys::mprotect(m, P, RW), 0, "mprotect back to read-write");
    check_eq(m[0], 1, "the page kept its bytes through PROT_NONE");
    m[0] = 5;
    check_eq(m[0], 5, "and is writable again");
    check_eq(sys::mprotect(m, 3 * P, sys::PROT_READ), -sys::kENOMEM, "mprotect across the hole: -ENOMEM");
    check_eq(sys::munmap(m, 3 * P), 0, "munmap across the hole: 0");
    check_eq(signal_of(read_target, m + 2 * P), sys::SIGSEGV, "then nothing is left: SIGSEGV");

    // ---- errors ----
    check_eq(sys::mmap(nullptr, 0, RW, kAnon, -1, 0), -sys::kEINVAL, "mmap of length 0: -EINVAL");
    check_eq(sys::mmap(nullptr, P, RW, sys::MAP_ANONYMOUS, -1, 0), -sys::kEINVAL,
             "mmap without MAP_PRIVATE or MAP_SHARED: -EINVAL");
    check_eq(sys::mmap(reinterpret_cast<void*>(0x10000001), P, RW, kAnon | sys::MAP_FIXED, -1, 0), -sys::kEINVAL,
             "MAP_FIXED at an unaligned address: -EINVAL");
    check_eq(sys::mmap(nullptr, 1ul << 50, RW, kAnon, -1, 0), -sys::kENOMEM, "mmap larger than the address space: -ENOMEM");
    check_eq(sys::munmap(m + 1, P), -sys::kEINVAL, "munmap at an unaligned address: -EINVAL");
    check_eq(sys::munmap(m, 0), -sys::kEINVAL, "munmap of length 0: -EINVAL");
    check_eq(sys::mprotect(m + 1, P, sys::PROT_READ), -sys::kEINVAL, "mprotect at an unaligned address: -EINVAL");
    check_eq(sys::mprotect(m, P, 0x10), -sys::kEINVAL, "mprotect with an unknown bit: -EINVAL");
    check_eq(sys::mprotect(m, P, sys::PROT_READ), -sys::kENOMEM, "mprotect of unmapped memory: -ENOMEM");
    check_eq(sys::madvise(m, P, 99), -sys::kEINVAL, "madvise with unknown advice: -EINVAL");
    check_eq(sys::madvise(m, P, sys::MADV_DONTNEED), -sys::kENOMEM, "madvise of unmapped memory: -ENOMEM");

    // ---- MAP_FIXED, MAP_FIXED_NOREPLACE, hints ----
    unsigned char* b = map(2 * P);
    if (b) {
        b[0] = 7, b[P] = 8;
        check_eq(sys::mmap(b + P, P, RW, kAnon | sys::MAP_FIXED_NOREPLACE, -1, 0), -sys::kEEXIST,
                 "MAP_FIXED_NOREPLACE over a mapping: -EEXIST");
        check_eq(b[P], 8, "and the mapping is untouched");
        check_eq(sys::mmap(b + P, P, RW, kAnon | sys::MAP_FIXED, -1, 0), addr(b + P),
                 "MAP_FIXED over a mapping: the address asked for");
        check(b[0] == 7 && b[P] == 0, "it replaced just that page, with zeros");
        sys::munmap(b, 2 * P);
        check_eq(sys::mmap(b, P, RW, kAnon | sys::MAP_FIXED_NOREPLACE, -1, 0), addr(b),
                 "MAP_FIXED_NOREPLACE where nothing is: the address asked for");
        sys::munmap(b, P);
        check_eq(sys::mmap(b, P, RW, kAnon, -1, 0), addr(b), "a hint where nothing is: taken");
        sys::munmap(b, P);
    }
    // A hint at the top of the address space, where its end wraps past zero (found by the
    // fuzzer: procserv took such a hint, and the region it made ended before it began).
    void* top = reinterpret_cast<void*>(0xfffffffffffff000);
    long got = sys::mmap(top, 2 * P, RW, kAnon, -1, 0);
    check(got > 0 && got < (1l << 47), "a hint past user space is not taken: the mapping goes elsewhere");
    if (got > 0 && got < (1l << 47)) {
        reinterpret_cast<unsigned char*>(got)[P] = 5;
        check_eq(sys::munmap(reinterpret_cast<void*>(got), 2 * P), 0, "and it can be used and unmapped");
    }
    check_eq(sys::mmap(top, 2 * P, RW, kAnon | sys::MAP_FIXED, -1, 0), -sys::kENOMEM,
             "MAP_FIXED where the mapping would wrap past the end: -ENOMEM");

    // ---- MADV_DONTNEED ----
    unsigned char* c = map(2 * P);
    if (c) {
        c[0] = 9, c[P] = 9;
        check_eq(sys::madvise(c, P, sys::MADV_DONTNEED), 0, "MADV_DONTNEED of one page");
        check(c[0] == 0 && c[P] == 9, "that page reads zeros again, the next one keeps its bytes");
        check_eq(sys::madvise(c, 2 * P, sys::MADV_WILLNEED), 0, "MADV_WILLNEED: 0");
        sys::munmap(c, 2 * P);
    }

    // ---- pages cost nothing until touched ----
    unsigned char* big = map(64 << 20, sys::PROT_NONE, kAnon | sys::MAP_NORESERVE);
    check(big != nullptr, "64 MiB reserved with PROT_NONE");
    if (big) {
        unsigned char* top = big + (63 << 20);
        check_eq(sys::mprotect(top, 1 << 20, RW), 0, "its top MiB made read-write (as glibc makes a thread stack)");
        for (long i = 0; i < (1 << 20); i += P) top[i] = static_cast<unsigned char>(i / P);
        bool same = true;
        for (long i = 0; i < (1 << 20); i += P) same = same && top[i] == static_cast<unsigned char>(i / P);
        check(same, "every page of that MiB written and read back");
        check_eq(signal_of(read_target, big + P), sys::SIGSEGV, "the rest stays PROT_NONE: SIGSEGV");
        check_eq(sys::munmap(big, 64 << 20), 0, "munmap of all 64 MiB");
    }
    // ---- 128 MiB touched: the address space and procserv's page map grow ----
    constexpr long kHuge = 128l << 20;
    g_huge = map(kHuge);
    check(g_huge != nullptr, "mmap of 128 MiB");
    if (g_huge) {
        for (long i = 0; i < kHuge; i += P) *reinterpret_cast<unsigned*>(g_huge + i) = static_cast<unsigned>(i / P) * 7 + 1;
        check(huge_pattern(0), "every page of 128 MiB written and read back");
        pt::check_exited(pt::reap(fork_child(huge_child), "reap"), 0,
                         "a fork child of a 128 MiB process sees every page, and its writes are its own");
        check(huge_pattern(0), "the parent's 128 MiB are unchanged");
        check_eq(sys::munmap(g_huge, kHuge), 0, "munmap of the 128 MiB");
    }
    // ---- thousands of regions (Linux allows 65,530 by default) ----
    constexpr long kSplit = 2000;
    unsigned char* many = map(kSplit * P);
    check(many != nullptr, "mmap of 2000 pages");
    if (many) {
        int ok = 0;
        for (long i = 0; i < kSplit; i += 2) ok += sys::mprotect(many + i * P, P, sys::PROT_READ) == 0;
        check_eq(ok, kSplit / 2, "every other page made read-only: 2000 regions");
        many[P] = 7; // a writable one between two read-only ones
        check_eq(signal_of(write_target, many), sys::SIGSEGV, "a read-only one still refuses a write");
        check_eq(sys::munmap(many, kSplit * P), 0, "munmap of all 2000 regions at once");
    }
    g_big_bss[0] = 1, g_big_bss[sizeof g_big_bss - 1] = 2;
    check(g_big_bss[0] == 1 && g_big_bss[sizeof g_big_bss - 1] == 2 && g_big_bss[sizeof g_big_bss / 2] == 0,
          "a 5 MiB array in .bss: touched at both ends");

    // ---- a file ----
    int fd = sys::open("/hello.txt", sys::O_RDONLY);
    char text[512];
    long n = sys::read(fd, text, sizeof text);
    check(fd >= 0 && n > 0 && n < P, "/hello.txt read", n);
    long f = sys::mmap(nullptr, P, sys::PROT_READ, sys::MAP_PRIVATE, fd, 0);
    check(f > 0 && f % P == 0, "mmap of the file", f);
    if (f > 0 && n > 0) {
        auto* fp = reinterpret_cast<unsigned char*>(f);
        check(memcmp(fp, text, static_cast<std::size_t>(n)) == 0, "it holds the file's bytes");
        check(all(fp + n, P - n, 0), "the rest of its last page reads as zeros");
        sys::munmap(fp, P);
    }
    check_eq(sys::mmap(nullptr, P, sys::PROT_READ, sys::MAP_PRIVATE, fd, 1), -sys::kEINVAL,
             "a file offset that is not page-aligned: -EINVAL");
    check_eq(sys::mmap(nullptr, P, sys::PROT_READ, sys::MAP_PRIVATE, 99, 0), -sys::kEBADF,
             "a descriptor that is not open: -EBADF");
    check_eq(sys::mmap(nullptr, P, RW, sys::MAP_SHARED, fd, 0), -sys::kEACCES,
             "MAP_SHARED with PROT_WRITE of a read-only file: -EACCES");
    int dir = sys::open("/etc", sys::O_RDONLY | sys::O_DIRECTORY);
    check_eq(sys::mmap(nullptr, P, sys::PROT_READ, sys::MAP_PRIVATE, dir, 0), -sys::kENODEV,
             "mmap of a directory: -ENODEV");
    sys::close(dir);
    long g = sys::mmap(nullptr, 2 * P, RW, sys::MAP_PRIVATE, fd, 0);
    check(g > 0, "a private writable mapping of the file", g);
    if (g > 0 && n > 0) {
        auto* gp = reinterpret_cast<unsigned char*>(g);
        gp[0] = '#';
        char again[512];
        int fd2 = sys::open("/hello.txt", sys::O_RDONLY);
        long n2 = sys::read(fd2, again, sizeof again);
        sys::close(fd2);
        check(gp[0] == '#' && n2 == n && again[0] == text[0], "a write to it: the file itself is unchanged");
        check_eq(sys::madvise(gp, P, sys::MADV_DONTNEED), 0, "MADV_DONTNEED of it");
        check_eq(gp[0], static_cast<unsigned char>(text[0]), "gives the file's bytes back");
        check_eq(signal_of(read_target, gp + P), sys::SIGBUS, "a page wholly past the end of the file: SIGBUS");
        sys::munmap(gp, 2 * P);
    }
    long s = sys::mmap(nullptr, P, sys::PROT_READ, sys::MAP_SHARED, fd, 0);
    check(s > 0, "a shared read-only mapping of the file", s);
    if (s > 0) {
        check_eq(sys::mprotect(reinterpret_cast<void*>(s), P, RW), -sys::kEACCES,
                 "it cannot be made writable: -EACCES");
        sys::munmap(reinterpret_cast<void*>(s), P);
    }
    sys::close(fd);

    // ---- brk ----
    long b0 = sys::brk(nullptr);
    check(b0 > 0, "brk(0): the current break", b0);
    long b1 = sys::brk(reinterpret_cast<void*>(b0 + 3 * P + 5));
    check_eq(b1, b0 + 3 * P + 5, "brk grows it by 3 pages and 5 bytes");
    if (b1 == b0 + 3 * P + 5) {
        auto* heap = reinterpret_cast<unsigned char*>(b0);
        for (long i = 0; i < 3 * P + 5; ++i) heap[i] = 0x5a;
        check(all(heap, 3 * P + 5, 0x5a), "the new memory is usable");
    }
    check_eq(sys::brk(reinterpret_cast<void*>(b0)), b0, "brk shrinks it back");
    check_eq(signal_of(read_target, reinterpret_cast<unsigned char*>(b0) + 2 * P), sys::SIGSEGV,
             "memory above the break is gone: SIGSEGV");
    check_eq(sys::brk(reinterpret_cast<void*>(0x1000)), b0, "a break below its start: refused, the break stays");

    // ---- fork: private memory is copied, shared memory stays shared ----
    g_shared = map(P, RW, sys::MAP_SHARED | sys::MAP_ANONYMOUS);
    g_private = map(P);
    if (g_shared && g_private) {
        g_shared[0] = 1, g_private[0] = 1;
        int status = pt::reap(fork_child(write_both), "reap");
        pt::check_exited(status, 0, "a fork child writes to both");
        check_eq(g_private[0], 1, "private memory: the parent keeps its own copy");
        check_eq(g_shared[0], 42, "MAP_SHARED memory: the parent sees the child's write");
    }

    // ---- copy-on-write: after a fork, every write is its writer's own ----
    g_cow = map(kCowPages * P);
    if (g_cow && g_shared) {
        for (long i = 0; i < kCowPages; ++i) g_cow[i * P] = static_cast<unsigned char>(i);
        pt::store(reinterpret_cast<int*>(g_shared + 64), 0);
        int pid = fork_child(cow_child);
        g_cow[0] = 0xee; // after the fork: the child keeps page 0 as it was
        pt::store(reinterpret_cast<int*>(g_shared + 64), 1);
        pt::check_exited(pt::reap(pid, "reap"), 0, "a fork child sees the memory as it was at the fork, then writes all of it");
        check(g_cow[0] == 0xee && cow_pattern(1), "the parent's pages are still its own (also the one a getcwd filled in the child)");
        int good = 0;
        for (int k = 0; k < 8; ++k) {
            int st = pt::reap(fork_child(cow_writer), "reap");
            good += sys::wifexited(st) && sys::wexitstatus(st) == 0 && cow_pattern(1) && g_cow[0] == 0xee;
        }
        check_eq(good, 8, "8 children writing half the pages: each sees its own, the parent's copy never changes");
        pt::check_exited(pt::reap(fork_child(cow_grandparent), "reap"), 0,
                         "a grandchild's writes stay its own, its parent's too");
        check(g_cow[2 * P] == 2 && g_cow[0] == 0xee, "and the first parent's bytes are unchanged");
        pt::check_exited(pt::reap(fork_child(cow_unmapper), "reap"), 0,
                         "a fork child unmaps, drops and replaces some of the pages: it sees what it made");
        check(cow_holds(0, kCowPages), "the parent still has every page, as it was");
        pt::store(reinterpret_cast<int*>(g_shared + 128), 0);
        pid = fork_child(cow_survivor);
        check_eq(sys::munmap(g_cow + 50 * P, 10 * P), 0, "the parent unmaps pages a child still has");
        long dropped = sys::madvise(g_cow + 3 * P, 2 * P, sys::MADV_DONTNEED);
        g_cow[6 * P] = 0x99;
        pt::store(reinterpret_cast<int*>(g_shared + 128), 1);
        pt::check_exited(pt::reap(pid, "reap"), 0, "the child still sees every page as it was at the fork");
        check(dropped == 0 && all(g_cow + 3 * P, 2 * P, 0) && g_cow[6 * P] == 0x99 && cow_holds(7, 50),
              "the parent sees its own changes");
        sys::munmap(g_cow, kCowPages * P);
    }
    return pt::finish();
}
