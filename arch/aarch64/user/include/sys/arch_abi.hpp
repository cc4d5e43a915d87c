// aarch64 facts user-space code needs (selected by the build's include path).
#pragma once

namespace sys::arch_abi {
/// The stack pointer a thread starts with is simply 16-aligned (no return address on
/// the stack: it lives in a register).
constexpr unsigned long kEntryStackBias = 0;
} // namespace sys::arch_abi
