// GDT with a TSS, and the IDT. Built at run time into the image's .data/.bss so that
// they sit at high addresses and survive the switch to the kernel's page tables.
#include "x86_64.hpp"

#include <base/boot_only.hpp>
#include <microkernel/smp.hpp>

namespace arch::x86_64 {
namespace {

/// 64-bit TSS (SDM vol. 3, 8.7): only the stack pointers matter in long mode.
struct [[gnu::packed]] Tss {
    u32 reserved0;
    u64 rsp[3];  ///< rsp[0]: the stack for entries from ring 3 (the one kernel stack)
    u64 reserved1;
    u64 ist[7];  ///< interrupt stack table: IST n is ist[n - 1]
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
};
static_assert(sizeof(Tss) == 104);

struct [[gnu::packed]] IdtGate {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type_attr;
    u16 offset_mid;
    u32 offset_high;
    u32 reserved;
};
static_assert(sizeof(IdtGate) == 16);

struct [[gnu::packed]] DescriptorTableRegister {
    u16 limit;
    u64 base;
};

/// A flat code or data segment; in long mode only the access byte and L matter.
constexpr u64 segment(bool code, unsigned dpl) {
    u64 access = 0x80 | (u64{dpl} << 5) | 0x10 | (code ? 0x0a : 0x02); // P, DPL, S, type
    u64 flags = code ? 0xa : 0xc; // code: G | L (64-bit); data: G | D/B
    return 0xffff | (access << 40) | (u64{0xf} << 48) | (flags << 52);
}

constexpr u8 kInterruptGate = 0x8e; // present, DPL 0, 64-bit interrupt gate (clears IF)
// DPL 3: user code may raise it with int3 (a debugger's breakpoint). Every other gate
// stays DPL 0, so `int $n` from user mode is a #GP, never a forged interrupt.
constexpr u8 kUserInterruptGate = 0xee;
constexpr u8 kTssAvailable = 0x89;  // present, 64-bit available TSS
constexpr u8 kEmergencyIst = 1;     // own stack for #DF, NMI and #MC

// The TSS of CPU i is at selector kTssSelector + 16 * i (a 16-byte system descriptor).
alignas(16) u64 g_gdt[kTssSelector / 8 + 2 * kernel::kMaxCpus];
Tss g_tss[kernel::kMaxCpus];
alignas(16) IdtGate g_idt[256];
// A double fault is often a kernel stack overflow: handle it on a known-good stack, one
// per CPU.
constexpr kernel::usize kEmergencyStackBytes = 4096;
alignas(16) u8 g_emergency_stack[kernel::kMaxCpus][kEmergencyStackBytes];

BOOT_ONLY void set_gate(u8 vector, u64 handler, u8 ist, u8 type = kInterruptGate) {
    g_idt[vector] = IdtGate{static_cast<u16>(handler), kKernelCode, ist, type,
                            static_cast<u16>(handler >> 16), static_cast<u32>(handler >> 32), 0};
}

/// Load the GDT, with CPU `cpu`'s TSS in the task register (its ring-0 stack: the CPU's
/// kernel stack, x86_64_cpus[cpu]).
BOOT_ONLY void load_gdt(kernel::u32 cpu) {
    Tss& t = g_tss[cpu];
    u64 tss = reinterpret_cast<kernel::uptr>(&t);
    u64 limit = sizeof(Tss) - 1;
    g_gdt[0] = 0;
    g_gdt[kKernelCode / 8] = segment(true, 0);
    g_gdt[kKernelData / 8] = segment(false, 0);
    // SYSRET's layout wants a 32-bit user code segment here; we never run 32-bit code, so
    // the slot stays null: user code cannot far-jump into compatibility mode (whose
    // syscall would enter through IA32_CSTAR, which is left unset).
    g_gdt[3] = 0;
    g_gdt[kUserData / 8] = segment(false, 3);
    g_gdt[kUserCode / 8] = segment(true, 3);
    const u16 selector = static_cast<u16>(kTssSelector + 16 * cpu);
    g_gdt[selector / 8] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (u64{kTssAvailable} << 40) |
                          (((limit >> 16) & 0xf) << 48) | (((tss >> 24) & 0xff) << 56);
    g_gdt[selector / 8 + 1] = tss >> 32;
    t.ist[kEmergencyIst - 1] = reinterpret_cast<kernel::uptr>(g_emergency_stack[cpu] + kEmergencyStackBytes);
    t.iomap_base = sizeof(Tss); // no I/O permission bitmap: user port I/O is a #GP
    // Every exception and interrupt from user mode starts at the top of the CPU's kernel
    // stack (user_entry.S): the kernel keeps nothing on it across a return to user mode.
    t.rsp[0] = x86_64_cpus[cpu].kernel_sp;
    DescriptorTableRegister gdtr{sizeof g_gdt - 1, reinterpret_cast<kernel::uptr>(g_gdt)};
    // Reload CS with a far return, then the data segments and the task register.
    asm volatile("lgdt %0\n\t"
                 "pushq %1\n\t"
                 "leaq 1f(%%rip), %%rax\n\t"
                 "pushq %%rax\n\t"
                 "lretq\n"
                 "1:\n\t"
                 "mov %2, %%ds\n\t"
                 "mov %2, %%es\n\t"
                 "mov %2, %%ss\n\t"
                 "ltr %3"
                 :
                 : "m"(gdtr), "i"(kKernelCode), "r"(u32{kKernelData}), "r"(selector)
                 : "rax", "memory");
}

BOOT_ONLY void load_idt() {
    DescriptorTableRegister idtr{sizeof g_idt - 1, reinterpret_cast<kernel::uptr>(g_idt)};
    asm volatile("lidt %0" ::"m"(idtr) : "memory");
}

} // namespace

extern "C" const u64 trap_stubs[256]; // vectors.S: a stub for every vector

BOOT_ONLY void descriptors_init() {
    load_gdt(0);
    for (unsigned v = 0; v < 256; ++v) set_gate(static_cast<u8>(v), trap_stubs[v], 0);
    set_gate(2, trap_stubs[2], kEmergencyIst);  // NMI
    set_gate(8, trap_stubs[8], kEmergencyIst);  // double fault
    set_gate(18, trap_stubs[18], kEmergencyIst); // machine check
    set_gate(3, trap_stubs[3], 0, kUserInterruptGate);  // breakpoint (int3)
    load_idt();
}

BOOT_ONLY void descriptors_init_cpu(kernel::u32 index) {
    load_gdt(index);
    load_idt();
}

} // namespace arch::x86_64
