// The test programs' harness: the process semantics programs', the servers' test and the
// root tasks' (through root_task.hpp). It must build both freestanding in the guest (no C
// library, no static constructors, no heap) and hosted on Linux, so it uses nothing but
// sys/proc.hpp and sys/string.hpp, and formats numbers itself.
//
// Each check prints one line, "<program>: <what> ok" or "<program>: <what> FAILED (...)",
// in a single write so that lines from several threads or processes do not interleave.
// finish() prints "<program>: N passed, M failed" (the checks of this process) and
// returns the exit status. The boot and Linux suites look for that line
// (tests/unit/summary_line.hpp).
#pragma once

#include <sys/proc.hpp>
#include <sys/string.hpp>

/// Executes an instruction that is undefined on this arch (arch/<arch>/user/syscall.S in
/// the guest, libsys/linux on the host), so that the process dies of SIGILL. Portable code
/// cannot use __builtin_trap: it is a breakpoint (SIGTRAP) on aarch64 and riscv64.
extern "C" [[noreturn]] void sys_illegal_instruction();

namespace pt {

inline const char* g_program = "?";
inline int g_passed = 0, g_failures = 0;
/// Where lines go: procserv's console (write_console) unless a root task says otherwise.
inline void (*g_write)(const char*, std::size_t) = nullptr;

/// One output line, built in place and written at once.
struct Line {
    char buf[320];
    std::size_t n = 0;

    Line& str(const char* s) {
        if (s == nullptr) s = "(null)";
        while (*s != '\0' && n < sizeof buf - 1) buf[n++] = *s++;
        return *this;
    }
    Line& num(long v) {
        char digits[24];
        int k = 0;
        // Negate in unsigned arithmetic so that LONG_MIN does not overflow.
        unsigned long u = v < 0 ? 0ul - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
        do {
            digits[k++] = static_cast<char>('0' + u % 10);
            u /= 10;
        } while (u != 0);
        if (v < 0) digits[k++] = '-';
        while (k > 0 && n < sizeof buf - 1) buf[n++] = digits[--k];
        return *this;
    }
    Line& hex(unsigned long v) {
        str("0x");
        char digits[16];
        int k = 0;
        do {
            digits[k++] = "0123456789abcdef"[v & 15];
            v >>= 4;
        } while (v != 0);
        while (k > 0 && n < sizeof buf - 1) buf[n++] = digits[--k];
        return *this;
    }
    void print() {
        buf[n++] = '\n';
        if (g_write) g_write(buf, n);
        else sys::write_console(buf, n);
    }
};

inline Line line() {
    Line l;
    l.str(g_program).str(": ");
    return l;
}

inline void start(const char* program) { g_program = program; }

inline void say(const char* what) { line().str(what).print(); }

inline void failed() { __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED); }
inline void passed() { __atomic_add_fetch(&g_passed, 1, __ATOMIC_RELAXED); }
inline int failures() { return __atomic_load_n(&g_failures, __ATOMIC_RELAXED); }

inline bool check(bool ok, const char* what) {
    Line l = line();
    l.str(what).str(ok ? " ok" : " FAILED");
    l.print();
    ok ? passed() : failed();
    return ok;
}

/// check that prints what it got when the check fails.
inline bool check(bool ok, const char* what, long got) {
    Line l = line();
    l.str(what);
    if (ok) l.str(" ok");
    else l.str(" FAILED (got ").num(got).str(")");
    l.print();
    ok ? passed() : failed();
    return ok;
}

inline bool check_eq(long got, long want, const char* what) {
    bool ok = got == want;
    Line l = line();
    l.str(what);
    if (ok) l.str(" ok");
    else l.str(" FAILED (got ").num(got).str(", expected ").num(want).str(")");
    l.print();
    ok ? passed() : failed();
    return ok;
}

/// A wait status in words, for failure messages.
inline bool check_status(int status, bool ok, const char* what) {
    Line l = line();
    l.str(what);
    if (ok) {
        l.str(" ok");
    } else {
        l.str(" FAILED (got status ").hex(static_cast<unsigned>(status));
        if (sys::wifexited(status)) l.str(": exited ").num(sys::wexitstatus(status));
        else if (sys::wifsignaled(status)) l.str(": signal ").num(sys::wtermsig(status));
        l.str(")");
    }
    l.print();
    ok ? passed() : failed();
    return ok;
}

inline bool check_exited(int status, int code, const char* what) {
    return check_status(status, sys::wifexited(status) && sys::wexitstatus(status) == code, what);
}

inline bool check_signaled(int status, int sig, const char* what) {
    return check_status(status, sys::wifsignaled(status) && sys::wtermsig(status) == sig, what);
}

/// The summary line; the exit status: 0 if every check passed.
inline int finish() {
    const int bad = failures();
    line().num(__atomic_load_n(&g_passed, __ATOMIC_RELAXED)).str(" passed, ").num(bad).str(" failed").print();
    return bad == 0 ? 0 : 1;
}

// ---- small tools the programs share -------------------------------------------------

inline bool streq(const char* a, const char* b) {
    return a != nullptr && b != nullptr && strlen(a) == strlen(b) && memcmp(a, b, strlen(a)) == 0;
}

inline int load(const int* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void store(int* p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
inline int add(int* p, int v) { return __atomic_add_fetch(p, v, __ATOMIC_ACQ_REL); }

/// Busy work that lets other threads run meanwhile; only ever used to make a race
/// likely to go one way, never for correctness of a check.
inline void spin(unsigned long n) {
    for (unsigned long i = 0; i < n; ++i) asm volatile("" ::: "memory");
}

/// Block until *word becomes 0 (CLONE_CHILD_CLEARTID clears it and wakes waiters).
inline void wait_zero(int* word) {
    for (int v = load(word); v != 0; v = load(word)) sys::futex_wait(word, v);
}

/// Block until *word != val.
inline void wait_change(int* word, int val) {
    while (load(word) == val) sys::futex_wait(word, val);
}

/// Set *word and wake every waiter on it.
inline void release(int* word, int val) {
    store(word, val);
    sys::futex_wake(word, 1 << 30);
}

/// Wait for child `pid`; its status, or -1 with a failed check if waitpid fails.
inline int reap(int pid, const char* what) {
    int status = -1;
    int r = sys::waitpid(pid, &status, 0);
    if (r != pid) {
        check_eq(r, pid, what);
        return -1;
    }
    return status;
}

/// A caller-owned stack for a thread: the top is what thread_create and clone_fn take.
template <std::size_t N>
struct alignas(16) Stack {
    unsigned char bytes[N];
    void* top() { return bytes + N; }
};

} // namespace pt
