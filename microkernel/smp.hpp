// The other CPUs (issue 14). What exists so far is bring-up: the boot CPU starts every
// CPU the firmware lists (BootInfo::cpus) through the arch's firmware call
// (arch::start_cpu: INIT-SIPI on x86_64, PSCI CPU_ON on aarch64, SBI HSM hart_start on
// riscv64), each on a kernel stack of its own with the kernel's page tables, and waits
// until it reports in (kernel::on_cpu_start). Those CPUs then wait with interrupts
// masked: threads still run on the boot CPU only, until the big kernel lock, remote
// calls and TLB shootdown exist (docs/porting.md, "Other CPUs").
#pragma once

#include <microkernel/boot_info.hpp>
#include <microkernel/frame_allocator.hpp>

namespace kernel {

/// Logical CPU numbers: the boot CPU is 0, the others follow in the firmware's order.
constexpr u32 kMaxCpus = 16;
/// Each started CPU's kernel stack (the boot CPU's is the arch's boot stack).
constexpr usize kCpuStackBytes = 16 * 1024;
/// How long the boot CPU waits for a started CPU to report in.
constexpr u64 kCpuStartTimeoutNs = 1'000'000'000;

/// Start every CPU of `info.cpus` but the boot CPU, one after the other; print
/// "cpu N online (arch id X)" for each that reports in, and why not for the others.
/// Then check that a remote call reaches each of them: the call is posted in the CPU's
/// slot, an inter-processor interrupt (arch::send_ipi) makes it run the call in
/// kernel::on_ipi, which acknowledges; the boot CPU prints how many answered. Needs the
/// kernel's page tables active and the clock running. Returns how many CPUs are online,
/// the boot CPU included.
u32 start_other_cpus(const BootInfo& info, FrameAllocator& frames, PhysWindow window);

} // namespace kernel
