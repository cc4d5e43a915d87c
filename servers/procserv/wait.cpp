// Waiting: a call that must wait has its reply kept (the kernel's kept replies) in the
// caller's own Reply object and is answered when the wait is over; futexes, keyed by
// address space and address, or by shared object and offset for shared memory.
#include "procserv.hpp"

namespace procserv {

// Futex waiters queue by key (FutexKey below) in hash buckets, oldest first.
constexpr u64 kFutexBuckets = 1024;
ThreadRec* g_futex_head[kFutexBuckets];
ThreadRec* g_futex_tail[kFutexBuckets];
u64 futex_bucket(const void* space, u64 at) {
    u64 k = reinterpret_cast<u64>(space) ^ (at * 0x9e3779b97f4a7c15ull);
    return (k ^ (k >> 29)) % kFutexBuckets;
}

void futex_unqueue(ThreadRec& t) {
    u64 b = futex_bucket(t.futex_space, t.futex_addr);
    if (t.futex_prev) t.futex_prev->futex_next = t.futex_next;
    else g_futex_head[b] = t.futex_next;
    if (t.futex_next) t.futex_next->futex_prev = t.futex_prev;
    else g_futex_tail[b] = t.futex_prev;
    t.futex_prev = t.futex_next = nullptr;
}

void futex_enqueue(ThreadRec& t) {
    u64 b = futex_bucket(t.futex_space, t.futex_addr);
    t.futex_next = nullptr;
    t.futex_prev = g_futex_tail[b];
    if (g_futex_tail[b]) g_futex_tail[b]->futex_next = &t;
    else g_futex_head[b] = &t;
    g_futex_tail[b] = &t;
}

/// Answer the call of `t` whose reply procserv kept (Wait::*): its wait is over.
void answer(ThreadRec& t, long result) {
    if (t.wait == Wait::Futex) futex_unqueue(t);
    if (t.wait == Wait::Poll) poll_unqueue(t);
    sleep_cancel(t);
    if (t.sigsuspended) t.sigmask = t.saved_mask, t.sigsuspended = false; // (ppoll's mask ends)
    t.wait = Wait::None;
    sys::reply_send(t.reply, static_cast<u64>(procserv::Reply::kDone), static_cast<u64>(result));
}

/// Keep the reply to the call `t` just made, until answer(): the call waits for `why`.
bool keep_reply(ThreadRec& t, Wait why) {
    if (sys::reply_keep(t.reply) != 0) return false;
    t.wait = why;
    return true;
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
    for (ThreadRec *w = g_futex_head[futex_bucket(k.space, k.at)], *next; w && woken < n; w = next) {
        next = w->futex_next;
        if (w->futex_space == k.space && w->futex_addr == k.at) {
            answer(*w, 0);
            ++woken;
        }
    }
}

/// futex_wait: the caller waits (its reply kept) while the word holds `val`, until
/// `deadline` at the latest (0: none).
Answer futex_wait(ThreadRec& t, u64 addr, u64 val, u64 deadline) {
    Process& p = *t.proc;
    int now = 0;
    if (addr % 4) return done(Errno{sys::kEINVAL});
    if (!copy_in(*p.mm, addr, &now, sizeof now)) return done(Errno{sys::kEFAULT});
    if (static_cast<u32>(now) != static_cast<u32>(val)) return done(Errno{sys::kEAGAIN});
    if (!keep_reply(t, Wait::Futex)) return done(Errno{sys::kENOMEM});
    FutexKey k = futex_key(*p.mm, addr);
    t.futex_space = k.space, t.futex_addr = k.at;
    futex_enqueue(t);
    if (deadline) sleep_until(t, deadline);
    return no_reply(); // futex_wake answers, or the deadline
}

Result<long> futex_requeue(ThreadRec& t, u64 addr, u64 n, u64 addr2, u64 n2, bool compare, u32 expected) {
    Process& p = *t.proc;
    u32 now = 0, dummy = 0;
    if (addr % 4 || addr2 % 4) return Errno{sys::kEINVAL};
    if (!copy_in(*p.mm, addr, &now, sizeof now) || !copy_in(*p.mm, addr2, &dummy, sizeof dummy)) return Errno{sys::kEFAULT};
    if (compare && now != expected) return Errno{sys::kEAGAIN};
    long woken = 0, moved = 0;
    futex_wake_at(p.mm, addr, static_cast<long>(n), woken);
    const FutexKey from = futex_key(*p.mm, addr), to = futex_key(*p.mm, addr2);
    if (from.space == to.space && from.at == to.at) return woken; // (the same word: nothing to move)
    for (ThreadRec *w = g_futex_head[futex_bucket(from.space, from.at)], *next; w && moved < static_cast<long>(n2); w = next) {
        next = w->futex_next;
        if (w->futex_space != from.space || w->futex_addr != from.at) continue;
        futex_unqueue(*w);
        w->futex_space = to.space, w->futex_addr = to.at;
        futex_enqueue(*w);
        ++moved;
    }
    return compare ? woken + moved : woken;
}

Result<long> futex_wake_op(ThreadRec& t, u64 addr, u64 n, u64 addr2, u64 n2, u32 op) {
    // *addr2 changes by the encoded operation; addr's waiters wake (up to n), and addr2's
    // (up to n2) if its old value passes the encoded comparison. The change is one atomic
    // operation on the word, through procserv's own mapping of its frame: the program's
    // threads may be changing it on other CPUs meanwhile.
    Process& p = *t.proc;
    if (addr % 4 || addr2 % 4) return Errno{sys::kEINVAL};
    const unsigned kind = (op >> 28) & 7, cmp = (op >> 24) & 15;
    if (kind > 4 || cmp > 5) return Errno{sys::kENOSYS};
    int oparg = static_cast<int>((op >> 12) & 0xfff), cmparg = static_cast<int>(op & 0xfff);
    if (oparg & 0x800) oparg -= 0x1000; // (12-bit signed)
    if (cmparg & 0x800) cmparg -= 0x1000;
    if (op & (8u << 28)) oparg = 1 << (oparg & 31); // FUTEX_OP_OPARG_SHIFT
    int old = 0;
    const bool changed = with_page(*p.mm, addr2, true, [&](unsigned char* at) {
        int* word = reinterpret_cast<int*>(at);
        old = __atomic_load_n(word, __ATOMIC_RELAXED);
        for (;;) {
            const int fresh = kind == 0   ? oparg        // SET
                              : kind == 1 ? static_cast<int>(static_cast<unsigned>(old) + static_cast<unsigned>(oparg)) // ADD
                              : kind == 2 ? old | oparg  // OR
                              : kind == 3 ? old & ~oparg // ANDN
                                          : old ^ oparg; // XOR
            if (__atomic_compare_exchange_n(word, &old, fresh, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) break;
        }
    });
    if (!changed) return Errno{sys::kEFAULT};
    const bool pass = cmp == 0   ? old == cmparg
                      : cmp == 1 ? old != cmparg
                      : cmp == 2 ? old < cmparg
                      : cmp == 3 ? old <= cmparg
                      : cmp == 4 ? old > cmparg
                                 : old >= cmparg;
    long woken = 0;
    futex_wake_at(p.mm, addr, static_cast<long>(n), woken);
    if (pass) {
        long more = 0;
        futex_wake_at(p.mm, addr2, static_cast<long>(n2), more);
        woken += more;
    }
    return woken;
}

void release_robust_list(ThreadRec& t) {
    // struct robust_list_head { list (next pointer), futex_offset, list_op_pending }: each
    // entry's futex word is at entry + futex_offset; the list ends back at the head.
    constexpr u32 kOwnerDied = 0x40000000, kWaiters = 0x80000000, kTidMask = 0x3fffffff;
    Mm& mm = *t.proc->mm;
    const u64 head = t.robust_list;
    t.robust_list = 0;
    u64 h[3];
    if (!head || !copy_in(mm, head, h, sizeof h)) return;
    // Each word changes by one compare-and-swap through procserv's mapping of its frame,
    // as Linux's handle_futex_death: a waiter on another CPU may be setting FUTEX_WAITERS
    // in it meanwhile, and a read then a write would drop that bit (and the waiter).
    auto release = [&](u64 entry) {
        const u64 word_va = entry + h[1];
        u32 old = 0;
        bool owned = false;
        if (word_va % 4) return;
        const bool reached = with_page(mm, word_va, true, [&](unsigned char* at) {
            u32* word = reinterpret_cast<u32*>(at);
            old = __atomic_load_n(word, __ATOMIC_RELAXED);
            while ((owned = (old & kTidMask) == static_cast<u32>(t.tid)) &&
                   !__atomic_compare_exchange_n(word, &old, (old & kWaiters) | kOwnerDied, false, __ATOMIC_SEQ_CST,
                                                __ATOMIC_RELAXED)) {
            }
        });
        long woken = 0;
        if (reached && owned && (old & kWaiters)) futex_wake_at(&mm, word_va, 1, woken);
    };
    u64 entry = h[0];
    for (int n = 0; entry != head && entry && n < 2048; ++n) { // (Linux's ROBUST_LIST_LIMIT)
        u64 next = 0;
        if (!copy_in(mm, entry & ~u64{1}, &next, sizeof next)) break;
        if ((entry & ~u64{1}) != h[2]) release(entry & ~u64{1}); // (the pending one below)
        entry = next;
    }
    if (h[2]) release(h[2] & ~u64{1});
}

Result<long> futex_wake(ThreadRec& t, u64 addr, u64 n) {
    Process& p = *t.proc;
    int now = 0;
    if (addr % 4) return Errno{sys::kEINVAL};
    if (!copy_in(*p.mm, addr, &now, sizeof now)) return Errno{sys::kEFAULT};
    long woken = 0;
    futex_wake_at(p.mm, addr, static_cast<long>(n), woken);
    return woken;
}

} // namespace procserv
