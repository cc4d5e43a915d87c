// The inline system-call stubs for aarch64 (sys/trap_inline.hpp).
#pragma once

#include <sys/trap_inline.hpp>

SYS_DEFINE_INLINE_TRAPS("x8", "x0", "x1", "x2", "x3", "x4", "x5", "x6", "svc #0", "memory")
