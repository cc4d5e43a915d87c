#include <microkernel/arch.hpp>
#include <microkernel/boot_only.hpp>
#include <microkernel/format.hpp>
#include <microkernel/smp.hpp>

namespace kernel {
namespace {

/// The logical number of the last CPU that reported in (0: none yet). Written by that
/// CPU, read by the boot CPU, which starts the next one only after it saw this one.
u32 g_arrived = 0;
constexpr u32 kWrongSelf = ~0u; ///< reported by a CPU whose arch::cpu_index() is not its number

} // namespace

BOOT_ONLY u32 start_other_cpus(const BootInfo& info, FrameAllocator& frames, PhysWindow window) {
    if (arch::cpu_index() != 0) panic("the boot CPU's own data does not say CPU 0");
    u32 online = 1, index = 1;
    for (u64 arch_id : info.cpus) {
        if (arch_id == info.boot_cpu) continue;
        if (index >= kMaxCpus) {
            print("cpu {}: not started (arch id {}): the kernel runs at most {} CPUs\n", index, arch_id, kMaxCpus);
            break;
        }
        auto stack = frames.alloc_contiguous(kCpuStackBytes / kPageSize, kPageSize);
        if (!stack) {
            print("cpu {}: not started (arch id {}): no memory for its stack\n", index, arch_id);
            break;
        }
        const u64 stack_top = reinterpret_cast<uptr>(window.at<u8>(stack.value())) + kCpuStackBytes;
        if (!arch::start_cpu(index, arch_id, stack_top)) {
            print("cpu {}: not started (arch id {}): the firmware refused\n", index, arch_id);
            for (usize i = 0; i < kCpuStackBytes / kPageSize; ++i) (void)frames.free(stack.value() + i * kPageSize);
            ++index;
            continue;
        }
        const u64 deadline = arch::clock_ns() + kCpuStartTimeoutNs;
        u32 arrived = 0;
        while ((arrived = __atomic_load_n(&g_arrived, __ATOMIC_ACQUIRE)) != index && arrived != kWrongSelf &&
               arch::clock_ns() < deadline) {
        }
        if (arrived == kWrongSelf) panic("a started CPU's own data names another CPU");
        if (arrived != index) {
            // Its stack stays allocated: it may still arrive and use it. No other CPU is
            // started after one that might: they would report in under the same number.
            print("cpu {}: started (arch id {}) but did not report in as cpu {} within a second; no more CPUs started\n", index, arch_id, index);
            break;
        }
        print("cpu {} online (arch id {})\n", index, arch_id);
        ++online;
        ++index;
    }
    return online;
}

// The CPU reports in, then waits with interrupts masked: until the kernel can run threads
// on several CPUs (issue 14) it has nothing to do.
BOOT_ONLY [[noreturn]] void on_cpu_start(u32 index) {
    // Its own data must say who it is (arch::cpu_index), or the boot CPU hears kWrongSelf.
    const u32 self = arch::cpu_index();
    __atomic_store_n(&g_arrived, self == index ? index : kWrongSelf, __ATOMIC_RELEASE);
    arch::interrupts_disable();
    for (;;) arch::wait_for_interrupt();
}

} // namespace kernel
