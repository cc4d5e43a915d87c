// Microbenchmarks of the kernel's hot paths, run as the root task (`init=bench`) and
// collected by scripts/bench under QEMU -icount shift=0, where sys_read_counter counts
// guest instructions (docs/performance.md).
//
// Method, after sel4bench: the counter is read just before the system call and just
// after the operation completes (in the thread that sees it complete), the cost of the
// two back-to-back counter reads is subtracted, and each figure is the median of
// kSamples single-operation samples taken after a warm-up. The median (not the minimum)
// so that a sample hit by a timer interrupt does not count, and neither does one that
// happens to be cheaper than the steady state. A call whose message fits in one word is
// made as sel4bench makes it, with sys_trap_short (every word in a register, inline);
// longer ones go through sys_trap with a prepared SysRegs, whose stub loads and stores
// the registers. Neither packs a message with libsys.
//
// Output: one line per operation, `bench: NAME INSTRUCTIONS`, then `bench: done`.
#include <sys/arch_abi.hpp>
#include <sys/arch_trap.hpp>
#include <sys/kernel.hpp>

// Another address space comes from libsys's process helpers (sys::start_process); until
// they are in the tree, the cross-address-space figures are left out.
#if __has_include(<sys/process.hpp>)
#include <sys/process.hpp>
#define BENCH_CROSS_AS 1
#endif

