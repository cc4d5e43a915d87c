// The inline system-call stubs for riscv64 (sys/trap_inline.hpp).
#pragma once

#include <sys/trap_inline.hpp>

SYS_DEFINE_INLINE_TRAPS("a7", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "ecall", "memory")
