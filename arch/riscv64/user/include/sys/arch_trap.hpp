// sys_trap_short for riscv64 (sys/syscall.hpp says what it does): the registers of docs/abi.md
// bound to the words, one syscall instruction, nothing in memory.
#pragma once

#include <sys/syscall.hpp>

inline SysShort sys_trap_short(abi::u64 nr, abi::u64 cap, abi::u64 info, abi::u64 mr0) {
    register abi::u64 a7 asm("a7") = nr;
    register abi::u64 a0 asm("a0") = cap;
    register abi::u64 a1 asm("a1") = info;
    register abi::u64 a2 asm("a2") = mr0;
    register abi::u64 a3 asm("a3"), a4 asm("a4"), a5 asm("a5"), a6 asm("a6");
    asm volatile("ecall"
                 : "+r"(a7), "+r"(a0), "+r"(a1), "+r"(a2), "=r"(a3), "=r"(a4), "=r"(a5), "=r"(a6)
                 :
                 : "memory");
    return {a0, a1, a2, a6};
}

// sys_trap inline: the same registers, `r` in and out, without the call and the stub's
// loads and stores (libsys's own calls take it).
inline void sys_trap_regs(SysRegs& r) {
    register abi::u64 a7 asm("a7") = r.nr;
    register abi::u64 a0 asm("a0") = r.cap;
    register abi::u64 a1 asm("a1") = r.info;
    register abi::u64 a2 asm("a2") = r.mr[0];
    register abi::u64 a3 asm("a3") = r.mr[1];
    register abi::u64 a4 asm("a4") = r.mr[2];
    register abi::u64 a5 asm("a5") = r.mr[3];
    register abi::u64 a6 asm("a6");
    asm volatile("ecall"
                 : "+r"(a7), "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "=r"(a6)
                 :
                 : "memory");
    r.cap = a0;
    r.info = a1;
    r.mr[0] = a2;
    r.mr[1] = a3;
    r.mr[2] = a4;
    r.mr[3] = a5;
    r.badge = a6;
}
