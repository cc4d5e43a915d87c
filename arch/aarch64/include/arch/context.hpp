// An aarch64 user thread's state: where each register lives in the portable register
// file (docs/abi.md, "Registers"; docs/porting.md, "User mode") and the layout of the
// FPU/SIMD area. user_entry.S saves and restores with the macros below; the C++ half
// checks them against the portable indices, so the assembly and the ABI cannot drift.
//
// Register file (64-bit words):
//   0 ELR_EL1 (ip)   1 SP_EL0 (sp)   2 x8 (syscall number)
//   3..9  x0..x6 (cap/result, info, mr0..mr3, badge)   10 x7
//   11..32 x9..x30   33 SPSR_EL1 (only NZCV survives return_to_user)   34 TPIDR_EL0
//   35..47 unused.
// Pairs that the assembly moves with one ldp/stp sit next to each other: (x0, x1),
// (x2, x3), (x4, x5), (x6, x7), (x9, x10) ... (x29, x30), (SPSR, TPIDR_EL0).
//
// FPU area (bytes): q0..q31 at 16 * n, FPSR at 512, FPCR at 520; 528 bytes in all,
// saved on every entry and restored on every exit (no lazy switching yet).
//
// Usable from assembly: only the macro part is seen there.
#pragma once

#define AARCH64_REG_IP 0
#define AARCH64_REG_SP 1
#define AARCH64_REG_X8 2
#define AARCH64_REG_X0 3    /* x0..x6 at AARCH64_REG_X0 + n */
#define AARCH64_REG_X7 10
#define AARCH64_REG_X9 11   /* x9..x30 at AARCH64_REG_X9 + (n - 9) */
#define AARCH64_REG_SPSR 33
#define AARCH64_REG_TLS 34

#define AARCH64_FPU_FPSR 512
#define AARCH64_FPU_FPCR 520
#define AARCH64_FPU_BYTES 528

#ifndef __ASSEMBLER__

#include <abi/abi.hpp>
#include <base/types.hpp>

namespace arch {

namespace aarch64 {

/// The register file index of x<n>, n = 0..30.
constexpr kernel::u32 reg_index_of_x(unsigned n) {
    if (n <= 6) return AARCH64_REG_X0 + n;
    if (n == 7) return AARCH64_REG_X7;
    if (n == 8) return AARCH64_REG_X8;
    return AARCH64_REG_X9 + (n - 9);
}

constexpr kernel::u32 kRegSpsr = AARCH64_REG_SPSR;
constexpr kernel::usize kFpuBytes = AARCH64_FPU_BYTES;
constexpr kernel::usize kFpuAlign = 16; ///< ldp/stp of q registers want 16-byte alignment

// Every index is used once and inside the file: a duplicate would let one register
// overwrite another on entry.
constexpr bool layout_is_injective() {
    bool used[abi::kRegCount] = {};
    kernel::u32 others[] = {AARCH64_REG_IP, AARCH64_REG_SP, AARCH64_REG_SPSR, AARCH64_REG_TLS};
    for (kernel::u32 i : others) {
        if (i >= abi::kRegCount || used[i]) return false;
        used[i] = true;
    }
    for (unsigned n = 0; n <= 30; ++n) {
        kernel::u32 i = reg_index_of_x(n);
        if (i >= abi::kRegCount || used[i]) return false;
        used[i] = true;
    }
    return true;
}
static_assert(layout_is_injective());
static_assert(reg_index_of_x(30) == 32 && AARCH64_REG_SPSR == 33);
static_assert(AARCH64_REG_IP == abi::kRegIp && AARCH64_REG_SP == abi::kRegSp);
static_assert(reg_index_of_x(8) == abi::kRegSyscall);
static_assert(reg_index_of_x(0) == abi::kRegCap && reg_index_of_x(1) == abi::kRegInfo);
static_assert(reg_index_of_x(2) == abi::kRegMr0 && reg_index_of_x(5) == abi::kRegMr0 + 3);
static_assert(reg_index_of_x(6) == abi::kRegBadge);

static_assert(kFpuBytes == 32 * 16 + 2 * 8 && AARCH64_FPU_FPCR == AARCH64_FPU_FPSR + 8);
static_assert(kFpuBytes <= kernel::kFpuAreaBytes, "q0-q31, FPSR and FPCR must fit the FPU area");
static_assert(64 % kFpuAlign == 0, "the 64-aligned FPU area satisfies ldp/stp of q registers");

} // namespace aarch64

/// The TLS base of a thread: TPIDR_EL0, as the AArch64 ELF ABI uses it.
constexpr kernel::u32 kRegTls = AARCH64_REG_TLS;
static_assert(kRegTls >= abi::kRegArchFirst && kRegTls < abi::kRegCount);
/// Where a Linux system call's result goes (Linux-ABI threads): x0.
constexpr kernel::u32 kRegLinuxResult = AARCH64_REG_X0;
/// The system-call instruction's length (svc): the saved IP minus this makes it again.
constexpr kernel::u64 kSyscallBytes = 4;

} // namespace arch

#endif // __ASSEMBLER__
