// Time: the kernel's clock (Machine.ReadClock, nanoseconds since its timer started), and
// the waits that end at a deadline (nanosleep, futex waits with a timeout). A waiting
// thread's reply is kept, and the thread goes in one list sorted by deadline; procserv's
// own receive gives up at the earliest deadline (ThreadMethod::SetTimeout), so the kernel
// wakes procserv then, at the granularity of its timer tick (10 ms), and procserv answers
// the waits that are due.
#include "procserv.hpp"

namespace procserv {

u64 g_realtime_base = 0;

namespace {
ThreadRec* g_sleepers; // earliest deadline first
u64 g_armed;           // the deadline procserv's own receive has now (0: none)
Process* g_alarms;     // processes with a real-time timer (few: a plain list)

/// The earliest deadline of all: a sleeper's or a timer's (0: none).
u64 next_deadline() {
    u64 want = g_sleepers ? g_sleepers->deadline : 0;
    for (Process* p = g_alarms; p; p = p->alarm_next)
        if (!want || p->alarm_at < want) want = p->alarm_at;
    return want;
}
} // namespace

void set_alarm(Process& p, u64 at, u64 interval) {
    if (p.alarm_at) { // off the list first
        (p.alarm_prev ? p.alarm_prev->alarm_next : g_alarms) = p.alarm_next;
        if (p.alarm_next) p.alarm_next->alarm_prev = p.alarm_prev;
        p.alarm_prev = p.alarm_next = nullptr;
    }
    p.alarm_at = at, p.alarm_interval = at ? interval : 0;
    if (!at) return;
    p.alarm_next = g_alarms;
    if (g_alarms) g_alarms->alarm_prev = &p;
    g_alarms = &p;
}

u64 now_ns() { return sys::read_clock(root::kMachine); }

void sleep_until(ThreadRec& t, u64 deadline) {
    t.deadline = deadline ? deadline : 1;
    ThreadRec** link = &g_sleepers;
    ThreadRec* prev = nullptr;
    while (*link && (*link)->deadline <= t.deadline) prev = *link, link = &(*link)->sleep_next;
    t.sleep_prev = prev;
    t.sleep_next = *link;
    if (*link) (*link)->sleep_prev = &t;
    *link = &t;
}

void sleep_cancel(ThreadRec& t) {
    if (!t.deadline) return;
    (t.sleep_prev ? t.sleep_prev->sleep_next : g_sleepers) = t.sleep_next;
    if (t.sleep_next) t.sleep_next->sleep_prev = t.sleep_prev;
    t.sleep_prev = t.sleep_next = nullptr;
    t.deadline = 0;
}

void expire_sleepers() {
    if (!g_sleepers && !g_alarms) return;
    const u64 now = now_ns();
    // Timers first: SIGALRM to each process whose time has come (a periodic one goes on,
    // counted from its last time; ticks missed meanwhile are one signal, as Linux's).
    int due[32], count = 0;
    for (Process* p = g_alarms; p && count < 32; p = p->alarm_next)
        if (p->alarm_at <= now) due[count++] = p->pid;
    for (int i = 0; i < count; ++i) {
        Process* p = find_process(due[i]);
        if (!p || !p->alarm_at) continue;
        u64 next = 0;
        if (p->alarm_interval) {
            next = p->alarm_at;
            while (next <= now) next += p->alarm_interval;
        }
        set_alarm(*p, next, p->alarm_interval);
        send_process_signal(*p, 14 /* SIGALRM */, 0x80 /* SI_KERNEL */, 0);
    }
    while (ThreadRec* t = g_sleepers) {
        if (t->deadline > now) break;
        // (answer() takes it off the list, and a futex waiter off its queue)
        answer(*t, t->wait == Wait::Futex ? -110 /* ETIMEDOUT */ : 0);
    }
}

namespace {
/// arm_timer's work once there is a deadline (out of line: the test for none stays short).
[[gnu::noinline]] void rearm(bool fired) {
    // A receive that finds a request waiting does not time out: while requests keep
    // coming, the deadlines that passed meanwhile are answered here, between two of them.
    if (!fired && g_armed && now_ns() >= g_armed) expire_sleepers(), fired = true;
    if (fired) g_armed = 0;
    const u64 want = next_deadline();
    if (want == g_armed) return;
    sys::thread_set_timeout(root::kThread, want);
    g_armed = want;
}
} // namespace

void arm_timer(bool fired) {
    if (!fired && !g_armed && !g_sleepers && !g_alarms) return; // (the common case: no deadline at all)
    rearm(fired);
}

Result<u64> timespec_ns(Mm& mm, u64 va) {
    long ts[2];
    if (!copy_in(mm, va, ts, sizeof ts)) return Errno{sys::kEFAULT};
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= static_cast<long>(kNsPerSecond)) return Errno{sys::kEINVAL};
    constexpr u64 kMaxSeconds = ~u64{0} / kNsPerSecond / 2; // (about 292 years: "forever")
    const u64 s = static_cast<u64>(ts[0]) < kMaxSeconds ? static_cast<u64>(ts[0]) : kMaxSeconds;
    return s * kNsPerSecond + static_cast<u64>(ts[1]);
}

/// Random bytes (getrandom, AT_RANDOM): xoshiro256** seeded, at its first use, from the
/// clock. Not a cryptographic source: there is no entropy here but the time procserv first
/// needs it, which under QEMU -icount is the same at every boot.
void random_fill(void* out, u64 n) {
    static u64 s[4];
    if (!(s[0] | s[1] | s[2] | s[3])) {
        u64 x = now_ns() ^ 0x9e3779b97f4a7c15ull; // splitmix64 spreads the seed over the state
        for (u64& w : s) {
            u64 z = (x += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            w = z ^ (z >> 31);
        }
    }
    auto rotl = [](u64 v, int k) { return (v << k) | (v >> (64 - k)); };
    auto* bytes = static_cast<unsigned char*>(out);
    while (n) {
        const u64 r = rotl(s[1] * 5, 7) * 9, tmp = s[1] << 17;
        s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= tmp, s[3] = rotl(s[3], 45);
        const u64 k = n < 8 ? n : 8;
        memcpy(bytes, &r, k);
        bytes += k, n -= k;
    }
}

} // namespace procserv
