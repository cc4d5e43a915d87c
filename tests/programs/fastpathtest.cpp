// Root task for the fastpath boot test (init=fastpathtest; the test boots it with
// asids=3). The kernel's IPC fastpath (microkernel/syscall/fastpath.cpp) carries out Call
// and ReplyReceive itself only in their common case and leaves every other case to the
// slowpath; each case is driven here and judged by what the threads can observe: the
// words, label, badge and capabilities that arrive, and the order in which threads run.
// - taken: short messages within an address space and across two, and a long one (its
//   words beyond the registers from IPC buffer to IPC buffer);
// - not taken: no receiver waiting, a receiver of lower priority than a ready thread, a
//   message with a capability, an answer to a thread with a fault
//   pending, a reply to a caller that has vanished, receivers in address spaces without
//   an identifier (asids=3 leaves ids for only the first two spaces);
// - and the null system call: a Yield with nothing else to run, which the entry assembly
//   answers at once, and one that switches, both keeping every register.
// One line per check, then the root task powers off with the number of failures.
#include "root_task.hpp"

#include <sys/kernel.hpp>
#include <sys/process.hpp>

namespace {

using abi::u32;
using abi::u64;
namespace root = abi::root;
namespace rt = abi::rights;

// Slots of the shared cap space (every thread here uses the root task's).
constexpr u64 kEchoA = 20, kEchoB = 21;     // echo servers' endpoints: Read
constexpr u64 kClientA = 22, kClientB = 23; // minted from them: Write | Grant, badges below
constexpr u64 kDone = 24;                   // helpers report here
constexpr u64 kLow = 25, kLate = 26, kVanish = 27, kLocal = 28, kFaults = 29;
constexpr u64 kGate = 30, kGift = 31;       // semaphores
constexpr u64 kReceived = 32;               // where echo servers receive capabilities
constexpr u64 kFaultFrame = 33;
constexpr u64 kVanishGate = 34, kNever = 35; // semaphores
constexpr u64 kFirstHelperSlot = 100;

constexpr u64 kBadgeA = 0xa11, kBadgeB = 0xb22;
constexpr u64 kFaultPage = 0x50000000, kFaultMagic = 0xfa017ed;
constexpr u64 kMaxWords = 16;


using pt::check;

// ---- who ran when (threads of the root task's address space) -------------------------
volatile char g_log[32];
volatile u32 g_log_len = 0;
void log(char c) {
    u32 n = g_log_len;
    if (n + 1 < sizeof g_log) g_log[n++] = c;
    g_log[n] = '\0';
    g_log_len = n;
}
bool log_is(const char* s) {
    u32 i = 0;
    for (; s[i]; ++i)
        if (i >= g_log_len || g_log[i] != s[i]) return false;
    return i == g_log_len;
}

/// A helper's end: blocked for good (a Yield loop would keep a higher-priority helper on
/// the CPU), until the root task deletes it.
[[noreturn]] void park() {
    for (;;) sys::sem_wait(kNever);
}

// ---- the echo server: a process of its own ------------------------------------------
// It answers label + 1 with every word complemented, then the sender's badge, the
// capabilities that came and its identity (so a client sees who answered, and that the
// answerer's memory was its own).
u64 g_identity = 0; // private to each process (start_process copies .data and .bss)

u64 word(const sys::Reply& r, u32 k) { return k < abi::kMsgRegsInRegisters ? r.mr[k] : sys::ipc_buffer()->mr[k]; }
u64 identity_of(u64 endpoint) { return 0x1d000000 + endpoint; }

[[noreturn]] void echo(u64 endpoint) {
    g_identity = identity_of(endpoint);
    sys::ipc_buffer()->receive_slot = kReceived;
    sys::Reply r = sys::receive(endpoint);
    for (;;) {
        u64 words[kMaxWords + 3];
        u32 n = r.ok() && r.length <= kMaxWords ? r.length : 0;
        for (u32 k = 0; k < n; ++k) words[k] = ~word(r, k);
        words[n] = r.badge;
        words[n + 1] = r.caps;
        words[n + 2] = g_identity;
        if (r.caps) { // prove it arrived: use it, then let it go
            sys::sem_signal(kReceived);
            sys::cap_delete(root::kCapSpace, kReceived);
        }
        r = sys::syscall(abi::Syscall::ReplyReceive, endpoint, r.ok() ? r.label + 1 : 0xbad, words, n + 3);
    }
}

/// Did `r` echo `sent` (n words, label) from the server of `endpoint`, with `badge`?
bool echoed(const sys::Reply& r, u64 label, const u64* sent, u32 n, u64 badge, u64 caps, u64 endpoint) {
    if (!r.ok() || r.label != label + 1 || r.length != n + 3) return false;
    for (u32 k = 0; k < n; ++k)
        if (word(r, k) != ~sent[k]) return false;
    return word(r, n) == badge && word(r, n + 1) == caps && word(r, n + 2) == identity_of(endpoint);
}

bool echo_rounds(u64 rounds, u64 seed) {
    for (u64 i = 0; i < rounds; ++i) {
        bool a = i % 2 == 0;
        u64 sent[2] = {seed + i, ~(seed * i)};
        sys::Reply r = sys::syscall(abi::Syscall::Call, a ? kClientA : kClientB, i, sent, 2);
        if (!echoed(r, i, sent, 2, a ? kBadgeA : kBadgeB, 0, a ? kEchoA : kEchoB)) return false;
    }
    return true;
}

// A client process: round trips to both servers, between three address spaces.
[[noreturn]] void pinger(u64 seed) {
    g_identity = seed;
    bool ok = echo_rounds(1000, seed) && g_identity == seed;
    sys::send(kDone, 0, {ok ? 0u : 1u});
    park();
}

// ---- threads of the root task's address space (short messages only: they share the
// root task's libsys, whose IPC buffer pointer is the root task's) ---------------------
// A server that logs `tag` when it starts and each message, and answers label + 1.
[[noreturn]] void logging_server(u64 arg) {
    u64 endpoint = arg >> 8;
    char tag = static_cast<char>(arg & 0xff);
    log(tag);
    sys::Reply r = sys::receive(endpoint);
    for (;;) {
        log(static_cast<char>(tag + ('a' - 'A')));
        r = sys::reply_receive(endpoint, r.label + 1, {r.mr[0] + 1});
    }
}
u64 server_arg(u64 endpoint, char tag) { return endpoint << 8 | static_cast<u64>(tag); }

[[noreturn]] void middle(u64) {
    log('M');
    sys::sem_wait(kGate);
    park();
}

// Receives a call, waits until its caller has been deleted, answers it (nobody there),
// then serves one more call.
volatile u64 g_first = 0, g_second = 0;
volatile long long g_second_error = -1;
[[noreturn]] void vanish_server(u64) {
    sys::Reply r = sys::receive(kVanish);
    g_first = r.mr[0];
    sys::sem_wait(kVanishGate);
    r = sys::reply_receive(kVanish, 7, {0x7777});
    g_second = r.mr[0];
    g_second_error = r.error;
    sys::reply(r.label + 1, {r.mr[0] + 1});
    for (;;) sys::receive(kVanish);
}
volatile bool g_vanished_returned = false;
[[noreturn]] void vanishing_client(u64) {
    sys::call(kVanish, 1, {0xc1});
    g_vanished_returned = true; // never: deleted while waiting for its reply
    park();
}

// Maps the page that faulted (the root task's frame in kFaultFrame) and resumes the
// thread, answering with ReplyReceive.
[[noreturn]] void fault_handler(u64) {
    sys::Reply r = sys::receive(kFaults);
    for (;;) {
        bool mapped = r.ok() && r.label == u64(abi::FaultKind::PageFault) && r.mr[1] == kFaultPage &&
                      sys::map(root::kAddressSpace, kFaultFrame, kFaultPage, rt::kRead | rt::kWrite) == 0;
        if (mapped) *reinterpret_cast<volatile u64*>(kFaultPage) = kFaultMagic;
        r = sys::reply_receive(kFaults, u64(mapped ? abi::FaultReply::Resume : abi::FaultReply::Kill), {});
    }
}
// Runs when the root task yields to it (its equal), once.
[[noreturn]] void yield_partner(u64) {
    log('Y');
    park();
}

[[noreturn]] void faulter(u64) {
    u64 v = *reinterpret_cast<volatile u64*>(kFaultPage);
    sys::send(kDone, 0, {v});
    park();
}

// ---- the root task ---------------------------------------------------------------------
sys::Slots g_slots{kFirstHelperSlot, 1024};
u64 g_region = 0x20000000;
u64 g_threads[16];
u32 g_thread_count = 0;

bool start(sys::Entry entry, u64 arg, u32 priority, bool own_space, u64 fault_endpoint = abi::kNoSlot) {
    sys::ThreadOptions o{entry, arg, g_region, fault_endpoint, priority};
    o.affinity = pt::kCpu0;
    g_region += 0x100000;
    sys::Started t;
    long long e = own_space ? sys::start_process(g_slots, sys::root_program(), o, t) : sys::start_thread(g_slots, o, t);
    if (e) sys::print("fastpathtest: starting a thread failed: {}\n", e);
    if (t.thread != abi::kNoSlot && g_thread_count < 16) g_threads[g_thread_count++] = t.thread;
    return e == 0;
}

bool retype(abi::ObjectType type, u64 slot) {
    return sys::retype(root::kUntyped, type, 0, root::kCapSpace, slot) == 0;
}

} // namespace

