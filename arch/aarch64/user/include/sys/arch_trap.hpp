// sys_trap_short for aarch64 (sys/syscall.hpp says what it does): the registers of docs/abi.md
// bound to the words, one syscall instruction, nothing in memory.
#pragma once

#include <sys/syscall.hpp>

inline SysShort sys_trap_short(abi::u64 nr, abi::u64 cap, abi::u64 info, abi::u64 mr0) {
    register abi::u64 x8 asm("x8") = nr;
    register abi::u64 x0 asm("x0") = cap;
    register abi::u64 x1 asm("x1") = info;
    register abi::u64 x2 asm("x2") = mr0;
    register abi::u64 x3 asm("x3"), x4 asm("x4"), x5 asm("x5"), x6 asm("x6");
    asm volatile("svc #0"
                 : "+r"(x8), "+r"(x0), "+r"(x1), "+r"(x2), "=r"(x3), "=r"(x4), "=r"(x5), "=r"(x6)
                 :
                 : "memory");
    return {x0, x1, x2, x6};
}

// sys_trap inline: the same registers, `r` in and out, without the call and the stub's
// loads and stores (libsys's own calls take it).
inline void sys_trap_regs(SysRegs& r) {
    register abi::u64 x8 asm("x8") = r.nr;
    register abi::u64 x0 asm("x0") = r.cap;
    register abi::u64 x1 asm("x1") = r.info;
    register abi::u64 x2 asm("x2") = r.mr[0];
    register abi::u64 x3 asm("x3") = r.mr[1];
    register abi::u64 x4 asm("x4") = r.mr[2];
    register abi::u64 x5 asm("x5") = r.mr[3];
    register abi::u64 x6 asm("x6");
    asm volatile("svc #0"
                 : "+r"(x8), "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "=r"(x6)
                 :
                 : "memory");
    r.cap = x0;
    r.info = x1;
    r.mr[0] = x2;
    r.mr[1] = x3;
    r.mr[2] = x4;
    r.mr[3] = x5;
    r.badge = x6;
}
