// Root task for the IPC boot test (init=ipctest): threads started with libsys's process
// helpers talk to each other through the kernel. A server and a client in separate
// address spaces make 10,000 call/reply round trips (registers and IPC buffer words,
// every word checked on both sides), then the client grants the server a capability;
// a fault handler receives a thread's page fault and kills it; a busy thread is
// preempted so that a thread of equal priority runs. One line per check, then the root
// task suspends itself and the kernel powers off ("no thread can run").
#include "root_task.hpp"

#include <sys/kernel.hpp>
#include <sys/process.hpp>

namespace {

using abi::u32;
using abi::u64;
namespace root = abi::root;
namespace rt = abi::rights;

constexpr u64 kRoundTrips = 10000;
constexpr u32 kWords = 12; // 4 in registers, 8 in the IPC buffer
constexpr u64 kRequest = 1, kGrant = 2;

// Slots of the shared cap space (every thread here uses the root task's).
constexpr u64 kEndpoint = 20;       // server's: Read
constexpr u64 kClientEndpoint = 21; // client's: Write | Grant
constexpr u64 kDone = 22;           // workers report here
constexpr u64 kGift = 23;           // the semaphore the client passes
constexpr u64 kReceived = 24;       // where the server receives it
constexpr u64 kFaultEndpoint = 25;
constexpr u64 kSpinDone = 26;      // semaphore
constexpr u64 kFirstHelperSlot = 100;

constexpr u64 kFaultAddress = 0xdead0000;

volatile u64 g_spins = 0;      // preemption check (shared address space)
volatile bool g_stop = false;
volatile bool g_after_fault = false;

using pt::check;

/// A worker's end: report its failures to the root task, which then deletes it.
[[noreturn]] void report_and_wait() {
    sys::send(kDone, static_cast<u64>(pt::failures()));
    for (;;) sys::yield();
}

u64 request_word(u64 i, u32 k) { return i * 0x9e3779b97f4a7c15ull + k; }
u64 reply_word(u64 i, u32 k) { return ~request_word(i, k) ^ 0x5a5a; }

/// All twelve words of the message that just arrived (`r` holds the first four).
bool words_are(const sys::Reply& r, u64 i, u64 (*expected)(u64, u32)) {
    if (r.length != kWords) return false;
    for (u32 k = 0; k < kWords; ++k) {
        u64 w = k < abi::kMsgRegsInRegisters ? r.mr[k] : sys::ipc_buffer()->mr[k];
        if (w != expected(i, k)) return false;
    }
    return true;
}

sys::Reply with_words(abi::Syscall nr, u64 slot, u64 label, u64 i, u64 (*word)(u64, u32)) {
    return sys::syscall(nr, slot, label,
                        {word(i, 0), word(i, 1), word(i, 2), word(i, 3), word(i, 4), word(i, 5),
                         word(i, 6), word(i, 7), word(i, 8), word(i, 9), word(i, 10), word(i, 11)});
}

/// A call carrying one capability (sys::syscall sends none).
sys::Reply call_with_cap(u64 ep, u64 label, u64 cap_slot) {
    sys::ipc_buffer()->send_caps[0] = cap_slot;
    SysRegs r{};
    r.nr = static_cast<u64>(abi::Syscall::Call);
    r.cap = ep;
    r.info = abi::MessageInfo{label, 1, 1}.encode();
    r.mr[0] = 0x61f7;
    sys_trap(&r);
    abi::MessageInfo info = abi::MessageInfo::decode(r.info);
    sys::Reply out;
    out.error = static_cast<long long>(r.cap);
    out.label = info.label;
    out.length = info.length;
    return out;
}

// ---- server and client, each in an address space of its own --------------------------
void server(u64) {
    sys::ipc_buffer()->receive_slot = abi::kNoSlot;
    sys::Reply r = sys::receive(kEndpoint);
    u64 good = 0;
    for (u64 i = 0; i < kRoundTrips; ++i) {
        if (r.ok() && r.label == kRequest && words_are(r, i, request_word)) ++good;
        // The last reply goes out with the receive for the capability message.
        if (i + 1 == kRoundTrips) sys::ipc_buffer()->receive_slot = kReceived;
        r = with_words(abi::Syscall::ReplyReceive, kEndpoint, 0, i, reply_word);
    }
    check(good == kRoundTrips, "server: 10000 requests arrived intact (12 words each)");

    auto id = sys::identify(root::kCapSpace, kReceived);
    bool got = r.ok() && r.label == kGrant && r.caps == 1 && r.mr[0] == 0x61f7 && id.ok() &&
               id.out.type == u64(abi::ObjectType::Semaphore);
    check(got && sys::sem_signal(kReceived) == 0, "server: received a semaphore capability and signalled it");
    sys::reply(0, {});
    report_and_wait();
}

void client(u64) {
    u64 good = 0;
    for (u64 i = 0; i < kRoundTrips; ++i) {
        sys::Reply r = with_words(abi::Syscall::Call, kClientEndpoint, kRequest, i, request_word);
        if (r.ok() && r.label == 0 && words_are(r, i, reply_word)) ++good;
    }
    check(good == kRoundTrips, "client: 10000 replies arrived intact (12 words each)");

    sys::Reply r = call_with_cap(kClientEndpoint, kGrant, kGift);
    check(r.ok() && sys::sem_try_wait(kGift) == 0, "client: the server used the capability I granted");
    report_and_wait();
}

// ---- fault handling -------------------------------------------------------------------
void faulter(u64) {
    volatile u64* p = reinterpret_cast<volatile u64*>(kFaultAddress);
    u64 v = *p;
    g_after_fault = true; // never: the handler kills this thread
    (void)v;
    for (;;) {
    }
}

// ---- preemption -----------------------------------------------------------------------
void spinner(u64) {
    while (!g_stop) g_spins = g_spins + 1;
    sys::sem_signal(kSpinDone);
    for (;;) sys::yield(); // the root task deletes this thread
}

bool start(sys::Slots& slots, sys::ThreadOptions o, sys::Started& t, bool own_space) {
    o.affinity = pt::kCpu0;
    long long e = own_space ? sys::start_process(slots, sys::root_program(), o, t)
                            : sys::start_thread(slots, o, t);
    if (e) sys::print("ipctest: starting a thread failed: {}\n", e);
    return e == 0;
}

} // namespace

