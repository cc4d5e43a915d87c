// Starting the other CPUs (microkernel/smp.hpp): INIT, then two startup IPIs, to each
// local APIC the MADT lists (by id, so that CPUs the MADT marks disabled stay asleep),
// one CPU at a time, into ap_trampoline.S's code copied below 1 MiB.
#include "hw.hpp"
#include "x86_64.hpp"

#include <microkernel/arch.hpp>
#include <base/boot_only.hpp>
#include <microkernel/smp.hpp>

extern "C" {
extern char x86_64_ap_trampoline[], x86_64_ap_trampoline_end[];
extern char x86_64_ap_cr3[], x86_64_ap_stack[], x86_64_ap_entry[], x86_64_ap_index[];
extern char early_tables[]; // entry.S
[[noreturn]] void x86_64_ap_start(kernel::u32 index, kernel::u64 stack_top);
}

namespace arch::x86_64 {

u32 g_apic_id[kernel::kMaxCpus];

namespace {

// A page start.cpp keeps out of the frame allocator (all of the first MiB is reserved);
// the startup IPI's vector is its page number.
constexpr u64 kTrampoline = 0x8000;
constexpr u32 kIcrInit = 0x4500;    // INIT, level assert
constexpr u32 kIcrStartup = 0x4600; // startup, vector = the page number

BOOT_ONLY void wait_ns(u64 ns) {
    const u64 until = arch::clock_ns() + ns;
    while (arch::clock_ns() < until) {
    }
}

BOOT_ONLY void set_slot(u8* copy, const char* slot, u64 value) {
    __builtin_memcpy(copy + (slot - x86_64_ap_trampoline), &value, sizeof value);
}

} // namespace
} // namespace arch::x86_64

namespace arch {

BOOT_ONLY const char* start_cpu(kernel::u32 index, kernel::u64 apic_id, kernel::u64 stack_top) {
    using namespace x86_64;
    if (apic_id > 0xff) return "an x2APIC id, which needs the x2APIC's own ICR";
    u8* copy = kernel::PhysWindow{kDirectMapBase}.at<u8>(kernel::PhysAddr{kTrampoline});
    __builtin_memcpy(copy, x86_64_ap_trampoline, static_cast<kernel::usize>(x86_64_ap_trampoline_end - x86_64_ap_trampoline));
    set_slot(copy, x86_64_ap_cr3, reinterpret_cast<kernel::uptr>(early_tables) - kKernelBase);
    set_slot(copy, x86_64_ap_stack, stack_top);
    set_slot(copy, x86_64_ap_entry, reinterpret_cast<kernel::uptr>(&x86_64_ap_start));
    set_slot(copy, x86_64_ap_index, index);
    g_apic_id[index] = static_cast<u32>(apic_id);
    // The waits the SDM asks for (8.4.4.1); QEMU does not need them, hardware does.
    const u32 id = static_cast<u32>(apic_id);
    lapic_send(id, kIcrInit);
    wait_ns(10'000'000);
    for (int i = 0; i < 2; ++i) {
        lapic_send(id, kIcrStartup | static_cast<u32>(kTrampoline >> 12));
        wait_ns(200'000);
    }
    return nullptr; // (whether it came, only its report says)
}

BOOT_ONLY bool park_cpu(kernel::u64) { return false; } // (SeaBIOS left it halted, interrupts masked)

BOOT_ONLY const char* send_cpu_to_image(kernel::u64) {
    return "on x86_64 a CPU enters the kernel only by INIT-SIPI-SIPI (start_cpu)";
}

} // namespace arch

// A started CPU, in long mode at its link address on the early tables and its own
// stack: its descriptor tables and TSS, the kernel's tables, then the kernel.
extern "C" BOOT_ONLY [[noreturn]] void x86_64_ap_start(kernel::u32 index, kernel::u64 stack_top) {
    using namespace arch::x86_64;
    cpu_local_init(index, stack_top);
    descriptors_init_cpu(index);
    asm volatile("mov %0, %%cr3" ::"r"(kernel_root().value) : "memory");
    user_mode_init_cpu();
    lapic_enable(); // (for the kernel's IPIs; its timer starts when it joins: timer_start_cpu)
    kernel::on_cpu_start(index);
}
