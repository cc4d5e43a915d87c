// User servers end to end (docs/procserv.md, "Capabilities and servers"): an echo server
// found by name, eight clients in their own processes making 10,000 calls each, the name
// service's errors, a semaphore handed over with a message, a client that ends while the
// server keeps its reply, a process that fills its cap space, and a server that dies in
// the middle of a call; and procserv's signal protocol misused, which ends only the
// misuser. Started as `srvtest`, it plays the driver and spawns itself in the other roles
// (argv[1]).
#include "proc/check.hpp"

#include <sys/procserv_requests.hpp>
#include <sys/server.hpp>

namespace {

using namespace pt;
using sys::Request;
using sys::Response;
using sys::Server;

constexpr int kClients = 8;
constexpr long kCalls = 10000;
enum Label : abi::u64 { kEcho = 1, kCrash, kHold, kRelease, kTakeCap, kHeld, kTakeMemory };
constexpr long kMemPages = 16, kPage = 4096;

// ---- the echo server -------------------------------------------------------------------
struct EchoState {
    long held[8];
    int nheld;
    abi::IpcBuffer* buffer;
};

Response echo(EchoState&, Server&, const Request& r) { return Response::with(0, {r.w[0], r.w[1], r.badge}); }
Response crash(EchoState&, Server&, const Request&) {
    sys_illegal_instruction(); // procserv kills it with SIGILL, mid-call
}
Response hold(EchoState& s, Server& server, const Request&) {
    if (s.nheld == 8) return Response::result(-sys::kENOSPC);
    long k = server.keep();
    if (k < 0) return Response::result(k);
    s.held[s.nheld++] = k;
    return Response::later();
}
Response held(EchoState& s, Server&, const Request&) { return Response::result(s.nheld); }
// Answer every kept request; how many of their clients had gone (EPIPE).
Response release(EchoState& s, Server& server, const Request&) {
    long gone = 0;
    for (int i = 0; i < s.nheld; ++i)
        if (server.answer(s.held[i], 0) == -sys::kEPIPE) ++gone;
    s.nheld = 0;
    return Response::result(gone);
}
// The request brought a semaphore: signal it, and free the slot for the next.
Response take_cap(EchoState& s, Server&, const Request& r) {
    if (r.caps != 1) return Response::result(-sys::kEINVAL);
    abi::u64 slot = s.buffer->receive_slot;
    long e = sys::Semaphore(slot).signal();
    sys::cap_delete(slot);
    return Response::result(e < 0 ? e : 1);
}

/// The bytes a memory object's pages start with, as the driver wrote them.
long page_sum(const unsigned char* m) {
    long sum = 0;
    for (long i = 0; i < kMemPages; ++i) sum += m[i * kPage];
    return sum;
}

// The request brought a memory capability: map it and read it (w0 = 1: it is read-only,
// and mapping it writable must fail), write back into page 5 when it is writable.
Response take_memory(EchoState& s, Server&, const Request& r) {
    if (r.caps != 1) return Response::result(-sys::kEINVAL);
    abi::u64 slot = s.buffer->receive_slot;
    long rw = sys::mmap_memory(slot, nullptr, 0, sys::PROT_READ | sys::PROT_WRITE);
    long out;
    if (r.w[0]) {
        long ro = sys::mmap_memory(slot, nullptr, 0, sys::PROT_READ);
        out = rw != -sys::kEACCES ? -1000 : ro < 0 ? ro : page_sum(reinterpret_cast<unsigned char*>(ro));
    } else if (rw < 0) {
        out = rw;
    } else {
        auto* m = reinterpret_cast<unsigned char*>(rw);
        out = page_sum(m);
        m[5 * kPage + 100] = 0x5a;
    }
    sys::cap_delete(slot); // the mapping stays
    return Response::result(out);
}

int echo_server() {
    long ep = sys::cap_create(sys::CapType::Endpoint);
    EchoState state{};
    state.buffer = sys::ipc_buffer_setup();
    if (ep < 0 || !state.buffer) return 1;
    state.buffer->receive_slot = static_cast<abi::u64>(sys::cap_free_slot());
    if (sys::service_register("echo", static_cast<abi::u64>(ep)) != 0) return 2;
    static const Server::Handler<EchoState> table[] = {
        {kEcho, echo}, {kCrash, crash}, {kHold, hold}, {kRelease, release}, {kTakeCap, take_cap}, {kHeld, held},
        {kTakeMemory, take_memory},
    };
    Server server{sys::Endpoint(static_cast<abi::u64>(ep))};
    server.serve(state, table);
    return 3;
}

/// The echo service, once the server has registered it.
sys::Endpoint find_echo() {
    for (;;) {
        long s = sys::service_lookup("echo");
        if (s >= 0) return sys::Endpoint(static_cast<abi::u64>(s));
        sys::yield();
    }
}

// ---- clients ---------------------------------------------------------------------------
int echo_client(long n) {
    sys::Endpoint echo = find_echo();
    const long pid = sys::getpid();
    for (long i = 0; i < kCalls; ++i) {
        abi::u64 a = static_cast<abi::u64>(i), b = static_cast<abi::u64>(i * 7 + n);
        sys::Reply r = echo.call(kEcho, {a, b});
        if (!r.ok() || r.label != 0 || r.length != 3 || r.mr[0] != a || r.mr[1] != b ||
            r.mr[2] != static_cast<abi::u64>(pid))
            return 1;
    }
    return 0;
}

// A client that ends while the server keeps its reply: one thread waits in a call the
// server holds; the main thread ends the process once the server says it holds it.
alignas(16) unsigned char g_stack[16384];
void* hold_call(void*) {
    find_echo().call(kHold, {});
    return nullptr;
}
int holder() {
    sys::Endpoint echo = find_echo();
    if (sys::thread_create("hold", g_stack + sizeof g_stack, hold_call, nullptr) < 0) return 1;
    while (echo.call(kHeld, {}).mr[0] == 0) sys::yield();
    sys::exit_group(3);
}

// Fill the cap space as it grows from 256 slots to 4096: EMFILE, and nothing else breaks.
// The capabilities made before it grew work in the grown one.
int hog() {
    long first = sys::cap_create(sys::CapType::Semaphore), last = first, e = first;
    int made = 0;
    while (made < 5000 && (e = sys::cap_create(sys::CapType::Semaphore)) >= 0) last = e, ++made;
    bool grown = made > 4000 && last > 4000 && e == -sys::kEMFILE;
    bool first_works = sys::Semaphore(static_cast<abi::u64>(first)).signal() == 0 &&
                       sys::Semaphore(static_cast<abi::u64>(first)).try_wait() == 0;
    bool self_works = sys::cap_delete(static_cast<abi::u64>(last)) == 0 && sys::cap_free_slot() == last;
    return grown && first_works && self_works ? 0 : 1;
}

// Make 1 MiB memory objects until the quota says no: exactly 64 fit.
int memory_hog() {
    int made = 0;
    long e = 0;
    while (made <= 64 && (e = sys::cap_create(sys::CapType::Memory, 1 << 20)) >= 0) ++made;
    return made == 64 && e == -sys::kENOMEM ? 0 : 1;
}

// Hostile requests of procserv's signal protocol (sys/procserv_abi.hpp), made raw: each
// ends its own process with SIGSEGV, never procserv.
abi::u64 ask(procserv::Op op, std::initializer_list<abi::u64> words) {
    return sys::call(procserv::kEndpoint, static_cast<abi::u64>(op), words).mr[0];
}
int sigreturn_unmapped() { // a frame that is not there
    ask(procserv::Op::Sigreturn, {0x10});
    return 1;
}
procserv::SignalFrame g_zeros;
int sigreturn_zeros() { // a frame of zeros: every register 0 (IP, SP), FP state all 0
    ask(procserv::Op::Sigreturn, {reinterpret_cast<abi::u64>(&g_zeros)});
    return 1;
}
int trampoline_not_code() { // a handler entered through a trampoline at an unmapped address
    ask(procserv::Op::Sigaction, {static_cast<abi::u64>(sys::SIGUSR1), 0x400000, 0, 0x10});
    sys::kill(sys::getpid(), sys::SIGUSR1);
    return 1;
}

int spawn_self(const char* role, const char* arg = nullptr) {
    const char* argv[] = {"srvtest", role, arg, nullptr};
    return sys::spawn("/srvtest", argv);
}

int wait_for(int pid) {
    int status = -1;
    sys::waitpid(pid, &status, 0);
    return status;
}

// ---- the console server (servers/consrv; boot with console=consrv) ----------------------
enum ConsoleLabel : abi::u64 { kConsWrite = 1, kConsRead, kConsQuit };

long console_write(sys::Endpoint c, const char* s) {
    long total = 0;
    for (long n = static_cast<long>(strlen(s)); n > 0;) {
        abi::u64 w[3] = {};
        long k = n > 24 ? 24 : n;
        memcpy(w, s, static_cast<std::size_t>(k));
        sys::Reply r = c.call(kConsWrite, {static_cast<abi::u64>(k), w[0], w[1], w[2]});
        if (!r.ok() || static_cast<long>(r.mr[0]) != k) return -1;
        s += k, n -= k, total += k;
    }
    return total;
}

// Typed input reaches this client through the console server, which owns the interrupt.
int console_client() {
    start("srvtest");
    const char* argv[] = {"consrv", nullptr};
    int drv = sys::spawn("/consrv", argv);
    check(drv > 0, "the console server starts", drv);
    long slot = -sys::kENOENT;
    int status = -1;
    while (drv > 0 && (slot = sys::service_lookup("console")) == -sys::kENOENT)
        if (sys::waitpid(drv, &status, sys::WNOHANG) == drv) break; // it gave up
    check(slot >= 0, "it offers the service 'console'", slot);
    if (slot < 0) return finish();
    sys::Endpoint console(static_cast<abi::u64>(slot));
    check(console_write(console, "srvtest: waiting for 3 bytes, written through consrv\n") > 0,
          "writes go through the console server");
    char got[8] = {};
    int n = 0;
    while (n < 3) {
        sys::Reply r = console.call(kConsRead);
        if (!r.ok() || r.mr[0] == 0 || r.mr[0] > 16) break;
        abi::u64 w[2] = {r.mr[1], r.mr[2]};
        for (abi::u64 i = 0; i < r.mr[0] && n < 7; ++i) got[n++] = reinterpret_cast<const char*>(w)[i];
    }
    check(n >= 3 && memcmp(got, "abc", 3) == 0, "three typed bytes arrive through the console server's interrupt");
    console.call(kConsQuit);
    check_exited(wait_for(drv), 0, "the console server ends when asked");
    return finish();
}

// ---- the driver ------------------------------------------------------------------------
int driver() {
    start("srvtest");
    // The name service's errors, before any server runs.
    check_eq(sys::service_lookup("echo"), -sys::kENOENT, "lookup of a name nobody registered is ENOENT");
    check_eq(sys::cap_create(static_cast<sys::CapType>(99)), -sys::kEINVAL, "cap_create of an unknown type is EINVAL");
    long sem = sys::cap_create(sys::CapType::Semaphore);
    check(sem >= static_cast<long>(procserv::kFirstCapSlot), "cap_create makes a semaphore", sem);
    long mine = sys::cap_create(sys::CapType::Endpoint);
    check(mine > sem, "cap_create makes an endpoint in the next slot", mine);
    check_eq(sys::service_register("", static_cast<abi::u64>(mine)), -sys::kEINVAL, "register: an empty name is EINVAL");
    char longname[80];
    for (int i = 0; i < 79; ++i) longname[i] = 'n';
    longname[79] = 0;
    check_eq(sys::service_register(longname, static_cast<abi::u64>(mine)), -sys::kENAMETOOLONG,
             "register: a 79-byte name is ENAMETOOLONG");
    check_eq(sys::service_register(reinterpret_cast<const char*>(16), static_cast<abi::u64>(mine)), -sys::kEFAULT,
             "register: a bad name pointer is EFAULT");
    check_eq(sys::service_register("x", 1000), -sys::kEBADF, "register: an empty slot is EBADF");
    check_eq(sys::service_register("x", static_cast<abi::u64>(sem)), -sys::kEACCES, "register: a semaphore is EACCES");
    long badged = sys::cap_mint(static_cast<abi::u64>(mine), abi::rights::kAll, 5);
    check(badged > 0, "cap_mint makes a badged copy", badged);
    check_eq(sys::service_register("x", static_cast<abi::u64>(badged)), -sys::kEACCES,
             "register: a badged endpoint is EACCES");

    int server = spawn_self("echo-server");
    check(server > 0, "the echo server starts", server);
    sys::Endpoint echo = find_echo();
    check(true, "the echo server registered 'echo'");
    check_eq(sys::service_register("echo", static_cast<abi::u64>(mine)), -sys::kEEXIST,
             "register: a name taken by another process is EEXIST");
    check_eq(sys::service_unregister("echo"), -sys::kEACCES, "unregister: another process's name is EACCES");
    sys::Reply r = echo.call(kEcho, {41, 42});
    check(r.ok() && r.mr[0] == 41 && r.mr[1] == 42 && r.mr[2] == static_cast<abi::u64>(sys::getpid()),
          "a call is answered, and the server sees the caller's pid as its badge");
    check_eq(static_cast<long>(echo.call(99, {}).mr[0]), -sys::kENOSYS, "a label no handler takes is ENOSYS");

    int clients[kClients];
    for (int i = 0; i < kClients; ++i) clients[i] = spawn_self("echo-client", i % 2 ? "1" : "2");
    int exact = 0;
    for (int i = 0; i < kClients; ++i) exact += clients[i] > 0 && wait_for(clients[i]) == 0;
    check_eq(exact, kClients, "8 clients in their own processes: 10,000 calls each, every reply exact");

    // A capability handed over with a message: the server signals the semaphore.
    abi::IpcBuffer* buffer = sys::ipc_buffer_setup();
    check(buffer != nullptr, "ipc_buffer_setup gives the thread an IPC buffer");
    check(sys::ipc_buffer_setup() == buffer, "and the same one when asked again");
    if (buffer) {
        buffer->send_caps[0] = static_cast<abi::u64>(sem);
        buffer->receive_slot = abi::kNoSlot;
        r = echo.call_with_caps(buffer, kTakeCap, {}, 1);
        check(r.ok() && r.mr[0] == 1, "a semaphore travels to the server with a call", static_cast<long>(r.mr[0]));
        check_eq(sys::Semaphore(static_cast<abi::u64>(sem)).try_wait(), 0, "the server signalled it");
    }

    // Memory shared through a capability: the server maps what the driver wrote, and the
    // driver sees what the server wrote; a read-only copy cannot be mapped writable.
    check_eq(sys::cap_create(sys::CapType::Memory, 0), -sys::kEINVAL, "a memory object of 0 bytes is EINVAL");
    long mem = sys::cap_create(sys::CapType::Memory, kMemPages * kPage);
    long at = mem < 0 ? mem : sys::mmap_memory(static_cast<abi::u64>(mem), nullptr, 0, sys::PROT_READ | sys::PROT_WRITE);
    check(at > 0, "cap_create makes a memory object, mmap_memory maps it", at);
    check_eq(sys::mmap_memory(static_cast<abi::u64>(sem), nullptr, 0, sys::PROT_READ), -sys::kEINVAL,
             "mmap_memory of a semaphore is EINVAL");
    check_eq(sys::mmap_memory(1000, nullptr, 0, sys::PROT_READ), -sys::kEBADF, "mmap_memory of an empty slot is EBADF");
    check_eq(sys::mmap_memory(static_cast<abi::u64>(mem), nullptr, (kMemPages + 1) * kPage, sys::PROT_READ),
             -sys::kEINVAL, "mmap_memory longer than the object is EINVAL");
    if (at > 0 && buffer) {
        auto* m = reinterpret_cast<unsigned char*>(at);
        long want = 0;
        for (long i = 0; i < kMemPages; ++i) want += (m[i * kPage] = static_cast<unsigned char>(i * 3 + 1));
        buffer->send_caps[0] = static_cast<abi::u64>(mem);
        r = echo.call_with_caps(buffer, kTakeMemory, {0}, 1);
        check_eq(static_cast<long>(r.mr[0]), want, "a memory capability travels to the server, which reads what was written");
        check_eq(m[5 * kPage + 100], 0x5a, "and the driver reads what the server wrote");
        long ro = sys::cap_mint(static_cast<abi::u64>(mem), abi::rights::kRead, 0);
        buffer->send_caps[0] = static_cast<abi::u64>(ro);
        r = echo.call_with_caps(buffer, kTakeMemory, {1}, 1);
        check_eq(static_cast<long>(r.mr[0]), want, "a read-only copy maps read-only (EACCES for PROT_WRITE)");
        sys::cap_delete(static_cast<abi::u64>(ro));
    }
    int mh = spawn_self("memory-hog");
    check_exited(wait_for(mh), 0, "a process that uses its 64 MiB of memory objects gets ENOMEM");

    // A client ends while the server keeps its reply: answering it later says EPIPE.
    int h = spawn_self("holder");
    int status = wait_for(h);
    check_exited(status, 3, "a client ends while the server keeps its reply");
    r = echo.call(kRelease, {});
    check_eq(static_cast<long>(r.mr[0]), 1, "the server's late answer to it is EPIPE, and it serves on");

    // The console server needs the interrupt only console=consrv gives: without it, it
    // says so and ends.
    const char* consrv_argv[] = {"consrv", nullptr};
    check_exited(wait_for(sys::spawn("/consrv", consrv_argv)), 2,
                 "the console server without console=consrv finds no interrupt line and ends");

    check_signaled(wait_for(spawn_self("sigreturn-unmapped")), sys::SIGSEGV,
                   "Sigreturn of a frame that is not mapped: its process dies of SIGSEGV");
    check_signaled(wait_for(spawn_self("sigreturn-zeros")), sys::SIGSEGV,
                   "Sigreturn of a frame of zeros: its thread resumes at 0 and dies of SIGSEGV");
    check_signaled(wait_for(spawn_self("trampoline-not-code")), sys::SIGSEGV,
                   "a handler whose trampoline is not code: SIGSEGV");

    int hg = spawn_self("hog");
    check_exited(wait_for(hg), 0, "a cap space grows from 256 to 4096 slots, its capabilities intact; then EMFILE");
    r = echo.call(kEcho, {7, 8});
    check(r.ok() && r.mr[0] == 7, "and the server and its other clients keep working");

    // The server dies in the middle of a call: the caller is woken with EPIPE, its
    // capability is gone afterwards, and so is the name.
    r = echo.call(kCrash, {});
    check_eq(static_cast<long>(r.error), -sys::kEPIPE, "a server that dies mid-call: the caller gets EPIPE");
    check_signaled(wait_for(server), sys::SIGILL, "the server died of SIGILL");
    check_eq(static_cast<long>(echo.call(kEcho, {1, 2}).error), -sys::kEBADF,
             "its endpoint is gone from the client's cap space: EBADF");
    check_eq(sys::service_lookup("echo"), -sys::kENOENT, "its name is gone");
    if (at > 0) {
        auto* m = reinterpret_cast<unsigned char*>(at);
        check(m[5 * kPage + 100] == 0x5a && m[3 * kPage] == 10, "the shared memory outlives the server that mapped it");
    }
    check_eq(sys::service_register("echo", static_cast<abi::u64>(mine)), 0, "the name can be registered again");
    check_eq(sys::service_unregister("echo"), 0, "and withdrawn");
    check_eq(sys::service_unregister("echo"), -sys::kENOENT, "withdrawn twice: ENOENT");
    check_eq(sys::cap_delete(static_cast<abi::u64>(badged)), 0, "cap_delete");
    check_eq(sys::cap_delete(static_cast<abi::u64>(badged)), -sys::kEBADF, "cap_delete of an empty slot: EBADF");

    // What procserv's request table (sys/procserv_requests.hpp) refuses before a handler runs.
    using procserv::Op;
    auto raw = [](Op op, abi::u64 above, std::initializer_list<abi::u64> words) {
        const abi::u64 label = static_cast<abi::u64>(op) | above << procserv::kLabelArgShift;
        return static_cast<long>(sys::call(procserv::kEndpoint, label, words).mr[0]);
    };
    check_eq(static_cast<long>(sys::call(procserv::kEndpoint, 0x99, {}).mr[0]), -sys::kENOSYS,
             "a request procserv does not know: ENOSYS");
    check_eq(raw(Op::GetIds, 1, {}), -sys::kEINVAL, "label bits above a request that takes none: EINVAL");
    check_eq(raw(Op::Close, 0, {abi::u64{1} << 32}), -sys::kEINVAL, "a descriptor that is no int: EINVAL");
    check_eq(raw(Op::Close, 0, {~abi::u64{0}}), -sys::kEBADF, "descriptor -1: EBADF (the handler's answer)");
    check_eq(raw(Op::Umask, 0, {01000}), -sys::kEINVAL, "a umask outside 0777: EINVAL");
    check_eq(raw(Op::Mmap, abi::u64{1} << 32, {0, kPage, 3 | abi::u64{0x22} << 32, 0}), -sys::kEINVAL,
             "an mmap fd wider than 32 bits: EINVAL");
    check_eq(raw(Op::GetIds, 0, {}), static_cast<long>(sys::getpid()), "and a good request is served as before");
    return finish();
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) return driver();
    const char* role = argv[1];
    if (streq(role, "echo-server")) return echo_server();
    if (streq(role, "echo-client")) return echo_client(argc > 2 ? argv[2][0] - '0' : 0);
    if (streq(role, "holder")) return holder();
    if (streq(role, "hog")) return hog();
    if (streq(role, "memory-hog")) return memory_hog();
    if (streq(role, "console")) return console_client();
    if (streq(role, "sigreturn-unmapped")) return sigreturn_unmapped();
    if (streq(role, "sigreturn-zeros")) return sigreturn_zeros();
    if (streq(role, "trampoline-not-code")) return trampoline_not_code();
    return 100;
}
