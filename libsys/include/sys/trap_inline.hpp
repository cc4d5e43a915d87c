// The inline system-call stubs, written once: each arch's <sys/arch_trap.hpp> names its
// registers (docs/abi.md, "Registers") and its trap instruction, and gets
//   SysShort sys_trap_short(nr, cap, info, mr0)  (sys/syscall.hpp says what it does), and
//   void sys_trap_regs(SysRegs& r)              (sys_trap inline: `r` in and out, without
//                                                the call and the stub's loads and stores;
//                                                libsys's own calls take it).
#pragma once

#include <sys/syscall.hpp>

#define SYS_DEFINE_INLINE_TRAPS(NR, CAP, INFO, MR0, MR1, MR2, MR3, BADGE, INSN, ...)                     \
    inline SysShort sys_trap_short(abi::u64 nr, abi::u64 cap, abi::u64 info, abi::u64 mr0) {             \
        register abi::u64 r_nr asm(NR) = nr;                                                            \
        register abi::u64 r_cap asm(CAP) = cap;                                                         \
        register abi::u64 r_info asm(INFO) = info;                                                      \
        register abi::u64 r_mr0 asm(MR0) = mr0;                                                         \
        register abi::u64 r_mr1 asm(MR1), r_mr2 asm(MR2), r_mr3 asm(MR3), r_badge asm(BADGE);           \
        asm volatile(INSN                                                                               \
                     : "+r"(r_nr), "+r"(r_cap), "+r"(r_info), "+r"(r_mr0), "=r"(r_mr1), "=r"(r_mr2),    \
                       "=r"(r_mr3), "=r"(r_badge)                                                       \
                     :                                                                                  \
                     : __VA_ARGS__);                                                                    \
        return {r_cap, r_info, r_mr0, r_badge};                                                         \
    }                                                                                                   \
    inline void sys_trap_regs(SysRegs& r) {                                                             \
        register abi::u64 r_nr asm(NR) = r.nr;                                                          \
        register abi::u64 r_cap asm(CAP) = r.cap;                                                       \
        register abi::u64 r_info asm(INFO) = r.info;                                                    \
        register abi::u64 r_mr0 asm(MR0) = r.mr[0];                                                     \
        register abi::u64 r_mr1 asm(MR1) = r.mr[1];                                                     \
        register abi::u64 r_mr2 asm(MR2) = r.mr[2];                                                     \
        register abi::u64 r_mr3 asm(MR3) = r.mr[3];                                                     \
        register abi::u64 r_badge asm(BADGE);                                                           \
        asm volatile(INSN                                                                               \
                     : "+r"(r_nr), "+r"(r_cap), "+r"(r_info), "+r"(r_mr0), "+r"(r_mr1), "+r"(r_mr2),    \
                       "+r"(r_mr3), "=r"(r_badge)                                                       \
                     :                                                                                  \
                     : __VA_ARGS__);                                                                    \
        r.cap = r_cap;                                                                                  \
        r.info = r_info;                                                                                \
        r.mr[0] = r_mr0;                                                                                \
        r.mr[1] = r_mr1;                                                                                \
        r.mr[2] = r_mr2;                                                                                \
        r.mr[3] = r_mr3;                                                                                \
        r.badge = r_badge;                                                                              \
    }
