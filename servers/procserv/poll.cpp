// poll(2), ppoll(2), select(2) and pselect6(2) for Linux programs: which descriptors are
// ready (a pipe's ends,
// the console, files, which always are), and a wait until one is. A waiting poll (its
// reply kept, Wait::Poll) is in one list; whatever may make a descriptor ready (a pipe
// moving bytes or losing an end, a byte typed on the console) calls poll_wake(), and every
// waiting poll looks at its descriptors again. A deadline ends the wait with 0, a signal
// with EINTR (never restarted, as on Linux with a handler).
#include "procserv.hpp"

namespace procserv {

/// A waiting select: what it asked for (its sets were cleared in the caller's memory when
/// it began to wait; the ready ones are written when it is answered).
struct SelectWait {
    int nfds;
    u64 va[3];           // readfds, writefds, exceptfds (0: none)
    u64 want[3][16];     // their bits (FD_SETSIZE 1024)
};
constexpr int kFdSetSize = 1024;

namespace {

constexpr short kPollin = 0x1, kPollout = 0x4, kPollerr = 0x8, kPollhup = 0x10, kPollnval = 0x20,
                kPollrdnorm = 0x40, kPollwrnorm = 0x100;
constexpr u64 kChunk = 64; // struct pollfd (int fd; short events, revents) copied this many at a time

ThreadRec* g_pollers; // waiting polls and selects (through io_next)


/// What `fd` of t is ready for, of `events` (POLLERR, POLLHUP and POLLNVAL always count).
short ready_for(ThreadRec& t, int fd, short events) {
    if (fd < 0) return 0; // (ignored, as Linux)
    OpenFile* f = fd_of(t, static_cast<u64>(fd));
    if (!f) return kPollnval;
    short r;
    switch (f->kind) {
    case FileKind::PipeRead: r = pipe_poll(f->pipe, false); break;
    case FileKind::PipeWrite: r = pipe_poll(f->pipe, true); break;
    case FileKind::Console: r = static_cast<short>((console_readable() ? kPollin : 0) | kPollout); break;
    default: r = kPollin | kPollout; break; // files, directories, /dev/null: never wait
    }
    if (r & kPollin) r |= kPollrdnorm;
    if (r & kPollout) r |= kPollwrnorm;
    return static_cast<short>(r & (events | kPollerr | kPollhup | kPollnval));
}

/// Look at every descriptor of the poll at `fds`, writing each revents: how many are
/// ready, or -EFAULT.
long scan(ThreadRec& t, u64 fds, u64 nfds) {
    struct PollFd {
        int fd;
        short events, revents;
    } chunk[kChunk];
    long ready = 0;
    for (u64 i = 0; i < nfds; i += kChunk) {
        const u64 n = nfds - i < kChunk ? nfds - i : kChunk;
        if (!copy_in(*t.proc->mm, fds + i * sizeof(PollFd), chunk, n * sizeof(PollFd))) return wire(Errno{sys::kEFAULT});
        for (u64 k = 0; k < n; ++k) {
            chunk[k].revents = ready_for(t, chunk[k].fd, chunk[k].events);
            ready += chunk[k].revents != 0;
        }
        if (!copy_out(*t.proc->mm, fds + i * sizeof(PollFd), chunk, n * sizeof(PollFd))) return wire(Errno{sys::kEFAULT});
    }
    return ready;
}

/// The ready descriptors of a select asking for `want`, into `got`: how many bits are
/// set, or -EBADF for a descriptor that is not open.
long select_scan(ThreadRec& t, const SelectWait& s, u64 (&got)[3][16]) {
    long ready = 0;
    for (auto& set : got)
        for (u64& w : set) w = 0;
    for (int fd = 0; fd < s.nfds; ++fd) {
        const u64 bit = u64{1} << (fd % 64);
        const bool r = s.want[0][fd / 64] & bit, w = s.want[1][fd / 64] & bit, e = s.want[2][fd / 64] & bit;
        if (!r && !w && !e) continue;
        const short ev = ready_for(t, fd, kPollin | kPollout);
        if (ev & kPollnval) return wire(Errno{sys::kEBADF});
        if (r && (ev & (kPollin | kPollhup | kPollerr))) got[0][fd / 64] |= bit, ++ready;
        if (w && (ev & (kPollout | kPollerr))) got[1][fd / 64] |= bit, ++ready;
        // (exceptional conditions, POLLPRI: none here)
    }
    return ready;
}

/// Write a select's result sets (nfds bits each) to the caller's memory.
bool select_store(ThreadRec& t, const SelectWait& s, const u64 (&sets)[3][16]) {
    const u64 bytes = static_cast<u64>(s.nfds + 63) / 64 * 8;
    for (int i = 0; i < 3; ++i)
        if (s.va[i] && !copy_out(*t.proc->mm, s.va[i], sets[i], bytes)) return false;
    return true;
}

/// Look again at a waiting poll or select: its answer when something is ready (or an
/// error), 0 while nothing is.
long rescan(ThreadRec& t) {
    if (!t.select) return scan(t, t.io_buf, t.io_len);
    u64 got[3][16];
    const long ready = select_scan(t, *t.select, got);
    if (ready > 0 && !select_store(t, *t.select, got)) return wire(Errno{sys::kEFAULT});
    return ready;
}

/// Nothing is ready: the poll or select (t.io_buf and io_len, or t.select) waits, until
/// `deadline` if not 0. EINTR at once if a signal is there for a handler.
Answer wait_ready(ThreadRec& t, u64 deadline) {
    const bool interrupted = (t.sigpending | t.proc->sigpending) & ~t.sigmask;
    if (interrupted || !keep_reply(t, Wait::Poll)) {
        heap_free(t.select), t.select = nullptr;
        return done(interrupted ? -4 /* EINTR: a handler runs first */ : wire(Errno{sys::kENOMEM}));
    }
    t.io_next = g_pollers, g_pollers = &t;
    if (deadline) sleep_until(t, deadline);
    return no_reply();
}

} // namespace

Answer select_wait(ThreadRec& t, u64 nfds_arg, const u64 (&va)[3], u64 deadline, bool forever) {
    // nfds is an int (the register's upper half is not the caller's); more than
    // FD_SETSIZE are as many (Linux stops at the descriptor table's size).
    const int n = static_cast<int>(nfds_arg);
    if (n < 0) return done(Errno{sys::kEINVAL});
    const u64 nfds = n > kFdSetSize ? kFdSetSize : static_cast<u64>(n);
    SelectWait s{};
    s.nfds = static_cast<int>(nfds);
    const u64 bytes = (nfds + 63) / 64 * 8;
    for (int i = 0; i < 3; ++i) {
        s.va[i] = va[i];
        if (va[i] && bytes && !copy_in(*t.proc->mm, va[i], s.want[i], bytes)) return done(Errno{sys::kEFAULT});
    }
    for (int i = 0; i < 3; ++i) // (bits past nfds are not looked at)
        if (nfds % 64) s.want[i][nfds / 64] &= (u64{1} << (nfds % 64)) - 1;
    u64 got[3][16];
    const long ready = select_scan(t, s, got);
    if (ready < 0) return done(ready);
    // The sets say what is ready now: none, while it waits (so a timeout leaves them empty).
    if (!select_store(t, s, got)) return done(Errno{sys::kEFAULT});
    if (ready != 0 || (!forever && deadline == 0)) return done(ready);
    if (!(t.select = heap_new<SelectWait>())) return done(Errno{sys::kENOMEM});
    *t.select = s;
    return wait_ready(t, deadline);
}

Answer poll_wait(ThreadRec& t, u64 fds, u64 nfds, u64 deadline, bool forever) {
    if (nfds > FdTable::kMax) return done(Errno{sys::kEINVAL}); // (RLIMIT_NOFILE)
    const long ready = scan(t, fds, nfds);
    if (ready != 0 || (!forever && deadline == 0)) return done(ready);
    t.io_buf = fds, t.io_len = nfds;
    return wait_ready(t, deadline);
}

void poll_unqueue(ThreadRec& t) {
    for (ThreadRec** link = &g_pollers; *link; link = &(*link)->io_next)
        if (*link == &t) {
            *link = t.io_next;
            break;
        }
    t.io_next = nullptr;
    t.wait = Wait::None;
    heap_free(t.select), t.select = nullptr;
}

void poll_wake() {
    // A scan may answer (and unlink) the poll: from the head again after each answer.
    for (bool answered = true; answered;) {
        answered = false;
        for (ThreadRec* t = g_pollers; t; t = t->io_next) {
            const long ready = rescan(*t);
            if (ready != 0) {
                answer(*t, ready); // (unlinks it)
                answered = true;
                break;
            }
        }
    }
}

} // namespace procserv
