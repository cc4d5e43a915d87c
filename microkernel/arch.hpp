// The contract between the portable kernel and an architecture. Each arch/<arch>/
// puts its include/ directory on the path, providing:
//   <arch/paging.hpp>  namespace arch: `using Pte = ...` (a kernel::PteFormat),
//                      kDirectMapBase (VA of physical address 0), kKernelBase.
//   <arch/cpu.hpp>     namespace arch, inline: interrupts_enable(), interrupts_disable(),
//                      wait_for_interrupt(), sleep_until_interrupt() (interrupts masked:
//                      sleep until one is pending, or not at all if one is, then let the
//                      pending ones be taken and mask again; so nothing that arrives
//                      after a check made before it is missed), kWaitEndsMasked (does
//                      wait_for_interrupt() end for an interrupt pending while masked?),
//                      cpu_relax(),
//                      read_cycle_counter(), cpu_index() (this
//                      CPU's logical number, from its own data: docs/porting.md),
//                      cpu_run_queue() (kernel::fast_yield_run_queue(cpu_index()), from
//                      the same data);
//                      kTlbBroadcast (flush_user_page and flush_asid reach every CPU).
//   <arch/elf.hpp>     namespace arch: kElfMachine, the e_machine of user programs.
// and defining, in its own .cpp/.S files, the functions declared below.
//
// Boot sequence every arch follows: firmware -> arch entry (assembly) -> early page
// tables mapping the kernel at its link address and a direct map of RAM and the MMIO
// the arch needs at kDirectMapBase -> arch C++ init (console, trap vectors, BootInfo from
// multiboot2 or the devicetree) -> kernel::main(BootInfo&), which never returns.
#pragma once

#include <arch/cpu.hpp>
#include <arch/paging.hpp>
#include <microkernel/boot_info.hpp>
#include <microkernel/paging.hpp>

static_assert(kernel::PteFormat<arch::Pte>, "arch::Pte must satisfy kernel::PteFormat");

