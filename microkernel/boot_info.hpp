// What the arch layer learns from the firmware and hands to the portable kernel.
#pragma once

#include <base/types.hpp>

namespace kernel {

/// A fixed-capacity list: boot code runs before any allocator exists.
template <class T, usize N>
struct FixedList {
    T items[N]{};
    usize count = 0;
    /// Returns false (and drops the item) when full; callers report that.
    bool push(const T& t) {
        if (count == N) return false;
        items[count++] = t;
        return true;
    }
    const T* begin() const { return items; }
    const T* end() const { return items + count; }
    T* begin() { return items; }
    T* end() { return items + count; }
};

/// An MMIO window the kernel needs mapped (device memory type) in its address space.
struct MmioRange {
    PhysRange range;
    const char* name = "";
};

/// The CPUs a BootInfo keeps (QEMU's largest boards list 288 and 512).
constexpr u32 kListedCpus = 256;

struct BootInfo {
    const char* arch = "";          ///< "x86_64", "aarch64", "riscv64"
    char firmware[96] = {};         ///< how we were booted, from the firmware's own words
    char cmdline[256] = {};         ///< kernel command line (copied; may be empty)
    FixedList<PhysRange, 64> ram;   ///< usable RAM as the firmware reports it
    FixedList<PhysRange, 64> reserved; ///< never handed out: kernel, initrd, dtb/mbi, firmware
    FixedList<MmioRange, 16> mmio;  ///< device windows to keep mapped
    PhysRange initrd;               ///< the cpio archive (size 0 if none)
    PhysRange kernel_image;         ///< where the kernel image was loaded
    u64 timer_hz = 0;               ///< counter frequency, when the arch has one
    u64 rtc_seconds = 0;            ///< the real-time clock at boot: seconds since 1970 (UTC); 0: none
    /// Every CPU the firmware describes as usable, by its arch id (x86_64: local APIC id;
    /// aarch64: MPIDR_EL1 affinity; riscv64: hart id), in the firmware's order; empty if
    /// it describes none (then only the boot CPU is known). The kernel runs at most
    /// kMaxCpus of them (smp.hpp) and parks the others (arch::park_cpu).
    FixedList<u64, kListedCpus> cpus;
    u32 cpus_listed = 0;            ///< how many the firmware describes (`cpus` keeps the first 256)
    u64 boot_cpu = 0;               ///< the arch id of the CPU that booted, which runs the kernel
    bool truncated = false;         ///< a FixedList overflowed: some firmware data was dropped
};

} // namespace kernel
