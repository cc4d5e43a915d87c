// procserv: the process server and the system's root task. It owns every process and
// thread and builds them only through capability calls to the kernel; programs reach it
// through libsys (sys/proc.hpp) with the protocol of sys/procserv_abi.hpp.
// docs/procserv.md describes the design; the short version:
//
// Memory. The kernel's untyped memory is cut into blocks as they are needed: 4 KiB thread
// blocks (a thread, its 8-slot cap space, its join semaphore and its Reply object fit in
// one) and 1 MiB process blocks (address spaces and frames, shared objects). The kernel's untyped reuses memory only when
// everything carved from it is gone, so each block belongs to one thread or one address
// space, and revoking the block's capability ends everything carved from it at once:
// that is how every byte comes back.
//
// Client memory. procserv made every page of every address space, so it knows which
// frame backs each user address; it reads and writes a client's memory by mapping that
// frame into its own window page.
//
// Blocking. procserv never waits for a client. A call that must wait (waitpid,
// futex_wait) has its reply kept in the caller's own kernel Reply object (made with the
// thread) and is answered when the wait is over: one Call per request. thread_join waits
// on the joined thread's join semaphore, signalled once when it ends.
#include "procserv.hpp"

#include <microkernel/elf.hpp>
#include <arch/elf.hpp>
#include <sys/arch_abi.hpp>