namespace arch {

/// Write one character to the boot console, polling. Works from early boot and from
/// trap handlers (no locks, no interrupts needed).
void console_putc(char c);

/// Start a periodic timer interrupt at `hz`; every tick the arch's interrupt handler
/// calls kernel::on_timer_tick(). Interrupts stay masked until interrupts_enable().
void timer_start(kernel::u32 hz);

/// The same periodic interrupt on this CPU, one arch::start_cpu started, at timer_start's
/// rate (each CPU's ticks charge its own threads' time slices).
void timer_start_cpu();

/// The clock: nanoseconds since timer_start(), from a counter that runs at a fixed rate
/// whatever the CPU does (x86_64: the TSC, calibrated against the PIT with the timer;
/// aarch64: CNTVCT_EL0 at CNTFRQ_EL0; riscv64: the time CSR at the timebase frequency).
/// Valid once timer_start() has run; 0 before.
kernel::u64 clock_ns();
/// (a * b) >> 32 without overflow, for the arches' clocks: a counter times a 32.32
/// fixed-point rate (no 128-bit division anywhere).
constexpr kernel::u64 mul_shift32(kernel::u64 a, kernel::u64 b) {
    const kernel::u64 lo = a & 0xffffffffu, hi = a >> 32;
    return hi * b + ((lo * (b & 0xffffffffu)) >> 32) + lo * (b >> 32);
}

/// Switch to the kernel page tables the core built (kernel image at its link address,
/// direct map at kDirectMapBase, MMIO ranges of BootInfo). Afterwards the lower (user)
/// half of the address space must be unmapped: the early identity map is gone.
void activate_page_table(kernel::PhysAddr root);

/// Power the machine off so that QEMU exits with `status` (0 = success); see DESIGN.md.
[[noreturn]] void poweroff(int status);

/// Execute an instruction the CPU does not define (test boot mode `test=undef`).
void trigger_undefined_instruction();

// ---- Other CPUs (docs/porting.md, "Other CPUs"; microkernel/smp.hpp) ----------------
/// Start the CPU whose firmware id is `arch_id` (a BootInfo::cpus entry, not the boot
/// CPU) so that it calls kernel::on_cpu_start(index) on the kernel stack that ends at
/// `stack_top`, with the kernel's page tables active (activate_page_table's), its trap
/// vectors installed and interrupts masked. Null once it is on its way (whether it came,
/// only its report says), else why it was not started ("the firmware refused", ...).
/// Called on the boot CPU after activate_page_table and timer_start, one CPU at a time.
const char* start_cpu(kernel::u32 index, kernel::u64 arch_id, kernel::u64 stack_top);
/// A CPU the firmware lists that the kernel does not run (past kernel::kMaxCpus): put it
/// where it sleeps for good, unless the firmware keeps it so already. True if parked
/// (riscv64: started into a loop that waits with its interrupts masked; a hart stopped
/// in OpenSBI 1.1 was seen waiting there with an IPI pending (mip.MSIP), which its wait
/// loop never clears: it loops, and under QEMU keeps a host core busy); false where the
/// firmware's own wait sleeps (x86_64: the APs halted by SeaBIOS; aarch64: PSCI keeps them
/// off). After every start_cpu.
bool park_cpu(kernel::u64 arch_id);
/// The boot mode test=join: send the CPU `arch_id` into the kernel's image at its first
/// instruction, as a loader that hands over every CPU does, so that start_cpu later finds
/// it waiting there. Null once sent, else why not (riscv64: SBI HSM hart_start at the
/// image's entry, where U-Boot sends the harts it holds; x86_64 and aarch64 have no such
/// loader: their CPUs enter the kernel only as start_cpu starts them).
const char* send_cpu_to_image(kernel::u64 arch_id);
/// Interrupt CPU `cpu` (started, not this one): once it has interrupts unmasked (in user
/// mode or idling) it calls kernel::on_ipi() with them masked, and completes the
/// interrupt at its controller. Sends and returns; IPIs may merge (one on_ipi for two).
/// (x86_64: a fixed-vector IPI through the local APIC; aarch64: a GIC SGI; riscv64: SBI
/// send_ipi, a supervisor software interrupt.)
void send_ipi(kernel::u32 cpu);
/// A shootdown by the firmware, if the arch has one (riscv64: SBI RFENCE; x86_64 and
/// aarch64 answer false, and the kernel runs the flush on those CPUs by remote calls):
/// the CPUs of `cpus` (bit n: CPU n; never this one) drop their translations of user
/// address `va` (with `all`: of every address) tagged `asid` (0: untagged); returns once
/// they have.
bool flush_user_elsewhere(kernel::u64 cpus, kernel::u64 va, kernel::u16 asid, bool all);
/// This CPU's system-call path: the entry assembly calls `syscall` (instead of
/// kernel::on_user_syscall_fast, which it calls until this is used). go_smp sets
/// kernel::on_user_syscall_locked on every CPU. (The entry's Yield still reads the run
/// queue of kernel::fast_yield_run_queue, which says when it must take the path.)
void set_syscall_path(void (*syscall)());

// ---- User mode (docs/porting.md, "User mode") ----------------------------------------
// A user thread's state is its portable register file (abi::kRegCount words, laid out
// as docs/abi.md says) plus an FPU/SIMD area of kernel::kFpuAreaBytes bytes, 64-aligned.
// The kernel is not preemptible: it runs with interrupts masked on one kernel stack per
// CPU, and every entry from user mode starts afresh at the top of that stack.

/// A fresh register file for a thread that starts at `ip` with stack pointer `sp` in
/// user mode: everything else zero, status/flags the arch's user-mode defaults.
void init_user_registers(kernel::u64* regs, kernel::u64 ip, kernel::u64 sp);
/// A fresh FPU/SIMD area (the arch's reset state), given to a thread at its first use
/// of the FP/SIMD registers (see fpu_switch).
void init_fpu_area(void* fpu_area);
/// Fill a new, zeroed user root table so that the kernel stays mapped while it is
/// active: x86_64 and riscv64 copy the kernel half of the kernel's root; aarch64 has
/// nothing to do (the kernel lives in TTBR1).
void prepare_user_root(kernel::PhysAddr root, kernel::PhysWindow window);
/// How many address-space identifiers this CPU has (x86_64 PCIDs, aarch64 and riscv64
/// ASIDs), found at boot; 0 if it has none. The kernel hands out 1..count-1.
kernel::u32 asid_count();
/// Make `root` the lower (user) half of this CPU's address space. With `asid` != 0 the
/// CPU keeps the translations cached for that and every other identifier (the kernel
/// flushes them whenever they go stale); `asid` 0 means "no identifier": every
/// translation tagged 0 is flushed.
void activate_user_space(kernel::PhysAddr root, kernel::u16 asid);
/// Drop this CPU's cached translations of user address `va` tagged `asid` (for 0: of
/// the active space, which is the only one that can hold untagged entries), and every
/// CPU's if kTlbBroadcast (aarch64's `tlbi ...is`); the kernel reaches the others by
/// remote calls otherwise.
void flush_user_page(kernel::u64 va, kernel::u16 asid);
/// Drop every cached translation tagged `asid` (!= 0), on this CPU (every CPU if
/// kTlbBroadcast): its space is gone and the id will be given to another.
void flush_asid(kernel::u16 asid);
/// Unload the user half (its root is about to be freed): only the kernel stays mapped.
void deactivate_user_space();
// ---- Device interrupts (docs/porting.md, "Interrupts") -------------------------------
// Lines are numbered as the interrupt controller numbers them: the I/O APIC's global
// system interrupt (x86_64), the GIC's INTID (aarch64), the PLIC's source (riscv64).
// Every line starts masked. When an unmasked line fires, the arch calls
// kernel::on_device_interrupt(line) (from user mode and from the idle loop alike), with
// interrupts masked, and completes it at the controller (EOI) after that returns; the
// kernel masks the line there until user space acknowledges it, so a level-triggered
// device cannot storm.

/// Can user space own `line`? False for lines that do not exist and for the kernel's own
/// (its timer).
bool irq_line_valid(kernel::u32 line);
/// Mask or unmask `line` at the interrupt controller (irq_line_valid(line) holds).
void irq_set_masked(kernel::u32 line, bool masked);
/// The console UART's line. Its driver enables the receive interrupt at the device, so
/// the line fires when a byte arrives (once unmasked).
kernel::u32 console_irq_line();
/// One byte received by the console, or -1 when none is waiting. Never blocks.
int console_getc();

/// Lazy FPU. The CPU's FP/SIMD registers belong to one thread at a time, its FPU owner
/// (kernel::Scheduler::fpu_owner), whether it runs or not; the kernel itself never uses
/// them. A thread resumed without `fpu_live` (return_to_user) traps at its first FP/SIMD
/// instruction (TrapKind::FpuUnavailable); the kernel then calls fpu_switch and resumes
/// it to run that instruction again. Threads that never touch FP cost nothing.
/// Save the registers into `from` (null: they are nobody's) and load them from `to`.
void fpu_switch(void* from, void* to);

/// Leave the kernel: restore `regs` and continue in user mode, with the FP/SIMD
/// registers usable if `fpu_live` (they hold the thread's own state: it is the owner),
/// else trapping at first use (see fpu_switch). Unless
/// `checked`, the register file is sanitized on the way (user mode forced in the saved
/// status, IP and SP user addresses), so no value in it can enter kernel mode; `checked`
/// says they are what the thread's own trap saved (which user mode could not have made
/// unsafe) or what an earlier return sanitized, and skips that work. The next trap or
/// interrupt from user mode saves into the same register file, switches to this CPU's
/// kernel stack and calls kernel::on_user_trap (on_user_syscall); nothing returns here.
/// With a `space_root` that is not zero, activate_user_space(space_root, space_asid)
/// first (one call for both: the kernel's exit keeps nothing live across a call).
///
/// leave_to_user is all of it but masking interrupts, which must be masked already (as
/// they are from a system call's entry on). It is declared without [[noreturn]],
/// although it does not return either: GCC never makes a call to a noreturn function a
/// jump, and the fastpath's exit wants one (called last, it then saves no registers of
/// its own to make the call).
void leave_to_user(kernel::u64* regs, bool checked, bool fpu_live, kernel::PhysAddr space_root,
                   kernel::u16 space_asid);
[[noreturn]] inline void return_to_user(kernel::u64* regs, bool checked, bool fpu_live,
                                        kernel::PhysAddr space_root = {}, kernel::u16 space_asid = 0) {
    interrupts_disable(); // (the idle loop comes here with them on: masked until user mode)
    leave_to_user(regs, checked, fpu_live, space_root, space_asid);
    __builtin_unreachable();
}

} // namespace arch

