// poll(2) and ppoll(2) for Linux programs: which descriptors are ready (a pipe's ends,
// the console, files, which always are), and a wait until one is. A waiting poll (its
// reply kept, Wait::Poll) is in one list; whatever may make a descriptor ready (a pipe
// moving bytes or losing an end, a byte typed on the console) calls poll_wake(), and every
// waiting poll looks at its descriptors again. A deadline ends the wait with 0, a signal
// with EINTR (never restarted, as on Linux with a handler).
#include "procserv.hpp"

namespace procserv {

namespace {

constexpr short kPollin = 0x1, kPollout = 0x4, kPollerr = 0x8, kPollhup = 0x10, kPollnval = 0x20,
                kPollrdnorm = 0x40, kPollwrnorm = 0x100;
constexpr u64 kChunk = 64; // struct pollfd (int fd; short events, revents) copied this many at a time

ThreadRec* g_pollers; // waiting polls (through io_next)

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

} // namespace

Answer poll_wait(ThreadRec& t, u64 fds, u64 nfds, u64 deadline, bool forever) {
    if (nfds > FdTable::kMax) return done(Errno{sys::kEINVAL}); // (RLIMIT_NOFILE)
    const long ready = scan(t, fds, nfds);
    if (ready != 0 || (!forever && deadline == 0)) return done(ready);
    Process& p = *t.proc;
    if ((t.sigpending | p.sigpending) & ~t.sigmask) return done(-4); // EINTR: a handler runs first
    if (!keep_reply(t, Wait::Poll)) return done(Errno{sys::kENOMEM});
    t.io_buf = fds, t.io_len = nfds;
    t.io_next = g_pollers, g_pollers = &t;
    if (deadline) sleep_until(t, deadline);
    return no_reply();
}

void poll_unqueue(ThreadRec& t) {
    for (ThreadRec** link = &g_pollers; *link; link = &(*link)->io_next)
        if (*link == &t) {
            *link = t.io_next;
            break;
        }
    t.io_next = nullptr;
    t.wait = Wait::None;
}

void poll_wake() {
    // A scan may answer (and unlink) the poll: from the head again after each answer.
    for (bool answered = true; answered;) {
        answered = false;
        for (ThreadRec* t = g_pollers; t; t = t->io_next) {
            const long ready = scan(*t, t->io_buf, t->io_len);
            if (ready != 0) {
                answer(*t, ready); // (unlinks it)
                answered = true;
                break;
            }
        }
    }
}

} // namespace procserv
