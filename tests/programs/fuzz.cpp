// The typed in-guest fuzzer (issue 15; scripts/fuzz ARCH): random invocations of every
// object method the ABI table lists (abi/methods.hpp), their arguments drawn from each
// argument's kind, mostly valid (capabilities of the right type, page-aligned addresses in
// a window, rights within their mask, small counts), sometimes wrong (empty or huge slots,
// another type, unaligned or kernel addresses, bits outside a mask). Run as the root task:
//   init=fuzz [seed=S] [calls=N] [epoch=E] [trace=K]
//
// The root task (R) gives the fuzzing thread (D) a cap space of its own, F, holding only:
//   slot 0      U, a 4 MiB untyped every fuzzed object is made from
//   slot 1      F itself (so D can use the cap space methods on it)
//   slot 2      a semaphore D signals when it is done
//   slots 3..5  D's own thread, an endpoint nobody sends to and the Machine (for its clock):
//               D sleeps a tick now and then (a Receive with a deadline) so the workers run
//   slots 8..   read-only copies of the program's text and rodata frames (for workers)
//   slots 96..  scratch for the memory check
//   slots 128.. the fuzzed objects: every slot argument D draws is here (or out of range)
// so whatever D does, it cannot reach the root task's own capabilities. D runs at the
// highest priority and gives the fuzzed threads at most the one below it: a thread that
// spins (a fuzzed thread resumed at a random address may) cannot starve it. Every `epoch`
// calls D revokes U (every object made since goes) and checks that U's memory is back to
// the byte (the same retypes fit as at the start), then makes a fresh set of objects and
// two worker threads, each in an address space of its own that maps the program's text
// (not its data): they make random IPC calls (Send, Call, Receive, ReplyReceive, Reply,
// with capabilities), semaphore signals and yields on the fuzzed slots, so D's methods
// meet threads that are blocked, receiving, faulting and running.
//
// Output: "fuzz: seed S, N calls, epoch E", a progress line every tenth of the calls, and
// at the end "fuzz: N calls (K per second ...), each method's calls and errors" and
// "fuzz: memory back after every epoch". A lost byte prints the seed and the last calls.
// trace=K prints every call from call K on (the same seed makes the same calls in the same
// order on one CPU under -icount: scripts/fuzz reruns a failed run so).
#include <sys/arch_trap.hpp>
#include <sys/kernel.hpp>
#include <sys/process.hpp>
#include <sys/string.hpp>

#include "rng.hpp"

