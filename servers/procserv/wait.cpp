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
