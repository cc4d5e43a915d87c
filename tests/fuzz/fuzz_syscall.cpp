// libFuzzer target (scripts/fuzz host syscall): the kernel's system-call layer (decode,
// checks, every object method) on any sequence of calls, over the real portable sources
// with the unit tests' stand-ins for memory and page tables.
//
// The world: a root cap space R that the fuzzed threads cannot name (R[0] the root
// untyped, R[1] R, R[3] an untyped U of 512 KiB, and from U: R[2] the first thread, R[4]
// its cap space C), and C holding an untyped of 256 KiB from U (C[0]), a copy of C (C[1])
// and of the thread (C[2]). Every object the calls make comes from U. The input is a
// sequence of 28-byte records, one call each: syscall number, capability slot, method
// label and the CPU that makes the call, word count, and six words, each a small number,
// a slot-sized one, a page address or a large value. The scheduler runs four CPUs, as the
// kernel's does with --smp 4 (its remote operations answered here: a thread running on
// another CPU is in user mode between two calls); each call is made by the thread the
// scheduler runs on the record's CPU (threads the calls make and resume run too, placed
// on idle CPUs, pinned by SetAffinity, taken by idle CPUs from busy ones, so IPC between
// them happens across CPUs); when none can run, the first thread's caller gives up what
// it waits for (suspended and resumed). After every call no thread may be current on two
// CPUs, and each current thread runs where it says and where its affinity lets it. At
// the end U is revoked, and every byte of it must be free again: an object the calls made
// that outlives its last capability, or memory charged twice, is lost memory.
#include "../unit/fake_memory.hpp"
#include "../unit/toy_pte.hpp"

#include <microkernel/object/address_space.hpp>
#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/reaper.hpp>
#include <microkernel/object/thread.hpp>
#include <microkernel/object/untyped.hpp>
#include <microkernel/sched/scheduler.hpp>
#include <microkernel/syscall/dispatch.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace kernel;

namespace {
constexpr PagingOps kToyOps = paging_ops_for<ToyPte>();
constexpr u32 kCpus = 4;

/// The CPU making the current call (Scheduler's this_cpu), and the scheduler's way to the
/// others: between two calls every thread is in user mode with its registers in its
/// Thread, so a Kick, a Stall or a TakeOff has nothing to wait for; SaveFpu gives up the
/// CPU's FP/SIMD registers (on the host the area is the state).
u32 g_cpu = 0;
Scheduler* g_sched = nullptr;
u32 this_cpu() { return g_cpu; }
void reach(Scheduler::Remote what, u32 cpu, Thread* t) {
    if (what == Scheduler::Remote::SaveFpu && g_sched->fpu_owner(cpu) == t) g_sched->set_fpu_owner(cpu, nullptr);
}
constexpr u64 kMemoryBytes = 1 << 20;
constexpr size_t kRecord = 28;

u32 le24(const uint8_t* p) { return p[0] | u32{p[1]} << 8 | u32{p[2]} << 16; }

/// A word from 4 input bytes: the first says which kind.
u64 word(const uint8_t* p) {
    const u32 v = le24(p + 1);
    switch (p[0] % 4) {
    case 0: return v & 0xff;                     // small: counts, rights, types, size bits
    case 1: return v % 72;                       // a slot (C has 64)
    case 2: return u64{v} << 12;                 // a page address
    default: return ~u64{0} - (v & 0xffff);      // near the top: overflows
    }
}

/// The machine's memory, allocated once (a fresh megabyte per input made the kernel's page
/// faults most of the time) and filled with garbage again for each input.
FakeMemory& memory() {
    static FakeMemory mem{0x10000000, kMemoryBytes};
    memset(mem.buffer, 0xa5, mem.size);
    return mem;
}

struct World {
    FakeMemory& mem = memory();
    Scheduler sched{kCpus};
    Reaper reaper{sched};
    CapSpace* root_space = nullptr;
    Untyped* child = nullptr;
    Thread* me = nullptr;
    abi::IpcBuffer buffer{};
    u64 child_free = 0;