namespace {

using abi::u32;
using abi::u64;
namespace root = abi::root;
namespace rt = abi::rights;

constexpr u32 kPriority = 100; ///< the root task's, set at the start; helpers run at it or above
constexpr int kWarmup = 16;
constexpr int kSamples = 101; // odd: the median is one sample

int g_failures = 0;

void fail(const char* what, long long error) {
    sys::print("bench: FAILED: {} ({})\n", what, error);
    ++g_failures;
}

/// Registers for one system call with `words` message words (the words themselves
/// are whatever is in the registers and the IPC buffer: only the length matters here).
SysRegs regs(abi::Syscall nr, u64 cap, u64 label, u32 words) {
    SysRegs r{};
    r.nr = static_cast<u64>(nr);
    r.cap = cap;
    r.info = abi::MessageInfo{label, words, 0}.encode();
    return r;
}

/// Is `r`'s message short enough for sys_trap_short?
bool is_short(const SysRegs& r) { return abi::MessageInfo::decode(r.info).length <= 1; }

/// sys_trap_short with `r`'s words, the results written back to `r`.
[[gnu::always_inline]] inline void trap_short(SysRegs& r) {
    SysShort out = sys_trap_short(r.nr, r.cap, r.info, r.mr[0]);
    r.cap = out.result;
    r.info = out.info;
    r.mr[0] = out.mr0;
    r.badge = out.badge;
}

/// The median of `n` samples (sorts them in place; n is small).
u64 median(u64* s, int n) {
    for (int i = 1; i < n; ++i)
        for (int j = i; j > 0 && s[j - 1] > s[j]; --j) {
            u64 t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return s[n / 2];
}

u64 g_samples[kSamples];
u64 g_overhead = 0; ///< two back-to-back counter reads

void report(const char* name, u64 value) { sys::print("bench: {} {}\n", name, value); }

/// Measure `op` (a callable returning the raw counter difference of one operation).
template <class Op>
u64 measure(Op op) {
    for (int i = 0; i < kWarmup; ++i) (void)op();
    for (int i = 0; i < kSamples; ++i) {
        u64 d = op();
        g_samples[i] = d > g_overhead ? d - g_overhead : 0;
    }
    return median(g_samples, kSamples);
}

// ---- Threads of the root task's own address space --------------------------------------

constexpr u64 kStackBase = 0x20000000; ///< helper stacks, one page each, 2 pages apart
constexpr u64 kIpcVa = 0x30000000;     ///< helper IPC buffers (the kernel only needs the frame)
u64 g_next_slot = root::kFirstFree;
int g_threads = 0;

/// Every thread of the bench runs on CPU 0: with several CPUs (scripts/bench's smp4_
/// rows) the rows are the same-core figures, and the kernel would otherwise spread the
/// threads over the idle CPUs.
constexpr u64 kCpu0 = 1;

u64 new_object(abi::ObjectType type) {
    u64 slot = g_next_slot++;
    long long e = sys::retype(root::kUntyped, type, 0, root::kCapSpace, slot);
    if (e) fail("retype", e);
    return slot;
}

/// Start `entry` as a new thread of this address space at `priority`, with a stack page
/// and an IPC buffer of its own; returns its thread slot.
u64 start_thread(void (*entry)(), u32 priority) {
    u64 thread = new_object(abi::ObjectType::Thread);
    u64 stack = new_object(abi::ObjectType::Frame);
    u64 ipc = new_object(abi::ObjectType::Frame);
    u64 stack_va = kStackBase + u64(g_threads) * 0x2000;
    u64 ipc_va = kIpcVa + u64(g_threads) * 0x1000;
    ++g_threads;
    long long e = sys::map(root::kAddressSpace, stack, stack_va, rt::kRead | rt::kWrite);
    if (!e) e = sys::thread_configure(thread, root::kCapSpace, root::kAddressSpace, ipc, ipc_va, abi::kNoSlot);
    if (!e) e = sys::thread_set_priority(thread, priority, 5);
    if (!e) e = sys::thread_set_affinity(thread, kCpu0);
    u64 sp = stack_va + 0x1000 - sys::arch_abi::kEntryStackBias;
    if (!e) e = sys::thread_start(thread, reinterpret_cast<u64>(entry), sp);
    if (e) fail("start a thread", e);
    return thread;
}

// ---- The helper threads: each loops forever on its side of one benchmark ----------------

u64 g_endpoint = 0, g_endpoint10 = 0, g_semaphore = 0;
volatile u64 g_woken_at = 0; ///< counter read by the semaphore waiter when it wakes

[[noreturn]] void yielder() {
    SysRegs r;
    for (;;) {
        r = regs(abi::Syscall::Yield, 0, 0, 0);
        trap_short(r);
    }
}

/// A call with this label asks the server to reply with mr0 = the counter it read as
/// soon as the call arrived (the one-way figure; the server may be in another address
/// space, so a shared variable would not do).
constexpr u64 kStampLabel = 1;

/// Answers every call on `ep` with `words` words (at least one for a stamp request).
[[noreturn]] void serve(u64 ep, u32 words) {
    if (words == 0) { // (the words kept in registers, as a sel4bench server keeps them)
        constexpr auto kReplyReceive = static_cast<u64>(abi::Syscall::ReplyReceive);
        const u64 empty = abi::MessageInfo{0, 0, 0}.encode(), one = abi::MessageInfo{0, 1, 0}.encode();
        SysShort in = sys_trap_short(static_cast<u64>(abi::Syscall::Receive), ep, 0, 0);
        for (;;) {
            u64 arrived = sys_read_counter();
            bool stamp = abi::MessageInfo::decode(in.info).label == kStampLabel;
            in = sys_trap_short(kReplyReceive, ep, stamp ? one : empty, arrived);
        }
    }
    SysRegs r = regs(abi::Syscall::Receive, ep, 0, 0);
    trap_short(r);
    for (;;) {
        u64 arrived = sys_read_counter();
        bool stamp = abi::MessageInfo::decode(r.info).label == kStampLabel;
        r = regs(abi::Syscall::ReplyReceive, ep, 0, stamp && words == 0 ? 1 : words);
        r.mr[0] = arrived;
        sys_trap(&r);
    }
}
[[noreturn]] void server0() { serve(g_endpoint, 0); }
[[noreturn]] void server10() { serve(g_endpoint10, 10); }

[[noreturn]] void waiter() {
    SysRegs r;
    for (;;) {
        r = regs(abi::Syscall::Invoke, g_semaphore, u64(abi::SemaphoreMethod::Wait), 0);
        trap_short(r);
        g_woken_at = sys_read_counter();
    }
}

// ---- The benchmarks ---------------------------------------------------------------------

/// The counter across a loop of `n` iterations of two instructions (decrement, branch).
/// Under -icount the difference between two such loops is exactly twice the difference
/// of their `n`: the check that the counter counts instructions (docs/performance.md).
u64 counted_loop(u64 n) {
    u64 t0 = sys_read_counter();
    (void)sys_spin(n);
    return sys_read_counter() - t0;
}

u64 counter_overhead() {
    for (int i = 0; i < kSamples; ++i) {
        u64 t0 = sys_read_counter();
        u64 t1 = sys_read_counter();
        g_samples[i] = t1 - t0;
    }
    return median(g_samples, kSamples);
}

/// One system call from the root task, timed around the trap.
u64 timed_call(const SysRegs& prepared) {
    SysRegs r = prepared;
    u64 t0, t1;
    if (is_short(r)) {
        t0 = sys_read_counter();
        trap_short(r);
        t1 = sys_read_counter();
    } else {
        t0 = sys_read_counter();
        sys_trap(&r);
        t1 = sys_read_counter();
    }
    if (r.cap != 0) fail("a timed system call", static_cast<long long>(r.cap));
    return t1 - t0;
}

void null_syscall() {
    const SysRegs y = regs(abi::Syscall::Yield, 0, 0, 0);
    report("null_syscall", measure([&] { return timed_call(y); }));
}

/// Root and a yielder of the same priority take turns: one sample is two yields and two
/// thread switches; the figure is half of it, one yield that switches threads.
void yield_same_as() {
    u64 t = start_thread(yielder, kPriority);
    const SysRegs y = regs(abi::Syscall::Yield, 0, 0, 0);
    report("yield_switch_same_as", measure([&] { return timed_call(y); }) / 2);
    if (long long e = sys::thread_suspend(t)) fail("suspend the yielder", e);
}

/// Call + reply round trip, timed in the caller (the server has a higher priority, so it
/// is waiting in ReplyReceive whenever the caller calls).
void ipc_same_as() {
    g_endpoint = new_object(abi::ObjectType::Endpoint);
    g_endpoint10 = new_object(abi::ObjectType::Endpoint);
    (void)start_thread(server0, kPriority + 1);
    (void)start_thread(server10, kPriority + 1);

    const SysRegs call0 = regs(abi::Syscall::Call, g_endpoint, 0, 0);
    report("ipc_call_reply_same_as_0w", measure([&] { return timed_call(call0); }));

    SysRegs check = regs(abi::Syscall::Call, g_endpoint10, 0, 10);
    sys_trap(&check);
    if (check.cap != 0 || abi::MessageInfo::decode(check.info).length != 10)
        fail("a 10-word call gets a 10-word reply", static_cast<long long>(check.cap));
    const SysRegs call10 = regs(abi::Syscall::Call, g_endpoint10, 0, 10);
    report("ipc_call_reply_same_as_10w", measure([&] { return timed_call(call10); }));
}

#ifdef BENCH_CROSS_AS
[[noreturn]] void process_server(u64 arg) { serve(arg >> 8, u32(arg & 0xff)); }

/// The same round trips with the server in an address space of its own (a copy of this
/// program started by sys::start_process): every call and reply switches page tables.
void ipc_cross_as() {
    const u64 ep0 = new_object(abi::ObjectType::Endpoint), ep10 = new_object(abi::ObjectType::Endpoint);
    sys::Program program = sys::root_program();
    sys::Slots slots{32, root::kFirstFrame};
    for (u64 words : {0, 10}) {
        sys::ThreadOptions o;
        o.entry = process_server;
        o.arg = (words ? ep10 : ep0) << 8 | words;
        o.region = 0x40000000;
        o.priority = kPriority + 1;
        o.affinity = kCpu0;
        sys::Started started;
        if (long long e = sys::start_process(slots, program, o, started)) fail("start a server process", e);
    }
    const SysRegs call0 = regs(abi::Syscall::Call, ep0, 0, 0);
    report("ipc_call_reply_cross_as_0w", measure([&] { return timed_call(call0); }));
    const SysRegs call10 = regs(abi::Syscall::Call, ep10, 0, 10);
    report("ipc_call_reply_cross_as_10w", measure([&] { return timed_call(call10); }));
    // sel4bench's one-way figure: just before the Call here to just after the Receive
    // returns in the server.
    // (`touch_fpu`: sel4bench's "Call with FPU state": the caller used FP/SIMD just before,
    // so it holds the registers; the server does not use them.)
    auto one_way = [](const SysRegs& stamped, bool touch_fpu) {
        SysRegs r = stamped;
        if (touch_fpu) sys_touch_fpu();
        u64 t0;
        if (is_short(r)) {
            t0 = sys_read_counter();
            trap_short(r);
        } else {
            t0 = sys_read_counter();
            sys_trap(&r);
        }
        if (r.cap != 0) fail("a stamped call", static_cast<long long>(r.cap));
        return r.mr[0] - t0;
    };
    const SysRegs stamp = regs(abi::Syscall::Call, ep0, kStampLabel, 0);
    report("ipc_call_one_way_cross_as_0w", measure([&] { return one_way(stamp, false); }));
    // The way back: from the server's counter read (right after its ReplyReceive returned
    // with the call) to the caller's after its Call returns with the reply.
    report("ipc_reply_one_way_cross_as_0w", measure([&] {
               SysRegs r = stamp;
               trap_short(r);
               u64 t1 = sys_read_counter();
               if (r.cap != 0) fail("a stamped call", static_cast<long long>(r.cap));
               return t1 - r.mr[0];
           }));
    const SysRegs stamp10 = regs(abi::Syscall::Call, ep10, kStampLabel, 10);
    report("ipc_call_one_way_cross_as_10w", measure([&] { return one_way(stamp10, false); }));
    report("ipc_call_one_way_cross_as_fpu", measure([&] { return one_way(stamp, true); }));
}
#endif

/// Signal a semaphore a higher-priority thread waits on: from just before the signal in
/// the root task to just after the waiter's Wait returns in the waiter.
void semaphore_wake() {
    g_semaphore = new_object(abi::ObjectType::Semaphore);
    (void)start_thread(waiter, kPriority + 1);
    const SysRegs signal = regs(abi::Syscall::Invoke, g_semaphore, u64(abi::SemaphoreMethod::Signal), 0);
    report("semaphore_signal_wake", measure([&] {
               SysRegs r = signal;
               g_woken_at = 0;
               u64 t0 = sys_read_counter();
               trap_short(r);
               if (r.cap != 0 || g_woken_at == 0) fail("the waiter woke", static_cast<long long>(r.cap));
               return g_woken_at - t0;
           }));
}

} // namespace

int main() {
    if (long long e = sys::thread_set_priority(root::kThread, kPriority, 5)) fail("set my priority", e);
    if (long long e = sys::thread_set_affinity(root::kThread, kCpu0)) fail("stay on CPU 0", e);
    // (counts below 2048: one instruction loads them on every arch, so only n differs)
    u64 loop1000 = counted_loop(1000), loop2000 = counted_loop(2000);
    sys::print("bench: counter check: 1000 and 2000 iterations of 2 instructions read {} and {} "
               "(exactly 2000 apart under -icount)\n", loop1000, loop2000);
    sys::print("bench: counter overhead {}\n", g_overhead = counter_overhead());
    null_syscall();
    yield_same_as();
    ipc_same_as();
    semaphore_wake();
#ifdef BENCH_CROSS_AS
    ipc_cross_as();
#endif
    if (g_failures == 0) sys::print("bench: done\n");
    return g_failures;
}