namespace {

using abi::ObjectType;
using abi::u32;
using abi::u64;
namespace root = abi::root;
namespace rt = abi::rights;

// ---- F's layout -----------------------------------------------------------------------
constexpr u32 kFBits = 10;
constexpr u64 kFSlots = u64{1} << kFBits;
constexpr u64 kU = 0, kSelf = 1, kDone = 2, kMe = 3, kSleep = 4, kClock = 5;
constexpr u64 kFirstProgramFrame = 8, kMaxProgramFrames = 88;
constexpr u64 kScratch = 96, kScratchCount = 32;
constexpr u64 kFuzzFirst = 128;
constexpr u64 kHot = 64; ///< most slot arguments fall in [kFuzzFirst, kFuzzFirst + kHot)
constexpr u32 kUBits = 22;

// Where workers' stacks and IPC buffers are, in their own address spaces (after the text).
constexpr u64 kWorkerStack = 0x00a00000, kWorkerIpc = 0x00a01000;
// The window fuzzed mappings go to (any address space).
constexpr u64 kMapWindow = 0x10000000, kMapPages = 256;
constexpr u32 kWorkers = 2;
constexpr u32 kMyPriority = 255; ///< D's (the kernel's highest)

// ---- what R tells D (same address space) -----------------------------------------------
struct ProgramPage {
    u64 va;
    u32 rights;
};
ProgramPage g_program[kMaxProgramFrames];
u32 g_program_pages = 0;
u64 g_seed = 1, g_calls = 20000, g_epoch = 2000, g_trace = ~u64{0};

// ---- D's state ----------------------------------------------------------------------
Rng g_rng;
u64 next() { return g_rng.next(); }
u64 below(u64 n) { return g_rng.below(n); }
bool chance(u32 percent) { return g_rng.chance(percent); }

unsigned char g_type[kFSlots]; ///< what D believes each slot of F holds (0: empty)
u64 g_baseline[kScratchCount];
u32 g_baseline_count = 0;

struct Stat {
    u64 calls = 0, ok = 0;
};
Stat g_stats[abi::Methods::kCount];
u64 g_errors[128]; ///< by errno

/// The last calls, for a report.
struct Record {
    u64 index;
    const abi::MethodInfo* method;
    u64 slot;
    u64 words[6];
    u32 count;
    u32 more;
    long long result;
};
constexpr u32 kRing = 12;
Record g_ring[kRing];
u64 g_done_calls = 0;
bool g_failed = false;

void print_record(const Record& r) {
    sys::print("fuzz:   call {} {} ({}) on slot {}:", r.index, r.method->name, static_cast<u64>(r.method->object), r.slot);
    for (u32 i = 0; i < r.count; ++i) sys::print(" {:#x}", r.words[i]);
    if (r.more) sys::print(" +{} words", r.more);
    sys::print(" -> {}\n", r.result);
}
void print_last_calls() {
    sys::print("fuzz: seed {}; the last calls:\n", g_seed);
    for (u32 i = 0; i < kRing; ++i) {
        const Record& r = g_ring[(g_done_calls + i) % kRing];
        if (r.method) print_record(r);
    }
}

// ---- the type cache -------------------------------------------------------------------
void learn(u64 slot) {
    if (slot >= kFSlots) return;
    auto id = sys::identify(kSelf, slot);
    g_type[slot] = id.ok() ? static_cast<unsigned char>(id.out.type.value) : 0;
}
void learn_all() {
    for (u64 s = kFuzzFirst; s < kFuzzFirst + kHot; ++s) learn(s);
}

u64 hot_slot() { return kFuzzFirst + below(kHot); }
/// A hot slot holding (D believes) an object of type `t` (0: any object; -1: empty), or
/// any hot slot if there is none.
u64 slot_holding(int t) {
    u64 found[kHot];
    u32 n = 0;
    for (u64 s = kFuzzFirst; s < kFuzzFirst + kHot; ++s)
        if (t < 0 ? g_type[s] == 0 : t == 0 ? g_type[s] != 0 : g_type[s] == t) found[n++] = s;
    return n ? found[below(n)] : hot_slot();
}
u64 slot_of(ObjectType t) {
    if (t == ObjectType::Untyped && chance(70)) return kU;
    if (t == ObjectType::CapSpace && chance(50)) return kSelf;
    return slot_holding(static_cast<int>(t));
}
u64 empty_slot() { return slot_holding(-1); }
u64 full_slot() { return slot_holding(0); }
/// A slot argument that is wrong: empty, out of F, or far out.
u64 wrong_slot() {
    switch (below(4)) {
    case 0: return kFSlots + below(64);
    case 1: return abi::kNoSlot - below(2);
    case 2: return u64{1} << (20 + below(40));
    default: return empty_slot();
    }
}
ObjectType any_type() { return static_cast<ObjectType>(1 + below(12)); }

u64 interesting_word() {
    static constexpr u64 kWords[] = {0, 1, 2, 3, 4, 7, 8, 31, 32, 47, 48, 63, 64, 127, 128, 255, 256, 4095, 4096,
                                     0xffffffff, u64{1} << 32, u64{1} << 47, ~u64{0} >> 1, ~u64{0}, ~u64{0} - 1};
    return kWords[below(sizeof kWords / sizeof kWords[0])];
}
u64 g_mapped[16]; ///< addresses Map succeeded at lately (Unmap, Protect and Query aim there)
u64 address() {
    if (chance(50) && g_mapped[0]) return g_mapped[below(16)] ? g_mapped[below(16)] : g_mapped[0];
    if (chance(85)) return kMapWindow + below(kMapPages) * sys::kPageSize;
    switch (below(4)) {
    case 0: return kMapWindow + below(kMapPages * sys::kPageSize); // unaligned
    case 1: return u64{0xffff800000000000} + below(64) * sys::kPageSize; // the kernel's half
    case 2: return 0;
    default: return interesting_word();
    }
}

/// One argument word of kind p.
u64 draw(const abi::ParamInfo& p) {
    using K = abi::Kind;
    switch (p.kind) {
    case K::Word: return chance(70) ? below(64) : chance(70) ? interesting_word() : next();
    case K::Word32:
    case K::Int32: return chance(80) ? below(16) : chance(60) ? interesting_word() : next();
    case K::CapOrNone:
        if (chance(25)) return abi::kNoSlot;
        [[fallthrough]];
    case K::Cap:
        if (chance(85)) return slot_of(p.type);
        return chance(50) ? slot_of(any_type()) : wrong_slot();
    case K::Slot:
    case K::EmptySlot: { // a source names an object, a destination an empty slot
        const bool dest = p.name[0] == 'd' || p.name[0] == 'f'; // dest, first
        return chance(90) ? (dest ? empty_slot() : full_slot()) : chance(50) ? hot_slot() : wrong_slot();
    }
    case K::Address: return address();
    case K::Flags: return chance(90) ? next() & p.limit : next();
    case K::Limit: return chance(90) ? below(p.limit + 1) : p.limit + 1 + below(4);
    }
    return 0;
}

/// Retype's arguments, for objects that fit: a type that exists, its size, a few of them.
void draw_retype(abi::UntypedRetype& a) {
    ObjectType t = chance(95) ? static_cast<ObjectType>(1 + below(7)) : any_type();
    if (chance(25)) t = ObjectType::Frame;
    if (t == ObjectType::Console) t = ObjectType::Reply;   // (types 8..10 are the kernel's
    if (t == ObjectType::Machine) t = ObjectType::MapBudget; //  own: sometimes drawn anyway)
    u32 bits = 0;
    switch (t) {
    case ObjectType::Untyped: bits = 12 + static_cast<u32>(below(5)); break;
    case ObjectType::CapSpace: bits = 1 + static_cast<u32>(below(6)); break;
    case ObjectType::AddressSpace: bits = 2 + static_cast<u32>(below(2)); break;
    case ObjectType::MapBudget: bits = static_cast<u32>(below(2)); break;
    default: break;
    }
    if (chance(5)) bits = static_cast<u32>(interesting_word());
    a.type = static_cast<u64>(t);
    a.size_bits = bits;
    a.cap_space = chance(80) ? kSelf : slot_of(ObjectType::CapSpace);
    a.count = chance(90) ? 1 + below(4) : interesting_word();
    a.first = chance(90) ? empty_slot() : wrong_slot();
}

/// Slots an answer may have changed, learned again after the call.
void relearn_after(u64 slot, const u64* words, u32 count) {
    learn(slot);
    for (u32 i = 0; i < count; ++i)
        if (words[i] >= kFuzzFirst && words[i] < kFSlots) learn(words[i]);
}

// ---- one call -------------------------------------------------------------------------
bool fuzzable(const abi::MethodInfo& m) {
    // D holds no Console, Machine or IrqHandler; a Semaphore.Wait could block it for good.
    return m.object != ObjectType::Console && m.object != ObjectType::Machine &&
           m.object != ObjectType::IrqHandler &&
           !(m.object == ObjectType::Semaphore && m.label == static_cast<u64>(abi::SemaphoreMethod::Wait));
}

template <class M>
void call_method(u32 index) {
    M args{};
    if constexpr (__is_same(M, abi::UntypedRetype)) {
        draw_retype(args);
    } else {
        abi::for_each_word(args, [&](auto& w) { w.value = draw(abi::info_of(w)); });
    }
    if constexpr (__is_same(M, abi::ThreadSetPriority))
        if (args.priority.value >= kMyPriority && args.priority.value <= 0xffffffff) args.priority = kMyPriority - 1;
    u64 more[abi::kMaxMsgWords];
    u32 more_count = 0;
    if (M::method.more) {
        more_count = static_cast<u32>(below(8));
        if constexpr (requires { args.count; }) // (first, count): mostly as many values as counted
            if (chance(80) && args.count.value < abi::kMaxMsgWords - 2) more_count = static_cast<u32>(args.count.value);
        for (u32 i = 0; i < more_count; ++i) more[i] = chance(50) ? interesting_word() : next();
    }
    // Retype's optional words and Configure's shared cap space: sometimes left out.
    const u64 slot = slot_of(M::method.object);
    Record& r = g_ring[g_done_calls % kRing];
    r = Record{g_done_calls, &M::method, slot, {}, abi::kWords<M>, more_count, 0};
    u32 i = 0;
    abi::for_each_word(args, [&](const auto& w) { r.words[i++] = w.value; });
    // Label 2 on a semaphore is Wait, whatever method D meant: it could block D for good.
    // (What a slot holds is checked just before: D's cache may be out of date.)
    if (M::method.label == static_cast<u64>(abi::SemaphoreMethod::Wait)) {
        auto id = sys::identify(kSelf, slot);
        if (!id.ok() || id.out.type == static_cast<u64>(ObjectType::Semaphore)) return;
    }
    if (g_done_calls >= g_trace) print_record(r);
    auto answer = sys::invoke(slot, args, more, more_count);
    r.result = answer.error;
    if (g_done_calls >= g_trace) sys::print("fuzz:   -> {}\n", r.result);
    ++g_stats[index].calls;
    if (answer.ok()) ++g_stats[index].ok;
    else if (-answer.error < 128) ++g_errors[-answer.error];
    relearn_after(slot, r.words, r.count);
    if constexpr (__is_same(M, abi::AddressSpaceMap))
        if (answer.ok()) g_mapped[below(16)] = args.va;
    if constexpr (__is_same(M, abi::UntypedRetype))
        if (answer.ok() && args.cap_space.value == kSelf)
            for (u64 s = args.first; s < args.first + args.count && s < kFSlots; ++s) learn(s);
}

/// Calls method number `index` of the table.
void call_one(u32 index) {
    u32 i = 0;
    abi::Methods::each([&]<class M>() {
        if (i++ == index) call_method<M>(index);
    });
}

// ---- epochs: revoke everything, check the memory, make a fresh world ------------------
/// Tell R, then wait for good (a Receive nobody answers, no deadline): R, below D's
/// priority, runs only once D blocks.
[[noreturn]] void stop() {
    sys::sem_signal(kDone);
    sys::thread_set_timeout(kMe, 0);
    for (;;) (void)sys::receive(kSleep);
}

[[noreturn]] void fail(const char* what, long long detail) {
    sys::print("fuzz: FAILED: {} ({}) after {} calls\n", what, detail, g_done_calls);
    print_last_calls();
    g_failed = true;
    stop();
}

/// The retypes that fit in U as it is now, largest first (child untypeds of 2^21 .. 2^12
/// bytes, as many of each as fit): the same list twice means the same free bytes.
u32 fill_u(u64* sizes) {
    u32 n = 0;
    for (u32 bits = kUBits - 1; bits >= 12 && n < kScratchCount; --bits)
        while (n < kScratchCount && sys::retype(kU, ObjectType::Untyped, bits, kSelf, kScratch + n) == 0) sizes[n++] = bits;
    return n;
}
void revoke_u() {
    long long e = sys::cap_revoke(kSelf, kU);
    if (e) fail("revoking U", e);
    for (u64 s = kFuzzFirst; s < kFSlots; ++s) g_type[s] = 0;
}
void check_memory() {
    u64 sizes[kScratchCount];
    const u32 n = fill_u(sizes);
    bool same = n == g_baseline_count;
    for (u32 i = 0; same && i < n; ++i) same = sizes[i] == g_baseline[i];
    revoke_u();
    if (!same) fail("U's memory did not all come back when everything made from it was deleted", n);
}

/// A worker's code: random IPC on the fuzzed slots, forever. It runs in an address space
/// with only the program's text and rodata, its stack and its IPC buffer: no globals.
[[noreturn]] void worker(u64 seed) {
    auto* buffer = reinterpret_cast<abi::IpcBuffer*>(kWorkerIpc);
    u64 x = seed | 1;
    for (;;) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        SysRegs r{};
        r.cap = kFuzzFirst + (x >> 12) % kHot;
        const u32 caps = (x >> 30) % 4 == 0 ? 1 : 0;
        buffer->send_caps[0] = kFuzzFirst + (x >> 34) % kHot;
        buffer->receive_slot = (x >> 42) % 3 == 0 ? abi::kNoSlot : kFuzzFirst + (x >> 44) % kHot;
        buffer->mr[4] = x;
        u64 label = (x >> 20) % 4;
        abi::Syscall nr = abi::Syscall::Yield;
        switch ((x >> 3) % 10) {
        case 0: nr = abi::Syscall::Send; break;
        case 1: nr = abi::Syscall::Call; break;
        case 2: nr = abi::Syscall::Receive; break;
        case 3: nr = abi::Syscall::ReplyReceive; break;
        case 4: nr = abi::Syscall::Reply; break;
        case 5: nr = abi::Syscall::Yield; break;
        case 6: nr = abi::Syscall::Invoke, label = static_cast<u64>(abi::SemaphoreMethod::Signal); break;
        case 7: nr = abi::Syscall::Invoke, label = static_cast<u64>(abi::SemaphoreMethod::Wait); break;
        case 8: nr = abi::Syscall::Invoke, label = static_cast<u64>(abi::ReplyMethod::Keep); break;
        default: nr = abi::Syscall::Invoke, label = 1 + (x >> 50) % 14; break;
        }
        r.nr = static_cast<u64>(nr);
        r.info = abi::MessageInfo{label, static_cast<u32>((x >> 24) % 6), caps}.encode();
        r.mr[0] = x >> 8, r.mr[1] = (x >> 16) % 64, r.mr[2] = kFuzzFirst + (x >> 36) % kHot, r.mr[3] = x;
        sys_trap_regs(r);
    }
}

