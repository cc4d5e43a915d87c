// Root task for the SMP boot test (init=smptest, booted with --smp 4): threads pinned to
// every CPU (Thread.SetAffinity) use the kernel at once. One line per check, then the
// root task returns its failure count (libsys powers off with it).
//   - the CPUs: affinity to CPU n is accepted exactly for the CPUs the kernel runs, a
//     thread on CPU 0 runs while a higher-priority one spins on CPU 1, and two threads
//     spinning on one other CPU take turns (that CPU's timer)
//   - hammering: a worker per CPU calls two servers (on two CPUs) through one endpoint
//     and signals one semaphore, g_calls times each (250, or `calls=N` on the kernel's
//     command line: scripts/bench --stress); every reply is checked, and the
//     totals the servers and the waiter count are exact
//   - cross-CPU wakeup: a thread on an idle CPU blocked on a semaphore wakes when CPU 0
//     signals, kPingPongs times
//   - stall: a thread spinning on another CPU stops the moment Suspend returns (its
//     counter stays still), its registers can be read there, and it goes on with its
//     registers intact after Resume; deleting a spinning thread stops it too
//   - TLB shootdown: a reader on CPU 1 faults on its next access after CPU 0's Unmap
//     returns, and sees the new frame after a remap
//   - placement: threads started unpinned from a busy CPU 0 go one to each idle CPU
//     (Thread.ReadCpuTime says where each is), and a thread left waiting on CPU 0 moves
//     to a CPU whose thread stops
//   - timing (QEMU's wall clock: scripts/bench --wall prints the "timing:" lines): IPC
//     and semaphore round trips with the other thread on the same or another CPU; 1, 2
//     and 4 ping-pong pairs at once, one per CPU; an unmap's TLB shootdown with the space
//     loaded on 0 to 3 other CPUs
//   - address spaces come and go on every CPU (started with asids=3, so that identifiers
//     are reused), each finding its own memory as the program's image left it
#include "root_task.hpp"

#include <sys/kernel.hpp>
#include <sys/process.hpp>
#include <sys/string.hpp>

