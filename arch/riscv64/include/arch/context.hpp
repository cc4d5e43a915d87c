// A riscv64 user thread's state in the portable register file (docs/abi.md, "Registers").
//
// The layout is written once, as the X-macro below, and read by both trap_entry.S (which
// saves and restores with it) and the C++ constants here, so the two cannot drift.
// Indices 0..9 are the portable ones (ip, sp, a7, a0, a1, a2..a5, a6); the other general
// registers take 10..31 (ra, gp, tp, t0..t2, s0, s1 at 10..17; x18..x31 at their own
// number). Indices 32..47 are unused. The status register is not in the file: sstatus is
// forced to its user-mode value on every return (return_to_user), so no saved value can
// ask for S-mode.
//
// FPU: user programs are built rv64gc/lp64d. The FPU area holds f0..f31 (words 0..31)
// and fcsr (word 32); all zero is the reset state, so a zero-initialized area needs no
// init_fpu_area to be valid. The FPU is switched lazily (arch::fpu_switch): the thread
// that owns the registers runs with sstatus.FS = Clean, every other with FS = Off, so
// that its first FP instruction raises an illegal-instruction trap, which the arch
// reports as TrapKind::FpuUnavailable. The kernel has no F/D code and runs with FS = Off.
// The V extension stays off (sstatus.VS = Off): user vector instructions trap.
//
// Usable from assembly: only the macro part is seen there.
#pragma once

/// X(n, index): general register x<n> lives at word `index` of the register file.
/// (x0 is hard-wired zero and has no slot; the IP, from sepc, is at index 0.)
#define RISCV64_USER_REG_LAYOUT(X)                                                       \
    X(1, 10)  /* ra */                                                                   \
    X(2, 1)   /* sp: kRegSp */                                                           \
    X(3, 11)  /* gp */                                                                   \
    X(4, 12)  /* tp: kRegTls */                                                          \
    X(5, 13)  /* t0 */                                                                   \
    X(6, 14)  /* t1 */                                                                   \
    X(7, 15)  /* t2 */                                                                   \
    X(8, 16)  /* s0/fp */                                                                \
    X(9, 17)  /* s1 */                                                                   \
    X(10, 3)  /* a0: kRegCap */                                                          \
    X(11, 4)  /* a1: kRegInfo */                                                         \
    X(12, 5)  /* a2: kRegMr0 */                                                          \
    X(13, 6)  /* a3 */                                                                   \
    X(14, 7)  /* a4 */                                                                   \
    X(15, 8)  /* a5 */                                                                   \
    X(16, 9)  /* a6: kRegBadge */                                                        \
    X(17, 2)  /* a7: kRegSyscall */                                                      \
    X(18, 18) X(19, 19) X(20, 20) X(21, 21) X(22, 22) X(23, 23) X(24, 24) /* s2..s8 */   \
    X(25, 25) X(26, 26) X(27, 27) /* s9..s11 */                                          \
    X(28, 28) X(29, 29) X(30, 30) X(31, 31) /* t3..t6 */

/// Index of the instruction pointer (sepc) in the register file.
#define RISCV64_USER_REG_IP 0

/// Byte offsets in the FPU area (f<n> is at n * 8).
#define RISCV64_FPU_FCSR (32 * 8)

#ifndef __ASSEMBLER__

#include <abi/abi.hpp>
#include <base/types.hpp>

namespace arch {

namespace riscv64 {
/// kRegIndexOfX[n]: the register file index of x<n> (entry 0, for x0, is unused).
constexpr kernel::u32 kRegIndexOfX[32] = {
    0,
#define RISCV64_INDEX_ENTRY(n, index) index,
    RISCV64_USER_REG_LAYOUT(RISCV64_INDEX_ENTRY)
#undef RISCV64_INDEX_ENTRY
};
} // namespace riscv64

/// Where the thread pointer tp (x4), the TLS base, lives.
constexpr kernel::u32 kRegTls = riscv64::kRegIndexOfX[4];

static_assert(kRegTls >= abi::kRegArchFirst && kRegTls < abi::kRegCount);
/// Where a Linux system call's result goes (Linux-ABI threads): a0.
constexpr kernel::u32 kRegLinuxResult = riscv64::kRegIndexOfX[10];
/// The system-call instruction's length (ecall, never compressed): the saved IP minus
/// this makes it again.
constexpr kernel::u64 kSyscallBytes = 4;
static_assert(RISCV64_FPU_FCSR + 8 <= kernel::kFpuAreaBytes);
static_assert(RISCV64_USER_REG_IP == abi::kRegIp);
static_assert(riscv64::kRegIndexOfX[2] == abi::kRegSp);
static_assert(riscv64::kRegIndexOfX[17] == abi::kRegSyscall);
static_assert(riscv64::kRegIndexOfX[10] == abi::kRegCap);
static_assert(riscv64::kRegIndexOfX[11] == abi::kRegInfo);
static_assert(riscv64::kRegIndexOfX[12] == abi::kRegMr0);
static_assert(riscv64::kRegIndexOfX[15] == abi::kRegMr0 + 3);
static_assert(riscv64::kRegIndexOfX[16] == abi::kRegBadge);

namespace riscv64 {
// Every index is used once and inside the file: a duplicate would let one register
// overwrite another on entry.
constexpr bool layout_is_injective() {
    bool used[abi::kRegCount] = {};
    used[RISCV64_USER_REG_IP] = true;
    for (unsigned n = 1; n < 32; ++n) {
        kernel::u32 i = kRegIndexOfX[n];
        if (i >= abi::kRegCount || used[i]) return false;
        used[i] = true;
    }
    return true;
}
static_assert(layout_is_injective());
} // namespace riscv64

} // namespace arch

#endif // __ASSEMBLER__
