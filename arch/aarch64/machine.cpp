// Whole-machine operations: switching page tables, powering off, the undefined
// instruction of the test boot mode.
#include "aarch64.hpp"

#include <base/boot_only.hpp>
#include <base/bytes.hpp>
#include <microkernel/smp.hpp>

namespace arch::aarch64 {
namespace {

enum class Conduit : kernel::u8 { None, Hvc, Smc };
Conduit g_psci = Conduit::None;

constexpr u64 kSemihostExit = 0x18;                 // SYS_EXIT
constexpr u64 kAdpStoppedApplicationExit = 0x20026; // reason: "the program exited"
constexpr u64 kPsciSystemOff = 0x84000008;
constexpr u64 kPsciCpuOn = 0xc4000003; // SMC64: target MPIDR, entry (physical), context id

/// A PSCI call through the conduit the devicetree names; -1 (NOT_SUPPORTED) without one.
u64 psci(u64 function, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {
    register u64 x0 asm("x0") = function;
    register u64 x1 asm("x1") = a1;
    register u64 x2 asm("x2") = a2;
    register u64 x3 asm("x3") = a3;
    if (g_psci == Conduit::Hvc)
        asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
    else if (g_psci == Conduit::Smc)
        asm volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
    else
        x0 = ~u64{0};
    return x0;
}

kernel::PhysAddr g_kernel_root{}; ///< the core's tables, for the CPUs started later

} // namespace

u64 g_phys_minus_virt = 0;

BOOT_ONLY void power_init(const kernel::fdt::Tree& tree) {
    auto psci = tree.find_compatible("arm,psci-0.2");
    if (!psci) psci = tree.find_compatible("arm,psci-1.0");
    if (!psci) return;
    auto method = tree.prop(*psci, "method");
    const char* m = method ? method->string() : nullptr;
    if (!m) return;
    if (kernel::str_equal(m, "hvc")) g_psci = Conduit::Hvc;
    if (kernel::str_equal(m, "smc")) g_psci = Conduit::Smc;
}

} // namespace arch::aarch64

BOOT_ONLY void arch::activate_page_table(kernel::PhysAddr root) {
    arch::aarch64::g_kernel_root = root;
    aarch64_switch_ttbr1(root.value, arch::aarch64::g_phys_minus_virt);
    arch::aarch64::open_user_half();
}

[[noreturn]] void arch::poweroff(int status) {
    using namespace arch::aarch64;
    interrupts_disable();
    // Semihosting (QEMU -semihosting) makes QEMU exit with `status` itself.
    const u64 block[2] = {kAdpStoppedApplicationExit, static_cast<u64>(static_cast<unsigned>(status))};
    aarch64_semihost(kSemihostExit, block);
    // Not enabled: PSCI SYSTEM_OFF. QEMU then exits with 0 whatever `status` was.
    psci(kPsciSystemOff);
    for (;;) asm volatile("wfi");
}

BOOT_ONLY const char* arch::start_cpu(kernel::u32 index, kernel::u64 arch_id, kernel::u64 stack_top) {
    using namespace arch::aarch64;
    // Its own data, which boot.S's aarch64_secondary_entry finds once its MMU is on (so
    // through the caches, as this CPU wrote it).
    aarch64_cpus[index] = CpuLocal{index, stack_top, nullptr, kernel::fast_yield_run_queue(index),
                                   kernel::on_user_syscall_fast, false};
    const u64 entry = reinterpret_cast<u64>(aarch64_secondary_entry) + g_phys_minus_virt;
    return psci(kPsciCpuOn, arch_id, entry, index) == 0 ? nullptr : "the firmware refused (PSCI CPU_ON)";
}

BOOT_ONLY bool arch::park_cpu(kernel::u64) { return false; } // (PSCI keeps it off)

BOOT_ONLY const char* arch::send_cpu_to_image(kernel::u64) {
    return "on aarch64 a CPU enters the kernel only by PSCI CPU_ON (start_cpu)";
}

// The started CPU, high, on its stack: the kernel's tables as on the boot CPU, then the
// kernel.
extern "C" BOOT_ONLY [[noreturn]] void aarch64_cpu_start(kernel::u32 index) {
    arch::activate_page_table(arch::aarch64::g_kernel_root);
    arch::aarch64::gic_cpu_init();
    arch::aarch64::start_cycle_counter();
    arch::aarch64::user_mode_init();
    kernel::on_cpu_start(index);
}

void arch::trigger_undefined_instruction() { asm volatile("udf #0"); }
