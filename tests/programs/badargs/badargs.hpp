// The hostile-arguments root task (init=badargs): what its cases share. Each case is a
// group of expectations about one family of system calls and methods (caps.cpp, ipc.cpp,
// memory.cpp, threads.cpp, destroy.cpp), run in order by main.cpp, which prints one line
// per case and "badargs: N passed, M failed".
#pragma once

#include "../root_task.hpp"

#include <sys/kernel.hpp>
#include <sys/process.hpp>

namespace badargs {
using abi::u32;
using abi::u64;
namespace root = abi::root;
namespace rt = abi::rights;
using abi::ObjectType;

/// An invocation as raw words: this program sends what a typed call (sys::invoke with a
/// method of abi/methods.hpp) cannot.
template <class Method>
inline sys::Reply bad_invoke(u64 slot, Method method, std::initializer_list<u64> words = {}) {
    return sys::invoke_raw(slot, static_cast<u64>(method), words);
}

/// Expectations that failed in the case running now.
inline int g_case_failures = 0;

// Slots of my cap space.
constexpr u64 kEndpoint = 25, kSemaphore = 26, kThread = 27, kFrame = 28, kAddressSpace = 29;
constexpr u64 kReadOnlyCs = 30, kReadOnlyThread = 31, kReadOnlyAs = 32, kReadOnlyFrame = 33;
constexpr u64 kReadOnlyEp = 34, kWriteOnlyEp = 35, kWriteOnlySem = 36, kFaultEp = 37;
constexpr u64 kVictim = 38, kScratch = 39;
constexpr u64 kEmpty = 60, kFirstHelperSlot = 120;
// The root cap space's size, from RootInfo (a slot per page of RAM).
inline u64 g_slot_count, g_last_slot;

constexpr u64 kHuge = 0x8000000000000000ull;
constexpr u64 kKernelVa = 0xffffffff80000000ull;
constexpr u64 kFreeVa = 0x50000000;

/// One expectation: `got` must be -errno (0 for success).
inline void expect(long long got, int errno_expected, const char* what) {
    long long want = errno_expected ? -errno_expected : 0;
    if (got != want) {
        sys::print("badargs:   {}: got {} expected {}\n", what, got, want);
        ++g_case_failures;
    }
}

/// One expectation about a value that is not an error code.
inline void expect_eq(long long got, long long want, const char* what) {
    if (got != want) {
        sys::print("badargs:   {}: got {} expected {}\n", what, got, want);
        ++g_case_failures;
    }
}


inline long long err(const sys::Reply& r) { return r.error; }

/// A thread's options: on CPU 0, where main keeps this program (pt::stay_on_cpu0), as
/// the cases expect what one CPU does (a Yield runs the thread just started).
inline sys::ThreadOptions on_cpu0(sys::Entry entry, u64 arg, u64 region) {
    sys::ThreadOptions o{entry, arg, region};
    o.affinity = pt::kCpu0;
    return o;
}

/// A raw system call with a hand-made MessageInfo (length and caps as given).
inline long long raw(abi::Syscall nr, u64 slot, u64 label, u32 length, u32 caps = 0) {
    SysRegs r{};
    r.nr = static_cast<u64>(nr);
    r.cap = slot;
    r.info = abi::MessageInfo{label, length, caps}.encode();
    sys_trap(&r);
    return static_cast<long long>(r.cap);
}

inline long long retype(ObjectType type, u64 size_bits, u64 first, u64 count, u64 cs = root::kCapSpace) {
    return err(bad_invoke(root::kUntyped, abi::UntypedMethod::Retype,
                           {static_cast<u64>(type), size_bits, cs, first, count}));
}

/// Answers every call with the number of capabilities and words that arrived.
inline void echo_caps(u64) {
    sys::Reply r = sys::receive(kEndpoint);
    for (;;) r = sys::reply_receive(kEndpoint, 0, {r.caps, r.length});
}

/// A call carrying `caps` capabilities named by `slots` (sys::call sends none).
inline sys::Reply call_with_caps(u64 ep, u64 s0, u64 s1, u64 s2, u32 caps, u32 length = 1) {
    abi::IpcBuffer* b = sys::ipc_buffer();
    b->send_caps[0] = s0;
    b->send_caps[1] = s1;
    b->send_caps[2] = s2;
    SysRegs r{};
    r.nr = static_cast<u64>(abi::Syscall::Call);
    r.cap = ep;
    r.info = abi::MessageInfo{0, length, caps}.encode();
    sys_trap(&r);
    sys::Reply out;
    out.error = static_cast<long long>(r.cap);
    for (u32 k = 0; k < 4; ++k) out.mr[k] = r.mr[k];
    return out;
}

constexpr u64 kDoomedEp = 41, kSignal = 42;
inline volatile long long g_receive_result = 1;
inline volatile bool g_ran_after_delete = false;

/// Waits on an endpoint the root task then destroys.
inline void doomed_receiver(u64) {
    g_receive_result = sys::receive(kDoomedEp).error;
    sys::sem_signal(kSignal);
    for (;;) sys::yield();
}

/// Answers calls on kDoomedEp with the capabilities and words that arrived.
inline void echo_on_doomed(u64) {
    sys::Reply r = sys::receive(kDoomedEp);
    for (;;) r = sys::reply_receive(kDoomedEp, 0, {r.caps, r.length});
}

/// Deletes the last capability to its own thread, which destroys it mid-call.
inline void self_deleter(u64 my_slot) {
    sys::cap_delete(root::kCapSpace, my_slot);
    g_ran_after_delete = true;
    for (;;) {
    }
}

inline void spin_forever(u64) {
    for (;;) {
    }
}

namespace e = abi::errc;

// The cases, in the order main.cpp runs them (each needs the objects setup() made).
void slots();
void types();
void rights();
void mapping();
void lengths();
void registers();
void retype_args();
void reply();
void hostile_threads();
void transfer();
void destroy();

} // namespace badargs
