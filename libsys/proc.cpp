// The process API in our system: each call is a Call to procserv on the endpoint in
// slot procserv::kEndpoint of the thread's own cap space (docs/procserv.md).
#include <sys/arch_abi.hpp>
#include <sys/kernel.hpp>
#include <sys/proc.hpp>
#include <sys/procserv_call.hpp>
#include <sys/string.hpp>

namespace sys {
namespace {

namespace req = procserv::req;


long result(const Reply& r) { return r.ok() ? static_cast<long>(r.mr[0]) : static_cast<long>(r.error); }

u64 ptr(const void* p) { return reinterpret_cast<u64>(p); }
/// An int as its word (sign-extended: the table's Int32).
u64 int_word(int v) { return static_cast<u64>(static_cast<long>(v)); }

// A thread_create thread starts here with its function and argument in the first two
// argument registers: its return value is the thread's exit status.
[[noreturn]] void thread_trampoline(void* (*start)(void*), void* arg) {
    exit(static_cast<int>(reinterpret_cast<long>(start(arg))));
}

// A clone_fn child starts here with its function and argument in the first two
// argument registers.
[[noreturn]] void clone_trampoline(int (*fn)(void*), void* arg) { exit(fn(arg)); }

// The message label carries the flags' low 32 bits, where every clone flag lives; a flag
// above them is unknown, and is refused here because procserv would never see it.
bool flags_fit(unsigned long flags) { return (flags >> 32) == 0; }

} // namespace

long clone(unsigned long flags, void* child_stack, int* parent_tid, int* child_tid, unsigned long tls) {
    if (!flags_fit(flags)) return -kEINVAL;
    return result(ask(req::Clone{ptr(child_stack), ptr(parent_tid), ptr(child_tid), tls, flags}));
}

long clone_fn(int (*fn)(void*), void* arg, void* stack_top, unsigned long flags, int* parent_tid,
              int* child_tid, unsigned long tls) {
    if (!fn || !flags_fit(flags)) return -kEINVAL;
    // The block stays on this thread's stack: procserv reads it, and checks the child's
    // stack before anything is created.
    procserv::StartBlock block{ptr(reinterpret_cast<void*>(clone_trampoline)), ptr(reinterpret_cast<void*>(fn)),
                               ptr(arg), ptr(stack_top)};
    auto* b = &block;
    return result(ask(req::Clone{ptr(b), ptr(parent_tid), ptr(child_tid), tls, flags | procserv::kCloneStartBlock}));
}

int thread_create(const char*, void* stack_top, void* (*start)(void*), void* arg) {
    if (!start) return -kEINVAL;
    const u64 entry = ptr(reinterpret_cast<void*>(thread_trampoline)), fn = ptr(reinterpret_cast<void*>(start));
    return static_cast<int>(result(ask(req::ThreadCreate{ptr(stack_top), entry, fn, ptr(arg)})));
}

int thread_join(int tid, int* retval) {
    // procserv stores the code at retval itself (-EFAULT if it cannot, and the code stays
    // unclaimed), now or, for a thread still running, before it signals the join semaphore.
    Reply r = ask(req::Join{static_cast<u64>(static_cast<long>(tid)), ptr(retval)});
    if (!r.ok()) return static_cast<int>(r.error);
    if (r.label == static_cast<u64>(procserv::Reply::kBlock)) {
        // Signalled once, when the thread has exited and its code is stored. (If the
        // wait fails, the semaphore is already gone with the thread: the same answer.)
        (void)sem_wait(r.mr[0]);
        return 0;
    }
    return static_cast<int>(result(r));
}

void exit(int status) {
    for (;;) ask(req::Exit{static_cast<u64>(static_cast<long>(status))});
}

void exit_group(int status) {
    for (;;) ask(req::ExitGroup{static_cast<u64>(status & 0xff)});
}

int getpid() { return static_cast<int>(ask(req::GetIds{}).mr[0]); }
int gettid() { return static_cast<int>(ask(req::GetIds{}).mr[1]); }
int getppid() { return static_cast<int>(ask(req::GetIds{}).mr[2]); }

int chdir(const char* path) { return static_cast<int>(result(ask(req::Chdir{ptr(path)}))); }
long getcwd(char* buf, std::size_t size) { return result(ask(req::Getcwd{ptr(buf), size})); }
unsigned umask(unsigned mask) { return static_cast<unsigned>(result(ask(req::Umask{mask & 0777u}))); }

int open(const char* path, int flags) {
    return static_cast<int>(result(ask(req::Open{ptr(path), static_cast<unsigned>(flags)})));
}
long read(int fd, void* buf, std::size_t count) { return result(ask(req::Read{int_word(fd), ptr(buf), count})); }
int close(int fd) { return static_cast<int>(result(ask(req::Close{int_word(fd)}))); }
int dup(int fd) { return static_cast<int>(result(ask(req::Dup{int_word(fd)}))); }

int waitpid(int pid, int* status, int options) {
    // procserv stores the status (-EFAULT if it cannot: the child then stays waitable).
    return static_cast<int>(result(ask(req::Waitpid{int_word(pid), int_word(options), ptr(status)})));
}

int spawn(const char* path, const char* const argv[]) {
    return static_cast<int>(result(ask(req::Spawn{ptr(path), ptr(argv)})));
}

int kill(int pid, int sig) {
    return static_cast<int>(result(ask(req::Kill{int_word(pid), int_word(sig)})));
}

int tkill(int tid, int sig) {
    return static_cast<int>(result(ask(req::Tkill{int_word(tid), int_word(sig)})));
}

int sched_getaffinity(int tid, unsigned long* mask) {
    Reply r = ask(req::SchedAffinity{int_word(tid), 0});
    if (long e = result(r); e < 0) return static_cast<int>(e);
    *mask = r.mr[1];
    return 0;
}

int sched_setaffinity(int tid, unsigned long mask) {
    if (!mask) return -kEINVAL; // (an empty mask: 0 in the request only reads)
    long e = result(ask(req::SchedAffinity{int_word(tid), mask}));
    return e < 0 ? static_cast<int>(e) : 0;
}

void sig_default(int, const SigInfo*, void*) {}
void sig_ignore(int, const SigInfo*, void*) {}

namespace {
// A handler is entered here, on the frame procserv wrote below the interrupted stack
// pointer (the frame and the handler are the first two arguments); Sigreturn resumes the
// frame's registers and never returns.
[[noreturn]] void signal_trampoline(procserv::SignalFrame* frame, SigHandler handler) {
    handler(frame->info.signo, &frame->info, frame);
    for (;;) ask(req::Sigreturn{ptr(frame)});
}
constexpr u64 kSigDfl = 0, kSigIgn = 1;
} // namespace

int sigaction(int sig, const SigAction* act, SigAction* old) {
    u64 handler = 0, mask = 0, flags = 0, trampoline = 0; // (no trampoline: a query)
    if (act) {
        handler = act->handler == sig_ignore ? kSigIgn
                  : !act->handler || act->handler == sig_default ? kSigDfl
                                                                 : ptr(reinterpret_cast<void*>(act->handler));
        mask = act->mask, flags = act->flags, trampoline = ptr(reinterpret_cast<void*>(signal_trampoline));
    }
    Reply r = ask(req::Sigaction{u64{static_cast<unsigned>(sig)} | flags << 32, handler, mask, trampoline});
    long e = result(r);
    if (e < 0) return static_cast<int>(e);
    if (old) {
        old->handler = r.mr[0] == kSigIgn ? sig_ignore
                       : r.mr[0] == kSigDfl ? sig_default
                                            : reinterpret_cast<SigHandler>(r.mr[0]);
        old->flags = static_cast<unsigned>(r.mr[1]), old->mask = r.mr[2];
    }
    return 0;
}

int sigprocmask(int how, const unsigned long* set, unsigned long* old) {
    Reply r = set ? ask(req::Sigprocmask{static_cast<unsigned>(how), *set})
                  : ask(req::Sigprocmask{SIG_BLOCK, 0}); // (blocking nothing more: a query)
    long e = result(r);
    if (e < 0) return static_cast<int>(e);
    if (old) *old = r.mr[1];
    return 0;
}

unsigned long sigpending() { return ask(req::Sigpending{}).mr[1]; }

int futex_wait(int* addr, int val) {
    return static_cast<int>(result(ask(req::FutexWait{ptr(addr), static_cast<unsigned>(val)})));
}
int futex_wake(int* addr, int n) {
    return static_cast<int>(result(ask(req::FutexWake{ptr(addr), int_word(n)})));
}

long mmap(void* addr, std::size_t length, int prot, int flags, int fd, long offset) {
    const u64 prot_flags = u64{static_cast<unsigned>(prot)} | u64{static_cast<unsigned>(flags)} << 32;
    return result(ask(req::Mmap{ptr(addr), length, prot_flags, static_cast<u64>(offset), static_cast<unsigned>(fd)}));
}
int munmap(void* addr, std::size_t length) { return static_cast<int>(result(ask(req::Munmap{ptr(addr), length}))); }
int mprotect(void* addr, std::size_t length, int prot) {
    return static_cast<int>(result(ask(req::Mprotect{ptr(addr), length, static_cast<unsigned>(prot)})));
}
int madvise(void* addr, std::size_t length, int advice) {
    return static_cast<int>(result(ask(req::Madvise{ptr(addr), length, static_cast<unsigned>(advice)})));
}
long brk(void* addr) { return result(ask(req::Brk{ptr(addr)})); }

long write_console(const char* s, std::size_t n) {
    // procserv writes up to 256 bytes per request: ask until all is written.
    std::size_t done = 0;
    while (done < n) {
        long r = result(ask(req::Write{ptr(s + done), n - done}));
        if (r <= 0) return done > 0 ? static_cast<long>(done) : r;
        done += static_cast<std::size_t>(r);
    }
    return static_cast<long>(done);
}

} // namespace sys

// crt0 calls this when main returns: the process ends with main's status. A root task
// has no procserv (its slot 0 holds its untyped, so the Call fails): it powers the
// machine off with that status through its Machine capability instead. If both fail,
// this returns and crt0 traps.
extern "C" void libsys_main_returned(int status) {
    (void)sys::ask(procserv::req::ExitGroup{static_cast<abi::u64>(status & 0xff)});
    (void)sys::power_off(abi::root::kMachine, static_cast<abi::u64>(status & 0xff));
}
