// The start of Linux's signal frame where the arch uses the generic ucontext (aarch64 and
// riscv64): the siginfo, then struct ucontext with uc_sigmask at +40 and uc_mcontext at
// +176 (after 120 unused bytes, 16-aligned). Included by those arches'
// <arch/linux_signal.hpp>, which lay out their own uc_mcontext.
#pragma once

#include <cstdint>
#include <cstring>

namespace linux_generic_signal {

using u64 = std::uint64_t;
constexpr u64 kInfoAt = 0, kUcontextAt = 128, kSigmaskAt = kUcontextAt + 40, kMcontextAt = kUcontextAt + 176;

/// A frame of `bytes` below `sp`, 16-aligned.
constexpr u64 frame_below(u64 sp, u64 bytes) { return (sp - bytes) & ~u64{15}; }

/// The frame's common part: zeros, the siginfo, the blocked set rt_sigreturn restores.
inline void begin(unsigned char* frame, u64 bytes, const unsigned char* info, u64 mask) {
    std::memset(frame, 0, bytes);
    std::memcpy(frame + kInfoAt, info, 128);
    std::memcpy(frame + kSigmaskAt, &mask, 8);
}

/// The registers a handler starts with: the signal, &info, &uc (x0..x2 / a0..a2).
constexpr u64 info_of(u64 frame_va) { return frame_va + kInfoAt; }
constexpr u64 ucontext_of(u64 frame_va) { return frame_va + kUcontextAt; }

} // namespace linux_generic_signal
