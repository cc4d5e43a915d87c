// riscv64 user mode: fresh thread state, user address spaces, the way into U-mode
// (return_to_user) and the decoding of every trap that comes out of it.
#include "cpu_local.hpp"
#include "riscv64.hpp"

#include <arch/context.hpp>
#include <base/format.hpp>


namespace arch::riscv64 {

// The boot stack is the kernel stack of CPU 0: kernel::main runs on it until the first
// return_to_user abandons its frames, and every user entry starts again at its top
// (riscv64_cpus[0], platform.cpp).

namespace {

// sstatus bits return_to_user controls.
constexpr u64 kSstatusSie = u64{1} << 1;   ///< interrupts enabled in S-mode
constexpr u64 kSstatusSpie = u64{1} << 5;  ///< SIE after sret (irrelevant in U-mode)
constexpr u64 kSstatusSpp = u64{1} << 8;   ///< sret goes to S-mode when set
constexpr u64 kSstatusVs = u64{3} << 9;    ///< vector state; 0 = Off, V instructions trap
constexpr u64 kSstatusFs = u64{3} << 13;   ///< FPU state: Off, Initial, Clean, Dirty
constexpr u64 kSstatusFsClean = u64{2} << 13;
constexpr u64 kSstatusSum = u64{1} << 18;  ///< S-mode may touch U pages
constexpr u64 kSstatusMxr = u64{1} << 19;  ///< loads from execute-only pages

constexpr unsigned kKernelRootFirst = kernel::kEntriesPerTable / 2; // Sv39 upper half

// Sv39 user addresses are the lower half: below 2^38 (root entries 0..255).
constexpr u64 kUserEnd = kernel::user_space_end<Pte>();
static_assert(kUserEnd == u64{1} << 38);

// Exception codes (scause without the interrupt bit) the user path distinguishes.
enum : u64 {
    kExcIllegalInstruction = 2,
    kExcInstructionPageFault = 12,
    kExcLoadPageFault = 13,
    kExcStorePageFault = 15,
};

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


// (Not [[noreturn]], though it never returns: called last, it is jumped to.)
extern "C" void riscv64_enter_user(u64* regs, CpuLocal* cpu);
extern "C" void riscv64_fpu_load(const void* area);
extern "C" void riscv64_fpu_save(void* area);

namespace {
/// A tick from U-mode. With nothing else to do than charge a thread alone on its hart it
/// needs no lock (on_user_tick_unlocked returns when it does); else the lock, as for every
/// entry. (Out of line: the other traps' path stays as it was, but for the test.)
[[noreturn, gnu::noinline]] void user_tick(u64 scause) {
    rearm_timer();
    kernel::on_user_tick_unlocked();
    kernel::kernel_enter();
    kernel::on_timer_tick();
    kernel::on_user_trap(kernel::UserTrap{.kind = kernel::TrapKind::Interrupt, .code = scause});
}
} // namespace

// Runs on the top of the kernel stack with interrupts masked and the user's registers in
// this_cpu().regs. Turns scause/stval into the portable UserTrap. (An ecall does not come
// here: trap_entry.S calls kernel::on_user_syscall itself.)
extern "C" [[noreturn]] void riscv64_user_trap(u64 scause, u64 stval) {
    if (scause == (kCauseInterrupt | kIrqSupervisorTimer)) user_tick(scause);
    kernel::kernel_enter();
    kernel::UserTrap trap{.kind = kernel::TrapKind::OtherFault, .code = scause};
    u64 code = scause & ~kCauseInterrupt;
    if (scause & kCauseInterrupt) {
        if (code == kIrqSupervisorExternal) { // (the timer's went to user_tick)
            external_interrupt(); // claim, on_device_interrupt, complete
        } else if (code == kIrqSupervisorSoftware) {
            software_interrupt(); // an IPI: on_ipi
        } else {
            // Only these three are enabled in sie: anything else means the kernel enabled
            // a source it cannot handle, which would fire again on every return.
            kernel::print("TRAP: unexpected interrupt from U-mode (scause {:#x}), sepc {:#x}\n",
                          scause, this_cpu().regs[abi::kRegIp]);
            kernel::panic("kernel trap");
        }
        trap.kind = kernel::TrapKind::Interrupt;
        kernel::on_user_trap(trap);
    }
    switch (code) {
    case kExcInstructionPageFault:
    case kExcLoadPageFault:
    case kExcStorePageFault:
        trap.kind = kernel::TrapKind::PageFault;
        trap.write = code == kExcStorePageFault;
        trap.exec = code == kExcInstructionPageFault;
        break;
    case kExcIllegalInstruction:
        // With FS = Off any FP instruction is illegal: a thread that does not own the FP
        // registers may have wanted them (the lazy FPU). Given them, it runs the
        // instruction again, which traps as illegal once more if it really is.
        trap.kind = this_cpu().fpu_live ? kernel::TrapKind::IllegalInstruction : kernel::TrapKind::FpuUnavailable;
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

// The reset state is all zero: f0..f31 = +0.0, fcsr = 0 (round to nearest, no flags).
void init_fpu_area(void* fpu_area) {
    auto* area = static_cast<kernel::u64*>(fpu_area);
    for (unsigned i = 0; i * 8 < RISCV64_FPU_FCSR + 8; ++i) area[i] = 0;
}

void fpu_switch(void* from, void* to) {
    using namespace riscv64;
    csr_set<Csr::sstatus>(kSstatusFs); // (FP instructions trap in S-mode too while FS is Off)
    if (from) riscv64_fpu_save(from);
    riscv64_fpu_load(to);
}

void set_syscall_path(void (*syscall)()) {
    riscv64::CpuLocal& c = riscv64::this_cpu();
    c.syscall = syscall;
}

// The upper half (root entries 256..511: direct map and kernel image) points at the
// kernel's own level-1 tables, so later kernel mappings below those entries are shared.
void prepare_user_root(kernel::PhysAddr root, kernel::PhysWindow window) {
    using namespace riscv64;
    if (g_platform.kernel_root.value == 0) kernel::panic("prepare_user_root before activate_page_table");
    const u64* kernel_root = window.at<u64>(g_platform.kernel_root);
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
// non-global entries of that ASID (x0 would also flush the global kernel ones).
// With an ASID the space's cached entries stay valid while others run: the kernel
// flushes them by tag as they go stale (flush_user_page, flush_asid), so switching to it
// costs only the satp write. ASID 0 is shared by every untagged space (and the kernel
// root, whose lower half is empty), so its entries are flushed on every switch; the
// fence before the write also orders the new tables' stores before walks through them.
void activate_user_space(kernel::PhysAddr root, kernel::u16 asid) {
    using namespace riscv64;
    u64 id = asid;
    u64 satp = kSatpModeSv39 | (id << kSatpAsidShift) | (root.value >> 12);
    if (id != 0) {
        csr_write<Csr::satp>(satp);
        return;
    }
    asm volatile("sfence.vma zero, %0" ::"r"(id) : "memory");
    csr_write<Csr::satp>(satp);
    asm volatile("sfence.vma zero, %0" ::"r"(id) : "memory");
}

// One hart for now, so "every CPU" is this one. rs2 is a register even for ASID 0: x0
// there would mean "every ASID, global entries included".
void flush_user_page(kernel::u64 va, kernel::u16 asid) {
    kernel::u64 id = asid;
    asm volatile("sfence.vma %0, %1" ::"r"(va), "r"(id) : "memory");
}

void flush_asid(kernel::u16 asid) {
    kernel::u64 id = asid;
    asm volatile("sfence.vma zero, %0" ::"r"(id) : "memory");
}

// Found by activate_page_table, which runs before the kernel asks.
kernel::u32 asid_count() {
    unsigned bits = riscv64::g_platform.asid_bits;
    return bits ? kernel::u32{1} << bits : 0;
}

void leave_to_user(kernel::u64* regs, bool checked, bool fpu_live, kernel::PhysAddr space_root,
                   kernel::u16 space_asid) {
    using namespace riscv64;
    // (Interrupts masked until the sret: from the moment sscratch is non-zero,
    // riscv64_enter_user, an S-mode interrupt would be taken for a user trap.)
    if (space_root.value) activate_user_space(space_root, space_asid);
    // A kernel address here could not reach S-mode (sret goes to U-mode, where kernel
    // pages fault), but the contract wants IP and SP to be user addresses: 0 makes the
    // thread fault in U-mode at once, and its handler sees what happened.
    // (What the thread's own trap saved is left alone: sepc was executing, sp is used in
    // U-mode only.)
    if (!checked) {
        if (regs[abi::kRegIp] >= kUserEnd) regs[abi::kRegIp] = 0;
        if (regs[abi::kRegSp] >= kUserEnd) regs[abi::kRegSp] = 0;
    }
    CpuLocal& cpu = this_cpu();
    cpu.regs = regs;
    cpu.fpu_live = fpu_live;
    // sret to U-mode (SPP = 0); SPIE = 1 leaves SIE set after sret, harmless in U-mode
    // (S interrupts are always taken there) and cleared again by the next trap; FS =
    // Clean for the FPU's owner, Off for anyone else (the lazy FPU's trap); VS = Off;
    // SUM = MXR = 0 so the kernel cannot touch user pages by accident.
    u64 status = csr_read<Csr::sstatus>();
    status &= ~(kSstatusSie | kSstatusSpp | kSstatusVs | kSstatusFs | kSstatusSum | kSstatusMxr);
    status |= kSstatusSpie | (fpu_live ? kSstatusFsClean : 0);
    csr_write<Csr::sstatus>(status);
    riscv64_enter_user(regs, &this_cpu());
}

} // namespace arch

// Back to the kernel's own root, whose lower half is empty.
void arch::deactivate_user_space() {
    using namespace arch::riscv64;
    csr_write<Csr::satp>(kSatpModeSv39 | (g_platform.kernel_root.value >> 12));
    asm volatile("sfence.vma" ::: "memory");
}