namespace kernel {

/// The portable kernel's entry, called once by the arch with the console working,
/// trap vectors installed and `info` filled in.
/// (Never inlined, so that a debugger can stop at it: `hbreak kernel::main`, README.)
[[noreturn, gnu::noinline]] void main(BootInfo& info);

/// The run queue of CPU `cpu` the entry assembly's Yield reads (sched/fast_yield.h), for
/// the arch's per-CPU data.
void* fast_yield_run_queue(u32 cpu);

/// Called by the arch when this CPU took the kernel's inter-processor interrupt (send_ipi),
/// with interrupts masked; runs the remote call waiting for it, if any (smp.hpp).
void on_ipi();

/// Where a CPU that arch::start_cpu started arrives (microkernel/smp.hpp). Never returns.
[[noreturn]] void on_cpu_start(u32 index);

/// The big kernel lock's entry and exit for the arch's own handlers (kernel_lock.hpp;
/// nothing while one CPU runs threads). The arch calls kernel_enter first thing when an
/// exception or interrupt from user mode, or an interrupt while the kernel waits
/// (idling), enters the kernel, before any other call to the kernel; kernel_leave when it
/// returns to what was interrupted without the kernel's say (after an interrupt of the
/// idle wait): the kernel's own ways back to user mode leave the lock themselves.
void kernel_enter();
void kernel_leave();

/// Called by the arch's timer interrupt handler.
void on_timer_tick();
/// A timer tick from user mode, before kernel_enter (the arch has acknowledged and
/// re-armed its timer, and nothing else came with it): with several CPUs, on a CPU other
/// than the boot CPU (whose ticks keep the kernel's time) whose thread is alone there,
/// the tick only charges that thread, without the big kernel lock, and the thread
/// resumes: it never returns. It returns when the tick needs the lock (one CPU, the boot
/// CPU, another thread ready there or a reschedule asked for): the arch then goes on with
/// kernel_enter and on_timer_tick, as for any interrupt.
void on_user_tick_unlocked();

/// Called by the arch when unmasked device line `line` fired (see arch.hpp, "Device
/// interrupts"); the arch sends the EOI after it returns.
void on_device_interrupt(u32 line);

/// Why user mode was left (other than by a system call: on_user_syscall).
enum class TrapKind : u8 {
    PageFault,          ///< `address` is the faulting address; `write`, `exec` say the access
    IllegalInstruction, ///< undefined, privileged or malformed instruction
    Interrupt,          ///< a device interrupt (the arch has handled it, e.g. on_timer_tick)
    OtherFault,         ///< alignment, breakpoint, arithmetic...: `code` is the arch's cause
    FpuUnavailable,     ///< an FP/SIMD instruction of a thread resumed without `fpu_live`
};

struct UserTrap {
    TrapKind kind;
    u64 address = 0; ///< faulting data or instruction address (PageFault)
    bool write = false;
    bool exec = false;
    u64 code = 0;    ///< the arch's raw cause (vector, ESR, scause), for reports
};

/// Every trap and interrupt from user mode ends here, on the CPU's kernel stack, with the
/// thread's registers saved (its FP/SIMD state stays in the registers: lazy FPU). Never
/// returns: it resumes a thread with arch::return_to_user, or idles.
[[noreturn]] void on_user_trap(const UserTrap& trap);
/// The same for the system-call instruction (its number and arguments in the register
/// file). Each arch's entry assembly first calls on_user_syscall_fast, the fastpath
/// (syscall/fastpath.hpp), which leaves for user mode itself when it applies and
/// returns when it does not; the entry then calls on_user_syscall.
void on_user_syscall_fast();
[[noreturn]] void on_user_syscall();
/// With several CPUs (arch::set_syscall_path), every system call: the lock, then what
/// on_user_syscall_fast and on_user_syscall do, for this CPU. Never returns (it is not
/// [[noreturn]] for the fastpath's sake: its ways back to user mode are jumps).
void on_user_syscall_locked();


/// Print `why` and power off with kPanicStatus, the other CPUs stopped first. Used by trap
/// handlers after their decoded report.
[[noreturn]] void panic(const char* why);
/// A kernel trap report's first step (panic's too): the other CPUs stop for good before
/// this one prints; a CPU that finds another one stopping the machine stops itself, so
/// one report is printed, whole (smp.hpp).
void stop_other_cpus();

constexpr int kPanicStatus = 3;
/// The root task died (a fault with no handler), or no thread can ever run again: the
/// system cannot go on, and that is never a success.
constexpr int kRootTaskLostStatus = 4;

/// Run the kernel's global constructors (the .init_array every kernel.ld keeps between
/// __init_array_start and __init_array_end). The arch calls it once, first thing in C++.
void run_global_constructors();

/// Linker-script symbols every arch's kernel.ld defines (virtual addresses).
extern "C" char __kernel_start[], __text_start[], __text_end[], __rodata_start[],
    __rodata_end[], __data_start[], __kernel_end[];

} // namespace kernel
