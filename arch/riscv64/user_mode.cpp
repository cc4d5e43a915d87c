// riscv64 user mode: fresh thread state, user address spaces, the way into U-mode
// (return_to_user) and the decoding of every trap that comes out of it.
#include "cpu_local.hpp"
#include "riscv64.hpp"

#include <arch/context.hpp>
#include <microkernel/format.hpp>

extern "C" char boot_stack_top[]; // entry.S: the boot hart's kernel stack

namespace arch::riscv64 {

// The boot stack is the kernel stack of CPU 0: kernel::main runs on it until the first
// return_to_user abandons its frames, and every user entry starts again at its top.
constinit CpuLocal g_cpu{boot_stack_top, nullptr, nullptr, 0};

namespace {

// sstatus bits return_to_user controls.
constexpr u64 kSstatusSie = u64{1} << 1;   ///< interrupts enabled in S-mode
constexpr u64 kSstatusSpie = u64{1} << 5;  ///< SIE after sret (irrelevant in U-mode)
constexpr u64 kSstatusSpp = u64{1} << 8;   ///< sret goes to S-mode when set
constexpr u64 kSstatusFs = u64{3} << 13;   ///< FPU state; 0 = Off, FP instructions trap
constexpr u64 kSstatusSum = u64{1} << 18;  ///< S-mode may touch U pages
constexpr u64 kSstatusMxr = u64{1} << 19;  ///< loads from execute-only pages

constexpr u64 kSatpAsidShift = 44;
constexpr unsigned kKernelRootFirst = kernel::kEntriesPerTable / 2; // Sv39 upper half

// Sv39 user addresses are the lower half: below 2^38 (root entries 0..255).
constexpr u64 kUserEnd = kernel::user_space_end<Pte>();
static_assert(kUserEnd == u64{1} << 38);

// The kernel's root table, remembered by activate_page_table for prepare_user_root.
kernel::PhysAddr g_kernel_root{};

// Exception codes (scause without the interrupt bit) the user path distinguishes.
enum : u64 {
    kExcIllegalInstruction = 2,
    kExcEcallFromU = 8,
    kExcInstructionPageFault = 12,
    kExcLoadPageFault = 13,
    kExcStorePageFault = 15,
};

constexpr kernel::u32 kEcallBytes = 4; // ecall has no compressed form

// Exceptions whose stval is the faulting address: misaligned and access faults
// (0, 1, 4, 5, 6, 7) and page faults. For the rest it is 0, the faulting instruction's
// bits (illegal instruction) or its PC (breakpoint), none of them an address to report.
constexpr bool has_address(u64 code) {
    return code <= 7 ? ((0b1111'0011u >> code) & 1) != 0
                     : code == kExcInstructionPageFault || code == kExcLoadPageFault ||
                           code == kExcStorePageFault;
}
static_assert(has_address(kExcStorePageFault) && has_address(5) &&
              !has_address(kExcIllegalInstruction) && !has_address(3));

} // namespace

void remember_kernel_root(kernel::PhysAddr root) { g_kernel_root = root; }

extern "C" [[noreturn]] void riscv64_enter_user(u64* regs, CpuLocal* cpu);

// Runs on the top of the kernel stack with interrupts masked and the user's registers in
// g_cpu.regs. Turns scause/stval into the portable UserTrap.
extern "C" [[noreturn]] void riscv64_user_trap(u64 scause, u64 stval) {
    kernel::UserTrap trap{.kind = kernel::TrapKind::OtherFault, .code = scause};
    u64 code = scause & ~kCauseInterrupt;
    if (scause & kCauseInterrupt) {
        if (code != kIrqSupervisorTimer) {
            // Only the timer is enabled in sie: anything else means the kernel enabled a
            // source it cannot handle, which would fire again on every return.
            kernel::print("TRAP: unexpected interrupt from U-mode (scause {:#x}), sepc {:#x}\n",
                          scause, g_cpu.regs[abi::kRegIp]);
            kernel::panic("kernel trap");
        }
        timer_interrupt(); // on_timer_tick and re-arm, as for a tick while idling
        trap.kind = kernel::TrapKind::Interrupt;
        kernel::on_user_trap(trap);
    }
    switch (code) {
    case kExcEcallFromU:
        // sepc points at the ecall itself: resume after it, whatever the syscall does
        // with the thread (a blocked thread resumes there too once it is woken).
        g_cpu.regs[abi::kRegIp] += kEcallBytes;
        trap.kind = kernel::TrapKind::Syscall;
        break;
    case kExcInstructionPageFault:
    case kExcLoadPageFault:
    case kExcStorePageFault:
        trap.kind = kernel::TrapKind::PageFault;
        trap.write = code == kExcStorePageFault;
        trap.exec = code == kExcInstructionPageFault;
        break;
    case kExcIllegalInstruction:
        trap.kind = kernel::TrapKind::IllegalInstruction;
        break;
    default: break; // OtherFault: misaligned, access fault, breakpoint...
    }
    if (has_address(code)) trap.address = stval;
    kernel::on_user_trap(trap);
}

} // namespace arch::riscv64

namespace arch {

void init_user_registers(kernel::u64* regs, kernel::u64 ip, kernel::u64 sp) {
    for (kernel::u32 i = 0; i < abi::kRegCount; ++i) regs[i] = 0;
    regs[abi::kRegIp] = ip;
    regs[abi::kRegSp] = sp;
}

// Nothing to initialize: user threads run with FS = Off and never touch the area.
void init_fpu_area(void*) {}

// The upper half (root entries 256..511: direct map and kernel image) points at the
// kernel's own level-1 tables, so later kernel mappings below those entries are shared.
void prepare_user_root(kernel::PhysAddr root, kernel::PhysWindow window) {
    using namespace riscv64;
    if (g_kernel_root.value == 0) kernel::panic("prepare_user_root before activate_page_table");
    const u64* kernel_root = window.at<u64>(g_kernel_root);
    u64* user_root = window.at<u64>(root);
    for (unsigned i = kKernelRootFirst; i < kernel::kEntriesPerTable; ++i)
        user_root[i] = kernel_root[i];
    // The walks to kernel (global) pages through these entries are not ordered by
    // activate_user_space's ASID-scoped fences; one full fence here, once per new
    // address space, orders them before any walk.
    asm volatile("sfence.vma" ::: "memory");
}

// The kernel half is global in every root, so only non-global (user) translations need
// dropping. sfence.vma with rs2 = a register holding the ASID flushes exactly the
// non-global entries of that ASID (x0 would also flush the global kernel ones). The
// fence before the write orders the new tables' stores before walks through them.
// Nobody allocates ASIDs yet, and unmapping has no flush hook of its own, so the
// entries of a non-zero ASID are flushed too: correct, if not yet fast.
void activate_user_space(kernel::PhysAddr root, kernel::u16 asid) {
    using namespace riscv64;
    u64 id = asid;
    asm volatile("sfence.vma zero, %0" ::"r"(id) : "memory");
    csr_write<Csr::satp>(kSatpModeSv39 | (id << kSatpAsidShift) | (root.value >> 12));
    asm volatile("sfence.vma zero, %0" ::"r"(id) : "memory");
}

[[noreturn]] void return_to_user(kernel::u64* regs, void* fpu_area) {
    using namespace riscv64;
    // Masked until the sret: from the moment sscratch is non-zero (riscv64_enter_user)
    // an S-mode interrupt would be taken for a user trap.
    interrupts_disable();
    // A kernel address here could not reach S-mode (sret goes to U-mode, where kernel
    // pages fault), but the contract wants IP and SP to be user addresses: 0 makes the
    // thread fault in U-mode at once, and its handler sees what happened.
    if (regs[abi::kRegIp] >= kUserEnd) regs[abi::kRegIp] = 0;
    if (regs[abi::kRegSp] >= kUserEnd) regs[abi::kRegSp] = 0;
    g_cpu.regs = regs;
    g_cpu.fpu = fpu_area;
    // sret to U-mode (SPP = 0); SPIE = 1 leaves SIE set after sret, harmless in U-mode
    // (S interrupts are always taken there) and cleared again by the next trap; FS = Off
    // makes FP instructions trap; SUM = MXR = 0 so the kernel cannot touch user pages
    // by accident.
    u64 status = csr_read<Csr::sstatus>();
    status &= ~(kSstatusSie | kSstatusSpp | kSstatusFs | kSstatusSum | kSstatusMxr);
    status |= kSstatusSpie;
    csr_write<Csr::sstatus>(status);
    riscv64_enter_user(regs, &g_cpu);
}

} // namespace arch

// sfence.vma with rs1 = va and rs2 = zero drops that address's translations for every
// ASID: enough while nobody allocates ASIDs, and never too little.
void arch::flush_user_page(kernel::u64 va) { asm volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }

// Back to the kernel's own root, whose lower half is empty.
void arch::deactivate_user_space() {
    using namespace arch::riscv64;
    csr_write<Csr::satp>(kSatpModeSv39 | (g_kernel_root.value >> 12));
    asm volatile("sfence.vma" ::: "memory");
}
