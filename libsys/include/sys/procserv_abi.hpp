// The protocol between libsys (libsys/proc.cpp) and the process server
// (servers/procserv). docs/procserv.md explains it.
//
// Every thread procserv creates has its own small cap space:
//   slot kEndpoint  procserv's endpoint, badged with the thread's id (Write)
//   slot kJoin      during a thread_join: the joined thread's join semaphore (Read)
// A request is a Call on kEndpoint with label = Op (Clone's flags and Mmap's fd above
// it) and up to four words, as sys/procserv_requests.hpp's table says; no IPC buffer is
// needed. Pointers are read and written by procserv in the caller's memory, which it maps
// itself (it made every page of it).
// The reply's label is kDone: mr0 = result (>= 0 or -errno), mr1.. extra results. A
// call that must wait (waitpid, futex_wait) is one Call all the same: procserv keeps
// its reply (a kernel Reply object per thread) and answers when the wait is over. Only
// thread_join may answer kBlock: wait on the join semaphore in slot mr0, which is
// signalled once, when the thread has ended and procserv has stored its code.
#pragma once

#include <abi/abi.hpp>

namespace procserv {

using abi::u32;
using abi::u64;

constexpr u64 kEndpoint = 0, kJoin = 1;
constexpr unsigned kThreadCapSpaceBits = 3; // kThreadCapSpaceSlots

/// The requests. Each one's arguments, kinds and answer: sys/procserv_requests.hpp
/// (docs/procserv.md prints them).
enum class Op : u64 {
    Exit = 0x100, ExitGroup, Clone, ThreadCreate, Join, GetIds,           // threads and processes
    Chdir, Getcwd, Umask, Open, Read, Close, Dup,                         // files
    Waitpid, Spawn, FutexWait, FutexWake, Write, Stats,                   // children, futexes, console, tests
    Mmap, Munmap, Mprotect, Madvise, Brk,                                 // memory
    CapCreate, IpcBuffer, ServiceRegister, ServiceLookup, ServiceUnregister, MmapMemory, // servers
    Kill, Sigaction, Sigprocmask, Sigreturn, Tkill, Sigpending,          // signals
    SchedAffinity,
};

/// A signal handler of a libsys program runs on a SignalFrame that procserv writes below
/// the stack pointer of the thread it interrupts (a call to procserv answered, a fault):
/// the thread enters the process's trampoline (Op::Sigaction's) with the frame and the
/// handler as its two arguments, and the trampoline's Sigreturn resumes `regs` with `mask`
/// and FP/SIMD state (docs/procserv.md, "Signals").
struct SigInfo {
    int signo;
    int code;      ///< SI_USER 0, SI_TKILL -6, SI_KERNEL 0x80; a fault's SEGV_MAPERR 1 ...
    int pid;       ///< the sender (kill, tkill)
    int pad;
    u64 address;   ///< a fault's address
};
struct SignalFrame {
    u64 regs[abi::kRegCount]; ///< the interrupted thread's registers (abi::Reg)
    u64 mask;                 ///< the blocked signals to restore
    SigInfo info;
    u64 fpu[abi::kFpuWords];  ///< its FP/SIMD state (Thread.ReadFpu's image, docs/abi.md)
};
/// Below the stack pointer, a frame leaves this many bytes alone (x86_64's red zone).
constexpr u64 kSignalRedZone = 128;

/// The objects a process can ask for (Op::CapCreate); each is carved from the process's
/// own memory (kObjectQuota) and ends with the process.
enum class CapType : u64 { Endpoint = 1, Semaphore = 2, Reply = 3, Memory = 4 };

// A process's capability addresses (docs/procserv.md, "Capabilities and servers"). Each
// thread has its own small cap space (kEndpoint, kJoin above); the process's shared cap
// space, made at its first capability request, answers every address from
// kThreadCapSpaceSlots up. Its slot kSelfCapSpace holds a capability to itself (Edit and
// Read: copy, mint, move, delete, revoke and identify within it); procserv puts new
// objects and looked-up services in free slots from kFirstCapSlot on.
constexpr u64 kThreadCapSpaceSlots = 8;
constexpr u64 kSelfCapSpace = 8;
constexpr u64 kFirstCapSlot = 16;
/// The console driver (the program `console=NAME` on the kernel command line names) finds
/// the kernel's console (Read, Write) and the handler of its interrupt line here.
constexpr u64 kConsoleSlot = 9, kConsoleIrqSlot = 10;
static_assert(u64{1} << kThreadCapSpaceBits == kThreadCapSpaceSlots);
/// A process's cap space has 256 slots at first, doubled whenever one more is needed,
/// up to 4096 (then EMFILE).
constexpr unsigned kProcessCapSpaceMinBits = 8, kProcessCapSpaceMaxBits = 12;
constexpr u64 kMaxServiceName = 63;           ///< bytes of a service name, without its NUL
/// Label bits below this are the Op; Clone's flags and Mmap's fd sit above.
constexpr unsigned kLabelArgShift = 16;
/// Clone flag above Linux's 32 (libsys' clone_fn): mr0 is the address of a StartBlock in the
/// caller's memory (clone_fn keeps it on its own stack); the child starts at the
/// block's entry on the block's stack, with (fn, arg) as its two arguments, instead of
/// on a copy of the caller's registers. procserv reads the block and checks the stack
/// itself: a bad one is -EFAULT, and nothing is written to it.
constexpr u64 kCloneStartBlock = u64{1} << 32;

struct StartBlock {
    u64 entry;
    u64 fn;
    u64 arg;
    u64 stack_top;
};

enum class Reply : u64 { kDone = 0, kBlock = 1 };

/// Badges: the thread id; faults arrive with kFaultBadge added.
constexpr u64 kFaultBadge = u64{1} << 40;

} // namespace procserv
