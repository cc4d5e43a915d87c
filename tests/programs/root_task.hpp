// The test harness (proc/check.hpp) for a root task: it has no procserv to write through,
// so its lines go to the kernel's debug console, a character at a time. A root task's
// return powers the machine off with its status (libsys), finish()'s.
#pragma once

#include "proc/check.hpp"

#include <sys/kernel.hpp>

namespace pt {

inline void debug_console(const char* s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) sys::debug_putc(s[i]);
}

/// start() for a root task.
inline void start_root_task(const char* program) {
    start(program);
    g_write = debug_console;
}

/// For a root task whose checks expect what one CPU does (a Yield runs the thread it
/// started, a busy thread of its priority takes turns with it): it stays on CPU 0, and
/// the threads it starts with these options too; with several CPUs the kernel then runs
/// its locked paths to the same results.
constexpr abi::u64 kCpu0 = 1;
inline void stay_on_cpu0() { sys::thread_set_affinity(abi::root::kThread, kCpu0); }

} // namespace pt
