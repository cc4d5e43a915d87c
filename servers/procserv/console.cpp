// The console as Linux programs' terminal: its settings and ioctls, and its input. When
// no console driver is named on the kernel command line (`console=NAME`), procserv takes
// the console's interrupt itself: a thread of its own (in procserv's address space, with
// nothing but a stack) waits for the line, reads every byte the console has, and hands
// each to procserv's loop as a request (kConsoleInput, from procserv's own unbadged
// capability, which no client has). The bytes go through the line discipline (tty.hpp):
// it echoes, edits lines, and turns ^C, ^\ and ^Z into signals for the foreground process
// group; a read of the console takes what it has made readable, or waits (its reply
// kept, Wait::Console) in a queue, oldest first.
#include "procserv.hpp"
#include "tty.hpp"

namespace procserv {

namespace {

constinit LineDiscipline g_tty;
bool g_input;                       // procserv has the console's interrupt
unsigned short g_winsize[4] = {24, 80, 0, 0}; // rows, columns (TIOCSWINSZ changes them)
int g_foreground;                   // the foreground process group (0: the first program's)
ThreadRec *g_readers, *g_readers_tail; // waiting reads (io_next), oldest first
u64 g_irq_handler, g_irq_semaphore;
alignas(16) unsigned char g_irq_stack[4096];

/// The interrupt thread: no heap, no IPC buffer, only register-sized messages.
[[noreturn]] void irq_thread() {
    for (;;) {
        sys::sem_wait(g_irq_semaphore);
        for (;;) {
            long long b = sys::console_read(root::kConsole);
            if (b < 0) break;
            sys::call(kEndpointSlot, kConsoleInput, {static_cast<u64>(b)});
        }
        sys::irq_ack(g_irq_handler);
    }
}

int foreground() {
    if (g_foreground) return g_foreground;
    Process* first = find_process(g_first_pid);
    return first ? first->pgid : 0;
}

/// Serve the waiting reads while the line discipline has something for them.
void serve_readers() {
    unsigned char bytes[LineDiscipline::kSize];
    while (g_readers && g_tty.ready()) {
        ThreadRec& t = *g_readers;
        g_readers = t.io_next;
        if (!g_readers) g_readers_tail = nullptr;
        const u64 n = g_tty.read(bytes, t.io_len < sizeof bytes ? t.io_len : sizeof bytes);
        const bool ok = n == 0 || copy_out(*t.proc->mm, t.io_buf, bytes, n);
        answer(t, ok ? static_cast<long>(n) : wire(Errno{sys::kEFAULT})); // (bytes it could not take are lost)
    }
}

} // namespace

void console_init(bool driver_named) {
    if (driver_named) return; // (the driver gets the interrupt when it starts)
    const u64 line = info().console_irq;
    u64 handler = alloc_slot(), sem = alloc_slot(), thread = alloc_slot();
    const bool ok = line != ~u64{0} && handler != abi::kNoSlot && sem != abi::kNoSlot && thread != abi::kNoSlot &&
                    sys::irq_issue(root::kMachine, static_cast<u32>(line), handler) == 0 &&
                    sys::retype(root::kUntyped, OT::Semaphore, 0, root::kCapSpace, sem) == 0 &&
                    sys::irq_set_semaphore(handler, sem) == 0 &&
                    sys::retype(root::kUntyped, OT::Thread, 0, root::kCapSpace, thread) == 0 &&
                    sys::thread_configure(thread, root::kCapSpace, root::kAddressSpace, abi::kNoSlot, 0,
                                          abi::kNoSlot) == 0;
    if (!ok) {
        sys::print("procserv: no console input for Linux programs (the console interrupt is not ours)\n");
        return;
    }
    g_irq_handler = handler, g_irq_semaphore = sem;
    while (sys::console_read(root::kConsole) >= 0) {} // typed before: dropped
    g_input = sys::thread_start(thread, reinterpret_cast<u64>(&irq_thread),
                                reinterpret_cast<u64>(g_irq_stack + sizeof g_irq_stack)) == 0;
}

void console_input(u64 byte) {
    const int sig = g_tty.input(static_cast<unsigned char>(byte), [](unsigned char c) { sys::debug_putc(static_cast<char>(c)); });
    if (sig) signal_group(foreground(), sig);
    serve_readers();
    poll_wake();
}

Answer console_read(ThreadRec& t, const OpenFile& f, u64 buf, u64 count) {
    if (!g_input || count == 0) return done(0); // (no input: end of file)
    if (!g_readers && g_tty.ready()) {
        unsigned char bytes[LineDiscipline::kSize];
        const u64 n = g_tty.read(bytes, count < sizeof bytes ? count : sizeof bytes);
        if (n && !copy_out(*t.proc->mm, buf, bytes, n)) return done(Errno{sys::kEFAULT});
        return done(static_cast<long>(n));
    }
    if (f.flags & kONonblock) return done(Errno{sys::kEAGAIN});
    if (!keep_reply(t, Wait::Console)) return done(Errno{sys::kENOMEM});
    t.io_buf = buf, t.io_len = count, t.io_next = nullptr;
    if (g_readers_tail) g_readers_tail->io_next = &t;
    else g_readers = &t;
    g_readers_tail = &t;
    return no_reply();
}

void console_unqueue(ThreadRec& t) {
    ThreadRec* prev = nullptr;
    for (ThreadRec* r = g_readers; r; prev = r, r = r->io_next)
        if (r == &t) {
            (prev ? prev->io_next : g_readers) = t.io_next;
            if (g_readers_tail == &t) g_readers_tail = prev;
            break;
        }
    t.wait = Wait::None;
}

u64 console_available() { return g_tty.available(); }
bool console_readable() { return !g_input || g_tty.ready(); }

Result<long> console_ioctl(Process& p, u64 request, u64 arg) {
    constexpr u64 kTcgets = 0x5401, kTcsets = 0x5402, kTcsetsw = 0x5403, kTcsetsf = 0x5404, kTcflsh = 0x540b,
                  kTiocgpgrp = 0x540f, kTiocspgrp = 0x5410, kTiocgwinsz = 0x5413, kTiocswinsz = 0x5414;
    Mm& mm = *p.mm;
    Termios tio;
    static_assert(sizeof(Termios) == 36);
    switch (request) {
    case kTcgets:
        tio = g_tty.settings();
        return copy_out(mm, arg, &tio, sizeof tio) ? Result<long>(0) : Errno{sys::kEFAULT};
    case kTcsets:
    case kTcsetsw: // (output is written at once: nothing to drain)
    case kTcsetsf:
        if (!copy_in(mm, arg, &tio, sizeof tio)) return Errno{sys::kEFAULT};
        if (request == kTcsetsf) g_tty.flush();
        g_tty.set(tio);
        serve_readers(); // (a new VMIN, or a line made readable)
        return 0;
    case kTcflsh:
        if (arg > 2) return Errno{sys::kEINVAL};
        if (arg != 1) g_tty.flush(); // TCIFLUSH, TCIOFLUSH (output is never held back)
        return 0;
    case kTiocgwinsz: return copy_out(mm, arg, g_winsize, sizeof g_winsize) ? Result<long>(0) : Errno{sys::kEFAULT};
    case kTiocswinsz: return copy_in(mm, arg, g_winsize, sizeof g_winsize) ? Result<long>(0) : Errno{sys::kEFAULT};
    case kTiocgpgrp: {
        const int fg = g_foreground ? g_foreground : p.sid;
        return copy_out(mm, arg, &fg, sizeof fg) ? Result<long>(0) : Errno{sys::kEFAULT};
    }
    case kTiocspgrp: {
        int pgrp = 0;
        if (!copy_in(mm, arg, &pgrp, sizeof pgrp)) return Errno{sys::kEFAULT};
        if (pgrp <= 0) return Errno{sys::kEINVAL};
        g_foreground = pgrp;
        return 0;
    }
    default: return Errno{sys::kENOTTY}; // (a request no terminal knows, as Linux)
    }
}

} // namespace procserv