/// Made in slots from `at` on; false if U is full (the rest of the epoch goes without).
bool make(ObjectType t, u32 bits, u64 at, u32 count = 1) {
    if (sys::retype(kU, t, bits, kSelf, at, count) != 0) return false;
    for (u64 s = at; s < at + count; ++s) g_type[s] = static_cast<unsigned char>(t);
    return true;
}

void start_worker(u32 k, u64 at) {
    const u64 as = at, thread = at + 1, stack = at + 2, ipc = at + 3;
    if (!make(ObjectType::AddressSpace, 3, as) || !make(ObjectType::Thread, 0, thread) ||
        !make(ObjectType::Frame, 0, stack, 2))
        return;
    for (u32 p = 0; p < g_program_pages; ++p)
        if (sys::map(as, kFirstProgramFrame + p, g_program[p].va, g_program[p].rights) != 0) return;
    if (sys::map(as, stack, kWorkerStack, rt::kRead | rt::kWrite) != 0 ||
        sys::map(as, ipc, kWorkerIpc, rt::kRead | rt::kWrite) != 0)
        return;
    const u64 fault = slot_of(ObjectType::Endpoint);
    if (sys::thread_configure(thread, kSelf, as, ipc, kWorkerIpc, fault) != 0) return;
    const u64 regs[] = {reinterpret_cast<u64>(&worker), kWorkerStack + sys::kPageSize - 64, 0,
                        g_seed * 1000003 + g_done_calls + k};
    if (sys::thread_write_registers(thread, abi::kRegIp, 4, regs) == 0) sys::thread_resume(thread);
}

