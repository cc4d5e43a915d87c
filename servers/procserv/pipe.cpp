// Pipes: a 64 KiB ring in procserv's heap between a read end and a write end (open files
// of kinds PipeRead and PipeWrite, shared by fork and dup as any file). A read of an empty
// pipe and a write to a full one wait with their reply kept (Wait::Pipe), in the pipe's
// queue, oldest first; every change to the pipe (data in, data out, an end closed) lets
// the queue go as far as it can: pump(). As Linux: a read returns what is there (at least
// one byte) or 0 once no writer is left; a write returns when all of it is in (so a
// write of at most PIPE_BUF bytes is never split), or gets SIGPIPE and EPIPE when no
// reader is left (SIGPIPE's default action ends the process);
// O_NONBLOCK makes both EAGAIN instead of waiting.
#include "procserv.hpp"

namespace procserv {

constexpr u64 kPipeSize = 65536, kPipeBuf = 4096; // PIPE_BUF: writes up to it are not split

struct Pipe {
    unsigned char* ring;
    u64 head, count; // the data: count bytes from head (mod kPipeSize)
    int readers, writers; // open files of each end
    int pumping;          // pump() runs (maybe nested): the last of them frees the pipe
    ThreadRec *wait_head, *wait_tail;
};

namespace {
void free_pipe(Pipe& p) {
    heap_free(p.ring);
    heap_free(&p);
}
} // namespace

u64 pipe_ready(const Pipe* p) { return p->count; }

short pipe_poll(const Pipe* p, bool write_end) {
    constexpr short kIn = 1, kOut = 4, kErr = 8, kHup = 16;
    if (write_end) return static_cast<short>((p->readers == 0 ? kErr : 0) | (kPipeSize - p->count >= kPipeBuf ? kOut : 0));
    return static_cast<short>((p->count ? kIn : 0) | (p->writers == 0 ? kHup : 0));
}

namespace {

/// Move up to `n` bytes between the pipe and `mm` at `buf`: out of the ring (read) or
/// into it. Bytes moved (0 with `fault` set when the caller's memory was not there).
u64 transfer(Pipe& p, Mm& mm, u64 buf, u64 n, bool read, bool& fault) {
    u64 room = read ? p.count : kPipeSize - p.count;
    if (n > room) n = room;
    u64 done = 0;
    while (done < n) {
        u64 at = read ? p.head : (p.head + p.count) % kPipeSize; // (both move as bytes go)
        u64 k = kPipeSize - at < n - done ? kPipeSize - at : n - done;
        bool ok = read ? copy_out(mm, buf + done, p.ring + at, k) : copy_in(mm, buf + done, p.ring + at, k);
        if (!ok) {
            fault = true;
            break;
        }
        if (read) p.head = (p.head + k) % kPipeSize, p.count -= k;
        else p.count += k;
        done += k;
    }
    return done;
}

void enqueue(Pipe& p, ThreadRec& t, OpenFile& f, u64 buf, u64 len, u64 done) {
    t.io_file = &f, t.io_buf = buf, t.io_len = len, t.io_done = done, t.io_next = nullptr;
    ++f.refs; // the file stays open while the call waits
    if (p.wait_tail) p.wait_tail->io_next = &t;
    else p.wait_head = &t;
    p.wait_tail = &t;
}

void unlink_waiter(Pipe& p, ThreadRec& t) {
    ThreadRec* prev = nullptr;
    for (ThreadRec* w = p.wait_head; w; prev = w, w = w->io_next)
        if (w == &t) {
            (prev ? prev->io_next : p.wait_head) = t.io_next;
            if (p.wait_tail == &t) p.wait_tail = prev;
            break;
        }
    t.io_next = nullptr;
}

/// Answer the waiter `w` with `result`: it leaves the queue and lets its file go (which
/// may close an end of the pipe: the caller must not look at the pipe afterwards unless
/// it holds a file of it itself).
void finish(Pipe& p, ThreadRec& w, long result) {
    unlink_waiter(p, w);
    OpenFile* f = w.io_file;
    w.io_file = nullptr;
    answer(w, result);
    drop_file(f);
}

/// Let the queue go as far as it can. The pipe may be gone when it returns (a finished
/// waiter's file was its last): callers do not touch it afterwards.
void pump(Pipe& p) {
    // The writers that found no reader get SIGPIPE once the pipe is left alone (its default
    // action ends their processes, which closes files of this pipe too); should there be
    // more than 16 of them, the others get EPIPE only (as if they ignored SIGPIPE).
    long doomed[16];
    int ndoomed = 0;
    ++p.pumping;
    for (bool moved = true; moved;) {
        moved = false;
        for (ThreadRec* w = p.wait_head; w; w = w->io_next) {
            Mm& mm = *w->proc->mm;
            bool fault = false;
            if (w->io_file->kind == FileKind::PipeRead) {
                if (p.count == 0 && p.writers > 0) continue;
                u64 n = transfer(p, mm, w->io_buf, w->io_len, true, fault);
                finish(p, *w, fault && !n ? wire(Errno{sys::kEFAULT}) : static_cast<long>(n));
            } else {
                if (p.readers == 0) { // nobody will read: EPIPE, and SIGPIPE's default action below
                    if (ndoomed < 16) doomed[ndoomed++] = w->proc->pid;
                    finish(p, *w, w->io_done ? static_cast<long>(w->io_done) : wire(Errno{sys::kEPIPE}));
                    moved = true;
                    break;
                }
                const u64 left = w->io_len - w->io_done, room = kPipeSize - p.count;
                if (room == 0 || (w->io_len <= kPipeBuf && room < left)) continue; // (PIPE_BUF: whole)
                w->io_done += transfer(p, mm, w->io_buf + w->io_done, left, false, fault);
                if (fault) finish(p, *w, w->io_done ? static_cast<long>(w->io_done) : wire(Errno{sys::kEFAULT}));
                else if (w->io_done == w->io_len) finish(p, *w, static_cast<long>(w->io_len));
                else continue;
            }
            moved = true;
            break; // the queue changed: from its head again
        }
    }
    if (--p.pumping == 0 && p.readers + p.writers == 0) free_pipe(p); // the last end went meanwhile
    for (int i = 0; i < ndoomed; ++i)
        if (process_alive(doomed[i])) send_process_signal(*find_process(doomed[i]), sys::SIGPIPE, 0, doomed[i]);
    poll_wake(); // (a poll may wait for what changed)
}

} // namespace

void pipe_unqueue(ThreadRec& t) {
    OpenFile* f = t.io_file;
    unlink_waiter(*f->pipe, t);
    t.io_file = nullptr;
    t.wait = Wait::None;
    drop_file(f);
}

Result<void> do_pipe(ThreadRec& t, u64 fds_va, u64 flags) {
    if (flags & ~u64{kOCloexec | kONonblock}) return Errno{sys::kEINVAL};
    Mm& mm = *t.proc->mm;
    if (!int_writable(mm, fds_va) || !int_writable(mm, fds_va + 4)) return Errno{sys::kEFAULT};
    Pipe* p = heap_new<Pipe>();
    unsigned char* ring = p ? static_cast<unsigned char*>(heap_alloc_raw(kPipeSize)) : nullptr;
    OpenFile* r = ring ? new_file(FileKind::PipeRead, static_cast<u32>(flags)) : nullptr;
    OpenFile* w = r ? new_file(FileKind::PipeWrite, 1 | static_cast<u32>(flags)) : nullptr;
    if (!w) {
        heap_free(r), heap_free(ring), heap_free(p);
        return kNoMemory;
    }
    p->ring = ring, p->readers = 1, p->writers = 1;
    r->pipe = w->pipe = p;
    const bool cloexec = flags & kOCloexec;
    Result<long> rfd = install_file(t, r, cloexec);
    if (!rfd.ok()) {
        drop_file(w);
        return rfd.error();
    }
    Result<long> wfd = install_file(t, w, cloexec);
    if (!wfd.ok()) {
        (void)do_close(t, static_cast<u64>(rfd.value()));
        return wfd.error();
    }
    int fds[2] = {static_cast<int>(rfd.value()), static_cast<int>(wfd.value())};
    (void)copy_out(mm, fds_va, fds, sizeof fds); // (checked writable above)
    return {};
}

Answer pipe_read(ThreadRec& t, OpenFile& f, u64 buf, u64 count) {
    Pipe& p = *f.pipe;
    if (count == 0) return done(0);
    if (p.count > 0) {
        bool fault = false;
        u64 n = transfer(p, *t.proc->mm, buf, count, true, fault);
        if (fault && !n) return done(Errno{sys::kEFAULT});
        ++f.refs; // (the pipe stays while the queue moves)
        pump(p);
        drop_file(&f);
        return done(static_cast<long>(n));
    }
    if (p.writers == 0) return done(0); // end of file
    if (f.flags & kONonblock) return done(Errno{sys::kEAGAIN});
    if (!keep_reply(t, Wait::Pipe)) return done(Errno{sys::kENOMEM});
    enqueue(p, t, f, buf, count, 0);
    return no_reply();
}

Answer pipe_write(ThreadRec& t, OpenFile& f, u64 buf, u64 count) {
    Pipe& p = *f.pipe;
    if (p.readers == 0) { // SIGPIPE (its default action ends the process), and EPIPE
        const int pid = t.proc->pid;
        send_thread_signal(t, sys::SIGPIPE, 0, pid);
        return process_alive(pid) ? done(Errno{sys::kEPIPE}) : no_reply();
    }
    if (count == 0) return done(0);
    bool fault = false;
    // As Linux: up to PIPE_BUF bytes go in whole or wait; more may be split.
    u64 n = count <= kPipeBuf && kPipeSize - p.count < count ? 0 : transfer(p, *t.proc->mm, buf, count, false, fault);
    if (fault && !n) return done(Errno{sys::kEFAULT});
    if (n) {
        ++f.refs;
        pump(p); // readers waiting get the data
        if (n == count || fault || (f.flags & kONonblock)) {
            drop_file(&f);
            return done(static_cast<long>(n));
        }
        --f.refs; // (t's own descriptor still holds it)
    }
    if (f.flags & kONonblock) return done(Errno{sys::kEAGAIN});
    if (!keep_reply(t, Wait::Pipe)) return done(n ? static_cast<long>(n) : wire(Errno{sys::kENOMEM}));
    enqueue(p, t, f, buf, count, n);
    return no_reply();
}

void pipe_end_closed(Pipe* p, bool write_end) {
    (write_end ? p->writers : p->readers)--;
    if (p->readers + p->writers > 0) pump(*p); // readers see the end of file; writers no reader
    else if (!p->pumping) free_pipe(*p);        // (no waiter is left: each held a file of it)
    poll_wake();
}

} // namespace procserv