namespace {

using abi::u32;
using abi::u64;
namespace root = abi::root;
namespace rt = abi::rights;

constexpr u32 kMaxCpus = 64;
constexpr long long kEINVAL = 22, kEAGAIN = 11; // (Linux's errno values, as every kernel error)
// Per worker, unless the command line says (kept short for CI's time: 1,000 calls and
// signals in all on 4 CPUs).
u64 g_calls = 250;
constexpr u64 kPingPongs = 1000;
constexpr u32 kSpaces = 24;       // address spaces started and deleted

// Slots of the shared cap space.
constexpr u64 kEndpoint = 20;     // the servers'
constexpr u64 kSemaphore = 21;    // the workers signal it, the waiter waits on it
constexpr u64 kDone = 22;         // threads report here
constexpr u64 kPing = 23, kPong = 24;
constexpr u64 kFaults = 25;       // the reader's fault endpoint
constexpr u64 kFrameA = 26, kFrameB = 27;
constexpr u64 kParked = 28;       // a semaphore nobody signals
constexpr u64 kPairs = 29;        // the ping-pong pairs' endpoints: kPairs .. kPairs + kMaxPairs - 1
constexpr u32 kMaxPairs = 4;
constexpr u64 kGo = 34;           // the pairs' start
constexpr u64 kBenchFrame = 35;   // the frame the shootdown timing maps and unmaps

constexpr u64 kPage = 0x50000000; // the page the reader reads
constexpr u32 kBasePriority = 100;

u32 g_cpus = 0;
sys::Slots g_slots; // the helpers' slots: from the root task's first free one (main)

using pt::check;

// The regions whose stacks the running part of the test mapped: main unmaps them when it
// ends (with the slots it filled), so that the next part may use them again and the root
// task's address space, which has room for a few parts' stacks only, never fills up,
// however many CPUs (up to 64) each part starts threads on.
u64 g_regions[2 * kMaxCpus];
u32 g_region_count = 0;

/// A thread of this address space (sys::start_thread), its region noted for the part's end.
long long start_here(const sys::ThreadOptions& o, sys::Started& t) {
    if (g_region_count < sizeof g_regions / sizeof g_regions[0]) g_regions[g_region_count++] = o.region;
    return sys::start_thread(g_slots, o, t);
}

/// A thread of this address space pinned to `cpu`; its region from `region`.
bool start_on(u32 cpu, sys::Entry entry, u64 arg, u64 region, sys::Started& t, u32 priority = kBasePriority,
              u64 fault_endpoint = abi::kNoSlot) {
    sys::ThreadOptions o{entry, arg, region, fault_endpoint, priority};
    o.affinity = u64{1} << cpu;
    long long e = start_here(o, t);
    if (e) sys::print("smptest: starting a thread on cpu {} failed: {}\n", cpu, e);
    return e == 0;
}

/// Empty the root task's slots [from, to) (what a part or a started process filled).
void delete_slots(u64 from, u64 to) {
    for (u64 s = from; s < to; ++s) sys::cap_delete(root::kCapSpace, s);
}

u64 region_for(u32 i) { return 0x20000000 + u64{i} * sys::kRegionPages * sys::kPageSize; }

/// A helper thread's end: blocked for good (the root task deletes it). Not a Yield loop:
/// four CPUs of such loops would keep the kernel's lock busy for nothing.
[[noreturn]] void park() {
    for (;;) sys::sem_wait(kParked);
}

// ---- the CPUs ---------------------------------------------------------------------------
volatile bool g_spin_stop = false;
volatile u64 g_progress = 0;

void spin_until_stopped(u64) {
    while (!g_spin_stop) {
    }
    sys::send(kDone, 0);
    park();
}
void count_along(u64) {
    for (u32 i = 0; i < 1000; ++i) g_progress = g_progress + 1;
    sys::send(kDone, 0);
    park();
}

void count_cpus() {
    // (Up to the mask's 64 bits: the kernel runs at most kMaxCpus, and refuses the CPU
    // after its last; with 64 there is none after it.)
    u32 n = 0;
    while (n < 64 && sys::thread_set_affinity(root::kThread, u64{1} << n) == 0) ++n;
    const bool refused = n == 64 || sys::thread_set_affinity(root::kThread, u64{1} << n) == -kEINVAL;
    g_cpus = n < kMaxCpus ? n : kMaxCpus;
    check(sys::thread_set_affinity(root::kThread, 1) == 0 && n >= 2 && n <= kMaxCpus && refused,
          "affinity is accepted for each CPU the kernel runs and refused past them");
    sys::print("smptest: {} CPUs\n", n);
}

/// A higher-priority thread spins on CPU 1 without end; a thread of ours on CPU 0... and
/// this one, on CPU 0, still runs: so CPU 1 runs threads of its own.
void check_parallel() {
    sys::Started spinner, counter;
    bool ok = start_on(1, spin_until_stopped, 0, region_for(0), spinner, kBasePriority + 10) &&
              start_on(0, count_along, 0, region_for(1), counter, kBasePriority);
    ok = ok && sys::receive(kDone).ok() && g_progress == 1000;
    g_spin_stop = true;
    ok = ok && sys::receive(kDone).ok();
    check(ok, "a thread runs on cpu 0 while a higher-priority one spins on cpu 1");
    sys::cap_delete(root::kCapSpace, spinner.thread);
    sys::cap_delete(root::kCapSpace, counter.thread);
}

/// Two threads of one priority spin on the same other CPU: its own timer takes turns
/// between them (without it the first would keep the CPU).
volatile u64 g_turns[2];
void spin_counting(u64 which) {
    for (;;) g_turns[which] = g_turns[which] + 1;
}

void check_time_slices() {
    sys::Started a, b;
    const u32 cpu = g_cpus - 1;
    bool ok = start_on(cpu, spin_counting, 0, region_for(34), a) && start_on(cpu, spin_counting, 1, region_for(35), b);
    // Both counters move within a few seconds (a slice is 5 ticks of 10 ms).
    const u64 deadline = sys::read_clock(root::kMachine) + 5'000'000'000ull;
    while (ok && (g_turns[0] < 1000 || g_turns[1] < 1000) && sys::read_clock(root::kMachine) < deadline) sys::yield();
    sys::print("smptest: turns {} and {}\n", g_turns[0], g_turns[1]);
    check(ok && g_turns[0] >= 1000 && g_turns[1] >= 1000, "two threads spinning on one other cpu take turns (its timer)");
    sys::cap_delete(root::kCapSpace, a.thread);
    sys::cap_delete(root::kCapSpace, b.thread);
}

// ---- hammering ------------------------------------------------------------------------
u64 g_served[2];
u64 g_waited;

constexpr u64 kWorkerReport = 1; // (the label of a worker's message to kDone)

u64 reply_for(u64 request) { return request * 0x9e3779b97f4a7c15ull ^ 0x5a5a; }

void server(u64 which) {
    u64 served = 0;
    sys::Reply r = sys::receive(kEndpoint);
    for (;;) {
        if (!r.ok()) break;
        if (r.label == 2) { // the last word: report and stop serving
            sys::reply(0, {});
            break;
        }
        ++served;
        r = sys::reply_receive(kEndpoint, 0, {reply_for(r.mr[0])});
    }
    g_served[which] = served;
    sys::send(kDone, 0);
    park();
}

void worker(u64 id) {
    u64 good = 0;
    for (u64 i = 0; i < g_calls; ++i) {
        const u64 request = id << 32 | i;
        sys::Reply r = sys::call(kEndpoint, 1, {request});
        if (r.ok() && r.length == 1 && r.mr[0] == reply_for(request)) ++good;
        if (sys::sem_signal(kSemaphore) != 0) break;
    }
    sys::send(kDone, kWorkerReport, {good});
    park();
}

void waiter(u64 total) {
    u64 waited = 0;
    while (waited < total && sys::sem_wait(kSemaphore) == 0) ++waited;
    g_waited = waited;
    sys::send(kDone, 0);
    park();
}

void hammer() {
    sys::Started servers[2], waiting, workers[kMaxCpus];
    const u64 total = g_calls * g_cpus;
    bool ok = start_on(0, server, 0, region_for(2), servers[0]) &&
              start_on(1 % g_cpus, server, 1, region_for(3), servers[1]) &&
              start_on(g_cpus - 1, waiter, total, region_for(4), waiting);
    for (u32 cpu = 0; ok && cpu < g_cpus; ++cpu) ok = start_on(cpu, worker, cpu, region_for(5 + cpu), workers[cpu]);
    // Every worker reports (label kWorkerReport); the waiter may report before the last
    // of them, the servers once the label-2 calls below stop them.
    u64 good = 0;
    u32 reports = 0, others = 0;
    while (ok && reports < g_cpus) {
        sys::Reply r = sys::receive(kDone);
        if (!r.ok()) ok = false;
        else if (r.label == kWorkerReport) good += r.mr[0], ++reports;
        else ++others;
    }
    for (int i = 0; ok && i < 2; ++i) ok = sys::call(kEndpoint, 2, {}).ok();
    for (; ok && others < 3; ++others) ok = sys::receive(kDone).ok();
    sys::print("smptest: {} calls answered right of {}; servers {} + {}; the waiter woke {} times\n", good, total,
               g_served[0], g_served[1], g_waited);
    check(ok && good == total && g_served[0] + g_served[1] == total,
          "workers on every cpu: every call answered right, and the servers' totals exact");
    check(ok && g_waited == total && sys::sem_try_wait(kSemaphore) == -kEAGAIN,
          "every signal from every cpu woke the waiter exactly once");
    check(ok && g_served[0] > 0 && g_served[1] > 0, "both servers (cpu 0 and cpu 1) took calls from the endpoint");
    for (auto& t : servers) sys::cap_delete(root::kCapSpace, t.thread);
    sys::cap_delete(root::kCapSpace, waiting.thread);
    for (u32 cpu = 0; cpu < g_cpus; ++cpu) sys::cap_delete(root::kCapSpace, workers[cpu].thread);
}

// ---- cross-CPU wakeup ------------------------------------------------------------------
void ponger(u64 rounds) {
    for (u64 i = 0; i < rounds; ++i) {
        if (sys::sem_wait(kPing) != 0) break;
        sys::sem_signal(kPong);
    }
    park();
}

/// kPingPongs semaphore round trips with a ponger on `cpu`; their mean in nanoseconds of
/// the kernel's clock, or 0 if one failed.
u64 ping_pong(u32 cpu, u32 region) {
    sys::Started t;
    bool ok = start_on(cpu, ponger, kPingPongs, region_for(region), t);
    u64 rounds = 0;
    const u64 t0 = sys::read_clock(root::kMachine);
    for (; ok && rounds < kPingPongs; ++rounds)
        if (sys::sem_signal(kPing) != 0 || sys::sem_wait(kPong) != 0) break;
    const u64 t1 = sys::read_clock(root::kMachine);
    sys::cap_delete(root::kCapSpace, t.thread);
    return ok && rounds == kPingPongs ? (t1 - t0) / kPingPongs : 0;
}

void cross_cpu_wakeup() {
    const u64 across = ping_pong(g_cpus - 1, 30);
    check(across != 0, "a thread blocked on an idle cpu wakes at each signal from cpu 0 (1000 times)");
    const u64 same = ping_pong(0, 36);
    // (scripts/bench --wall prints these: QEMU's wall clock, so this machine's, not hardware's)
    sys::print("smptest: timing: semaphore round trip with the other thread on cpu {}: {} ns; on cpu 0 too: {} ns\n",
               g_cpus - 1, across, same);
}

// ---- stalls -----------------------------------------------------------------------------
volatile u64 g_spins = 0;
volatile bool g_broken = false;

/// Keeps b == 3 * a in two registers while it spins: a register lost or mixed up across
/// a suspension shows.
[[gnu::noinline]] void spinner(u64) {
    u64 a = 1, b = 3;
    for (;;) {
        a += 1;
        b += 3;
        asm volatile("" : "+r"(a), "+r"(b));
        if (b != 3 * a) g_broken = true;
        g_spins = g_spins + 1;
    }
}

void wait_for_spins(u64 more) {
    const u64 until = g_spins + more;
    while (g_spins < until) sys::yield();
}

void stalls() {
    sys::Started t, doomed;
    const u32 cpu = g_cpus > 2 ? 2 : 1;
    if (!start_on(cpu, spinner, 0, region_for(31), t)) {
        check(false, "spinner started");
        return;
    }
    bool still = true, regs_ok = true;
    for (int round = 0; round < 20; ++round) {
        wait_for_spins(100);
        if (sys::thread_suspend(t.thread) != 0) still = false;
        const u64 at = g_spins;
        u64 ip = 0;
        const long long read = sys::thread_read_registers(t.thread, abi::kRegIp, 1, &ip);
        if (read != 0 || ip < reinterpret_cast<u64>(&spinner) || ip > reinterpret_cast<u64>(&spinner) + 256)
            regs_ok = false;
        for (int i = 0; i < 200; ++i) sys::yield();
        if (g_spins != at) still = false;
        if (sys::thread_resume(t.thread) != 0) still = false;
    }
    wait_for_spins(1000);
    check(still, "a thread spinning on another cpu stands still from the moment Suspend returns");
    check(regs_ok, "its registers, read while it is suspended, show it inside its loop");
    check(!g_broken, "it runs on after Resume with its registers intact (20 times)");

    // Deleting a thread that spins elsewhere stops it too.
    sys::cap_delete(root::kCapSpace, t.thread);
    u64 at = g_spins;
    for (int i = 0; i < 200; ++i) sys::yield();
    bool stopped = g_spins == at;
    if (start_on(cpu, spinner, 0, region_for(32), doomed)) {
        wait_for_spins(100);
        sys::cap_delete(root::kCapSpace, doomed.thread);
        at = g_spins;
        for (int i = 0; i < 200; ++i) sys::yield();
        stopped = stopped && g_spins == at;
    }
    check(stopped, "a thread spinning on another cpu stops when it is deleted");
}

// ---- TLB shootdown ------------------------------------------------------------------------
volatile u64 g_reads = 0;
volatile u64 g_seen = 0;

void reader(u64) {
    for (;;) {
        g_seen = *reinterpret_cast<volatile u64*>(kPage);
        g_reads = g_reads + 1;
    }
}

bool fill(u64 frame, u64 value) {
    constexpr u64 kWindow = 0x51000000;
    if (sys::map(root::kAddressSpace, frame, kWindow, rt::kRead | rt::kWrite) != 0) return false;
    *reinterpret_cast<volatile u64*>(kWindow) = value;
    return sys::unmap(root::kAddressSpace, kWindow) == 0;
}

void shootdown() {
    bool made = sys::retype(root::kUntyped, abi::ObjectType::Frame, 0, root::kCapSpace, kFrameA) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Frame, 0, root::kCapSpace, kFrameB) == 0 &&
                fill(kFrameA, 0xaaaa) && fill(kFrameB, 0xbbbb) &&
                sys::map(root::kAddressSpace, kFrameA, kPage, rt::kRead) == 0;
    sys::Started t;
    if (!made || !start_on(1, reader, 0, region_for(33), t, kBasePriority, kFaults)) {
        check(false, "reader started");
        return;
    }
    bool faulted_at_once = true, new_frame_seen = true;
    for (int round = 0; round < 10; ++round) {
        const u64 frame = round % 2 ? kFrameA : kFrameB, value = round % 2 ? 0xaaaa : 0xbbbb;
        const u64 until = g_reads + 1000;
        while (g_reads < until) sys::yield();
        if (sys::unmap(root::kAddressSpace, kPage) != 0) faulted_at_once = false;
        // From here the reader may finish the read it was in; after that it faults.
        const u64 after = g_reads;
        sys::Reply f = sys::receive(kFaults);
        if (!f.ok() || f.mr[0] != u64(abi::FaultKind::PageFault) || f.mr[1] != kPage || g_reads > after + 1)
            faulted_at_once = false;
        // Remap another frame and let it retry: it must see the new value.
        if (sys::map(root::kAddressSpace, frame, kPage, rt::kRead) != 0) new_frame_seen = false;
        sys::reply(u64(abi::FaultReply::Resume), {});
        const u64 then = g_reads + 1000;
        while (g_reads < then) sys::yield();
        if (g_seen != value) new_frame_seen = false;
    }
    check(faulted_at_once, "a reader on cpu 1 faults at its next access after cpu 0's unmap returns (10 times)");
    check(new_frame_seen, "after a remap it reads the new frame");
    sys::cap_delete(root::kCapSpace, t.thread);
    sys::unmap(root::kAddressSpace, kPage);
}

