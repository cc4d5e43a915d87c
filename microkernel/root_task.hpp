// The root task: the first user thread, built by the kernel from a program in the
// initrd. It gets everything the kernel did not keep (abi::root lists its capabilities);
// from then on the kernel creates nothing on its own.
#pragma once

#include <microkernel/boot_info.hpp>
#include <microkernel/object/thread.hpp>

namespace kernel {

struct KernelState;

/// Build the root task from the initrd file `path` and make it Ready; it learns that
/// `cpus` CPUs will run threads. Every failure is a clear error (no such program, a
/// malformed ELF, not enough memory).
Result<Thread*> start_root_task(const BootInfo& info, const char* path, u32 cpus, KernelState& kernel,
                                PhysWindow window);

/// Run user threads from now on; never returns (see user_entry.cpp).
[[noreturn]] void run_user_threads();

/// Is a device interrupt bound to a semaphore (so an idle kernel must wait, not stop)?
bool devices_can_wake();

} // namespace kernel