namespace procserv {

ThreadRec g_threads[kMaxThreads];
Process g_procs[kMaxProcs];
Mm g_mms[kMaxMms];
Fs g_fs[kMaxFs];
Files g_files[kMaxFs];
OpenFile g_open[kMaxFiles];
int g_next_tid = 1;
int g_first_pid = 0, g_first_status = -1; // the first program: its end powers off
kernel::cpio::Archive* g_initrd = nullptr;
alignas(kernel::cpio::Archive) unsigned char g_initrd_storage[sizeof(kernel::cpio::Archive)];

/// A thread that has exited: all its kernel objects and memory are gone, and this is
/// what thread_join still needs. Kept until its process ends; a record whose code was
/// claimed by a join is kept only to answer later joins with -EINVAL, and gives way first
/// when the table is full. new_thread keeps room for every live thread to end.
struct Ended {
    int tid, pid, code;
    int joiner; // the claiming join's tid, 0 while unclaimed
};
constexpr int kMaxEnded = 2048;
Ended g_ended[kMaxEnded]; // tid 0: free
int g_live_threads, g_unclaimed_ended;

Ended* find_ended(long tid) {
    for (Ended& e : g_ended)
        if (e.tid != 0 && e.tid == tid) return &e;
    return nullptr;
}

/// A free record, evicting the oldest claimed one if none is free.
Ended& new_ended() {
    Ended* oldest = nullptr;
    for (Ended& e : g_ended) {
        if (e.tid == 0) return e;
        if (e.joiner && (!oldest || e.tid < oldest->tid)) oldest = &e;
    }
    for (Process& p : g_procs) // new_thread's reserve guarantees that there is one
        if (p.used && p.pid == oldest->pid) --p.ended_records;
    return *oldest;
}

ThreadRec* find_thread(long tid) {
    for (ThreadRec& t : g_threads)
        if (t.used && t.tid == tid) return &t;
    return nullptr;
}

namespace {

// ---- threads ---------------------------------------------------------------------------
void drop_fs(Fs* fs) {
    if (fs) --fs->refs; // a Fs with no references is free again (alloc_ref)
}
void drop_files(Files* files) {
    if (files && --files->refs == 0)
        for (OpenFile*& f : files->fd)
            if (f) --f->refs, f = nullptr;
}

/// The fs state of a new thread of `t`: shared (CLONE_FS) or a copy. Null when the
/// table is full: the caller's request fails with EAGAIN, procserv goes on.
Fs* fs_for_child(ThreadRec& t, bool share) {
    if (share) return ++t.fs->refs, t.fs;
    Fs* fs = alloc_ref(g_fs);
    if (fs) *fs = *t.fs, fs->refs = 1;
    return fs;
}
/// The descriptor table of a new thread of `t`: shared (CLONE_FILES) or a copy.
Files* files_for_child(ThreadRec& t, bool share) {
    if (share) return ++t.files->refs, t.files;
    Files* files = alloc_ref(g_files);
    if (files)
        for (u64 i = 0; i < kMaxFds; ++i)
            if ((files->fd[i] = t.files->fd[i])) ++files->fd[i]->refs;
    return files;
}

void release_thread(ThreadRec& t) {
    // Everything of the thread was carved from its block: revoke ends it all (including
    // copies of its join semaphore in other threads' cap spaces, and its Reply object).
    sys::cap_revoke(root::kCapSpace, t.block);
    pool_give(g_thread_blocks, t.block);
    for (u64 s : {t.thread, t.cs, t.join, t.reply}) free_slot(s);
    drop_fs(t.fs);
    drop_files(t.files);
    t.used = false;
}

/// A thread's badge on its endpoint capability: its tid, and its record's index above
/// kFaultBadge so that a request finds the record at once (thread_of_badge).
constexpr unsigned kRecordShift = 41;
static_assert(procserv::kFaultBadge < (u64{1} << kRecordShift));
u64 badge_of(const ThreadRec& t) {
    return static_cast<u64>(t.tid) | (static_cast<u64>(&t - g_threads) << kRecordShift);
}
ThreadRec* thread_of_badge(u64 badge) {
    u64 index = badge >> kRecordShift;
    long tid = static_cast<long>(badge & (procserv::kFaultBadge - 1));
    if (index >= kMaxThreads || !g_threads[index].used || g_threads[index].tid != tid) return nullptr;
    return &g_threads[index];
}

/// A thread of `proc` on the client's registers: entry, stack, arg0 (kRegCap).
ThreadRec* new_thread(Process& proc, long long& err) {
    err = -sys::kEAGAIN;
    if (g_live_threads + g_unclaimed_ended >= kMaxEnded) return nullptr; // room to end
    if (proc.alive + proc.unclaimed >= kMaxThreadsPerProcess) return nullptr; // its share
    ThreadRec* t = alloc_in(g_threads);
    if (!t) return nullptr;
    t->block = pool_take(g_thread_blocks);
    if (t->block == abi::kNoSlot) {
        t->used = false;
        return nullptr;
    }
    t->thread = alloc_slot(), t->cs = alloc_slot(), t->join = alloc_slots(2);
    t->reply = t->join == abi::kNoSlot ? abi::kNoSlot : t->join + 1;
    t->tid = g_next_tid++;
    t->proc = &proc;
    bool ok = sys::retype(t->block, OT::Thread, 0, root::kCapSpace, t->thread) == 0 &&
              sys::retype(t->block, OT::CapSpace, procserv::kThreadCapSpaceBits, root::kCapSpace, t->cs) == 0 &&
              sys::retype(t->block, OT::Semaphore, 0, root::kCapSpace, t->join) == 0 &&
              sys::retype(t->block, OT::Reply, 0, root::kCapSpace, t->reply) == 0 &&
              sys::cap_mint(root::kCapSpace, kEndpointSlot, procserv::kEndpoint, rt::kWrite,
                            badge_of(*t), t->cs) == 0 &&
              sys::cap_mint(root::kCapSpace, kEndpointSlot, kScratch, rt::kWrite,
                            badge_of(*t) | procserv::kFaultBadge, root::kCapSpace) == 0 &&
              sys::thread_configure(t->thread, t->cs, proc.mm->as, abi::kNoSlot, 0, kScratch) == 0;
    sys::cap_delete(root::kCapSpace, kScratch);
    if (!ok) {
        release_thread(*t);
        err = -sys::kENOMEM;
        return nullptr;
    }
    ++proc.alive;
    ++g_live_threads;
    return t;
}

/// Start thread t at ip on sp, with the first two C arguments arg0, arg1 (the registers
/// that carry a system call's cap and info words: rdi/rsi, x0/x1, a0/a1).
long long start(ThreadRec& t, u64 ip, u64 sp, u64 arg0, u64 arg1 = 0) {
    static_assert(abi::kRegSp == abi::kRegIp + 1 && abi::kRegCap == abi::kRegIp + 3 && abi::kRegInfo == abi::kRegIp + 4);
    long long e = sys::invoke(t.thread, abi::ThreadMethod::WriteRegisters,
                              {abi::kRegIp, 5, ip, sp, 0, arg0, arg1}).error;
    return e ? e : sys::thread_resume(t.thread);
}

/// Answer the call of `t` whose reply procserv kept (Wait::*): its wait is over.
void answer(ThreadRec& t, long result) {
    t.wait = Wait::None;
    sys::reply_send(t.reply, static_cast<u64>(procserv::Reply::kDone), static_cast<u64>(result));
}

/// Keep the reply to the call `t` just made, until answer(): the call waits for `why`.
bool keep_reply(ThreadRec& t, Wait why) {
    if (sys::reply_keep(t.reply) != 0) return false;
    t.wait = why;
    return true;
}

/// Store an int in `mm` at `va`, all or nothing (both ends are checked first).
bool store_int(Mm& mm, u64 va, int value) {
    auto writable = [&](u64 a) { return with_page(mm, a, true, [](unsigned char*) {}); };
    return writable(va) && writable(va + sizeof(int) - 1) && copy_out(mm, va, &value, sizeof value);
}

/// What names the futex word at `addr` of `mm`: the address in the address space, or, in
/// shared memory, the offset in the shared object (so processes sharing it meet there).
struct FutexKey {
    const void* space;
    u64 at;
};
FutexKey futex_key(Mm& mm, u64 addr) {
    const Region* r = mm.regions.find(addr);
    if (r && r->shm) return {r->shm, addr - r->shm_va};
    return {&mm, addr};
}

void futex_wake_at(Mm* mm, u64 addr, long n, long& woken) {
    FutexKey k = futex_key(*mm, addr);
    for (ThreadRec& w : g_threads)
        if (woken < n && w.used && w.wait == Wait::Futex && w.futex_space == k.space && w.futex_addr == k.at) {
            answer(w, 0);
            ++woken;
        }
}

/// waitpid for `t` without waiting: a child's pid (reaped, its status stored at
/// `status_va` unless 0), -ECHILD / -EFAULT (the child stays waitable), or 0 with
/// `must_wait` set when a matching child exists but none has ended yet.
long try_waitpid(ThreadRec& t, long pid, u64 status_va, bool& must_wait) {
    bool any_child = false;
    for (Process& c : g_procs) {
        if (!c.used || c.ppid != t.proc->pid || c.pid == 0) continue;
        if (pid > 0 && c.pid != pid) continue;
        any_child = true;
        if (c.ended) {
            if (status_va && !store_int(*t.proc->mm, status_va, c.status)) return -sys::kEFAULT;
            c.used = false;
            return c.pid;
        }
    }
    if (!any_child) return -sys::kECHILD;
    must_wait = true;
    return 0;
}

/// A child of process `parent_pid` ended or was reaped: its waitpid callers look again.
void recheck_waiters(int parent_pid) {
    for (ThreadRec& w : g_threads)
        if (w.used && w.wait == Wait::Waitpid && w.proc->pid == parent_pid) {
            bool must_wait = false;
            long r = try_waitpid(w, w.wait_pid, w.wait_status, must_wait);
            if (!must_wait) answer(w, r);
        }
}

void end_process(Process& p);

/// The thread is gone from the CPU for good: the kernel thread is destroyed first, then
/// what Linux does at that point (CLONE_CHILD_CLEARTID), then joiners may go, and all the
/// thread held is returned; an Ended record keeps its code for thread_join.
void end_thread(ThreadRec& t, int code) {
    sys::cap_delete(root::kCapSpace, t.thread);
    Process& p = *t.proc;
    if (t.clear_tid) {
        int zero = 0;
        if (copy_out(*p.mm, t.clear_tid, &zero, sizeof zero)) {
            long woken = 0;
            futex_wake_at(p.mm, t.clear_tid, 1, woken);
        }
    }
    // A waiting joiner gets the code at its retval before the join semaphore (signalled
    // exactly once, here) lets it go; its record is then collected.
    int joiner = t.joiner;
    if (joiner > 0) {
        if (ThreadRec* j = find_thread(joiner); j && j->join_retval) copy_out(*p.mm, j->join_retval, &code, sizeof code);
        joiner = -1;
    }
    sys::sem_signal(t.join);
    // Only a thread_create thread leaves a record for joins to come (a clone'd thread or
    // a process's first thread is gone without a trace, as Linux reaps them).
    if (t.joinable) {
        Ended& e = new_ended();
        e = Ended{t.tid, p.pid, code, joiner};
        ++p.ended_records;
        if (!e.joiner) ++g_unclaimed_ended, ++p.unclaimed;
    }
    release_thread(t);
    --g_live_threads;
    if (--p.alive == 0) {
        if (!p.group_exit) p.status = (code & 0xff) << 8;
        end_process(p);
    }
}

void end_process(Process& p) {
    p.ended = true;
    if (p.pid == g_first_pid) g_first_status = p.status;
    for (Ended& e : g_ended) {
        if (p.ended_records == 0) break;
        if (e.tid != 0 && e.pid == p.pid) {
            if (!e.joiner) --g_unclaimed_ended, --p.unclaimed;
            e = Ended{};
            --p.ended_records;
        }
    }
    mm_release(*p.mm);
    p.mm = nullptr;
    // Children lose their parent: nobody will wait for them.
    for (Process& c : g_procs)
        if (c.used && c.ppid == p.pid) {
            c.ppid = 0;
            if (c.ended) c.used = false;
        }
    // The parent's waitpid callers look again.
    if (p.ppid != 0) recheck_waiters(p.ppid);
    if (p.ppid == 0 && p.pid != g_first_pid) p.used = false; // an orphan is reaped at once
}

void kill_group(Process& p, int status, ThreadRec* except) {
    if (!p.group_exit) {
        p.group_exit = true;
        p.status = status;
    }
    for (ThreadRec& t : g_threads)
        if (t.used && t.proc == &p && &t != except) end_thread(t, 0);
}

// ---- programs --------------------------------------------------------------------------
/// Load `path` from the initrd into a new process (child of `parent`), with argv.
long spawn_program(const char* path, const char* const* argv, int argc, int parent_pid,
                   ThreadRec* parent) {
    while (*path == '/') ++path;
    auto file = g_initrd->find(path);
    if (!file) return -sys::kENOENT;
    auto image = kernel::elf::Image::open(file->data, file->size, kernel::elf::Machine(arch::kElfMachine), kUserEnd);
    if (!image) return -sys::kENOEXEC;
    Process* p = alloc_in(g_procs);
    if (!p) return -sys::kEAGAIN;
    p->mm = mm_create();
    if (!p->mm) {
        p->used = false;
        return -sys::kENOMEM;
    }
    Mm& mm = *p->mm;
    long long err = 0;
    // The segments are regions backed by the file's bytes, copied in page by page as the
    // program touches them; the break starts after the last one.
    image->for_each_segment([&](const kernel::elf::Segment& s) {
        if (!err) err = mm_load_segment(mm, s);
        u64 end = page_up(s.vaddr + s.memsz);
        if (end > mm.brk_start) mm.brk_start = mm.brk = end;
    });
    // The stack: zero pages backed on first touch (argv's page at once, below).
    if (!err) {
        Region stack{};
        stack.start = kStackTop - kStackSize, stack.end = kStackTop, stack.prot = kProtRead | kProtWrite;
        err = mm_add_region(mm, stack);
    }
    // argc, argv[], NULL, envp NULL, then the strings, at the top of the stack.
    u64 strings = kStackTop - 1024, words[20] = {}, nw = 0;
    words[nw++] = static_cast<u64>(argc);
    u64 at = strings;
    for (int i = 0; i < argc && !err; ++i) {
        u64 n = strlen(argv[i]) + 1;
        if (at + n > kStackTop) break;
        copy_out(mm, at, argv[i], n);
        words[nw++] = at;
        at += n;
    }
    words[nw++] = 0, words[nw++] = 0;
    u64 sp = strings - 256;
    if (!err) copy_out(mm, sp, words, nw * 8);
    p->pid = 0;
    p->ppid = parent_pid;
    // The new process starts with the parent's fs state copied, and fresh descriptors.
    Fs* fs = err ? nullptr : alloc_ref(g_fs);
    Files* files = fs ? alloc_ref(g_files) : nullptr;
    if (!err && !files) err = -sys::kEAGAIN;
    ThreadRec* t = err ? nullptr : new_thread(*p, err);
    if (!t) {
        drop_fs(fs);
        drop_files(files);
        mm_release(mm);
        p->used = false;
        return err ? err : -sys::kENOMEM;
    }
    p->pid = t->tid;
    t->fs = fs;
    t->files = files;
    if (parent && parent->fs) memcpy(t->fs->cwd, parent->fs->cwd, sizeof t->fs->cwd), t->fs->umask = parent->fs->umask;
    else t->fs->cwd[0] = '/', t->fs->umask = 022;
    start(*t, image->entry(), sp, 0);
    return p->pid;
}

// ---- clone -----------------------------------------------------------------------------
constexpr unsigned long kKnownFlags = sys::CLONE_VM | sys::CLONE_FS | sys::CLONE_FILES | sys::CLONE_SIGHAND |
    sys::CLONE_THREAD | sys::CLONE_NEWNS | sys::CLONE_SYSVSEM | sys::CLONE_SETTLS | sys::CLONE_PARENT_SETTID |
    sys::CLONE_CHILD_CLEARTID | sys::CLONE_DETACHED | sys::CLONE_CHILD_SETTID | sys::kCloneSignalMask;

long do_clone(ThreadRec& t, u64 label, const sys::Reply& r) {
    unsigned long flags = (label >> procserv::kCloneFlagsShift) & 0xffffffffu;
    bool start_block = label & procserv::kCloneStartBlock;
    u64 stack = r.mr[0], ptid = r.mr[1], ctid = r.mr[2], tls = r.mr[3];
    procserv::StartBlock block{};
    if (flags & ~kKnownFlags) return -sys::kEINVAL;
    if (unsigned sig = flags & sys::kCloneSignalMask; sig != 0 && sig != sys::SIGCHLD) return -sys::kEINVAL;
    if ((flags & sys::CLONE_THREAD) && !(flags & sys::CLONE_SIGHAND)) return -sys::kEINVAL;
    if ((flags & sys::CLONE_SIGHAND) && !(flags & sys::CLONE_VM)) return -sys::kEINVAL;
    if ((flags & sys::CLONE_FS) && (flags & sys::CLONE_NEWNS)) return -sys::kEINVAL;
    Process& parent = *t.proc;
    Mm& pmm = *parent.mm;
    if (start_block) {
        // clone_fn: the block is in the caller's memory; the child's stack top must be
        // writable memory of the process (as for thread_create), checked here, before
        // anything is created.
        if (!copy_in(pmm, stack, &block, sizeof block)) return -sys::kEFAULT;
        stack = block.stack_top & ~u64{15};
        if (stack < 64 || !user_writable(pmm, stack - 1)) return -sys::kEFAULT;
    }
    if ((flags & sys::CLONE_PARENT_SETTID) && !user_writable(pmm, ptid)) return -sys::kEFAULT;

    // The child's registers: the caller's as they were at the call (a raw clone returns
    // 0 in the child), or the start block's entry.
    u64 regs[abi::kRegCount];
    for (u32 first = 0; first < abi::kRegCount; first += 24) {
        u32 n = abi::kRegCount - first < 24 ? abi::kRegCount - first : 24;
        sys::Reply rr = sys::invoke(t.thread, abi::ThreadMethod::ReadRegisters, {first, n});
        if (!rr.ok()) return rr.error;
        for (u32 i = 0; i < n; ++i) regs[first + i] = i < 4 ? rr.mr[i] : sys::ipc_buffer()->mr[i];
    }

    Process* proc = &parent;
    if (!(flags & sys::CLONE_THREAD)) {
        proc = alloc_in(g_procs);
        if (!proc) return -sys::kEAGAIN;
        proc->ppid = parent.pid;
        if (flags & sys::CLONE_VM) {
            proc->mm = &pmm;
            ++pmm.refs;
        } else {
            proc->mm = copy_mm(pmm);
        }
        if (!proc->mm) {
            proc->used = false;
            return -sys::kENOMEM;
        }
    }
    // Everything the child needs before it exists: a full table is EAGAIN for this
    // caller, never a thread with missing state (regression: procserv faulted on it).
    Fs* fs = fs_for_child(t, flags & sys::CLONE_FS);
    Files* files = fs ? files_for_child(t, flags & sys::CLONE_FILES) : nullptr;
    long long err = -sys::kEAGAIN;
    ThreadRec* c = files ? new_thread(*proc, err) : nullptr;
    if (!c) {
        drop_fs(fs);
        drop_files(files);
        if (proc != &parent) mm_release(*proc->mm), proc->used = false;
        return err;
    }
    if (proc != &parent) proc->pid = c->tid;
    c->fs = fs;
    c->files = files;
    if (flags & sys::CLONE_CHILD_CLEARTID) c->clear_tid = ctid;
    int tid = c->tid;
    if (flags & sys::CLONE_PARENT_SETTID) copy_out(pmm, ptid, &tid, sizeof tid);
    if (flags & sys::CLONE_CHILD_SETTID) copy_out(*proc->mm, ctid, &tid, sizeof tid);
    if (flags & sys::CLONE_SETTLS) sys::thread_set_tls(c->thread, tls);
    if (start_block) {
        start(*c, block.entry, stack - sys::arch_abi::kEntryStackBias, block.fn, block.arg);
    } else {
        regs[abi::kRegCap] = 0;                          // the call succeeded...
        regs[abi::kRegInfo] = abi::MessageInfo{0, 1, 0}.encode();
        regs[abi::kRegMr0] = 0;                          // ...and returned 0
        if (stack) regs[abi::kRegSp] = stack;
        for (u32 i = 0; i < abi::kRegCount; i += 2)
            sys::invoke(c->thread, abi::ThreadMethod::WriteRegisters, {i, 2, regs[i], regs[i + 1]});
        sys::thread_resume(c->thread);
    }
    return tid;
}

// ---- requests --------------------------------------------------------------------------
struct Answer {
    bool reply = true;
    u64 label = static_cast<u64>(procserv::Reply::kDone);
    u64 w[4] = {};
};
Answer done(long v, u64 a = 0, u64 b = 0) {
    Answer x;
    x.w[0] = static_cast<u64>(v), x.w[1] = a, x.w[2] = b;
    return x;
}
Answer block_on(u64 slot) {
    Answer x;
    x.label = static_cast<u64>(procserv::Reply::kBlock);
    x.w[0] = slot;
    return x;
}
Answer no_reply() {
    Answer x;
    x.reply = false;
    return x;
}

/// thread_join: the first join of a thread claims its exit code. If the thread has ended,
/// the answer carries the code; otherwise the joiner waits on the thread's join semaphore,
/// and end_thread stores the code at the joiner's retval before signalling it.
Answer join(ThreadRec& t, long tid, u64 retval) {
    if (tid == t.tid) return done(-sys::kEDEADLK);
    if (ThreadRec* x = find_thread(tid); x && x->proc == t.proc && x->joinable) {
        if (x->joiner) return done(-sys::kEINVAL);
        // The code will be stored there: it must be writable now (both ends of the int).
        auto writable = [&](u64 va) { return with_page(*t.proc->mm, va, true, [](unsigned char*) {}); };
        if (retval && (!writable(retval) || !writable(retval + sizeof(int) - 1))) return done(-sys::kEFAULT);
        x->joiner = t.tid;
        t.join_retval = retval;
        sys::cap_delete(t.cs, procserv::kJoin);
        sys::cap_mint(root::kCapSpace, x->join, procserv::kJoin, rt::kRead, 0, t.cs);
        return block_on(procserv::kJoin);
    }
    Ended* e = find_ended(tid);
    if (!e || e->pid != t.proc->pid) return done(-sys::kESRCH);
    if (e->joiner != 0) return done(-sys::kEINVAL);
    // The code is stored before it is claimed: an unwritable retval leaves it unclaimed.
    if (retval && !store_int(*t.proc->mm, retval, e->code)) return done(-sys::kEFAULT);
    --g_unclaimed_ended, --t.proc->unclaimed;
    e->joiner = -1; // collected: later joins are -EINVAL
    return done(0);
}

Answer waitpid(ThreadRec& t, long pid, u64 options, u64 status_va) {
    if (options & ~u64{sys::WNOHANG}) return done(-sys::kEINVAL);
    if (pid == 0 || pid < -1) return done(-sys::kEINVAL); // process groups: there are none
    bool must_wait = false;
    long r = try_waitpid(t, pid, status_va, must_wait);
    if (!must_wait || (options & sys::WNOHANG)) return done(r);
    if (!keep_reply(t, Wait::Waitpid)) return done(-sys::kENOMEM);
    t.wait_pid = pid;
    t.wait_status = status_va;
    return no_reply(); // end_process answers
}

Answer handle(ThreadRec& t, u64 label, const sys::Reply& r) {
    Process& p = *t.proc;
    switch (static_cast<Op>(label & 0xffff)) {
    case Op::Exit: // the whole int is the join code; its low 8 bits the process status
        end_thread(t, static_cast<int>(r.mr[0]));
        return no_reply();
    case Op::ExitGroup:
        kill_group(p, static_cast<int>((r.mr[0] & 0xff) << 8), &t);
        end_thread(t, static_cast<int>(r.mr[0]));
        return no_reply();
    case Op::Clone: return done(do_clone(t, label, r));
    case Op::ThreadCreate: {
        // The stack's top page must be mapped writable memory of the process (procserv
        // made every page, so its table says so), before anything is created. The thread
        // starts at the libsys entry with (function, argument) as its two arguments.
        u64 top = r.mr[0] & ~u64{15};
        if (top < 64 || !user_writable(*p.mm, top - 1)) return done(-sys::kEFAULT);
        long long err = 0;
        ThreadRec* c = new_thread(p, err);
        if (!c) return done(err);
        c->joinable = true;
        c->fs = t.fs, ++t.fs->refs;
        c->files = t.files, ++t.files->refs;
        start(*c, r.mr[1], top - sys::arch_abi::kEntryStackBias, r.mr[2], r.mr[3]);
        return done(c->tid);
    }
    case Op::Join: return join(t, static_cast<long>(r.mr[0]), r.mr[1]);
    case Op::GetIds: return done(p.pid, static_cast<u64>(t.tid), static_cast<u64>(p.ppid));
    case Op::Chdir: return done(do_chdir(t, r.mr[0]));
    case Op::Getcwd: {
        u64 n = strlen(t.fs->cwd) + 1;
        if (!r.mr[0]) return done(-sys::kEFAULT);
        if (r.mr[1] < n) return done(-sys::kERANGE);
        return done(copy_out(*p.mm, r.mr[0], t.fs->cwd, n) ? static_cast<long>(n) : -sys::kEFAULT);
    }
    case Op::Umask: {
        unsigned old = t.fs->umask;
        t.fs->umask = static_cast<unsigned>(r.mr[0]) & 0777;
        return done(old);
    }
    case Op::Open: return done(do_open(t, r.mr[0], r.mr[1]));
    case Op::Read: return done(do_read(t, r.mr[0], r.mr[1], r.mr[2]));
    case Op::Close: return done(do_close(t, r.mr[0]));
    case Op::Dup: return done(do_dup(t, r.mr[0]));
    case Op::Waitpid: return waitpid(t, static_cast<long>(r.mr[0]), r.mr[1], r.mr[2]);
    case Op::Spawn: {
        char path[128], args[sys::kSpawnMaxArgs][sys::kSpawnMaxArgLen + 1];
        const char* argv[sys::kSpawnMaxArgs];
        long n = r.mr[0] ? copy_string(*p.mm, r.mr[0], path, sizeof path) : -sys::kEFAULT;
        if (n < 0) return done(n);
        int argc = 0;
        for (; r.mr[1]; ++argc) {
            u64 ptr = 0;
            if (!copy_in(*p.mm, r.mr[1] + 8 * static_cast<u64>(argc), &ptr, 8)) return done(-sys::kEFAULT);
            if (!ptr) break;
            if (argc == sys::kSpawnMaxArgs) return done(-sys::kE2BIG);
            long len = copy_string(*p.mm, ptr, args[argc], sizeof args[argc]);
            if (len < 0) return done(len == -sys::kENAMETOOLONG ? -sys::kE2BIG : len);
            argv[argc] = args[argc];
        }
        if (argc == 0) argv[argc++] = path;
        char abs[128];
        if (long e = resolve(t.fs->cwd, path, abs, sizeof abs)) return done(e);
        if (is_directory(abs)) return done(-sys::kEACCES); // as execve of a directory
        return done(spawn_program(abs, argv, argc, p.pid, &t));
    }
    case Op::FutexWait: {
        int now = 0;
        if (r.mr[0] % 4) return done(-sys::kEINVAL);
        if (!copy_in(*p.mm, r.mr[0], &now, sizeof now)) return done(-sys::kEFAULT);
        if (static_cast<u32>(now) != static_cast<u32>(r.mr[1])) return done(-sys::kEAGAIN);
        if (!keep_reply(t, Wait::Futex)) return done(-sys::kENOMEM);
        FutexKey k = futex_key(*p.mm, r.mr[0]);
        t.futex_space = k.space, t.futex_addr = k.at;
        return no_reply(); // futex_wake answers
    }
    case Op::FutexWake: {
        int now = 0;
        if (r.mr[0] % 4) return done(-sys::kEINVAL);
        if (!copy_in(*p.mm, r.mr[0], &now, sizeof now)) return done(-sys::kEFAULT);
        long woken = 0;
        futex_wake_at(p.mm, r.mr[0], static_cast<long>(r.mr[1]), woken);
        return done(woken);
    }
    case Op::Write: {
        char buf[256];
        u64 n = r.mr[1] < sizeof buf ? r.mr[1] : sizeof buf;
        if (!copy_in(*p.mm, r.mr[0], buf, n)) return done(-sys::kEFAULT);
        for (u64 i = 0; i < n; ++i) sys::debug_putc(buf[i]);
        return done(static_cast<long>(n));
    }
    case Op::Mmap:
        return done(do_mmap(t, static_cast<int>(label >> procserv::kMmapFdShift), r.mr[0], r.mr[1],
                            static_cast<u32>(r.mr[2]), static_cast<u32>(r.mr[2] >> 32), r.mr[3]));
    case Op::Munmap: return done(do_munmap(t, r.mr[0], r.mr[1]));
    case Op::Mprotect: return done(do_mprotect(t, r.mr[0], r.mr[1], r.mr[2]));
    case Op::Madvise: return done(do_madvise(t, r.mr[0], r.mr[1], r.mr[2]));
    case Op::Brk: return done(do_brk(t, r.mr[0]));
    case Op::Stats: {
        int threads = 0, procs = 0;
        for (ThreadRec& x : g_threads) threads += x.used;
        for (Process& x : g_procs) procs += x.used && !x.ended;
        return done(static_cast<long>(pool_free_bytes()), static_cast<u64>(threads), static_cast<u64>(procs));
    }
    }
    return done(-sys::kENOSYS);
}

/// A fault of thread t. A page fault on a zero page not yet backed gets its frame and the
/// thread resumes. So does one on a page that is there now (another thread of the space
/// backed it in the meantime), once: the same page faulting again without another fault
/// in between is a real one. Anything else ends the process with SIGSEGV or SIGILL.
Answer on_fault(ThreadRec& t, const sys::Reply& r) {
    bool page_fault = r.mr[0] == static_cast<u64>(abi::FaultKind::PageFault);
    u64 page = r.mr[1] & ~(kPage - 1);
    using A = abi::FaultAccess;
    auto access = static_cast<A>(r.mr[3]);
    int sig = r.mr[0] == static_cast<u64>(abi::FaultKind::IllegalInstruction) ? sys::SIGILL : sys::SIGSEGV;
    const char* what = sig == sys::SIGILL ? "illegal instruction" : "bad memory access";
    if (page_fault) {
        u32 need = access == A::Write ? kProtWrite : access == A::Execute ? kProtExec : kProtRead;
        Touch got = mm_touch(*t.proc->mm, r.mr[1], need);
        // A page that is there already (another thread of the space backed it meanwhile)
        // resumes once: the same page faulting again with nothing between is a real fault.
        if (got == Touch::Ok || (got == Touch::Present && page != t.last_fault)) {
            t.last_fault = page;
            Answer x;
            x.label = static_cast<u64>(abi::FaultReply::Resume);
            return x;
        }
        if (got == Touch::Bus) sig = sys::SIGBUS, what = "access beyond the end of the mapped file";
        if (got == Touch::NoMem) sig = sys::SIGKILL, what = "page fault with no memory left";
    }
    const char* how = !page_fault ? "" : access == A::Write ? "write, " : access == A::Execute ? "execute, " : "read, ";
    sys::print("procserv: pid {} tid {}: {} at {:#x} ({}ip {:#x}); killed by signal {}\n", t.proc->pid, t.tid,
               what, r.mr[1], how, r.mr[2], sig);
    kill_group(*t.proc, sig, nullptr);
    return no_reply();
}

} // namespace
} // namespace procserv