// ---- placement ---------------------------------------------------------------------------
volatile u64 g_placed_spins[kMaxCpus];
volatile bool g_stop_spinner[kMaxCpus];

void placed_spinner(u64 i) {
    while (!g_stop_spinner[i]) g_placed_spins[i] = g_placed_spins[i] + 1;
    sys::send(kDone, 0);
    park();
}

/// The CPU `thread` runs or waits on, kMaxCpus if it cannot be read.
u32 cpu_of(u64 thread) {
    u64 ns = 0;
    u32 cpu = kMaxCpus;
    return sys::thread_cpu(thread, ns, cpu) == 0 ? cpu : kMaxCpus;
}

/// Spins (this thread keeps CPU 0 busy: no call that blocks) until done() or 5 s pass.
template <class Done>
bool spin_until(Done done) {
    const u64 deadline = sys::read_clock(root::kMachine) + 5'000'000'000ull;
    while (!done() && sys::read_clock(root::kMachine) < deadline) {
    }
    return done();
}

void placement() {
    // One spinner per CPU, no affinity, started while this thread keeps CPU 0 busy: each
    // but the last goes to an idle CPU, the last waits on CPU 0.
    sys::Started s[kMaxCpus];
    bool ok = true;
    for (u32 i = 0; ok && i < g_cpus; ++i) {
        sys::ThreadOptions o{placed_spinner, i, region_for(40 + i), abi::kNoSlot, kBasePriority};
        const long long e = start_here(o, s[i]);
        if (e) sys::print("smptest: starting spinner {} failed: {}\n", i, e);
        ok = e == 0;
    }
    u64 seen = 0;
    for (u32 i = 0; ok && i < g_cpus; ++i)
        if (const u32 cpu = cpu_of(s[i].thread); cpu < kMaxCpus) seen |= u64{1} << cpu;
    const u32 last = g_cpus - 1;
    ok = ok && spin_until([&] {
             for (u32 i = 0; i < last; ++i)
                 if (g_placed_spins[i] == 0) return false;
             return true;
         });
    sys::print("smptest: spinners on cpus {:#x}\n", seen);
    check(ok && seen == ~u64{0} >> (64 - g_cpus) && cpu_of(s[last].thread) == 0,
          "threads started unpinned from a busy cpu 0 go one to each idle cpu, then wait on cpu 0");
    // The spinner on CPU 1 stops (and blocks): CPU 1 takes the one waiting on CPU 0.
    u32 on_one = 0;
    while (on_one < last && cpu_of(s[on_one].thread) != 1) ++on_one;
    g_stop_spinner[on_one] = true;
    const bool moved = ok && on_one < last && spin_until([&] { return cpu_of(s[last].thread) == 1 && g_placed_spins[last] > 0; });
    check(moved, "a thread waiting on a busy cpu runs on a cpu whose thread stops");
    for (u32 i = 0; i < g_cpus; ++i) g_stop_spinner[i] = true;
    for (u32 i = 0; ok && i < g_cpus; ++i) ok = sys::receive(kDone).ok();
    for (u32 i = 0; i < g_cpus; ++i) sys::cap_delete(root::kCapSpace, s[i].thread);
}

