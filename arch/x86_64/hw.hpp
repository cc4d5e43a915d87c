// Privileged x86 instructions used inside arch/x86_64 only.
#pragma once

#include <base/types.hpp>

namespace arch::x86_64 {

using kernel::u16;
using kernel::u32;
using kernel::u64;
using kernel::u8;

inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
inline u8 inb(u16 port) {
    u8 v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

inline u64 rdmsr(u32 msr) {
    u32 lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (u64{hi} << 32) | lo;
}

inline void wrmsr(u32 msr, u64 v) {
    asm volatile("wrmsr" ::"c"(msr), "a"(static_cast<u32>(v)), "d"(static_cast<u32>(v >> 32))
                 : "memory");
}

inline u64 read_cr0() {
    u64 v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
inline void write_cr0(u64 v) { asm volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
inline u64 read_cr4() {
    u64 v;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
inline void write_cr4(u64 v) { asm volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

struct Cpuid {
    u32 eax, ebx, ecx, edx;
};
inline Cpuid cpuid(u32 leaf, u32 subleaf = 0) {
    Cpuid r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

inline u64 read_cr2() {
    u64 v;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

/// Volatile access to a memory-mapped register.
inline u32 mmio_read32(kernel::uptr va) { return *reinterpret_cast<volatile u32*>(va); }
inline void mmio_write32(kernel::uptr va, u32 v) { *reinterpret_cast<volatile u32*>(va) = v; }

/// The isa-debug-exit device QEMU is started with (scripts/run, qemu.sh).
constexpr u16 kDebugExitPort = 0xf4;

/// The early page tables map the first 4 GiB at kDirectMapBase; boot code may read
/// physical memory below this limit before the kernel's own tables exist.
constexpr u64 kEarlyDirectMapLimit = u64{4} << 30;

} // namespace arch::x86_64
