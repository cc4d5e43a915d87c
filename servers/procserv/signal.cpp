// Signals: actions (rt_sigaction, or the native Sigaction; shared under CLONE_SIGHAND),
// blocked and pending sets (per thread, plus the process's own pending set for kill),
// sending (kill, tgkill, tkill, SIGCHLD, SIGPIPE), and delivery: a handler is entered
// when the thread's call to procserv is answered (a thread waiting in one is interrupted:
// EINTR, or with SA_RESTART the call again), or at a fault. A Linux program's frame is
// Linux's for the arch (arch/<arch>/include/arch/linux_signal.hpp), read back by
// rt_sigreturn; a libsys program's is a SignalFrame (sys/procserv_abi.hpp), entered
// through the trampoline libsys gives with each action and left by Op::Sigreturn. A
// default action that ends the process does so at once, wherever its threads are. A
// thread running user code when a handled signal arrives takes it at its next call.
// Both frames carry the thread's FP/SIMD state (Thread.ReadFpu / WriteFpu).
#include "procserv.hpp"

#include <arch/linux_numbers.hpp>
#include <arch/linux_signal.hpp>
#include <sys/arch_abi.hpp>

namespace procserv {
namespace {

namespace nr = arch::linux_nr;
namespace ls = arch::linux_signal;

constexpr u64 kSigreturnPage = kMapEnd - kPage; // the trampoline handlers return through
constexpr u64 kSigDfl = 0, kSigIgn = 1;
constexpr u64 kSaSiginfo = 4, kSaRestorer = 0x04000000, kSaRestart = 0x10000000, kSaNodefer = 0x40000000,
              kSaResethand = 0x80000000;
constexpr int kSigKill = 9, kSigStop = 19, kSigSegv = 11, kEintr = 4;
constexpr int kSiUser = 0, kSiTkill = -6;

constexpr u64 bit(int sig) { return u64{1} << (sig - 1); }
constexpr u64 kUnblockable = bit(kSigKill) | bit(kSigStop);

enum class Default { Term, Core, Ignore, Stop };
Default default_action(int sig) {
    switch (sig) {
    case 17: case 18: case 23: case 28: return Default::Ignore;           // CHLD, CONT, URG, WINCH
    case 19: case 20: case 21: case 22: return Default::Stop;             // STOP, TSTP, TTIN, TTOU
    case 3: case 4: case 5: case 6: case 7: case 8: case 11: case 24: case 25: case 31: return Default::Core;
    default: return Default::Term;
    }
}
/// Does `sig` end the process when it is delivered (its action is the default's Term or
/// Core)? Stop is taken as Ignore: there is no job control yet.
bool ends_process(const ThreadRec& t, int sig) {
    const u64 handler = t.sig ? t.sig->act[sig].handler : kSigDfl;
    const Default d = default_action(sig);
    return sig == kSigKill || (handler == kSigDfl && (d == Default::Term || d == Default::Core));
}
bool discarded(const ThreadRec& t, int sig) {
    const u64 handler = t.sig ? t.sig->act[sig].handler : kSigDfl;
    const Default d = default_action(sig);
    return sig != kSigKill && (handler == kSigIgn || (handler == kSigDfl && (d == Default::Ignore || d == Default::Stop)));
}

/// A siginfo: signo, errno 0, code, then (kill) the sender's pid and uid 0, or (a fault)
/// the address.
void make_info(unsigned char (&info)[128], int sig, int code, int from, u64 address) {
    memset(info, 0, sizeof info);
    memcpy(info, &sig, 4);
    memcpy(info + 8, &code, 4);
    if (address) memcpy(info + 16, &address, 8);
    else memcpy(info + 16, &from, 4);
}

// The frame being built or read back, and a thread's FP/SIMD image (procserv is
// single-threaded; they are big).
unsigned char g_frame[ls::kFrameBytes];
procserv::SignalFrame g_native;
u64 g_fpu[abi::kFpuWords];

// sigaltstack: stack_t is (ss_sp, ss_flags, ss_size) on every arch, and a frame's
// ucontext holds one (uc_stack) after uc_flags and uc_link.
constexpr int kSsOnstack = 1, kSsDisable = 2;
constexpr u32 kSsAutodisarm = 1u << 31;
constexpr u64 kSaOnstack = 0x08000000;
constexpr u64 kUcStackAt = ls::kUcontextAt + 16;
struct StackT {
    u64 sp;
    int flags;
    u64 size;
};

bool on_altstack(const ThreadRec& t, u64 sp) { return t.altstack_size && sp > t.altstack_sp && sp - t.altstack_sp <= t.altstack_size; }

/// The thread's alternate stack as sigaltstack reports it, seen from `sp`.
StackT altstack_of(const ThreadRec& t, u64 sp) {
    int flags = !t.altstack_size ? kSsDisable : on_altstack(t, sp) ? kSsOnstack : 0;
    if (t.altstack_size) flags |= static_cast<int>(t.altstack_flags & kSsAutodisarm);
    return {t.altstack_sp, flags, t.altstack_size};
}

/// The thread's alternate stack as a frame's uc_stack holds it: the flags it was set with.
StackT altstack_saved(const ThreadRec& t) {
    return {t.altstack_sp, t.altstack_size ? static_cast<int>(t.altstack_flags) : kSsDisable, t.altstack_size};
}

/// Set t's alternate stack to `s`, seen from `sp`: EPERM while on it, EINVAL for unknown
/// flags, ENOMEM below MINSIGSTKSZ.
Result<void> set_altstack(ThreadRec& t, const StackT& s, u64 sp) {
    if (on_altstack(t, sp)) return Errno{sys::kEPERM};
    const u32 flags = static_cast<u32>(s.flags);
    const u32 mode = flags & ~kSsAutodisarm;
    if (mode != 0 && mode != kSsOnstack && mode != kSsDisable) return Errno{sys::kEINVAL};
    if (mode == kSsDisable) {
        t.altstack_sp = t.altstack_size = 0, t.altstack_flags = 0;
        return {};
    }
    if (s.size < ls::kMinStack) return Errno{sys::kENOMEM};
    t.altstack_sp = s.sp, t.altstack_size = s.size, t.altstack_flags = flags;
    return {};
}

void put_stack(unsigned char* at, const StackT& s) {
    memset(at, 0, 24);
    memcpy(at, &s.sp, 8);
    memcpy(at + 8, &s.flags, 4);
    memcpy(at + 16, &s.size, 8);
}

StackT get_stack(const unsigned char* at) {
    StackT s{};
    memcpy(&s.sp, at, 8);
    memcpy(&s.flags, at + 8, 4);
    memcpy(&s.size, at + 16, 8);
    return s;
}

/// A libsys program's frame for `sig` below the stack pointer of `regs`, which then
/// enter the process's trampoline with the frame and the handler as its arguments.
bool enter_native(ThreadRec& t, u64* regs, int sig, int code, int from, u64 address) {
    const SigActions::Action& act = t.sig->act[sig];
    procserv::SignalFrame& f = g_native;
    memcpy(f.regs, regs, sizeof f.regs);
    f.mask = t.sigmask;
    f.info = {sig, code, from, 0, address};
    const u64 sp = regs[abi::kRegSp];
    const u64 frame_va = (sp - procserv::kSignalRedZone - sizeof f) & ~u64{15};
    if (frame_va >= sp || !get_fpu(t, f.fpu).ok() || !copy_out(*t.proc->mm, frame_va, &f, sizeof f)) return false;
    regs[abi::kRegIp] = act.restorer;
    regs[abi::kRegSp] = frame_va - sys::arch_abi::kEntryStackBias; // (as if called)
    regs[abi::kRegCap] = frame_va; // the first two arguments, as a thread's start has them
    regs[abi::kRegInfo] = act.handler;
    return true;
}

/// Enter t's handler for `sig` from the registers `regs` (t's, with the call's result
/// in place): the frame goes on t's stack and `regs` become the handler's (the caller
/// gives them to the thread). False if the frame cannot be written there.
bool enter_handler(ThreadRec& t, u64* regs, int sig, int code, int from, u64 address) {
    SigActions::Action& act = t.sig->act[sig];
    if (!t.linux_abi) {
        if (!enter_native(t, regs, sig, code, from, address)) return false;
    } else {
        // SA_ONSTACK: on the alternate stack, unless it runs there already.
        const u64 sp = regs[abi::kRegSp];
        const bool switch_stack = (act.flags & kSaOnstack) && t.altstack_size && !on_altstack(t, sp);
        const u64 frame_va = ls::frame_at(switch_stack ? t.altstack_sp + t.altstack_size : sp);
        const u64 restorer = nr::sigaction_has_restorer && (act.flags & kSaRestorer) ? act.restorer : kSigreturnPage;
        unsigned char info[128];
        make_info(info, sig, code, from, address);
        // (in rt_sigsuspend: the mask the handler's return restores is the one from before)
        ls::build(g_frame, frame_va, regs, info, t.sigsuspended ? t.saved_mask : t.sigmask, restorer, address);
        put_stack(g_frame + kUcStackAt, altstack_saved(t));
        if (!get_fpu(t, g_fpu).ok()) return false;
        ls::put_fpu(g_frame, frame_va, g_fpu);
        const bool fits = switch_stack ? frame_va >= t.altstack_sp : frame_va < sp; // (else SIGSEGV, as Linux)
        if (!fits || !copy_out(*t.proc->mm, frame_va, g_frame, ls::kFrameBytes)) return false;
        if (switch_stack && (t.altstack_flags & kSsAutodisarm)) // (until its sigreturn)
            t.altstack_sp = t.altstack_size = 0, t.altstack_flags = 0;
        ls::enter(regs, frame_va, sig, act.handler, restorer);
    }
    t.sigsuspended = false;
    t.sigmask = (t.sigmask | act.mask | ((act.flags & kSaNodefer) ? 0 : bit(sig))) & ~kUnblockable;
    if (act.flags & kSaResethand) act.handler = kSigDfl, act.flags &= ~kSaSiginfo;
    return true;
}

/// t goes on with `regs`. A Linux thread (its call is a fault the kernel holds) by the
/// answer ResumeAsIs; a libsys program's thread, in a call to procserv, is stopped (the
/// call's reply goes with it), given them and started again: no answer.
Answer go_on_with(ThreadRec& t, const u64* regs) {
    if (t.linux_abi) return set_registers(t, regs).ok() ? resume_as_is() : done(Errno{sys::kEFAULT});
    if (sys::thread_suspend(t.thread) != 0 || !set_registers(t, regs).ok() || sys::thread_resume(t.thread) != 0)
        kill_group(*t.proc, kSigSegv, nullptr); // (its thread capability is procserv's own: never)
    return no_reply();
}

/// The registers a libsys program's call leaves when answered with `x` (as the kernel's
/// reply writes them: no error, the label, four words).
void put_answer(u64* regs, const Answer& x) {
    regs[abi::kRegCap] = 0;
    regs[abi::kRegInfo] = abi::MessageInfo{x.label, 4, 0}.encode();
    for (u32 i = 0; i < 4; ++i) regs[abi::kRegMr0 + i] = x.w[i];
    regs[abi::kRegBadge] = 0;
}

/// The waiting call of t (its reply kept) ends with EINTR, and its handler runs; with
/// SA_RESTART the call starts again after the handler instead (futex waits without a
/// timeout, wait4, pipe reads and writes that moved nothing yet; as Linux, never sleeps,
/// pause or sigsuspend). A pipe write that moved some bytes returns their count.
void interrupt(ThreadRec& t) {
    const bool restartable = (t.wait == Wait::Futex && !t.deadline) || t.wait == Wait::Waitpid ||
                             (t.wait == Wait::Pipe && t.io_done == 0) || t.wait == Wait::Console;
    const long moved = t.wait == Wait::Pipe ? static_cast<long>(t.io_done) : 0;
    if (t.wait == Wait::Pipe) pipe_unqueue(t);
    if (t.wait == Wait::Console) console_unqueue(t);
    if (t.wait == Wait::Poll) poll_unqueue(t);
    if (t.wait == Wait::Futex) futex_unqueue(t);
    if (t.wait == Wait::Sleep && t.sleep_rem) { // what was left of it (a bad rem: the EINTR stays)
        const u64 now = now_ns(), left = t.deadline > now ? t.deadline - now : 0;
        const long rem[2] = {static_cast<long>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
        (void)copy_out(*t.proc->mm, t.sleep_rem, rem, sizeof rem);
    }
    sleep_cancel(t);
    t.wait = Wait::None;
    t.wait_info = false;
    Answer x = deliver_signals(t, done(moved ? moved : -kEintr), restartable && !moved);
    if (x.reply) sys::reply_send(t.reply, x.label, x.w[0], x.w[1], x.w[2]);
}

bool interruptible(const ThreadRec& t) {
    return t.sig && (t.wait == Wait::Futex || t.wait == Wait::Pipe || t.wait == Wait::Console || t.wait == Wait::Poll || t.wait == Wait::Sleep ||
                           t.wait == Wait::Waitpid || t.wait == Wait::Pause);
}

/// sigaction's change, for both front ends: ignoring a signal drops what is pending of
/// it, as Linux does.
void set_action(ThreadRec& t, int sig, const SigActions::Action& act) {
    t.sig->act[sig] = {act.handler, act.flags, act.restorer, act.mask & ~kUnblockable};
    if (!discarded(t, sig)) return;
    for (ThreadRec* o = t.proc->threads; o; o = o->proc_next) o->sigpending &= ~bit(sig);
    t.proc->sigpending &= ~bit(sig);
}

/// sigprocmask's change (how: 0 block, 1 unblock, 2 set, checked by the caller).
void change_mask(ThreadRec& t, u64 how, u64 set) {
    t.sigmask = (how == 0 ? t.sigmask | set : how == 1 ? t.sigmask & ~set : set) & ~kUnblockable;
}

// Who sent what, for the siginfo (the last sender of each signal to the thread or process).
struct Sender {
    int code, pid;
};
Sender g_last_sender[65];

} // namespace

SigActions* new_sigactions() {
    SigActions* s = heap_new<SigActions>();
    if (s) s->refs = 1;
    return s;
}

SigActions* sigactions_for_child(ThreadRec& t, bool share) {
    if (!t.sig) return nullptr;
    if (share) return ++t.sig->refs, t.sig;
    SigActions* s = new_sigactions();
    if (s) *s = *t.sig, s->refs = 1;
    return s;
}

void drop_sigactions(SigActions* s) {
    if (s && --s->refs == 0) heap_free(s);
}

void exec_sigactions(ThreadRec& t) {
    t.altstack_sp = t.altstack_size = 0, t.altstack_flags = 0; // (no sigaltstack after execve)
    if (!t.sig) {
        t.sig = new_sigactions(); // (a libsys program exec'ing a Linux one: all default)
        return;
    }
    if (t.sig->refs > 1) { // shared with threads that are gone now, or another process
        SigActions* own = sigactions_for_child(t, false);
        if (!own) return;
        drop_sigactions(t.sig);
        t.sig = own;
    }
    for (SigActions::Action& a : t.sig->act)
        if (a.handler != kSigIgn) a = {};
}

Result<void> map_sigreturn(Mm& mm) {
    Region r{};
    r.start = kSigreturnPage, r.end = kSigreturnPage + kPage, r.prot = kProtRead | kProtExec;
    r.file = ls::kSigreturn, r.file_va = kSigreturnPage, r.file_len = sizeof ls::kSigreturn;
    return mm_add_region(mm, r);
}

void send_thread_signal(ThreadRec& t, int sig, int code, int from) {
    Process& p = *t.proc;
    if (sig <= 0 || p.ended || p.group_exit) return;
    if (ends_process(t, sig) && (sig == kSigKill || !(t.sigmask & bit(sig)))) {
        kill_group(p, sig, nullptr);
        return;
    }
    if (discarded(t, sig)) return;
    g_last_sender[sig] = {code, from};
    t.sigpending |= bit(sig);
    if (!(t.sigmask & bit(sig)) && interruptible(t)) interrupt(t);
}

void send_process_signal(Process& p, int sig, int code, int from) {
    if (sig <= 0 || p.ended || p.group_exit || !p.threads) return;
    // The thread to take it: one that does not block it, one waiting in a call first.
    ThreadRec* chosen = nullptr;
    for (ThreadRec* t = p.threads; t; t = t->proc_next)
        if (!(t->sigmask & bit(sig)) && (!chosen || (interruptible(*t) && !interruptible(*chosen)))) chosen = t;
    if (chosen) {
        send_thread_signal(*chosen, sig, code, from);
        return;
    }
    // Every thread blocks it: the process keeps it until one unblocks it (SIGKILL never
    // gets here: nobody blocks it).
    if (discarded(*p.threads, sig)) return;
    g_last_sender[sig] = {code, from};
    p.sigpending |= bit(sig);
}

namespace {
/// The lowest signal t may take now, taken off its pending sets; 0: none. One whose
/// default action ends the process ends it (`ended`); ignored ones are dropped.
int next_signal(ThreadRec& t, bool& ended) {
    Process& p = *t.proc;
    for (;;) {
        const u64 ready = (t.sigpending | p.sigpending) & ~t.sigmask;
        if (!ready) return 0;
        int sig = 1; // the lowest first (no count-trailing-zeros: riscv64 has no instruction for it)
        while (!(ready & bit(sig))) ++sig;
        if (t.sigpending & bit(sig)) t.sigpending &= ~bit(sig);
        else p.sigpending &= ~bit(sig);
        if (ends_process(t, sig)) {
            kill_group(p, sig, nullptr);
            ended = true;
            return 0;
        }
        if (!discarded(t, sig)) return sig;
    }
}
} // namespace

Answer deliver_signals(ThreadRec& t, Answer x, bool restartable) {
    if (!t.sig) return x;
    bool ended = false;
    const int sig = next_signal(t, ended);
    if (ended) return no_reply();
    u64 regs[abi::kRegCount];
    if (!sig || !get_registers(t, regs).ok()) { // no handler runs: a call's own mask (rt_sigsuspend, ppoll) ends here
        if (t.sigsuspended) t.sigmask = t.saved_mask, t.sigsuspended = false;
        return x;
    }
    if (restartable && (t.sig->act[sig].flags & kSaRestart))
        regs[abi::kRegIp] -= ls::kSyscallBytes; // the call again, its registers untouched (the same instruction natively)
    else if (!t.linux_abi)
        put_answer(regs, x);
    else if (x.label == static_cast<u64>(abi::FaultReply::Resume))
        regs[nr::result_register] = x.w[0]; // the call's result
    if (!enter_handler(t, regs, sig, g_last_sender[sig].code, g_last_sender[sig].pid, 0)) {
        kill_group(*t.proc, kSigSegv, nullptr); // (as Linux: a frame that cannot be written)
        return no_reply();
    }
    return go_on_with(t, regs);
}

bool deliver_fault(ThreadRec& t, int sig, int code, u64 address) {
    if (!t.sig || (t.sigmask & bit(sig))) return false;
    const u64 handler = t.sig->act[sig].handler;
    if (handler == kSigDfl || handler == kSigIgn) return false;
    u64 regs[abi::kRegCount];
    return get_registers(t, regs).ok() && enter_handler(t, regs, sig, code, 0, address) &&
           set_registers(t, regs).ok(); // (the thread is at its fault: ResumeAsIs goes on)
}

Answer signal_call(ThreadRec& t, long n, const u64* a) {
    Process& p = *t.proc;
    Mm& mm = *p.mm;
    if (!t.sig) return done(Errno{sys::kENOSYS});
    if (n == nr::rt_sigaction) {
        const int sig = static_cast<int>(a[0]);
        if (a[3] != 8 || sig < 1 || sig > 64 || (a[1] && (sig == kSigKill || sig == kSigStop))) return done(Errno{sys::kEINVAL});
        SigActions::Action& act = t.sig->act[sig];
        // struct sigaction as the arch's kernel has it: handler, flags, [restorer,] mask
        const u64 words = nr::sigaction_has_restorer ? 4 : 3;
        u64 old[4] = {act.handler, act.flags, act.restorer, act.mask};
        if (!nr::sigaction_has_restorer) old[2] = act.mask;
        u64 fresh[4] = {};
        if (a[1] && !copy_in(mm, a[1], fresh, words * 8)) return done(Errno{sys::kEFAULT});
        if (a[2] && !copy_out(mm, a[2], old, words * 8)) return done(Errno{sys::kEFAULT});
        if (a[1])
            set_action(t, sig, {fresh[0], fresh[1], nr::sigaction_has_restorer ? fresh[2] : 0,
                                nr::sigaction_has_restorer ? fresh[3] : fresh[2]});
        return done(0);
    }
    if (n == nr::rt_sigprocmask) {
        constexpr u64 kSetmask = 2;
        if (a[3] != 8 || (a[1] && a[0] > kSetmask)) return done(Errno{sys::kEINVAL});
        u64 set = 0;
        if (a[1] && !copy_in(mm, a[1], &set, 8)) return done(Errno{sys::kEFAULT});
        if (a[2] && !copy_out(mm, a[2], &t.sigmask, 8)) return done(Errno{sys::kEFAULT});
        if (a[1]) change_mask(t, a[0], set);
        return done(0); // (what it unblocked is delivered as this answer goes)
    }
    if (n == nr::rt_sigpending) {
        if (a[1] != 8) return done(Errno{sys::kEINVAL});
        const u64 pending = t.sigpending | p.sigpending;
        return done(copy_out(mm, a[0], &pending, 8) ? 0 : wire(Errno{sys::kEFAULT}));
    }
    if (n == nr::rt_sigreturn) {
        u64 regs[abi::kRegCount];
        if (!get_registers(t, regs).ok()) return done(Errno{sys::kEFAULT});
        const u64 frame_va = ls::frame_of_sigreturn(regs[abi::kRegSp]);
        if (!copy_in(mm, frame_va, g_frame, ls::kFrameBytes)) {
            kill_group(p, kSigSegv, nullptr);
            return no_reply();
        }
        u64 mask = 0;
        const u64 handler_sp = regs[abi::kRegSp];
        ls::restore(g_frame, regs, mask);
        t.sigmask = mask & ~kUnblockable;
        memset(g_fpu, 0, sizeof g_fpu); // (the frame holds the arch's registers; the rest of the image is zeros)
        if (ls::get_fpu(g_frame, frame_va, g_fpu) && !set_fpu(t, g_fpu).ok()) return done(Errno{sys::kEFAULT});
        // The alternate stack as uc_stack has it (as Linux: refused, e.g. while still on
        // it, it stays as it is): this re-arms an SS_AUTODISARM stack.
        (void)set_altstack(t, get_stack(g_frame + kUcStackAt), handler_sp);
        if (!set_registers(t, regs).ok()) return done(Errno{sys::kEFAULT});
        return resume_as_is(); // (deliver_signals runs on it: what the old mask held back)
    }
    if (n == nr::sigaltstack) {
        // (the sp the call came with: on the alternate stack or not)
        StackT fresh{};
        unsigned char raw[24];
        if (a[0]) {
            if (!copy_in(mm, a[0], raw, sizeof raw)) return done(Errno{sys::kEFAULT});
            fresh = get_stack(raw);
        }
        const StackT old = altstack_of(t, a[6]);
        if (a[0])
            if (Result<void> e = set_altstack(t, fresh, a[6]); !e.ok()) return done(e.error());
        put_stack(raw, old);
        if (a[1] && !copy_out(mm, a[1], raw, sizeof raw)) return done(Errno{sys::kEFAULT});
        return done(0);
    }
    if (n == nr::pause || n == nr::rt_sigsuspend || n == nr::ppoll) {
        // Wait for a signal (its handler ends the call with EINTR), with rt_sigsuspend's
        // or ppoll's mask meanwhile; ppoll with no descriptors: its timeout ends it (0);
        // with descriptors: poll.cpp.
        const u64 mask_va = n == nr::rt_sigsuspend ? a[0] : n == nr::ppoll ? a[3] : 0;
        const bool fds = n == nr::ppoll && a[1] != 0;
        if (mask_va && a[n == nr::rt_sigsuspend ? 1 : 4] != 8) return done(Errno{sys::kEINVAL});
        u64 mask = t.sigmask, deadline = 0;
        bool now = false; // (a timeout of 0: no wait at all)
        if (mask_va && !copy_in(mm, mask_va, &mask, 8)) return done(Errno{sys::kEFAULT});
        if (n == nr::ppoll && a[2]) {
            Result<u64> ns = timespec_ns(mm, a[2]);
            if (!ns.ok()) return done(ns.error());
            if (ns.value() == 0 && !fds) return done(0);
            now = ns.value() == 0;
            deadline = now ? 0 : now_ns() + ns.value();
        }
        if (mask_va) call_mask(t, mask);
        if (fds) return poll_wait(t, a[0], a[1], deadline, !a[2]);
        if ((t.sigpending | p.sigpending) & ~t.sigmask) return done(-kEintr); // (delivered as it goes)
        if (!keep_reply(t, Wait::Pause)) {
            if (t.sigsuspended) t.sigmask = t.saved_mask, t.sigsuspended = false;
            return done(Errno{sys::kENOMEM});
        }
        if (deadline) sleep_until(t, deadline);
        return no_reply();
    }
    // kill, tgkill, tkill
    if (n == nr::kill) return do_kill(t, static_cast<int>(a[0]), static_cast<int>(a[1]));
    if (n == nr::tkill) return do_tkill(t, 0, static_cast<int>(a[0]), static_cast<int>(a[1]));
    if (static_cast<int>(a[0]) <= 0) return done(Errno{sys::kEINVAL}); // (tgkill's group, as Linux)
    return do_tkill(t, static_cast<int>(a[0]), static_cast<int>(a[1]), static_cast<int>(a[2]));
}

Answer do_tkill(ThreadRec& t, long tgid, long tid, long sig) {
    const int my_pid = t.proc->pid; // (the signal may end the caller's process: by pid after)
    if (sig < 0 || sig > 64 || tid <= 0) return done(Errno{sys::kEINVAL}); // (as Linux)
    ThreadRec* target = find_thread(tid);
    if (!target || (tgid && target->proc->pid != tgid)) return done(Errno{sys::kESRCH});
    if (sig) send_thread_signal(*target, static_cast<int>(sig), kSiTkill, my_pid);
    return process_alive(my_pid) ? done(0) : no_reply();
}

Answer do_kill(ThreadRec& t, int pid, int sig) {
    Process& p = *t.proc;
    // A signal may end the caller's own process (and free its records): after sending,
    // look it up again by pid before answering.
    const int my_pid = p.pid;
    auto answer_caller = [my_pid]() { return process_alive(my_pid) ? done(0) : no_reply(); };
    if (sig < 0 || sig > 64) return done(Errno{sys::kEINVAL});
    if (pid > 0) {
        Process* target = find_process(pid);
        if (!target || target->ended) return done(Errno{sys::kESRCH});
        if (sig) send_process_signal(*target, sig, kSiUser, my_pid);
        return answer_caller();
    }
    // A group (0: the caller's; -1: everyone but the first process and the caller; -g: g).
    const int group = pid == 0 ? p.pgid : -pid;
    Process* found[64];
    int count = 0, matched = 0;
    bool self = false;
    for_each_process([&](Process& q) {
        if (q.ended || q.group_exit) return;
        const bool in = pid == -1 ? (q.pid != g_first_pid && &q != &p) : q.pgid == group;
        if (!in) return;
        ++matched;
        if (&q == &p) self = true;
        else if (count < 64) found[count++] = &q; // (more than 64 at once: the rest are not reached)
    });
    if (!matched) return done(Errno{sys::kESRCH});
    if (sig) {
        int pids[64];
        for (int i = 0; i < count; ++i) pids[i] = found[i]->pid; // (a kill may free records: by pid)
        for (int i = 0; i < count; ++i)
            if (Process* q = find_process(pids[i])) send_process_signal(*q, sig, kSiUser, my_pid);
        if (self)
            if (Process* q = find_process(my_pid)) send_process_signal(*q, sig, kSiUser, my_pid);
    }
    return answer_caller();
}

Answer native_signal_call(ThreadRec& t, const procserv::Message& m) {
    using procserv::Op;
    namespace req = procserv::req;
    Process& p = *t.proc;
    if (!t.sig) return done(Errno{sys::kENOSYS});
    switch (static_cast<Op>(procserv::op_of(m.label))) {
    case Op::Sigaction: { // no trampoline: only the old action
        const auto a = procserv::arguments<req::Sigaction>(m);
        constexpr u64 kNativeFlags = kSaSiginfo | kSaRestart | kSaNodefer | kSaResethand;
        const u64 sig = a.sig_flags & 0xffffffff, flags = a.sig_flags >> 32;
        if (sig < 1 || sig > 64) return done(Errno{sys::kEINVAL});
        SigActions::Action& act = t.sig->act[sig];
        const Answer old = done(static_cast<long>(act.handler), act.flags, act.mask);
        if (a.trampoline == 0) return old;
        if ((flags & ~kNativeFlags) || sig == kSigKill || sig == kSigStop)
            return done(Errno{sys::kEINVAL});
        set_action(t, static_cast<int>(sig), {a.handler, flags, a.trampoline, a.mask});
        return old;
    }
    case Op::Sigprocmask: { // (the table checked `how`)
        const auto a = procserv::arguments<req::Sigprocmask>(m);
        const u64 old = t.sigmask;
        change_mask(t, a.how, a.set);
        return done(0, old); // (what it unblocked is delivered as this answer goes)
    }
    case Op::Sigpending: return done(0, t.sigpending | p.sigpending);
    case Op::Tkill: {
        const auto a = procserv::arguments<req::Tkill>(m);
        return do_tkill(t, 0, static_cast<int>(a.tid), static_cast<int>(a.sig));
    }
    case Op::Sigreturn: {
        // The frame's registers and mask come back (a frame that cannot be read: SIGSEGV,
        // as Linux); signals the mask held back are delivered on them at once.
        procserv::SignalFrame& f = g_native;
        if (!copy_in(*p.mm, procserv::arguments<req::Sigreturn>(m).frame, &f, sizeof f)) {
            kill_group(p, kSigSegv, nullptr);
            return no_reply();
        }
        t.sigmask = f.mask & ~kUnblockable;
        if (!set_fpu(t, f.fpu).ok()) return done(Errno{sys::kEFAULT});
        bool ended = false;
        const int sig = next_signal(t, ended);
        if (ended) return no_reply();
        u64 regs[abi::kRegCount]; // (the next frame, if any, is built in g_native)
        memcpy(regs, f.regs, sizeof regs);
        if (sig && !enter_handler(t, regs, sig, g_last_sender[sig].code, g_last_sender[sig].pid, 0)) {
            kill_group(p, kSigSegv, nullptr);
            return no_reply();
        }
        return go_on_with(t, regs);
    }
    default: return done(Errno{sys::kENOSYS});
    }
}

void signal_group(int pgrp, int sig) {
    constexpr int kSiKernel = 0x80;
    if (pgrp <= 0) return;
    int pids[64], count = 0; // (a signal may end processes and free records: by pid)
    for_each_process([&](Process& q) {
        if (!q.ended && !q.group_exit && q.pgid == pgrp && count < 64) pids[count++] = q.pid;
    });
    for (int i = 0; i < count; ++i)
        if (Process* q = find_process(pids[i])) send_process_signal(*q, sig, kSiKernel, 0);
}

void call_mask(ThreadRec& t, u64 mask) {
    t.saved_mask = t.sigmask, t.sigmask = mask & ~kUnblockable, t.sigsuspended = true;
}

} // namespace procserv
