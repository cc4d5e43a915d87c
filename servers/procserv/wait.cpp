// Waiting: a call that must wait has its reply kept (the kernel's kept replies) in the
// caller's own Reply object and is answered when the wait is over; futexes, keyed by
// address space and address, or by shared object and offset for shared memory.
#include "procserv.hpp"

namespace procserv {

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

/// futex_wait: the caller waits (its reply kept) while the word holds `val`.
Answer futex_wait(ThreadRec& t, u64 addr, u64 val) {
    Process& p = *t.proc;
    int now = 0;
    if (addr % 4) return done(-sys::kEINVAL);
    if (!copy_in(*p.mm, addr, &now, sizeof now)) return done(-sys::kEFAULT);
    if (static_cast<u32>(now) != static_cast<u32>(val)) return done(-sys::kEAGAIN);
    if (!keep_reply(t, Wait::Futex)) return done(-sys::kENOMEM);
    FutexKey k = futex_key(*p.mm, addr);
    t.futex_space = k.space, t.futex_addr = k.at;
    return no_reply(); // futex_wake answers
}

long futex_wake(ThreadRec& t, u64 addr, u64 n) {
    Process& p = *t.proc;
    int now = 0;
    if (addr % 4) return (-sys::kEINVAL);
    if (!copy_in(*p.mm, addr, &now, sizeof now)) return (-sys::kEFAULT);
    long woken = 0;
    futex_wake_at(p.mm, addr, static_cast<long>(n), woken);
    return (woken);
}

} // namespace procserv
