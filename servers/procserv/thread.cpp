// Threads: creating them (each in a 4 KiB block of its own, with its cap space, its
// join semaphore and its Reply object), starting, ending and joining them, and the small
// records ended threads leave for thread_join.
#include "procserv.hpp"

#include <sys/arch_abi.hpp>

namespace procserv {

/// A thread_create thread that has exited: all its kernel objects and memory are gone,
/// and this is what thread_join still needs. Made with the thread (so that its end cannot
/// fail for want of memory) and kept until its process ends; a record whose code was
/// claimed by a join is kept only to answer later joins with -EINVAL.
struct Ended {
    int tid, pid, code;
    int joiner;      // the claiming join's tid, 0 while unclaimed
    Ended* next;     // in its tid's hash chain
    Ended* proc_next; // in its process's list
};
long g_live_threads, g_unclaimed_ended;

// Lookups by tid are O(1) (as long as the buckets are not too crowded: 4096 chains):
// live threads and ended records hang in hash chains by tid.
constexpr u64 kTidBuckets = 4096;
ThreadRec* g_thread_by_tid[kTidBuckets];
Ended* g_ended_by_tid[kTidBuckets];
u64 bucket(long tid) { return static_cast<u64>(tid) % kTidBuckets; }

Ended* find_ended(long tid) {
    for (Ended* e = g_ended_by_tid[bucket(tid)]; e; e = e->next)
        if (e->tid == tid) return e;
    return nullptr;
}

void unlink_ended(Ended& e) {
    for (Ended** link = &g_ended_by_tid[bucket(e.tid)]; *link; link = &(*link)->next)
        if (*link == &e) {
            *link = e.next;
            break;
        }
}

ThreadRec* find_thread(long tid) {
    for (ThreadRec* t = g_thread_by_tid[bucket(tid)]; t; t = t->tid_next)
        if (t->tid == tid) return t;
    return nullptr;
}

void release_thread(ThreadRec& t) {
    // Everything of the thread was carved from its block: revoke ends it all (including
    // copies of its join semaphore in other threads' cap spaces, and its Reply object).
    if (t.block != abi::kNoSlot) {
        sys::cap_revoke(root::kCapSpace, t.block);
        pool_give(g_thread_blocks, t.block);
    }
    for (u64 s : {t.thread, t.cs, t.join}) free_slot(s); // (reply is join's neighbour)
    if (t.join != abi::kNoSlot) free_slot(t.reply);
    caps_thread_gone(t);
    if (t.wait == Wait::Pipe) pipe_unqueue(t); // (before its files: it holds one of them)
    if (t.wait == Wait::Console) console_unqueue(t);
    if (t.wait == Wait::Poll) poll_unqueue(t);
    drop_fs(t.fs);
    drop_files(t.files);
    drop_sigactions(t.sig);
    if (t.wait == Wait::Futex) futex_unqueue(t);
    sleep_cancel(t);
    for (ThreadRec** link = &g_thread_by_tid[bucket(t.tid)]; *link; link = &(*link)->tid_next)
        if (*link == &t) {
            *link = t.tid_next;
            break;
        }
    Process& p = *t.proc;
    if (t.proc_prev) t.proc_prev->proc_next = t.proc_next;
    else p.threads = t.proc_next;
    if (t.proc_next) t.proc_next->proc_prev = t.proc_prev;
    heap_free(t.ended); // a record never needed (null once the thread ended)
    heap_free(&t);
}

/// A thread's badge on its endpoint capability: its tid (thread_of_badge finds the
/// record by it; a tid is never reused, so a stale badge finds nothing).
u64 badge_of(const ThreadRec& t) { return static_cast<u64>(t.tid); }
ThreadRec* thread_of_badge(u64 badge) {
    return find_thread(static_cast<long>(badge & (procserv::kFaultBadge - 1)));
}

/// A thread of `proc`, not started yet. EAGAIN: the process holds its share; ENOMEM.
Result<ThreadRec*> new_thread(Process& proc, bool joinable) {
    if (proc.alive + proc.unclaimed >= kMaxThreadsPerProcess) return Errno{sys::kEAGAIN}; // its share
    ThreadRec* t = heap_new<ThreadRec>();
    if (!t) return kNoMemory;
    t->tid = g_next_tid++;
    t->tid_next = g_thread_by_tid[bucket(t->tid)];
    g_thread_by_tid[bucket(t->tid)] = t;
    t->proc = &proc;
    t->proc_next = proc.threads;
    if (proc.threads) proc.threads->proc_prev = t;
    proc.threads = t;
    t->joinable = joinable;
    t->block = pool_take(g_thread_blocks);
    t->thread = alloc_slot(), t->cs = alloc_slot(), t->join = alloc_slots(2);
    t->reply = t->join == abi::kNoSlot ? abi::kNoSlot : t->join + 1;
    bool ok = t->block != abi::kNoSlot && (!joinable || (t->ended = heap_new<Ended>())) &&
              sys::retype(t->block, OT::Thread, 0, root::kCapSpace, t->thread) == 0 &&
              sys::retype(t->block, OT::CapSpace, procserv::kThreadCapSpaceBits, root::kCapSpace, t->cs) == 0 &&
              sys::retype(t->block, OT::Semaphore, 0, root::kCapSpace, t->join) == 0 &&
              sys::retype(t->block, OT::Reply, 0, root::kCapSpace, t->reply) == 0 &&
              sys::cap_mint(root::kCapSpace, kEndpointSlot, procserv::kEndpoint, rt::kWrite,
                            badge_of(*t), t->cs) == 0 &&
              sys::cap_mint(root::kCapSpace, kEndpointSlot, kScratch, rt::kWrite,
                            badge_of(*t) | procserv::kFaultBadge, root::kCapSpace) == 0 &&
              sys::thread_configure(t->thread, t->cs, proc.mm->as, abi::kNoSlot, 0, kScratch, shared_caps(proc)) == 0;
    sys::cap_delete(root::kCapSpace, kScratch);
    if (!ok) {
        release_thread(*t);
        return kNoMemory;
    }
    ++proc.alive;
    ++g_live_threads;
    return t;
}

Result<u64> thread_affinity(ThreadRec& t, u64 tid, u64 mask, bool set) {
    ThreadRec* who = tid == 0 ? &t : find_thread(static_cast<long>(tid));
    if (!who) return Errno{sys::kESRCH};
    const u64 online = g_cpus >= 64 ? ~u64{0} : (u64{1} << g_cpus) - 1;
    if (set) {
        if (!(mask & online)) return Errno{sys::kEINVAL};
        TRY(kernel_answer(sys::thread_set_affinity(who->thread, mask & online)));
        who->affinity = (mask & online) == online ? 0 : mask & online;
    }
    return who->affinity ? who->affinity : online;
}

void inherit_affinity(ThreadRec& child, const ThreadRec& creator) {
    child.affinity = creator.affinity;
    if (child.affinity) (void)sys::thread_set_affinity(child.thread, child.affinity);
}

/// Start thread t at ip on sp, with the first two C arguments arg0, arg1 (the registers
/// that carry a system call's cap and info words: rdi/rsi, x0/x1, a0/a1).
Result<void> start(ThreadRec& t, u64 ip, u64 sp, u64 arg0, u64 arg1) {
    static_assert(abi::kRegSp == abi::kRegIp + 1 && abi::kRegCap == abi::kRegIp + 3 && abi::kRegInfo == abi::kRegIp + 4);
    const u64 regs[] = {ip, sp, 0, arg0, arg1};
    TRY(kernel_answer(sys::thread_write_registers(t.thread, abi::kRegIp, 5, regs)));
    return kernel_answer(sys::thread_resume(t.thread));
}

/// The thread is gone from the CPU for good: the kernel thread is destroyed first, then
/// what Linux does at that point (CLONE_CHILD_CLEARTID), then joiners may go, and all the
/// thread held is returned; an Ended record keeps its code for thread_join.
void end_thread(ThreadRec& t, int code) {
    Process& p = *t.proc;
    p.cpu_ns += thread_cpu_ns(t);
    sys::cap_delete(root::kCapSpace, t.thread);
    vfork_release(t);
    if (t.robust_list) release_robust_list(t);
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
        Ended& e = *t.ended;
        t.ended = nullptr;
        e.tid = t.tid, e.pid = p.pid, e.code = code, e.joiner = joiner;
        e.next = g_ended_by_tid[bucket(e.tid)];
        g_ended_by_tid[bucket(e.tid)] = &e;
        e.proc_next = p.ended_list;
        p.ended_list = &e;
        if (!e.joiner) ++g_unclaimed_ended, ++p.unclaimed;
    }
    release_thread(t);
    --g_live_threads;
    if (--p.alive == 0) {
        if (!p.group_exit) p.status = (code & 0xff) << 8;
        end_process(p);
    }
}