void new_world() {
    u64 at = kFuzzFirst;
    make(ObjectType::Endpoint, 0, at, 4), at += 4;
    make(ObjectType::Semaphore, 0, at, 2), at += 2;
    make(ObjectType::Reply, 0, at, 2), at += 2;
    make(ObjectType::Frame, 0, at, 8), at += 8;
    make(ObjectType::AddressSpace, 2, at++);
    make(ObjectType::CapSpace, 4, at++);
    make(ObjectType::Thread, 0, at, 2), at += 2;
    make(ObjectType::MapBudget, 0, at++);
    for (u32 k = 0; k < kWorkers; ++k, at += 4) start_worker(k, at);
    learn_all();
}

// ---- D ----------------------------------------------------------------------------------
/// Let the threads below D's priority run: a Receive nobody answers, until the next tick.
void sleep_a_tick() {
    const u64 now = sys::read_clock(kClock);
    if (sys::thread_set_timeout(kMe, now + abi::kTickNs) == 0) (void)sys::receive(kSleep);
}

[[noreturn]] void fuzzer(u64) {
    g_rng.s = g_seed * 0x9e3779b97f4a7c15u | 1;
    g_baseline_count = fill_u(g_baseline);
    revoke_u();
    if (g_baseline_count == 0) fail("U holds nothing", 0);
    u32 methods[abi::Methods::kCount];
    u32 n = 0, index = 0;
    abi::Methods::each([&]<class M>() {
        if (fuzzable(M::method)) methods[n++] = index;
        ++index;
    });
    for (g_done_calls = 0; g_done_calls < g_calls; ++g_done_calls) {
        if (g_done_calls % g_epoch == 0) {
            if (g_done_calls) {
                revoke_u();
                check_memory();
            }
            new_world();
        }
        if (g_done_calls % (g_calls / 10 ? g_calls / 10 : 1) == 0 && g_done_calls)
            sys::print("fuzz: {} calls\n", g_done_calls);
        call_one(methods[below(n)]);
        if (g_done_calls % 128 == 127) sleep_a_tick(); // the workers' turn
    }
    revoke_u();
    check_memory();
    stop();
}

