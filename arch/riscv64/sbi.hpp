// Calls into the SBI firmware (OpenSBI) running in M-mode: the RISC-V SBI specification's
// calling convention is a7 = extension id, a6 = function id, a0.. = arguments; it returns
// an error code in a0 and a value in a1.
#pragma once

#include <base/types.hpp>

namespace arch::riscv64::sbi {

using kernel::u64;

enum class Eid : u64 {
    LegacySetTimer = 0x00,
    LegacyPutchar = 0x01,
    LegacyShutdown = 0x08,
    Base = 0x10,
    Time = 0x54494D45,  // "TIME"
    Reset = 0x53525354, // "SRST"
    Hsm = 0x48534D,     // "HSM": hart state management
    Ipi = 0x735049,     // "sPI": inter-processor interrupts
    Rfence = 0x52464E43, // "RFNC": remote fences
};

struct Ret {
    long error; ///< 0 = success; -2 = not supported
    u64 value;
};

inline Ret call(Eid eid, u64 fid, u64 arg0 = 0, u64 arg1 = 0, u64 arg2 = 0) {
    register u64 a0 asm("a0") = arg0;
    register u64 a1 asm("a1") = arg1;
    register u64 a2 asm("a2") = arg2;
    register u64 a6 asm("a6") = fid;
    register u64 a7 asm("a7") = static_cast<u64>(eid);
    asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");
    return Ret{static_cast<long>(a0), a1};
}

/// HSM hart_start: `hart` begins at physical `entry` in S-mode, paging off, with
/// a0 = its hart id and a1 = `opaque`.
inline Ret hart_start(u64 hart, u64 entry, u64 opaque) { return call(Eid::Hsm, 0, hart, entry, opaque); }
constexpr long kErrAlreadyAvailable = -6; ///< hart_start: the hart already runs

/// IPI send_ipi: a supervisor software interrupt to the harts of `mask` (bit i: hart
/// `base` + i).
inline Ret send_ipi(u64 mask, u64 base) { return call(Eid::Ipi, 0, mask, base); }

/// RFENCE remote_sfence_vma_asid: the harts of `mask` (bit i: hart `base` + i) drop
/// their translations of [start, start + size) tagged `asid` (size ~0: every address);
/// OpenSBI returns once they all have.
inline Ret remote_sfence_vma_asid(u64 mask, u64 base, u64 start, u64 size, u64 asid) {
    register u64 a0 asm("a0") = mask;
    register u64 a1 asm("a1") = base;
    register u64 a2 asm("a2") = start;
    register u64 a3 asm("a3") = size;
    register u64 a4 asm("a4") = asid;
    register u64 a6 asm("a6") = 2;
    register u64 a7 asm("a7") = static_cast<u64>(Eid::Rfence);
    asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a3), "r"(a4), "r"(a6), "r"(a7) : "memory");
    return Ret{static_cast<long>(a0), a1};
}

/// SBI v0.1 has no Base extension: the call then fails (or, with a v0.1-only
/// implementation, returns garbage in a0 that is not 0), so check `error`.
inline Ret spec_version() { return call(Eid::Base, 0); }
inline Ret impl_id() { return call(Eid::Base, 1); }
inline Ret impl_version() { return call(Eid::Base, 2); }
inline bool probe(Eid eid) {
    Ret r = call(Eid::Base, 3, static_cast<u64>(eid));
    return r.error == 0 && r.value != 0;
}

/// Known values of sbi_get_impl_id (SBI spec, "Implementation IDs").
constexpr u64 kImplOpenSbi = 1;

} // namespace arch::riscv64::sbi
