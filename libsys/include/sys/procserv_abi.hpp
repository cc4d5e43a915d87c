// The protocol between libsys (libsys/proc.cpp) and the process server
// (servers/procserv). docs/procserv.md explains it.
//
// Every thread procserv creates has its own small cap space:
//   slot kEndpoint  procserv's endpoint, badged with the thread's id (Write)
//   slot kWake      the thread's wake semaphore (Read): blocking calls wait on it
//   slot kJoin      during a thread_join: the joined thread's join semaphore (Read)
// A request is a Call on kEndpoint with label = Op (flags packed above it for Clone)
// and up to four words; no IPC buffer is needed. Pointers are read and written by
// procserv in the caller's memory, which it maps itself (it made every page of it).
// The reply's label is kDone (mr0 = result, >= 0 or -errno, mr1.. extra results) or
// kBlock: wait on the semaphore in slot mr0, then send the request again; for a join,
// the wait is the end: procserv has stored the code at the retval address by then.
#pragma once

#include <microkernel/abi.hpp>

namespace procserv {

using abi::u64;

constexpr u64 kEndpoint = 0, kWake = 1, kJoin = 2;
constexpr unsigned kThreadCapSpaceBits = 3;

enum class Op : u64 {
    Exit = 0x100,       ///< (status): never answered
    ExitGroup,          ///< (status): never answered
    Clone,              ///< label | flags << 16: (stack, parent_tid ptr, child_tid ptr, tls)
    ThreadCreate,       ///< (stack top, entry, fn, arg): the thread runs entry(fn, arg)
    Join,               ///< (tid, retval ptr) -> (0, code), or kBlock on kJoin (the code is stored at retval)
    GetIds,             ///< () -> (pid, tid, ppid)
    Chdir,              ///< (path ptr)
    Getcwd,             ///< (buf ptr, size)
    Umask,              ///< (mask) -> old
    Open,               ///< (path ptr, flags)
    Read,               ///< (fd, buf ptr, count)
    Close,              ///< (fd)
    Dup,                ///< (fd)
    Waitpid,            ///< (pid, options) -> (pid, status) or kBlock on kWake
    Spawn,              ///< (path ptr, argv ptr)
    FutexWait,          ///< (addr, val) -> 0 / -EAGAIN, or kBlock on kWake (then 0)
    FutexWake,          ///< (addr, n) -> woken
    Write,              ///< (buf ptr, count) -> written (to the console)
    Stats,              ///< () -> (free bytes of procserv's pools, live threads, live processes)
};
constexpr unsigned kCloneFlagsShift = 16;
/// Clone label bit (libsys' clone_fn): start the child at StartBlock::entry, with the
/// block's address as its argument, instead of on a copy of the caller's registers.
constexpr u64 kCloneStartBlock = u64{1} << 48;

/// What a clone_fn child finds just below its stack top (16-byte aligned), written by
/// clone_fn itself. The child starts at `entry` with sp = the block - the arch's entry
/// bias and the block's address as arg0.
struct StartBlock {
    u64 entry;
    u64 fn;
    u64 arg;
    u64 pad; // keeps the block, and so the stack, 16-byte aligned
};
static_assert(sizeof(StartBlock) % 16 == 0);

enum class Reply : u64 { kDone = 0, kBlock = 1 };

/// Badges: the thread id; faults arrive with kFaultBadge added.
constexpr u64 kFaultBadge = u64{1} << 40;

} // namespace procserv
