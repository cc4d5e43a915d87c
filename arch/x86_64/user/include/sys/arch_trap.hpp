// The inline system-call stubs for x86_64 (sys/trap_inline.hpp): syscall clobbers rcx and r11.
#pragma once

#include <sys/trap_inline.hpp>

SYS_DEFINE_INLINE_TRAPS("rax", "rdi", "rsi", "rdx", "r10", "r8", "r9", "r12", "syscall", "rcx", "r11", "memory")