using namespace procserv;

int main() {
    const auto& in = info();
    if (in.magic != root::kInfoMagic) {
        sys::print("procserv: no RootInfo\n");
        return 1;
    }
    for (u64 s = 0; s < root::kFirstFree + 2; ++s) mark_slot(s, true);
    for (u64 s = root::kFirstFrame; s < root::kFirstFrame + in.program_frames; ++s) mark_slot(s, true);
    for (u64 s = root::kFirstBootSlot; s < in.first_free_slot; ++s) mark_slot(s, true);
    g_initrd = new (g_initrd_storage) kernel::cpio::Archive(
        kernel::cpio::Archive::open(reinterpret_cast<const void*>(in.initrd_va), in.initrd_size).value());
    if (sys::retype(root::kUntyped, OT::Endpoint, 0, root::kCapSpace, kEndpointSlot) != 0) {
        sys::print("procserv: cannot make its endpoint\n");
        return 1;
    }
    make_pools();
    const u64 start_free = pool_free_bytes();
    sys::print("procserv: {} MiB of memory to lend, carved into blocks as needed\n", start_free >> 20);

    // The first program: `exec=NAME ARGS...` ending the kernel command line (scripts/run
    // --exec), else init. The words after NAME are its argv[1..].
    char words[8][64] = {"init"};
    const char* argv[8] = {words[0]};
    int argc = 1;
    const char* cmd = in.cmdline;
    for (const char* c = cmd; *c; ++c)
        if ((c == cmd || c[-1] == ' ') && memcmp(c, "exec=", 5) == 0) {
            c += 5;
            for (argc = 0; argc < 8;) {
                u64 n = 0;
                while (*c && *c != ' ' && n + 1 < sizeof words[argc]) words[argc][n++] = *c++;
                words[argc][n] = 0;
                if (n) argv[argc] = words[argc], ++argc;
                while (*c && *c != ' ') ++c; // (the rest of a word too long for its buffer)
                while (*c == ' ') ++c;
                if (!*c) break;
            }
            break;
        }
    const char* first = words[0];
    long pid = spawn_program(first, argv, argc, 0, nullptr);
    if (pid < 0) {
        sys::print("procserv: cannot start '{}': error {}\n", static_cast<const char*>(first), pid);
        sys::invoke(root::kMachine, abi::MachineMethod::PowerOff, {127});
    }
    g_first_pid = static_cast<int>(pid);
    sys::print("procserv: started {} as pid {}\n", static_cast<const char*>(first), pid);

    Answer a = no_reply();
    for (;;) {
        sys::Reply r = a.reply ? sys::reply_receive(kEndpointSlot, a.label, {a.w[0], a.w[1], a.w[2], a.w[3]})
                               : sys::receive(kEndpointSlot);
        a = no_reply();
        if (!r.ok()) continue;
        ThreadRec* t = thread_of_badge(r.badge);
        if (!t) continue; // a request from a thread that is gone: no answer
        if (r.badge & procserv::kFaultBadge) a = on_fault(*t, r);
        else a = handle(*t, r.label, r);
        // The first program ended: the machine powers off with its status.
        if (g_first_status >= 0) {
            int st = g_first_status;
            int code = sys::wifexited(st) ? sys::wexitstatus(st) : 128 + sys::wtermsig(st);
            sys::print("procserv: {} ended with status {}; {} of {} KiB free again; powering off, status {}\n",
                       static_cast<const char*>(first), code, pool_free_bytes() >> 10, start_free >> 10, code);
            sys::invoke(root::kMachine, abi::MachineMethod::PowerOff, {static_cast<u64>(code)});
        }
    }
}
