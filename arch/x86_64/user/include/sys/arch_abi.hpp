// x86_64 facts user-space code needs (selected by the build's include path).
#pragma once

namespace sys::arch_abi {
/// A thread entered by setting its registers sees rsp as if `call` had pushed a return
/// address: rsp % 16 == 8 at the first instruction (System V).
constexpr unsigned long kEntryStackBias = 8;
} // namespace sys::arch_abi