/// thread_join: the first join of a thread claims its exit code. If the thread has ended,
/// the answer carries the code; otherwise the joiner waits on the thread's join semaphore,
/// and end_thread stores the code at the joiner's retval before signalling it.
Answer join(ThreadRec& t, long tid, u64 retval) {
    if (tid == t.tid) return done(Errno{sys::kEDEADLK});
    if (ThreadRec* x = find_thread(tid); x && x->proc == t.proc && x->joinable) {
        if (x->joiner) return done(Errno{sys::kEINVAL});
        // The code will be stored there: it must be writable now.
        if (retval && !int_writable(*t.proc->mm, retval)) return done(Errno{sys::kEFAULT});
        x->joiner = t.tid;
        t.join_retval = retval;
        sys::cap_delete(t.cs, procserv::kJoin);
        sys::cap_mint(root::kCapSpace, x->join, procserv::kJoin, rt::kRead, 0, t.cs);
        return block_on(procserv::kJoin);
    }
    Ended* e = find_ended(tid);
    if (!e || e->pid != t.proc->pid) return done(Errno{sys::kESRCH});
    if (e->joiner != 0) return done(Errno{sys::kEINVAL});
    // The code is stored before it is claimed: an unwritable retval leaves it unclaimed.
    if (retval && !store_int(*t.proc->mm, retval, e->code)) return done(Errno{sys::kEFAULT});
    --g_unclaimed_ended, --t.proc->unclaimed;
    e->joiner = -1; // collected: later joins are -EINVAL
    return done(0);
}