    bool build() {
        g_sched = &sched, g_cpu = 0;
        sched.go_smp(kCpus, reach, this_cpu);
        auto root = Untyped::create(mem.window(), PhysAddr{mem.base}, mem.size, &kToyOps);
        if (!root.ok() || !root.value()->check_retype(ObjectType::CapSpace, 6, 1).ok()) return false;
        root_space = &static_cast<CapSpace&>(root.value()->carve(ObjectType::CapSpace, 6));
        CapSpace& r = *root_space;
        cap_install_root(r.slot(0), *root.value(), abi::rights::kAll);
        cap_insert_child(r.slot(0), r.slot(1), r, abi::rights::kAll, 0);
        if (!retype(r.slot(0), ObjectType::Untyped, 19, r, 3, 1).ok()) return false;
        child = &r.slot(3).as<Untyped>();
        child_free = child->free_bytes();
        if (!retype(r.slot(3), ObjectType::Thread, 0, r, 2, 1).ok() ||
            !retype(r.slot(3), ObjectType::CapSpace, 6, r, 4, 1).ok())
            return false;
        me = &r.slot(2).as<Thread>();
        CapSpace& c = r.slot(4).as<CapSpace>();
        if (!retype(r.slot(3), ObjectType::Untyped, 18, c, 0, 1).ok() || !r.copy(4, c, 1).ok() || !r.copy(2, c, 2).ok())
            return false;
        me->set_cap_space(r.slot(4), reaper);
        me->set_ipc_buffer(&buffer);
        return me->resume(sched).ok() && sched.schedule(0) == me;
    }

    /// The thread on `cpu` now, as the kernel would choose it: null if it idles.
    Thread* running(u32 cpu) {
        g_cpu = cpu;
        Thread* t = sched.current(cpu);
        if (!t || t->state() != ThreadState::Running || sched.need_resched(cpu)) t = sched.schedule(cpu);
        return t;
    }

    /// The thread that makes the next call: `cpu`'s, or, if it idles, the first CPU's
    /// after it that runs one (a thread without an address space is suspended, as
    /// run_user_threads does; the first thread, whose calls the test makes, has none and
    /// needs none). When no CPU can run one, the first thread's caller gives up whatever
    /// it waits for. g_cpu is the caller's CPU.
    Thread& caller(u32 cpu) {
        for (;;) {
            Thread* t = nullptr;
            for (u32 k = 0; k < kCpus && !t; ++k) t = running((cpu + k) % kCpus);
            if (!t) {
                g_cpu = cpu;
                me->suspend(sched);
                if (!me->resume(sched).ok()) abort();
                continue;
            }
            if (t == me || t->address_space()) return *t; // (the first thread needs none here)
            t->suspend(sched);
        }
    }

    /// No thread is current on two CPUs; a current thread runs where it says, and where
    /// its affinity lets it.
    void check_cpus() const {
        for (u32 a = 0; a < kCpus; ++a) {
            const Thread* t = sched.current(a);
            if (!t) continue;
            if (t->cpu() != a || !(t->affinity() >> a & 1)) abort();
            for (u32 b = a + 1; b < kCpus; ++b)
                if (sched.current(b) == t) abort();
        }
    }

    void call(const uint8_t* r) {
        Thread& t = caller(r[2] >> 6);
        const u64 nr = r[0] & 0x80 ? static_cast<u64>(abi::Syscall::Invoke) : r[0] % 9; // (8: no such call)
        const u64 slot = r[1] == 0xff ? word(r + 4) : r[1] % 72;
        const u64 label = r[2] % 16;
        const u32 count = r[3] % 7;
        for (u32 i = 0; i < count; ++i) t.set_mr(i, word(r + 4 + 4 * i));
        t.set_reg(abi::kRegSyscall, nr);
        t.set_reg(abi::kRegCap, slot);
        t.set_reg(abi::kRegInfo, abi::MessageInfo{label, count, 0}.encode());
        SyscallContext ctx{t, g_cpu, sched, reaper, mem.window()};
        handle_syscall(ctx);
        check_cpus();
    }

    /// Everything the calls made goes (and the thread and C); all of U must be free again.
    void end() {
        if (!root_space->revoke(3, reaper).ok()) abort();
        if (child->children() != 0 || child->free_bytes() != child_free) abort();
    }
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    World w;
    if (!w.build()) abort();
    for (size_t at = 0; at + kRecord <= size; at += kRecord) w.call(data + at);
    w.end();
    return 0;
}
