// The other CPUs (issue 14). Bring-up: the boot CPU starts every CPU the firmware lists
// (BootInfo::cpus) through the arch's firmware call (arch::start_cpu: INIT-SIPI on
// x86_64, PSCI CPU_ON on aarch64, SBI HSM hart_start on riscv64), each on a kernel stack
// of its own with the kernel's page tables, and waits until it reports in
// (kernel::on_cpu_start). Once the root task is ready, go_smp lets them all run threads:
// from then on every kernel entry takes the big kernel lock (kernel_lock.hpp), system
// calls take the locked path (the one-CPU fastpath stays for one CPU), and a CPU reaches
// another by remote calls (docs/porting.md, "Other CPUs").
#pragma once

#include <microkernel/boot_info.hpp>
#include <microkernel/frame_allocator.hpp>

namespace kernel {

class AddressSpace;

/// Logical CPU numbers: the boot CPU is 0, the others follow in the firmware's order.
/// At most 64: a set of CPUs is one u64 (affinity, an address space's CPUs, remote calls).
constexpr u32 kMaxCpus = 64;
/// Each started CPU's kernel stack (the boot CPU's is the arch's boot stack).
constexpr usize kCpuStackBytes = 16 * 1024;
/// How long the boot CPU waits for a started CPU to report in.
constexpr u64 kCpuStartTimeoutNs = 1'000'000'000;

/// Start every CPU of `info.cpus` but the boot CPU, one after the other, up to kMaxCpus
/// in all (the others are parked: arch::park_cpu); print "cpu N online (arch id X)" for
/// each that reports in, and why not for the others.
/// Then check that a remote call reaches each of them: the call is posted in the CPU's
/// slot, an inter-processor interrupt (arch::send_ipi) makes it run the call in
/// kernel::on_ipi, which acknowledges; the boot CPU prints how many answered. Needs the
/// kernel's page tables active and the clock running. Returns how many CPUs are online,
/// the boot CPU included.
u32 start_other_cpus(const BootInfo& info, FrameAllocator& frames, PhysWindow window);

/// From now on the `online` CPUs (start_other_cpus's count, more than one) run threads:
/// the scheduler learns of them, every CPU takes the locked system-call path, and the
/// others leave on_cpu_start for the scheduler. The caller (the boot CPU) holds the big
/// kernel lock when this returns.
void go_smp(u32 online);
/// A system call's entry on `cpu` when its `ticket` for the lock was not served at once:
/// its turn, noting meanwhile that a system call is on its way in (answering remote
/// calls: Scheduler::Remote::TakeOff).
void wait_for_syscall(u32 ticket, u32 cpu);

/// The big kernel lock's release on the way back to user mode; `loading` (if not null) is
/// the space this CPU loads on its way, which gets the CPU's mark (AddressSpace::loaded_on)
/// while the lock is still held, so that every shootdown made after it reaches this CPU.
void unlock_to_user(AddressSpace* loading, u32 cpu);

/// Print what the CPUs' waits for the big kernel lock came to: in all, the CPU that waited
/// most and the longest single wait (counted by KernelLock::wait_turn; at power-off, once
/// several CPUs ran threads).
void report_lock_waits();

/// Run fn(arg) on CPU `cpu` and return once it has (on this CPU: at once). The caller
/// holds the big kernel lock; the target runs it from its IPI or while it waits for the
/// lock, so it may touch only what is the target's own (its TLB, its registers) and what
/// the waiting caller lends it.
void remote_call(u32 cpu, void (*fn)(void*), void* arg);
/// The same on each CPU of `cpus` (bit n: CPU n) but this one, all at once; returns when
/// all have run it.
void remote_call_some(u64 cpus, void (*fn)(void*), void* arg);

/// (stop_other_cpus, declared in arch.hpp: every other CPU stops for good, interrupts
/// masked, answering an IPI or at its next look while it spins for a remote call; the
/// stopping CPU waits at most 0.1 s for them. Nothing to do while one CPU runs threads.)

/// TLB shootdowns (root_task.cpp's paging operations) of `space`, for the CPUs that have
/// loaded it since it was made or last retired (AddressSpace::cpus) but this one: by the
/// firmware where the arch has that (arch::flush_user_elsewhere; not for a retired root),
/// else by remote calls, each CPU doing for itself what the caller did: drop `va`'s translation of the space `root`
/// tagged `asid` (if it may hold one: tagged, or the root loaded); or every one of them
/// (flush_space); or unload `root` if
/// loaded and drop every translation tagged `asid` (unless kTlbBroadcast did). Return
/// when every CPU has.
void flush_page_elsewhere(const AddressSpace& space, u64 va);
void flush_space_elsewhere(const AddressSpace& space);
void retire_root_elsewhere(const AddressSpace& space);

} // namespace kernel
