// Whole-machine operations: switching page tables, powering off, the undefined
// instruction of the test boot mode.
#include "aarch64.hpp"

#include <microkernel/boot_only.hpp>
#include <microkernel/bytes.hpp>

namespace arch::aarch64 {
namespace {

enum class Conduit : kernel::u8 { None, Hvc, Smc };
Conduit g_psci = Conduit::None;

constexpr u64 kSemihostExit = 0x18;                 // SYS_EXIT
constexpr u64 kAdpStoppedApplicationExit = 0x20026; // reason: "the program exited"
constexpr u64 kPsciSystemOff = 0x84000008;

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

void arch::activate_page_table(kernel::PhysAddr root) {
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
    if (g_psci != Conduit::None) {
        register u64 x0 asm("x0") = kPsciSystemOff;
        if (g_psci == Conduit::Hvc)
            asm volatile("hvc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
        else
            asm volatile("smc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
    }
    for (;;) asm volatile("wfi");
}

void arch::trigger_undefined_instruction() { asm volatile("udf #0"); }
