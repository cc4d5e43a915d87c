// The raw system call: one structure in, the same structure out. Each arch's
// arch/<arch>/user/syscall.S moves these words into the registers docs/abi.md assigns,
// executes the syscall instruction, and stores the results back.
#pragma once

#include <abi/abi.hpp>

extern "C" {

/// Register words of one system call. Offsets are fixed (the assembly stubs use them).
struct SysRegs {
    abi::u64 nr;    ///< +0   abi::Syscall (in)
    abi::u64 cap;   ///< +8   capability slot (in); 0 or -errno (out)
    abi::u64 info;  ///< +16  MessageInfo (in and out)
    abi::u64 mr[4]; ///< +24  message registers 0..3 (in and out)
    abi::u64 badge; ///< +56  badge of the sender (out)
};

/// Perform the system call described by `r`, in place.
void sys_trap(SysRegs* r);

/// The words a short system call returns (sys_trap_short).
struct SysShort {
    abi::u64 result; ///< 0 or -errno (the capability register)
    abi::u64 info;   ///< MessageInfo of the message received
    abi::u64 mr0;
    abi::u64 badge;
};

/// `n` iterations of exactly two instructions, in assembly so that the count is the same
/// on every compiler (benchmark calibration). Returns 0.
abi::u64 sys_spin(abi::u64 n);

/// A Yield made with a distinct value in every register the system-call ABI keeps (all
/// but the result and the badge register, and those the instruction itself overwrites):
/// 0 if each still holds its value afterwards and the result is 0, else a nonzero mask
/// of what changed (bit 63: the result). Checks the kernel's null system call (the entry
/// assembly's Yield) and the full path alike.
abi::u64 sys_yield_check();

/// The thread's TLS base register (FS base / TPIDR_EL0 / tp), as the kernel set it.
abi::u64 sys_read_tls();

/// The user-readable counter: TSC (x86_64), PMCCNTR_EL0 (aarch64), instret (riscv64).
/// Under QEMU -icount shift=0 all three count guest instructions (docs/performance.md).
abi::u64 sys_read_counter();

/// One FP/SIMD instruction: the thread then holds the FP registers (the kernel switches
/// them lazily; benchmarks of a call made right after FP work).
void sys_touch_fpu();

} // extern "C"

static_assert(sizeof(SysRegs) == 64);

// A system call whose message is at most one word, with every word in a register and
// nothing in memory, as sel4bench's stubs make it: <sys/arch_trap.hpp> (each arch's
// arch/<arch>/user/include/sys/arch_trap.hpp, from sys/trap_inline.hpp) has it inline,
//   SysShort sys_trap_short(abi::u64 nr, abi::u64 cap, abi::u64 info, abi::u64 mr0);
// mr1..mr3 may come back changed (a message received can fill them): a call that needs
// them takes sys_trap, or its inline form sys_trap_regs(SysRegs&).
