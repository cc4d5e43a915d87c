// sys_trap_short for x86_64 (sys/syscall.hpp says what it does): the registers of docs/abi.md
// bound to the words, one syscall instruction, nothing in memory.
#pragma once

#include <sys/syscall.hpp>

inline SysShort sys_trap_short(abi::u64 nr, abi::u64 cap, abi::u64 info, abi::u64 mr0) {
    register abi::u64 rax asm("rax") = nr;
    register abi::u64 rdi asm("rdi") = cap;
    register abi::u64 rsi asm("rsi") = info;
    register abi::u64 rdx asm("rdx") = mr0;
    register abi::u64 r10 asm("r10"), r8 asm("r8"), r9 asm("r9"), r12 asm("r12");
    asm volatile("syscall"
                 : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "=r"(r10), "=r"(r8), "=r"(r9), "=r"(r12)
                 :
                 : "rcx", "r11", "memory");
    return {rdi, rsi, rdx, r12};
}

// sys_trap inline: the same registers, `r` in and out, without the call and the stub's
// loads and stores (libsys's own calls take it).
inline void sys_trap_regs(SysRegs& r) {
    register abi::u64 rax asm("rax") = r.nr;
    register abi::u64 rdi asm("rdi") = r.cap;
    register abi::u64 rsi asm("rsi") = r.info;
    register abi::u64 rdx asm("rdx") = r.mr[0];
    register abi::u64 r10 asm("r10") = r.mr[1];
    register abi::u64 r8 asm("r8") = r.mr[2];
    register abi::u64 r9 asm("r9") = r.mr[3];
    register abi::u64 r12 asm("r12");
    asm volatile("syscall"
                 : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9), "=r"(r12)
                 :
                 : "rcx", "r11", "memory");
    r.cap = rdi;
    r.info = rsi;
    r.mr[0] = rdx;
    r.mr[1] = r10;
    r.mr[2] = r8;
    r.mr[3] = r9;
    r.badge = r12;
}