// ---- timing ---------------------------------------------------------------------------------
// (QEMU's wall clock, this machine's and not hardware's, with more vCPUs than host cores
// here: scripts/bench --wall prints these lines, docs/performance.md "SMP" keeps them.)
constexpr u64 kRoundTrips = 2000;

void echo_server(u64 endpoint) {
    sys::Reply r = sys::receive(endpoint);
    while (r.ok()) r = sys::reply_receive(endpoint, 0, {r.mr[0] + 1});
    park();
}

/// A client of echo_server: waits for kGo, makes `n` calls, reports how many were answered right.
void pair_client(u64 arg) {
    const u64 endpoint = arg >> 32, n = arg & 0xffffffff;
    u64 good = 0;
    if (sys::sem_wait(kGo) == 0)
        for (u64 i = 0; i < n; ++i) good += sys::call(endpoint, 1, {i}).mr[0] == i + 1;
    sys::send(kDone, 0, {good});
    park();
}

/// Mean IPC round trip (ns) from this thread, on CPU 0, to an echo server on `cpu`.
u64 ipc_round_trip(u32 cpu, u32 region) {
    sys::Started server;
    if (!start_on(cpu, echo_server, kPairs, region_for(region), server, kBasePriority + 1)) return 0;
    (void)sys::call(kPairs, 1, {0}); // (the server is waiting now)
    u64 good = 0;
    const u64 t0 = sys::read_clock(root::kMachine);
    for (u64 i = 0; i < kRoundTrips; ++i) good += sys::call(kPairs, 1, {i}).mr[0] == i + 1;
    const u64 t1 = sys::read_clock(root::kMachine);
    sys::cap_delete(root::kCapSpace, server.thread);
    return good == kRoundTrips ? (t1 - t0) / kRoundTrips : 0;
}

