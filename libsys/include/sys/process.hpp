// Starting more threads of the calling program, in its own address space or in a new
// one that maps the same program (a "fork" of the program image at the time of the call,
// without the caller's stack).
//
// Capabilities: the helpers take every slot they fill from a `Slots` range of EMPTY
// slots in the caller's cap space (the caller picks the range: for the root task, part
// of [abi::root::kFirstFree, abi::root::kFirstFrame) or the slots after its program and
// stack frames). start_thread takes 2 + kThreadStackPages slots, start_process
// 3 + kThreadStackPages + the program's page count; both report the thread's and the
// address space's slots in `Started`. The new thread shares the caller's cap space.
//
// Where the program lies: `Program` names its first page and the slot of that page's
// frame capability; the frames of the following pages are in the following slots (the
// root task's layout, abi::root::kFirstFrame, user.ld's load address 0x400000).
// root_program() builds it for the root task and counts the pages by querying the
// address space: the program is the run of mapped pages from 0x400000, each mapped with
// its segment's rights (text r-x, rodata r--, data/bss rw-).
//
// Memory layout of a thread's `region` (kRegionPages pages, the caller chooses the VA):
//   page 0            unmapped guard (a stack overflow faults)
//   pages 1..4        the stack; the thread starts with sp at the top of page 4
//   page 5            unmapped guard
//   page 6            the IPC buffer (start_thread); unmapped in start_process, where
//                     the IPC buffer is at abi::root::kIpcBuffer, libsys's default
//   page 7            unused
//
// libsys keeps ONE ipc_buffer() pointer per address space (a global). Threads of the
// same address space therefore share it: a thread started with start_thread must call
// sys::set_ipc_buffer(ipc_buffer_of(region)) before long messages, and only one thread
// per address space may use long (more than four word) messages. A thread in a new
// address space has its own copy of the data and needs nothing.
#pragma once

#include <sys/kernel.hpp>

namespace sys {

constexpr u64 kPageSize = 4096;
constexpr u64 kThreadStackPages = 4;
constexpr u64 kRegionPages = 8;

/// Empty slots [next, end) of the caller's cap space the helpers may fill.
struct Slots {
    u64 next;
    u64 end;
};

/// The caller's program: `pages` pages from `base`, frame capabilities from `first_frame`.
struct Program {
    u64 base;
    u64 pages;
    u64 first_frame;
};

/// The root task's program (see above); pages = 0 if nothing is mapped at 0x400000.
Program root_program();

/// The objects the caller works with. Defaults: the root task's slots.
struct Environment {
    u64 untyped = abi::root::kUntyped;
    u64 cap_space = abi::root::kCapSpace;
    u64 address_space = abi::root::kAddressSpace;
};

/// A thread the helpers started: slots of its thread and address space capabilities.
struct Started {
    u64 thread = abi::kNoSlot;
    u64 address_space = abi::kNoSlot;
};

/// What the new thread runs: entry(arg) on its own stack. It must not return (there is
/// nothing to return to: it faults); it ends by suspending itself or being deleted.
using Entry = void (*)(u64 arg);

struct ThreadOptions {
    Entry entry = nullptr;
    u64 arg = 0;
    u64 region = 0;                   ///< VA of the kRegionPages-page region (page aligned)
    u64 fault_endpoint = abi::kNoSlot; ///< slot of an endpoint with Write, or kNoSlot
    u32 priority = 0;                 ///< 0: the kernel's default
    u32 time_slice = 5;               ///< ticks, with priority
    u64 affinity = 0;                 ///< CPUs it may run on (bit n: CPU n); 0: any
};

inline abi::IpcBuffer* ipc_buffer_of(u64 region) {
    return reinterpret_cast<abi::IpcBuffer*>(region + 6 * kPageSize);
}

/// A thread in the caller's address space. Returns 0 or -errno (slots used so far stay
/// filled: the caller may delete them).
long long start_thread(Slots& slots, const ThreadOptions& options, Started& out,
                       const Environment& env = {});

/// A thread in a new address space (its own slot in `out.address_space`) mapping the
/// caller's program: text and rodata share the caller's frames (new capabilities to
/// them), data and bss are private copies made now. `copy_window` is a free page-aligned
/// VA of the caller's space used for the copies.
long long start_process(Slots& slots, const Program& program, const ThreadOptions& options,
                        Started& out, u64 copy_window = 0x300000, const Environment& env = {});

} // namespace sys
