// Linux's signal frame on aarch64 (arch/arm64/kernel/signal.c, uapi asm/sigcontext.h and
// asm/ucontext.h), for procserv's Linux front end (servers/procserv/signal.cpp).
//   frame + 0    struct siginfo (128)
//   frame + 128  struct ucontext: uc_flags, uc_link, uc_stack (24), uc_sigmask (8), unused
//                (120), uc_mcontext at +176 (struct sigcontext: fault_address, regs[31],
//                sp, pc, pstate, then __reserved[4096] at +288, 16-aligned: the FP/SIMD
//                record (magic 0x46508001, size 528: fpsr, fpcr, v0-v31), then a header
//                of zeros, the end)
//   then         a frame record {x29, x30} for unwinders
// The handler starts with sp = frame, x0 = the signal, x1 = &info, x2 = &uc, x29 = the
// frame record, x30 = the restorer (sa_restorer, or procserv's trampoline page: glibc
// sets none on aarch64). rt_sigreturn loads the FP/SIMD state back from the record.
#pragma once

#include <arch/context.hpp>
#include <sys/linux_generic_signal.hpp>

#include <cstring>

namespace arch::linux_signal {

using u64 = kernel::u64;
using namespace ::linux_generic_signal;

/// The trampoline: rt_sigreturn (139). mov x8, #139; svc #0
constexpr unsigned char kSigreturn[] = {0x68, 0x11, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4};
constexpr u64 kRegsAt = kMcontextAt + 8, kSpAt = kRegsAt + 31 * 8, kPcAt = kSpAt + 8, kPstateAt = kPcAt + 8;
constexpr u64 kReservedAt = kMcontextAt + 288, kRecordAt = kReservedAt + 4096;
constexpr u64 kFrameBytes = kRecordAt + 16;
constexpr unsigned kFpsimdMagic = 0x46508001, kFpsimdSize = 16 + 32 * 16;
/// The system-call instruction's length: a call restarted after a handler (SA_RESTART)
/// resumes this far back.
constexpr u64 kSyscallBytes = 4;
/// MINSIGSTKSZ: sigaltstack refuses a smaller stack (ENOMEM).
constexpr u64 kMinStack = 5120;

constexpr u64 frame_at(u64 sp) { return frame_below(sp, kFrameBytes); }

inline void build(unsigned char* frame, u64 frame_va, const u64* regs, const unsigned char* info, u64 mask,
                  u64 restorer, u64 fault_address) {
    begin(frame, kFrameBytes, info, mask);
    std::memcpy(frame + kMcontextAt, &fault_address, 8);
    for (unsigned n = 0; n < 31; ++n) std::memcpy(frame + kRegsAt + 8 * n, &regs[aarch64::reg_index_of_x(n)], 8);
    std::memcpy(frame + kSpAt, &regs[abi::kRegSp], 8);
    std::memcpy(frame + kPcAt, &regs[abi::kRegIp], 8);
    std::memcpy(frame + kPstateAt, &regs[aarch64::kRegSpsr], 8);
    std::memcpy(frame + kRecordAt, &regs[aarch64::reg_index_of_x(29)], 8);
    std::memcpy(frame + kRecordAt + 8, &regs[abi::kRegIp], 8);
    (void)frame_va, (void)restorer;
}

inline void enter(u64* regs, u64 frame_va, int sig, u64 handler, u64 restorer) {
    regs[abi::kRegIp] = handler;
    regs[abi::kRegSp] = frame_va;
    regs[aarch64::reg_index_of_x(0)] = static_cast<u64>(sig);
    regs[aarch64::reg_index_of_x(1)] = info_of(frame_va);
    regs[aarch64::reg_index_of_x(2)] = ucontext_of(frame_va);
    regs[aarch64::reg_index_of_x(29)] = frame_va + kRecordAt;
    regs[aarch64::reg_index_of_x(30)] = restorer;
}

/// The thread's FP/SIMD image (abi::kFpuWords words: q0..q31, FPSR, FPCR) into the
/// frame's FP/SIMD record, and back: false when the record is not there.
inline void put_fpu(unsigned char* frame, u64 frame_va, const u64* fpu) {
    const unsigned head[4] = {kFpsimdMagic, kFpsimdSize, static_cast<unsigned>(fpu[64]), static_cast<unsigned>(fpu[65])};
    std::memcpy(frame + kReservedAt, head, 16);
    std::memcpy(frame + kReservedAt + 16, fpu, 512);
    (void)frame_va;
}
inline bool get_fpu(const unsigned char* frame, u64 frame_va, u64* fpu) {
    unsigned head[4];
    std::memcpy(head, frame + kReservedAt, 16);
    if (head[0] != kFpsimdMagic || head[1] != kFpsimdSize) return false;
    std::memcpy(fpu, frame + kReservedAt + 16, 512);
    fpu[64] = head[2], fpu[65] = head[3];
    (void)frame_va;
    return true;
}

/// rt_sigreturn comes from the trampoline with the handler's sp back where it started.
constexpr u64 frame_of_sigreturn(u64 sp) { return sp; }

inline void restore(const unsigned char* frame, u64* regs, u64& mask) {
    for (unsigned n = 0; n < 31; ++n) std::memcpy(&regs[aarch64::reg_index_of_x(n)], frame + kRegsAt + 8 * n, 8);
    std::memcpy(&regs[abi::kRegSp], frame + kSpAt, 8);
    std::memcpy(&regs[abi::kRegIp], frame + kPcAt, 8);
    std::memcpy(&mask, frame + kSigmaskAt, 8);
    // (pstate: the flags only; the kernel forces user mode whatever is there)
    u64 pstate;
    std::memcpy(&pstate, frame + kPstateAt, 8);
    regs[aarch64::kRegSpsr] = (regs[aarch64::kRegSpsr] & ~(u64{0xf} << 28)) | (pstate & (u64{0xf} << 28));
}

} // namespace arch::linux_signal