/// `pairs` client-server pairs, pair i both on CPU i, kRoundTrips calls each, all at once:
/// round trips per second of all together (0 if one failed).
u64 ping_pong_pairs(u32 pairs) {
    sys::Started servers[kMaxPairs], clients[kMaxPairs];
    bool ok = true;
    const u32 region = 48 + 2 * pairs; // (regions 50-51, 52-55, 56-63: a stack stays mapped to the part's end)
    for (u32 i = 0; ok && i < pairs; ++i)
        ok = start_on(i, echo_server, kPairs + i, region_for(region + 2 * i), servers[i], kBasePriority + 1) &&
             start_on(i, pair_client, (kPairs + i) << 32 | kRoundTrips, region_for(region + 2 * i + 1), clients[i]);
    const u64 t0 = sys::read_clock(root::kMachine);
    for (u32 i = 0; ok && i < pairs; ++i) ok = sys::sem_signal(kGo) == 0;
    u64 good = 0;
    for (u32 i = 0; ok && i < pairs; ++i) {
        sys::Reply r = sys::receive(kDone);
        ok = r.ok();
        good += r.mr[0];
    }
    const u64 t1 = sys::read_clock(root::kMachine);
    for (u32 i = 0; i < pairs; ++i) {
        sys::cap_delete(root::kCapSpace, servers[i].thread);
        sys::cap_delete(root::kCapSpace, clients[i].thread);
    }
    return ok && good == pairs * kRoundTrips && t1 > t0 ? pairs * kRoundTrips * 1'000'000'000ull / (t1 - t0) : 0;
}

