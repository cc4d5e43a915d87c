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

} // namespace pt
