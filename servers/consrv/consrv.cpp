// consrv: the console as a user server. Started as the program `console=consrv` names on
// the kernel command line, it is given the kernel's console and the handler of its
// interrupt line (procserv_abi.hpp: kConsoleSlot, kConsoleIrqSlot) and offers the service
// "console" to everyone (docs/procserv.md, "The console server"):
//
//   kWrite (count <= 24, up to 24 bytes packed in the next three words) -> count written
//   kRead  ()  -> (count, up to 16 bytes in the next two words), once at least one byte
//                 has been typed: the reply is kept until then
//   kQuit  ()  -> never answered: the server ends (its clients' calls then fail, EPIPE)
//
// Input arrives by interrupt. A second thread waits on the semaphore the line signals,
// takes every byte the console has, and hands each to the server thread as a request of
// its own (kInput, only from the server's own unbadged capability): all state belongs to
// the server thread, so nothing needs a lock.
#include <sys/server.hpp>
#include <sys/string.hpp>

namespace {

using abi::u64;
enum Label : u64 { kWrite = 1, kRead, kQuit, kInput };
constexpr int kMaxReaders = 16;
constexpr u64 kRing = 256;

struct Console {
    unsigned char ring[kRing];
    u64 head, tail; // bytes typed and not yet read: [tail, head)
    long reader[kMaxReaders]; // kept replies of readers waiting for input
    int readers;
};

u64 g_endpoint, g_irq_semaphore;
alignas(16) unsigned char g_irq_stack[8192];

/// Up to 16 waiting bytes, packed: the reply to a read.
sys::Message take(Console& c) {
    sys::Message m;
    u64 w[2] = {};
    u64 n = 0;
    for (; n < sizeof w && c.tail != c.head; ++n) reinterpret_cast<unsigned char*>(w)[n] = c.ring[c.tail++ % kRing];
    m.length = 3;
    m.w[0] = n, m.w[1] = w[0], m.w[2] = w[1];
    return m;
}

sys::Response write(Console&, sys::Server&, const sys::Request& r) {
    u64 n = r.w[0] > 24 ? 24 : r.w[0];
    const u64 bytes[] = {r.w[1], r.w[2], r.w[3]};
    long long e = sys::invoke(procserv::kConsoleSlot, abi::ConsoleWrite{.count = n}, bytes, 3).error;
    return sys::Response::result(e ? static_cast<long>(e) : static_cast<long>(n));
}

sys::Response read(Console& c, sys::Server& server, const sys::Request&) {
    if (c.tail != c.head) {
        sys::Response out;
        out.message = take(c);
        return out;
    }
    if (c.readers == kMaxReaders) return sys::Response::result(-sys::kEAGAIN);
    long kept = server.keep();
    if (kept < 0) return sys::Response::result(kept);
    c.reader[c.readers++] = kept;
    return sys::Response::later();
}

// A byte from the interrupt thread: into the ring, and to the readers that wait.
sys::Response input(Console& c, sys::Server& server, const sys::Request& r) {
    if (r.badge != 0) return sys::Response::result(-sys::kEPERM); // only from ourselves
    if (c.head - c.tail < kRing) c.ring[c.head++ % kRing] = static_cast<unsigned char>(r.w[0]);
    while (c.readers > 0 && c.tail != c.head) {
        long kept = c.reader[0];
        for (int i = 1; i < c.readers; ++i) c.reader[i - 1] = c.reader[i];
        --c.readers;
        sys::Message m = take(c);
        if (server.answer(kept, m) == -sys::kEPIPE) c.tail -= m.w[0]; // that reader is gone: keep its bytes
    }
    return sys::Response::result(0);
}

sys::Response quit(Console&, sys::Server&, const sys::Request&) { sys::exit_group(0); }

// The interrupt thread: every byte the console has, each as a kInput request.
void* interrupts(void*) {
    for (;;) {
        sys::sem_wait(g_irq_semaphore);
        for (;;) {
            long long b = sys::console_read(procserv::kConsoleSlot);
            if (b < 0) break;
            sys::call(g_endpoint, kInput, {static_cast<u64>(b)});
        }
        sys::irq_ack(procserv::kConsoleIrqSlot);
    }
}

} // namespace

int main() {
    long ep = sys::cap_create(sys::CapType::Endpoint);
    long sem = sys::cap_create(sys::CapType::Semaphore);
    if (ep < 0 || sem < 0) return 1;
    g_endpoint = static_cast<u64>(ep), g_irq_semaphore = static_cast<u64>(sem);
    // The interrupt line: without it (not started as console=consrv) there is no input.
    if (sys::irq_set_semaphore(procserv::kConsoleIrqSlot, g_irq_semaphore)) {
        sys::print("consrv: no console interrupt (start me with console=consrv on the command line)\n");
        return 2;
    }
    while (sys::console_read(procserv::kConsoleSlot) >= 0) {} // typed before: dropped
    if (sys::thread_create("consrv-irq", g_irq_stack + sizeof g_irq_stack, interrupts, nullptr) < 0) return 3;
    if (sys::service_register("console", g_endpoint) != 0) return 4;
    static Console console; // (zeros)
    static const sys::Server::Handler<Console> handlers[] = {
        {kWrite, write}, {kRead, read}, {kQuit, quit}, {kInput, input}};
    sys::Server server{sys::Endpoint(g_endpoint)};
    return static_cast<int>(-server.serve(console, handlers));
}