void park_at_once(u64) { park(); }

/// Mean time (ns) of an Unmap in a new address space that `others` other CPUs (1 .. others)
/// have loaded, each having run a thread of it (which then waits: the CPU idles, as a
/// vCPU that QEMU need not find host time for); 0 if something failed.
u64 shootdown_cost(u32 others) {
    sys::Slots slots = g_slots;
    sys::Started first, more;
    sys::ThreadOptions o{park_at_once, 0, 0x30000000};
    // With no other CPU, the space's thread waits on CPU 0 behind this one, never loaded.
    o.affinity = others ? 2 : 1;
    o.priority = others ? kBasePriority + 1 : kBasePriority - 1;
    bool ok = sys::start_process(slots, sys::root_program(), o, first) == 0;
    const sys::Environment in_it{root::kUntyped, root::kCapSpace, first.address_space};
    for (u32 cpu = 2; ok && cpu <= others; ++cpu) {
        sys::ThreadOptions t{park_at_once, 0, 0x30000000 + cpu * sys::kRegionPages * sys::kPageSize};
        t.affinity = u64{1} << cpu;
        t.priority = kBasePriority + 1;
        ok = sys::start_thread(slots, t, more, in_it) == 0;
    }
    // Let every thread of it run (each CPU loads the space) and wait, then time unmaps.
    const u64 settle = sys::read_clock(root::kMachine) + 20'000'000;
    while (sys::read_clock(root::kMachine) < settle) sys::yield();
    constexpr u64 kVa = 0x50000000, kUnmaps = 200;
    u64 total = 0;
    for (u64 i = 0; ok && i < kUnmaps; ++i) {
        ok = sys::map(first.address_space, kBenchFrame, kVa, rt::kRead) == 0;
        const u64 t0 = sys::read_clock(root::kMachine);
        ok = ok && sys::unmap(first.address_space, kVa) == 0;
        total += sys::read_clock(root::kMachine) - t0;
    }
    delete_slots(g_slots.next, slots.next);
    return ok ? total / kUnmaps : 0;
}