int main() {
    pt::start_root_task("ipctest");
    pt::stay_on_cpu0();
    sys::print("ipctest: running\n");
    sys::Slots slots{kFirstHelperSlot, 256};
    bool made = sys::retype(root::kUntyped, abi::ObjectType::Endpoint, 0, root::kCapSpace, kEndpoint) == 0 &&
                sys::cap_mint(root::kCapSpace, kEndpoint, kClientEndpoint, rt::kWrite | rt::kGrant, 0,
                              root::kCapSpace) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Endpoint, 0, root::kCapSpace, kDone) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Semaphore, 0, root::kCapSpace, kGift) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Endpoint, 0, root::kCapSpace, kFaultEndpoint) == 0 &&
                sys::retype(root::kUntyped, abi::ObjectType::Semaphore, 0, root::kCapSpace, kSpinDone) == 0;
    check(made, "endpoints and semaphores retyped");
    sys::Program program = sys::root_program();
    check(program.pages >= 3, "my program's pages found by querying my address space");

    // Server and client: separate address spaces, same program.
    sys::Started srv, cli;
    bool started = start(slots, {server, 0, 0x20000000}, srv, true) &&
                   start(slots, {client, 0, 0x20000000}, cli, true);
    check(started && srv.address_space != cli.address_space && srv.address_space != root::kAddressSpace,
          "server and client started in address spaces of their own");
    u64 worker_failures = 0;
    for (int i = 0; i < 2 && started; ++i) {
        sys::Reply r = sys::receive(kDone);
        worker_failures += r.ok() ? r.mr[0] : 1;
    }
    check(started && worker_failures == 0 && sys::cap_delete(root::kCapSpace, srv.thread) == 0 &&
              sys::cap_delete(root::kCapSpace, cli.thread) == 0,
          "server and client finished without failures and were deleted");

    // A fault goes to the handler (this thread), which decodes it and kills the thread.
    sys::Started bad;
    sys::ThreadOptions fo{faulter, 0, 0x30000000, kFaultEndpoint};
    if (start(slots, fo, bad, false)) {
        sys::Reply f = sys::receive(kFaultEndpoint);
        bool page_fault = f.ok() && f.label == u64(abi::FaultKind::PageFault) &&
                          f.mr[0] == u64(abi::FaultKind::PageFault) && f.mr[1] == kFaultAddress &&
                          f.mr[2] >= 0x400000 && f.mr[2] < 0x400000 + program.pages * sys::kPageSize &&
                          f.length == 4 && f.mr[3] == u64(abi::FaultAccess::Read);
        sys::print("ipctest: fault handler: kind {} ({}) at {:#x}, ip {:#x}\n", f.mr[0],
                   f.mr[0] == u64(abi::FaultKind::PageFault) ? "page fault" : "other", f.mr[1], f.mr[2]);
        check(page_fault, "fault message: page fault, address, ip and a read access");
        check(sys::reply(u64(abi::FaultReply::Kill), {}).error == 0 &&
                  sys::cap_delete(root::kCapSpace, bad.thread) == 0,
              "fault handler killed the thread");
        sys::yield();
        check(!g_after_fault, "the killed thread did not run on");
    } else {
        check(false, "fault test thread started");
    }

    // Preemption: a thread of my priority spins; I yield to it and must come back.
    sys::Started spin;
    if (start(slots, {spinner, 0, 0x48000000}, spin, false)) {
        sys::yield();
        u64 seen = g_spins;
        check(seen > 0 && !g_stop, "a busy thread of equal priority is preempted");
        g_stop = true;
        check(sys::sem_wait(kSpinDone) == 0, "the busy thread saw the stop flag");
        check(sys::cap_delete(root::kCapSpace, spin.thread) == 0, "busy thread deleted");
    } else {
        check(false, "busy thread started");
    }

    return pt::finish(); // a root task's return powers off with its status (libsys)
}
