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