void timing() {
    const u32 last = g_cpus - 1;
    const u64 ipc_across = ipc_round_trip(last, 37), ipc_same = ipc_round_trip(0, 38);
    sys::print("smptest: timing: IPC round trip with the server on cpu {}: {} ns; on cpu 0 too: {} ns\n", last,
               ipc_across, ipc_same);
    u64 pairs[3] = {};
    for (u32 i = 0, n = 1; n <= kMaxPairs && n <= g_cpus; ++i, n *= 2) pairs[i] = ping_pong_pairs(n);
    sys::print("smptest: timing: ping-pong pairs, one per cpu, round trips per second: 1 pair {}, 2 pairs {}, 4 pairs {}\n",
               pairs[0], pairs[1], pairs[2]);
    u64 unmap[kMaxCpus] = {};
    for (u32 others = 0; others < g_cpus && others < 4; ++others) unmap[others] = shootdown_cost(others);
    sys::print("smptest: timing: an unmap with the space loaded on 0, 1, 2, 3 other cpus: {}, {}, {}, {} ns\n",
               unmap[0], unmap[1], unmap[2], unmap[3]);
    check(ipc_across && ipc_same && pairs[0] && unmap[0] && unmap[1],
          "timing: IPC across cpus, ping-pong pairs on several cpus, shootdowns to several cpus");
}

