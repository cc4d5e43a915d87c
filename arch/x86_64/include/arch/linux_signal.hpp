// Linux's signal frame on x86_64 (arch/x86/kernel/signal.c, uapi asm/sigcontext.h), for
// procserv's Linux front end (servers/procserv/signal.cpp): what a handler finds on its
// stack, and how rt_sigreturn reads it back.
//   frame + 0    pretcode: the restorer (sa_restorer), where the handler's `ret` goes
//   frame + 8    struct ucontext: uc_flags, uc_link, uc_stack (24), uc_mcontext (struct
//                sigcontext, 256: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
//                eflags, cs/gs/fs/ss, err, trapno, oldmask, cr2, fpstate, reserved),
//                uc_sigmask (8)
//   frame + 312  struct siginfo (128)
//   frame + 456  the FP/SSE state fpstate points at: the 512-byte FXSAVE image (64-aligned)
// The handler starts with rsp = frame (so rsp + 8 is 16-aligned), rdi = the signal,
// rsi = &info, rdx = &uc, rax = 0. rt_sigreturn loads the FP state back from the frame
// (a handler may change it there; an fpstate moved elsewhere is not followed).
#pragma once

#include <arch/context.hpp>

#include <cstring>

namespace arch::linux_signal {

using u64 = kernel::u64;
namespace x = arch::x86_64;

/// The restorer a handler without SA_RESTORER returns to: rt_sigreturn (15).
constexpr unsigned char kSigreturn[] = {0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}; // mov eax, 15; syscall
constexpr u64 kUcontextAt = 8, kMcontextAt = kUcontextAt + 40, kSigmaskAt = kMcontextAt + 256, kInfoAt = 312;
constexpr u64 kCr2At = kMcontextAt + 176, kFpstatePtrAt = kMcontextAt + 184, kFpstateAt = 456;
constexpr u64 kFrameBytes = kFpstateAt + 512;
/// The system-call instruction's length: a call restarted after a handler (SA_RESTART)
/// resumes this far back.
constexpr u64 kSyscallBytes = 2;
/// MINSIGSTKSZ: sigaltstack refuses a smaller stack (ENOMEM).
constexpr u64 kMinStack = 2048;

/// sigcontext's general registers, in its order (r8..r15, rdi, rsi, rbp, rbx, rdx, rax,
/// rcx, rsp, rip, eflags), as register file indices.
constexpr kernel::u32 kOrder[] = {x::kR8,  x::kR9,  x::kR10, x::kR11, x::kR12, x::kR13, x::kR14, x::kR15, x::kRdi,
                                  x::kRsi, x::kRbp, x::kRbx, x::kRdx, x::kRax, x::kRcx, x::kRsp, x::kRip, x::kRflags};

/// Where the frame goes for a thread at `sp`: below the 128-byte red zone, so that
/// frame + 8 (and with it the FP state at frame + 456) is 64-aligned.
constexpr u64 frame_at(u64 sp) { return ((sp - 128 - kFrameBytes) & ~u64{63}) - 8; }

/// The frame's bytes: the interrupted registers, the blocked set to restore, the siginfo.
inline void build(unsigned char* frame, u64 frame_va, const u64* regs, const unsigned char* info, u64 mask,
                  u64 restorer, u64 fault_address) {
    std::memset(frame, 0, kFrameBytes);
    std::memcpy(frame, &restorer, 8);
    for (unsigned i = 0; i < sizeof kOrder / sizeof kOrder[0]; ++i) std::memcpy(frame + kMcontextAt + 8 * i, &regs[kOrder[i]], 8);
    const unsigned short cs = 0x33; // (what Linux reports for 64-bit user code)
    std::memcpy(frame + kMcontextAt + 144, &cs, 2);
    std::memcpy(frame + kCr2At, &fault_address, 8);
    std::memcpy(frame + kSigmaskAt, &mask, 8);
    std::memcpy(frame + kInfoAt, info, 128);
    (void)frame_va;
}

/// The thread's FP/SIMD image (abi::kFpuWords words: the FXSAVE image first) into the
/// frame, and back: false when the frame's fpstate no longer points at it.
inline void put_fpu(unsigned char* frame, u64 frame_va, const u64* fpu) {
    std::memcpy(frame + kFpstateAt, fpu, 512);
    const u64 at = frame_va + kFpstateAt;
    std::memcpy(frame + kFpstatePtrAt, &at, 8);
}
inline bool get_fpu(const unsigned char* frame, u64 frame_va, u64* fpu) {
    u64 at;
    std::memcpy(&at, frame + kFpstatePtrAt, 8);
    if (at != frame_va + kFpstateAt) return false;
    std::memcpy(fpu, frame + kFpstateAt, 512);
    return true;
}

/// The registers for the handler's first instruction, on the frame at `frame_va`.
inline void enter(u64* regs, u64 frame_va, int sig, u64 handler, u64 restorer) {
    (void)restorer; // (in the frame: pretcode)
    regs[x::kRip] = handler;
    regs[x::kRsp] = frame_va;
    regs[x::kRdi] = static_cast<u64>(sig);
    regs[x::kRsi] = frame_va + kInfoAt;
    regs[x::kRdx] = frame_va + kUcontextAt;
    regs[x::kRax] = 0;
}

/// rt_sigreturn comes from the restorer, after the handler's `ret` took pretcode.
constexpr u64 frame_of_sigreturn(u64 sp) { return sp - 8; }

/// The registers and blocked set a frame holds (the TLS base stays the thread's).
inline void restore(const unsigned char* frame, u64* regs, u64& mask) {
    for (unsigned i = 0; i < sizeof kOrder / sizeof kOrder[0]; ++i) std::memcpy(&regs[kOrder[i]], frame + kMcontextAt + 8 * i, 8);
    std::memcpy(&mask, frame + kSigmaskAt, 8);
}

} // namespace arch::linux_signal
