// Byte offsets into the portable register file for the entry/exit assembly
// (user_entry.S). They are the indices of <arch/context.hpp> times 8; user.cpp
// static_asserts that the two agree, so they cannot drift.
#pragma once

#define UREG_RIP (0 * 8)
#define UREG_RSP (1 * 8)
#define UREG_RAX (2 * 8)
#define UREG_RDI (3 * 8)
#define UREG_RSI (4 * 8)
#define UREG_RDX (5 * 8)
#define UREG_R10 (6 * 8)
#define UREG_R8 (7 * 8)
#define UREG_R9 (8 * 8)
#define UREG_R12 (9 * 8)
#define UREG_RFLAGS (10 * 8)
#define UREG_RBX (11 * 8)
#define UREG_RCX (12 * 8)
#define UREG_RBP (13 * 8)
#define UREG_R11 (14 * 8)
#define UREG_R13 (15 * 8)
#define UREG_R14 (16 * 8)
#define UREG_R15 (17 * 8)
#define UREG_FS_BASE (18 * 8)
#define UREG_GS_BASE (19 * 8)

// GDT selectors (x86_64.hpp): user data and 64-bit user code, RPL 3.
#define USER_DS (0x20 | 3)
#define USER_CS (0x28 | 3)

#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