// ---- address spaces on every CPU ----------------------------------------------------------
// A process (start_process) checks that its copy of the program's data is as the image
// had it, marks it, and reports; the root task then deletes it.
u64 g_pristine = 0x1234567890abcdefull; // (data: each process gets a fresh copy)
u64 g_marked = 0;

void space_body(u64) {
    bool fresh = g_pristine == 0x1234567890abcdefull && g_marked == 0;
    g_marked = 1;
    g_pristine = 0;
    fresh = fresh && g_marked == 1;
    sys::send(kDone, 0, {fresh ? u64{1} : u64{0}});
    park();
}

void spaces() {
    sys::Program program = sys::root_program();
    u32 fresh = 0, started = 0;
    for (u32 i = 0; i < kSpaces; ++i) {
        sys::Slots slots = g_slots; // (reused: each process's capabilities go with it)
        sys::ThreadOptions o{space_body, 0, 0x30000000};
        o.affinity = u64{1} << (i % g_cpus);
        sys::Started t;
        if (sys::start_process(slots, program, o, t) != 0) break;
        ++started;
        sys::Reply r = sys::receive(kDone);
        if (r.ok() && r.mr[0] == 1) ++fresh;
        // Everything start_process filled goes: the thread, its address space, the frames.
        delete_slots(g_slots.next, slots.next);
    }
    sys::print("smptest: {} of {} address spaces found their memory fresh\n", fresh, started);
    check(started == kSpaces && fresh == kSpaces,
          "24 address spaces, started in turn on every cpu and deleted, each find only their own memory");
}

} // namespace

int main() {
    pt::start_root_task("smptest");
    sys::print("smptest: running\n");
    // `calls=N` among the kernel's command-line words: the hammer's calls per worker.
    const char* cmdline = reinterpret_cast<const root::Info*>(root::kInfo)->cmdline;
    for (const char* c = cmdline; *c; ++c) {
        if ((c != cmdline && c[-1] != ' ') || memcmp(c, "calls=", 6) != 0) continue;
        u64 n = 0;
        for (c += 6; *c >= '0' && *c <= '9'; ++c) n = n * 10 + static_cast<u64>(*c - '0');
        if (n) g_calls = n;
        break;
    }
    const u64 first_free = reinterpret_cast<const root::Info*>(root::kInfo)->first_free_slot;
    g_slots = {first_free, first_free + 4096};
    bool made = sys::retype(root::kUntyped, abi::ObjectType::Endpoint, 0, root::kCapSpace, kEndpoint) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Semaphore, 0, root::kCapSpace, kSemaphore) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Endpoint, 0, root::kCapSpace, kDone) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Semaphore, 0, root::kCapSpace, kPing) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Semaphore, 0, root::kCapSpace, kPong) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Endpoint, 0, root::kCapSpace, kFaults) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Semaphore, 0, root::kCapSpace, kParked) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Semaphore, 0, root::kCapSpace, kGo) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Frame, 0, root::kCapSpace, kBenchFrame) == 0;
    for (u64 i = 0; made && i < kMaxPairs; ++i)
        made = sys::retype(root::kUntyped, abi::ObjectType::Endpoint, 0, root::kCapSpace, kPairs + i) == 0;
    check(made, "endpoints and semaphores retyped");
    count_cpus();
    using Part = void (*)();
    constexpr Part kParts[] = {check_parallel, check_time_slices, hammer, cross_cpu_wakeup, stalls,
                               shootdown,      placement,         timing, spaces};
    if (g_cpus >= 2)
        for (Part part : kParts) {
            // What a part filled goes when it ends: its threads, their stacks' frames
            // and their mappings (g_regions).
            const u64 first = g_slots.next;
            part();
            delete_slots(first, g_slots.next);
            g_slots.next = first;
            for (u32 r = 0; r < g_region_count; ++r)
                for (u64 page = 0; page < sys::kRegionPages; ++page) // (unmapped pages: an error, ignored)
                    sys::unmap(root::kAddressSpace, g_regions[r] + page * sys::kPageSize);
            g_region_count = 0;
        }
    return pt::finish();
}
