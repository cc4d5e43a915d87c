// Linux's signal frame on riscv64 (arch/riscv/kernel/signal.c, uapi asm/sigcontext.h and
// asm/ucontext.h), for procserv's Linux front end (servers/procserv/signal.cpp).
//   frame + 0    struct siginfo (128)
//   frame + 128  struct ucontext: uc_flags, uc_link, uc_stack (24), uc_sigmask (8), unused
//                (120), uc_mcontext at +176 (struct sigcontext: sc_regs = pc, x1..x31;
//                then the FP state, 528 bytes: f0..f31, fcsr)
// The handler starts with sp = frame, a0 = the signal, a1 = &info, a2 = &uc, ra = the
// restorer (procserv's trampoline page: glibc sets none on riscv64). rt_sigreturn loads
// the FP state back from the frame.
#pragma once

#include <arch/context.hpp>
#include <sys/linux_generic_signal.hpp>

#include <cstring>

namespace arch::linux_signal {

using u64 = kernel::u64;
using namespace ::linux_generic_signal;

/// The trampoline: rt_sigreturn (139). li a7, 139; ecall
constexpr unsigned char kSigreturn[] = {0x93, 0x08, 0xb0, 0x08, 0x73, 0x00, 0x00, 0x00};
constexpr u64 kFpAt = kMcontextAt + 256, kFrameBytes = kFpAt + 528;
/// The system-call instruction's length: a call restarted after a handler (SA_RESTART)
/// resumes this far back.
constexpr u64 kSyscallBytes = 4;
/// MINSIGSTKSZ: sigaltstack refuses a smaller stack (ENOMEM).
constexpr u64 kMinStack = 2048;

constexpr u64 frame_at(u64 sp) { return frame_below(sp, kFrameBytes); }

inline void build(unsigned char* frame, u64 frame_va, const u64* regs, const unsigned char* info, u64 mask,
                  u64 restorer, u64 fault_address) {
    begin(frame, kFrameBytes, info, mask);
    std::memcpy(frame + kMcontextAt, &regs[abi::kRegIp], 8); // sc_regs.pc
    for (unsigned n = 1; n < 32; ++n) std::memcpy(frame + kMcontextAt + 8 * n, &regs[riscv64::kRegIndexOfX[n]], 8);
    (void)frame_va, (void)restorer, (void)fault_address;
}

inline void enter(u64* regs, u64 frame_va, int sig, u64 handler, u64 restorer) {
    regs[abi::kRegIp] = handler;
    regs[riscv64::kRegIndexOfX[2]] = frame_va; // sp
    regs[riscv64::kRegIndexOfX[10]] = static_cast<u64>(sig);
    regs[riscv64::kRegIndexOfX[11]] = info_of(frame_va);
    regs[riscv64::kRegIndexOfX[12]] = ucontext_of(frame_va);
    regs[riscv64::kRegIndexOfX[1]] = restorer; // ra
}

/// The thread's FP/SIMD image (abi::kFpuWords words: f0..f31, fcsr) into the frame, and
/// back (always there).
inline void put_fpu(unsigned char* frame, u64 frame_va, const u64* fpu) {
    std::memcpy(frame + kFpAt, fpu, 32 * 8 + 4);
    (void)frame_va;
}
inline bool get_fpu(const unsigned char* frame, u64 frame_va, u64* fpu) {
    std::memcpy(fpu, frame + kFpAt, 32 * 8 + 4);
    (void)frame_va;
    return true;
}

constexpr u64 frame_of_sigreturn(u64 sp) { return sp; }

inline void restore(const unsigned char* frame, u64* regs, u64& mask) {
    std::memcpy(&regs[abi::kRegIp], frame + kMcontextAt, 8);
    for (unsigned n = 1; n < 32; ++n) {
        if (n == 4) continue; // tp: the thread's TLS register stays
        std::memcpy(&regs[riscv64::kRegIndexOfX[n]], frame + kMcontextAt + 8 * n, 8);
    }
    std::memcpy(&mask, frame + kSigmaskAt, 8);
}

} // namespace arch::linux_signal
