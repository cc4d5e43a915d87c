// Where each x86_64 user register lives in the portable register file (docs/abi.md,
// docs/porting.md "User mode"). Indices 0..9 are fixed by the ABI; the rest are ours.
// The entry/exit assembly uses the same numbers as byte offsets (arch/x86_64/user_frame.h,
// checked against this enum in user.cpp).
#pragma once

#include <abi/abi.hpp>
#include <base/types.hpp>

namespace arch {

namespace x86_64 {

enum UserReg : kernel::u32 {
    kRip = abi::kRegIp,       // 0
    kRsp = abi::kRegSp,       // 1
    kRax = abi::kRegSyscall,  // 2: syscall number
    kRdi = abi::kRegCap,      // 3: capability / result
    kRsi = abi::kRegInfo,     // 4: MessageInfo
    kRdx = abi::kRegMr0,      // 5: mr0
    kR10 = abi::kRegMr0 + 1,  // 6: mr1 (rcx is taken by the syscall instruction)
    kR8 = abi::kRegMr0 + 2,   // 7: mr2
    kR9 = abi::kRegMr0 + 3,   // 8: mr3
    kR12 = abi::kRegBadge,    // 9: badge
    kRflags = abi::kRegArchFirst, // 10
    kRbx,                     // 11
    kRcx,                     // 12: after a syscall, the user's return RIP (the CPU's doing)
    kRbp,                     // 13
    kR11,                     // 14: after a syscall, the user's RFLAGS (the CPU's doing)
    kR13,                     // 15
    kR14,                     // 16
    kR15,                     // 17
    kFsBase,                  // 18: the TLS base (IA32_FS_BASE)
    kGsBase,                  // 19: user-writable too once CR4.FSGSBASE is on
    kUserRegCount_,
};
static_assert(kernel::u32{kUserRegCount_} <= kernel::u32{abi::kRegCount});

/// FXSAVE/FXRSTOR image (SDM vol. 1, 10.5.1): 512 bytes, 16-byte aligned. No XSAVE: the
/// kernel does not enable AVX (CR4.OSXSAVE stays clear), so this is the whole state.
constexpr kernel::usize kFxsaveBytes = 512;
constexpr kernel::usize kFxsaveAlign = 16;
static_assert(kFxsaveBytes <= kernel::kFpuAreaBytes, "the FXSAVE image must fit the FPU area");
static_assert(64 % kFxsaveAlign == 0, "the 64-aligned FPU area satisfies FXSAVE's alignment");

} // namespace x86_64

/// The TLS base of a thread: FS base, as the System V x86_64 ABI uses it.
constexpr kernel::u32 kRegTls = x86_64::kFsBase;
static_assert(kRegTls >= abi::kRegArchFirst && kRegTls < abi::kRegCount);
/// Where a Linux system call's result goes (Linux-ABI threads): rax, the number's register.
constexpr kernel::u32 kRegLinuxResult = x86_64::kRax;
/// The system-call instruction's length (syscall, 0f 05): the saved IP minus this makes
/// it again (rcx and r11, which it clobbers, the user gave up already).
constexpr kernel::u64 kSyscallBytes = 2;

} // namespace arch