// ---- R ------------------------------------------------------------------------------------
u64 word_after(const char* cmdline, const char* key, u64 fallback) {
    const u64 n = strlen(key);
    for (const char* c = cmdline; *c; ++c) {
        if ((c != cmdline && c[-1] != ' ') || memcmp(c, key, n) != 0) continue;
        u64 v = 0;
        for (c += n; *c >= '0' && *c <= '9'; ++c) v = v * 10 + static_cast<u64>(*c - '0');
        return v;
    }
    return fallback;
}

alignas(4096) char g_fuzzer_stack[16 * 4096];
alignas(4096) abi::IpcBuffer g_fuzzer_ipc; // (a page of the program's bss: its frame is mapped)

} // namespace

int main() {
    const auto& info = *reinterpret_cast<const root::Info*>(root::kInfo);
    g_seed = word_after(info.cmdline, "seed=", 1);
    g_calls = word_after(info.cmdline, "calls=", 20000);
    g_epoch = word_after(info.cmdline, "epoch=", 2000);
    g_trace = word_after(info.cmdline, "trace=", ~u64{0});
    if (g_epoch == 0) g_epoch = 2000;
    sys::print("fuzz: seed {}, {} calls, epoch {}\n", g_seed, g_calls, g_epoch);

    // Slots of the root task's cap space: F, U, the done semaphore, D and its IPC frame.
    const u64 first = info.first_free_slot;
    const u64 f = first, u = first + 1, done = first + 2, d = first + 3, d_frame = first + 4, sleep = first + 5;
    auto must = [](long long e, const char* what) {
        if (e != 0) {
            sys::print("fuzz: FAILED: setup: {} ({})\n", what, e);
            sys::power_off(root::kMachine, 1);
        }
    };
    must(sys::retype(root::kUntyped, ObjectType::CapSpace, kFBits, root::kCapSpace, f), "F");
    must(sys::retype(root::kUntyped, ObjectType::Untyped, kUBits, root::kCapSpace, u), "U");
    must(sys::retype(root::kUntyped, ObjectType::Semaphore, 0, root::kCapSpace, done), "the semaphore");
    must(sys::retype(root::kUntyped, ObjectType::Thread, 0, root::kCapSpace, d), "D");
    must(sys::cap_move(root::kCapSpace, u, kU, f), "U into F");
    must(sys::cap_copy_to(root::kCapSpace, f, f, kSelf), "F into F");
    must(sys::cap_copy_to(root::kCapSpace, done, f, kDone), "the semaphore into F");
    must(sys::retype(root::kUntyped, ObjectType::Endpoint, 0, root::kCapSpace, sleep), "the endpoint");
    must(sys::cap_copy_to(root::kCapSpace, d, f, kMe), "D into F");
    must(sys::cap_copy_to(root::kCapSpace, sleep, f, kSleep), "the endpoint into F");
    must(sys::cap_copy_to(root::kCapSpace, root::kMachine, f, kClock), "the clock into F");
    must(sys::thread_set_priority(d, kMyPriority, 5), "D's priority");
    // The program's read-only frames, for the workers' address spaces (Read, Execute).
    const sys::Program program = sys::root_program();
    for (u64 p = 0; p < program.pages && g_program_pages < kMaxProgramFrames; ++p) {
        const u64 va = program.base + p * sys::kPageSize;
        auto q = sys::query(root::kAddressSpace, va);
        if (!q.ok() || (q.out.rights & rt::kWrite)) continue;
        const u32 rights = static_cast<u32>(q.out.rights) & (rt::kRead | rt::kExecute);
        must(sys::cap_mint(root::kCapSpace, program.first_frame + p, kFirstProgramFrame + g_program_pages, rights, 0, f),
             "a program frame into F");
        g_program[g_program_pages++] = {va, rights};
    }
    // D: the fuzzer's own thread, in this address space, with F as its cap space.
    const u64 ipc_va = reinterpret_cast<u64>(&g_fuzzer_ipc);
    must(sys::query(root::kAddressSpace, ipc_va).error, "the IPC buffer's page");
    // (its frame: the program's frame mapped there)
    const u64 ipc_frame = program.first_frame + (ipc_va - program.base) / sys::kPageSize;
    must(sys::cap_copy(root::kCapSpace, ipc_frame, d_frame), "the IPC frame");
    must(sys::thread_configure(d, f, root::kAddressSpace, d_frame, ipc_va, abi::kNoSlot), "D's configuration");
    const u64 regs[] = {reinterpret_cast<u64>(&fuzzer), reinterpret_cast<u64>(g_fuzzer_stack + sizeof g_fuzzer_stack)};
    const u64 t0 = sys::read_clock(root::kMachine);
    must(sys::thread_write_registers(d, abi::kRegIp, 2, regs), "D's registers");
    sys::set_ipc_buffer(&g_fuzzer_ipc); // (one IPC buffer pointer per address space: D's from now on)
    must(sys::thread_resume(d), "D's start");
    must(sys::sem_wait(done), "waiting for D");
    const u64 t1 = sys::read_clock(root::kMachine);
    sys::thread_suspend(d);
    sys::set_ipc_buffer(reinterpret_cast<abi::IpcBuffer*>(root::kIpcBuffer));

    if (g_failed) sys::power_off(root::kMachine, 3);
    const u64 ms = (t1 - t0) / 1000000;
    sys::print("fuzz: {} calls in {} ms ({} per second of QEMU's time), seed {}\n", g_calls, ms,
               ms ? g_calls * 1000 / ms : 0, g_seed);
    u32 index = 0;
    abi::Methods::each([&]<class M>() {
        const Stat& s = g_stats[index++];
        if (s.calls) sys::print("fuzz:   {}.{}: {} calls, {} ok\n", static_cast<u64>(M::method.object), M::method.name, s.calls, s.ok);
    });
    sys::print("fuzz:   errors:");
    for (u32 e = 0; e < 128; ++e)
        if (g_errors[e]) sys::print(" errno {} x{}", e, g_errors[e]);
    sys::print("\nfuzz: memory back after every epoch: ok\n");
    return 0;
}