int main() {
    pt::start_root_task("fastpathtest");
    pt::stay_on_cpu0();
    sys::print("fastpathtest: running\n");
    // The null system call: a Yield with nothing else ready, which the entry assembly
    // answers before saving anything (microkernel/sched/fast_yield.h), keeps every register
    // of the system-call ABI.
    u64 changed = sys_yield_check();
    if (changed) sys::print("fastpathtest: registers changed by a Yield in place: {:#x}\n", changed);
    check(changed == 0 && g_log_len == 0, "a Yield with nothing else to run returns at once, every register kept");
    const auto& info = *reinterpret_cast<const root::Info*>(root::kInfo);
    sys::print("fastpathtest: address-space identifiers: {}\n", info.asids);
    bool made = retype(abi::ObjectType::Endpoint, kEchoA) && retype(abi::ObjectType::Endpoint, kEchoB) &&
                sys::cap_mint(root::kCapSpace, kEchoA, kClientA, rt::kWrite | rt::kGrant, kBadgeA, root::kCapSpace) == 0 &&
                sys::cap_mint(root::kCapSpace, kEchoB, kClientB, rt::kWrite | rt::kGrant, kBadgeB, root::kCapSpace) == 0 &&
                retype(abi::ObjectType::Endpoint, kDone) && retype(abi::ObjectType::Endpoint, kLow) &&
                retype(abi::ObjectType::Endpoint, kLate) && retype(abi::ObjectType::Endpoint, kVanish) &&
                retype(abi::ObjectType::Endpoint, kLocal) && retype(abi::ObjectType::Endpoint, kFaults) &&
                retype(abi::ObjectType::Semaphore, kGate) && retype(abi::ObjectType::Semaphore, kGift) &&
                retype(abi::ObjectType::Semaphore, kVanishGate) && retype(abi::ObjectType::Semaphore, kNever) &&
                retype(abi::ObjectType::Frame, kFaultFrame);
    check(made, "endpoints and semaphores retyped");

    // Two echo servers in address spaces of their own (with asids=3, the root task's space
    // has id 1, server A's id 2, server B's none), above the root task's priority.
    bool servers = start(echo, kEchoA, 150, true) && start(echo, kEchoB, 150, true);
    check(servers, "two echo servers started in address spaces of their own");

    // Taken: 0 to 4 words in registers, across address spaces, both ways.
    bool short_ok = true;
    for (u32 n = 0; n <= abi::kMsgRegsInRegisters; ++n) {
        u64 sent[4] = {0x1111 * n, 0x2222 * n, 0x3333 * n, 0x4444 * n};
        short_ok = short_ok && echoed(sys::syscall(abi::Syscall::Call, kClientA, 40 + n, sent, n), 40 + n, sent, n,
                                      kBadgeA, 0, kEchoA);
    }
    check(short_ok, "short calls (0 to 4 words) answered intact, with the badge");
    check(echo_rounds(1000, 0x5eed), "1000 calls alternating between a server with an address-space id and one without");

    // Taken: a long message (beyond the registers, from IPC buffer to IPC buffer).
    u64 long_words[10];
    for (u32 k = 0; k < 10; ++k) long_words[k] = 0x100 + k * 0x1010101;
    check(echoed(sys::syscall(abi::Syscall::Call, kClientB, 60, long_words, 10), 60, long_words, 10, kBadgeB, 0, kEchoB),
          "a 10-word call and its 13-word answer arrived intact");

    // Not taken: a message carrying a capability.
    sys::ipc_buffer()->send_caps[0] = kGift;
    u64 one = 0x9;
    check(echoed(sys::syscall(abi::Syscall::Call, kClientA, 70, &one, 1, 1), 70, &one, 1, kBadgeA, 1, kEchoA) &&
              sys::sem_try_wait(kGift) == 0,
          "a call with a capability: it arrived and the server used it");

    // Taken: a client process between the two servers (three address spaces, two without an id).
    bool pinged = start(pinger, 0xc0ffee, 120, true);
    sys::Reply done = sys::receive(kDone);
    check(pinged && done.ok() && done.mr[0] == 0, "a third process: 1000 calls between two other address spaces");

    // Taken within one address space.
    bool local = start(logging_server, server_arg(kLocal, 'T'), 150, false);
    bool local_ok = local;
    for (u64 i = 0; i < 100 && local_ok; ++i) {
        sys::Reply r = sys::call(kLocal, i, {i * 3});
        local_ok = r.ok() && r.label == i + 1 && r.length == 1 && r.mr[0] == i * 3 + 1;
    }
    check(local_ok && g_log[0] == 'T' && g_log[1] == 't', "100 calls within one address space");

    // Not taken: the receiver's priority (50) is below a ready thread's (80). The caller
    // blocks, the thread of priority 80 runs first, then the receiver.
    g_log_len = 0;
    bool low = sys::thread_set_priority(root::kThread, 40, 5) == 0;
    low = low && start(logging_server, server_arg(kLow, 'S'), 50, false);
    sys::yield(); // (priority 40: the server runs to its receive)
    low = low && sys::thread_set_priority(root::kThread, 100, 5) == 0 && start(middle, 0, 80, false);
    sys::Reply r = sys::call(kLow, 5, {0x55});
    check(low && r.ok() && r.label == 6 && r.mr[0] == 0x56 && log_is("SMs"),
          "a call to a receiver below a ready thread: the ready thread ran first");

    // Not taken: no receiver waiting. The server starts below my priority, so my call
    // waits in the endpoint's queue until the server runs and receives it.
    g_log_len = 0;
    bool late = start(logging_server, server_arg(kLate, 'L'), 50, false);
    r = sys::call(kLate, 8, {0x88});
    check(late && r.ok() && r.label == 9 && r.mr[0] == 0x89 && log_is("Ll"),
          "a call with no receiver waiting: queued until the server received it");

    // Not taken: the answer to a thread with a fault pending (ReplyReceive with Resume).
    bool faults = start(fault_handler, 0, 150, false) && start(faulter, 0, 120, false, kFaults);
    r = sys::receive(kDone);
    check(faults && r.ok() && r.mr[0] == kFaultMagic,
          "a page fault answered by ReplyReceive: the thread resumed and read the page its handler mapped");

    // Not taken: a ReplyReceive whose caller was deleted while it waited for the reply.
    bool vanish = start(vanish_server, 0, 150, false);
    vanish = vanish && start(vanishing_client, 0, 120, false) && g_first == 0xc1;
    u64 client_slot = g_threads[g_thread_count - 1];
    vanish = vanish && sys::cap_delete(root::kCapSpace, client_slot) == 0 && sys::sem_signal(kVanishGate) == 0;
    r = sys::call(kVanish, 10, {0xd2});
    check(vanish && r.ok() && r.label == 11 && r.mr[0] == 0xd3 && g_second == 0xd2 && g_second_error == 0 &&
              !g_vanished_returned,
          "a reply to a caller that vanished goes nowhere; the server receives the next call");

    // The same Yield with an equal-priority thread ready: the full path, which runs it first.
    g_log_len = 0;
    bool partner = start(yield_partner, 0, 100, false); // (the root task's priority: the kernel's default)
    changed = partner ? sys_yield_check() : ~u64{0};
    if (changed) sys::print("fastpathtest: registers changed by a Yield that switched: {:#x}\n", changed);
    check(partner && changed == 0 && log_is("Y"), "a Yield to a ready equal runs it first, every register kept");

    bool deleted = true;
    for (u32 i = 0; i < g_thread_count; ++i)
        if (g_threads[i] != client_slot) deleted = sys::cap_delete(root::kCapSpace, g_threads[i]) == 0 && deleted;
    check(deleted, "every helper thread deleted");

    return pt::finish(); // a root task's return powers off with its status (libsys)
}
