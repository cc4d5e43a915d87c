// Exception entry from vectors.S: IRQs go to the GIC driver; anything synchronous (or an
// SError) in the kernel is a bug, reported in words and then fatal.
#include "aarch64.hpp"

#include <base/format.hpp>

namespace arch::aarch64 {
namespace {

using kernel::print;

enum Type : u64 { kSync = 0, kIrq = 1, kFiq = 2, kSError = 3 };

const char* const kOrigin[] = {"EL1 with SP_EL0", "EL1", "EL0 (AArch64)", "EL0 (AArch32)"};
const char* const kType[] = {"synchronous", "IRQ", "FIQ", "SError"};

struct Name {
    kernel::u8 code;
    const char* text;
};

/// ESR_EL1.EC in words (Arm ARM D17.2.37).
constexpr Name kClasses[] = {
    {0x00, "unknown reason (undefined instruction)"}, {0x01, "trapped WFI/WFE"},
    {0x07, "SIMD/FP access trapped"}, {0x0e, "illegal execution state"},
    {0x15, "SVC from AArch64"}, {0x16, "HVC from AArch64"}, {0x17, "SMC from AArch64"},
    {0x18, "trapped MSR/MRS/system instruction"}, {0x20, "instruction abort from a lower EL"},
    {0x21, "instruction abort, same EL"}, {0x22, "PC alignment fault"},
    {0x24, "data abort from a lower EL"}, {0x25, "data abort, same EL"},
    {0x26, "SP alignment fault"}, {0x2c, "floating-point exception"},
    {0x2f, "SError interrupt"}, {0x30, "breakpoint from a lower EL"},
    {0x31, "breakpoint, same EL"}, {0x32, "software step from a lower EL"},
    {0x33, "software step, same EL"}, {0x34, "watchpoint from a lower EL"},
    {0x35, "watchpoint, same EL"}, {0x3c, "BRK instruction"},
};

/// Data/instruction fault status codes (ISS bits [5:0]) without a table level; those
/// with one are the four kinds below, level in the low two bits.
constexpr Name kStatuses[] = {
    {0x10, "synchronous external abort"}, {0x11, "synchronous tag check fault"},
    {0x18, "synchronous parity/ECC error"}, {0x21, "alignment fault"},
    {0x30, "TLB conflict abort"}, {0x31, "unsupported atomic hardware update fault"},
};
const char* const kLevelled[] = {"address size fault", "translation fault", "access flag fault",
                                 "permission fault"};

template <kernel::usize N>
const char* name_of(const Name (&names)[N], u64 code, const char* otherwise) {
    for (const Name& n : names)
        if (n.code == code) return n.text;
    return otherwise;
}

void report_abort(u64 ec, u64 esr) {
    u64 fsc = esr & 0x3f;
    if (fsc < 0x10) print("  {} (FSC {:#04x}) at table level {}", kLevelled[fsc >> 2], fsc, fsc & 3);
    else print("  {} (FSC {:#04x})", name_of(kStatuses, fsc, "other fault status"), fsc);
    if (ec == 0x24 || ec == 0x25) print(", {}", (esr >> 6) & 1 ? "write (WnR=1)" : "read (WnR=0)");
    if ((esr >> 10) & 1) print(", FAR not valid (FnV)");
    if ((esr >> 7) & 1) print(", during a table walk (S1PTW)");
    print("\n");
}

bool g_reporting = false; ///< a trap while reporting one: give up at once

[[noreturn, gnu::cold, gnu::noinline]] void report_and_die(u64 kind, const TrapFrame& f) {
    if (g_reporting) arch::poweroff(kernel::kPanicStatus);
    g_reporting = true;
    kernel::stop_other_cpus();
    u64 ec = (f.esr >> 26) & 0x3f;
    bool sync = (kind & 3) == kSync;
    if (sync)
        print("\nTRAP: {} (EC {:#04x}, ESR {:#010x}) from {}\n",
              name_of(kClasses, ec, "reserved or unexpected exception class"), ec, f.esr,
              kOrigin[kind >> 2]);
    else
        print("\nTRAP: unexpected {} from {} (vector {}, ESR {:#010x})\n", kType[kind & 3],
              kOrigin[kind >> 2], kind, f.esr);
    if (sync && (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25)) report_abort(ec, f.esr);
    print("  FAR {:#018x}  ELR {:#018x}  SPSR {:#010x}\n", f.far, f.elr, f.spsr);
    for (unsigned i = 0; i < 31; ++i)
        print("  x{:<2} {:016x}{}", i, f.x[i], i % 4 == 3 ? "\n" : "");
    print("  sp  {:016x}\n", f.sp);
    kernel::panic("kernel trap");
}

} // namespace
} // namespace arch::aarch64

extern "C" void aarch64_trap(arch::aarch64::u64 kind, arch::aarch64::TrapFrame* frame) {
    using namespace arch::aarch64;
    if ((kind & 3) == kIrq) { // (the kernel waits: idle, for the lock, or at boot)
        // Only its timer and IPIs reach another CPU than the boot CPU (devices go to the
        // boot CPU): ticks here charge nobody and IPIs need no lock, so it takes none (it
        // may be waiting for it: KernelLock).
        if (arch::cpu_index() != 0) {
            irq_handle(false);
            return;
        }
        kernel::kernel_enter();
        irq_handle();
        kernel::kernel_leave();
        return;
    }
    // Semihosting disabled: the HLT in aarch64_semihost is undefined. Step over it and
    // report failure so poweroff can try PSCI instead.
    if ((kind & 3) == kSync && frame->elr == reinterpret_cast<u64>(aarch64_semihost_hlt) &&
        ((frame->esr >> 26) & 0x3f) == 0) {
        frame->elr += 4;
        frame->x[0] = ~u64{0};
        return;
    }
    report_and_die(kind, *frame);
}