namespace {
/// Words [0, total) of a thread's register file or FP/SIMD image, read by `read`
/// (sys::thread_read_registers or sys::thread_read_fpu) as many per call as a reply
/// holds: the first four in registers, the rest in procserv's IPC buffer.
using ReadWords = long long (*)(u64 thread, u64 first, u32 count, u64* values);
using WriteWords = long long (*)(u64 thread, u64 first, u32 count, const u64* values);
Result<void> read_words(ThreadRec& t, ReadWords read, u32 total, u64* out) {
    for (u32 first = 0; first < total; first += 24) {
        u32 n = total - first < 24 ? total - first : 24;
        TRY(kernel_answer(read(t.thread, first, n, out + first)));
    }
    return {};
}
/// The same, written: as many per call as a message holds (first, count, then the values).
Result<void> write_words(ThreadRec& t, WriteWords write, u32 total, const u64* in) {
    constexpr u32 kPerCall = abi::kMaxMsgWords - 2;
    for (u32 first = 0; first < total; first += kPerCall) {
        u32 n = total - first < kPerCall ? total - first : kPerCall;
        TRY(kernel_answer(write(t.thread, first, n, in + first)));
    }
    return {};
}
} // namespace

Result<void> get_registers(ThreadRec& t, u64* regs) {
    return read_words(t, sys::thread_read_registers, abi::kRegCount, regs);
}
Result<void> set_registers(ThreadRec& t, const u64* regs) {
    return write_words(t, sys::thread_write_registers, abi::kRegCount, regs);
}
u64 thread_cpu_ns(const ThreadRec& t) {
    u64 ns = 0;
    u32 cpu = 0;
    return sys::thread_cpu(t.thread, ns, cpu) == 0 ? ns : 0;
}

u64 process_cpu_ns(const Process& p) {
    u64 ns = p.cpu_ns;
    for (const ThreadRec* t = p.threads; t; t = t->proc_next) ns += thread_cpu_ns(*t);
    return ns;
}

Result<void> get_fpu(ThreadRec& t, u64* fpu) { return read_words(t, sys::thread_read_fpu, abi::kFpuWords, fpu); }
Result<void> set_fpu(ThreadRec& t, const u64* fpu) {
    return write_words(t, sys::thread_write_fpu, abi::kFpuWords, fpu);
}

/// The process has ended: its threads' records go (nobody can join them any more).
void drop_ended_records(Process& p) {
    while (Ended* e = p.ended_list) {
        p.ended_list = e->proc_next;
        if (!e->joiner) --g_unclaimed_ended, --p.unclaimed;
        unlink_ended(*e);
        heap_free(e);
    }
}

/// thread_create: a thread of the caller's process on a stack of its own, starting at
/// the libsys entry with (function, argument) as its two arguments.
Answer thread_create(ThreadRec& t, const procserv::req::ThreadCreate& a) {
    Process& p = *t.proc;
    // The stack's top page must be mapped writable memory of the process (procserv
    // made every page, so its table says so), before anything is created. The thread
    // starts at the libsys entry with (function, argument) as its two arguments.
    u64 top = a.stack_top & ~u64{15};
    if (top < 64 || !user_writable(*p.mm, top - 1)) return done(Errno{sys::kEFAULT});
    Result<ThreadRec*> made = new_thread(p, true);
    if (!made.ok()) return done(made.error());
    ThreadRec* c = made.value();
    c->fs = t.fs, ++t.fs->refs;
    c->files = t.files, ++t.files->refs;
    if ((c->sig = t.sig)) ++t.sig->refs;
    inherit_affinity(*c, t);
    (void)start(*c, a.entry, top - sys::arch_abi::kEntryStackBias, a.fn, a.arg);
    return done(c->tid);
}

} // namespace procserv
