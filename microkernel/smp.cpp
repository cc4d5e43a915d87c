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

/// The remote call waiting for each CPU: posted in its slot, then an IPI makes the CPU run
/// it in on_ipi, which acknowledges by clearing `pending`.
struct RemoteCall {
    void (*fn)(void*) = nullptr;
    void* arg = nullptr;
    u32 pending = 0; ///< set by the caller; cleared by the target once fn has returned
};
RemoteCall g_calls[kMaxCpus];

BOOT_ONLY void post_call(u32 cpu, void (*fn)(void*), void* arg) {
    RemoteCall& call = g_calls[cpu];
    call.fn = fn;
    call.arg = arg;
    __atomic_store_n(&call.pending, 1, __ATOMIC_RELEASE);
    arch::send_ipi(cpu);
}

BOOT_ONLY bool call_done(u32 cpu) { return !__atomic_load_n(&g_calls[cpu].pending, __ATOMIC_ACQUIRE); }

/// How the boot CPU waits for another CPU at boot: asleep between its own timer ticks
/// (nothing else interrupts it yet), looking at `done()` after each, for up to
/// kCpuStartTimeoutNs. Sleeping rather than spinning leaves the machine to the CPU waited
/// for: under QEMU's --icount all CPUs take turns on one host thread, and a spinning CPU
/// gives up its turn only at a timer deadline.
template <class Done>
BOOT_ONLY bool boot_wait(Done done) {
    const u64 deadline = arch::clock_ns() + kCpuStartTimeoutNs;
    bool ok = false;
    arch::interrupts_enable();
    while (!(ok = done()) && arch::clock_ns() < deadline) arch::wait_for_interrupt();
    arch::interrupts_disable();
    return ok;
}

/// The remote call of the bring-up check: the CPU writes its own number where asked.
BOOT_ONLY void note_self(void* where) { *static_cast<u32*>(where) = arch::cpu_index(); }

/// Every started CPU answers a remote call, and runs it itself.
BOOT_ONLY void check_remote_calls(u32 online) {
    u32 answered = 0;
    for (u32 cpu = 1; cpu < online; ++cpu) {
        static u32 self; // (static: a call that times out may still write it later)
        self = kWrongSelf;
        post_call(cpu, note_self, &self);
        if (!boot_wait([cpu] { return call_done(cpu); }))
            print("cpu {}: no answer to a remote call within a second\n", cpu);
        else if (self != cpu)
            print("cpu {}: a remote call for it ran on cpu {}\n", cpu, self);
        else
            ++answered;
    }
    if (online > 1) print("smp: {} of {} other CPUs answer remote calls\n", answered, online - 1);
}

} // namespace

BOOT_ONLY u32 start_other_cpus(const BootInfo& info, FrameAllocator& frames, PhysWindow window) {
    if (arch::cpu_index() != 0) panic("the boot CPU's own data does not say CPU 0");
    u32 index = 1; // the next CPU's number, so also how many are online
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
            // (its number goes to the next one: the numbers stay dense)
            print("cpu {}: not started (arch id {}): the firmware refused\n", index, arch_id);
            for (usize i = 0; i < kCpuStackBytes / kPageSize; ++i) (void)frames.free(stack.value() + i * kPageSize);
            continue;
        }
        u32 arrived = 0;
        boot_wait([&] {
            arrived = __atomic_load_n(&g_arrived, __ATOMIC_ACQUIRE);
            return arrived == index || arrived == kWrongSelf;
        });
        if (arrived == kWrongSelf) panic("a started CPU's own data names another CPU");
        if (arrived != index) {
            // Its stack stays allocated: it may still arrive and use it. No other CPU is
            // started after one that might: they would report in under the same number.
            print("cpu {}: started (arch id {}) but did not report in as cpu {} within a second; no more CPUs started\n",
                  index, arch_id, index);
            break;
        }
        print("cpu {} online (arch id {})\n", index, arch_id);
        ++index;
    }
    check_remote_calls(index);
    return index;
}

void on_ipi() {
    RemoteCall& call = g_calls[arch::cpu_index()];
    if (!__atomic_load_n(&call.pending, __ATOMIC_ACQUIRE)) return;
    call.fn(call.arg);
    __atomic_store_n(&call.pending, 0, __ATOMIC_RELEASE);
}

// The CPU reports in, then waits for interrupts, which are only inter-processor ones:
// until the kernel can run threads on several CPUs (issue 14) it has nothing else to do.
BOOT_ONLY [[noreturn]] void on_cpu_start(u32 index) {
    // Its own data must say who it is (arch::cpu_index), or the boot CPU hears kWrongSelf.
    const u32 self = arch::cpu_index();
    __atomic_store_n(&g_arrived, self == index ? index : kWrongSelf, __ATOMIC_RELEASE);
    for (;;) {
        arch::interrupts_enable();
        arch::wait_for_interrupt();
        arch::interrupts_disable();
    }
}

} // namespace kernel
