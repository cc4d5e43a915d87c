// The contract between the portable kernel and an architecture. Each arch/<arch>/
// puts its include/ directory on the path, providing:
//   <arch/paging.hpp>  namespace arch: `using Pte = ...` (a kernel::PteFormat),
//                      kDirectMapBase (VA of physical address 0), kKernelBase.
//   <arch/cpu.hpp>     namespace arch, inline: interrupts_enable(), interrupts_disable(),
//                      wait_for_interrupt(), read_cycle_counter().
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

/// Switch to the kernel page tables the core built (kernel image at its link address,
/// direct map at kDirectMapBase, MMIO ranges of BootInfo). Afterwards the lower (user)
/// half of the address space must be unmapped: the early identity map is gone.
void activate_page_table(kernel::PhysAddr root);

/// Power the machine off so that QEMU exits with `status` (0 = success); see DESIGN.md.
[[noreturn]] void poweroff(int status);

/// Execute an instruction the CPU does not define (test boot mode `test=undef`).
void trigger_undefined_instruction();

} // namespace arch

namespace kernel {

/// The portable kernel's entry, called once by the arch with the console working,
/// trap vectors installed and `info` filled in.
[[noreturn]] void main(BootInfo& info);

/// Called by the arch's timer interrupt handler.
void on_timer_tick();

/// Print `why` and power off with kPanicStatus. Used by trap handlers after their
/// decoded report.
[[noreturn]] void panic(const char* why);

constexpr int kPanicStatus = 3;

/// Run the kernel's global constructors (the .init_array every kernel.ld keeps between
/// __init_array_start and __init_array_end). The arch calls it once, first thing in C++.
void run_global_constructors();

/// Linker-script symbols every arch's kernel.ld defines (virtual addresses).
extern "C" char __kernel_start[], __text_start[], __text_end[], __rodata_start[],
    __rodata_end[], __data_start[], __kernel_end[];

} // namespace kernel
