// Exception entry from vectors.S: IRQs go to the GIC driver; anything synchronous (or an
// SError) in the kernel is a bug, reported in words and then fatal.
#include "aarch64.hpp"

#include <microkernel/format.hpp>

namespace arch::aarch64 {
namespace {

using kernel::print;

enum Type : u64 { kSync = 0, kIrq = 1, kFiq = 2, kSError = 3 };

const char* const kOrigin[] = {"EL1 with SP_EL0", "EL1", "EL0 (AArch64)", "EL0 (AArch32)"};
const char* const kType[] = {"synchronous", "IRQ", "FIQ", "SError"};

/// ESR_EL1.EC in words (Arm ARM D17.2.37).
const char* exception_class_name(u64 ec) {
    switch (ec) {
    case 0x00: return "unknown reason (undefined instruction)";
    case 0x01: return "trapped WFI/WFE";
    case 0x07: return "SIMD/FP access trapped";
    case 0x0e: return "illegal execution state";
    case 0x15: return "SVC from AArch64";
    case 0x16: return "HVC from AArch64";
    case 0x17: return "SMC from AArch64";
    case 0x18: return "trapped MSR/MRS/system instruction";
    case 0x20: return "instruction abort from a lower EL";
    case 0x21: return "instruction abort, same EL";
    case 0x22: return "PC alignment fault";
    case 0x24: return "data abort from a lower EL";
    case 0x25: return "data abort, same EL";
    case 0x26: return "SP alignment fault";
    case 0x2c: return "floating-point exception";
    case 0x2f: return "SError interrupt";
    case 0x30: return "breakpoint from a lower EL";
    case 0x31: return "breakpoint, same EL";
    case 0x32: return "software step from a lower EL";
    case 0x33: return "software step, same EL";
    case 0x34: return "watchpoint from a lower EL";
    case 0x35: return "watchpoint, same EL";
    case 0x3c: return "BRK instruction";
    default: return "reserved or unexpected exception class";
    }
}

/// Data/instruction fault status code (ISS bits [5:0]); `level` gets the table level
/// (Arm numbering) for the kinds that have one, else -1.
const char* fault_status_name(u64 fsc, int& level) {
    level = -1;
    switch (fsc >> 2) {
    case 0x0: level = int(fsc & 3); return "address size fault";
    case 0x1: level = int(fsc & 3); return "translation fault";
    case 0x2: level = int(fsc & 3); return "access flag fault";
    case 0x3: level = int(fsc & 3); return "permission fault";
    default: break;
    }
    switch (fsc) {
    case 0x10: return "synchronous external abort";
    case 0x11: return "synchronous tag check fault";
    case 0x18: return "synchronous parity/ECC error";
    case 0x21: return "alignment fault";
    case 0x30: return "TLB conflict abort";
    case 0x31: return "unsupported atomic hardware update fault";
    default: return "other fault status";
    }
}

void report_abort(u64 ec, u64 esr) {
    int level;
    const char* what = fault_status_name(esr & 0x3f, level);
    bool data = ec == 0x24 || ec == 0x25;
    print("  {} (FSC {:#04x})", what, esr & 0x3f);
    if (level >= 0) print(" at table level {}", level);
    if (data) print(", {}", (esr >> 6) & 1 ? "write (WnR=1)" : "read (WnR=0)");
    if ((esr >> 10) & 1) print(", FAR not valid (FnV)");
    if ((esr >> 7) & 1) print(", during a table walk (S1PTW)");
    print("\n");
}

bool g_reporting = false; ///< a trap while reporting one: give up at once

[[noreturn]] void report_and_die(u64 kind, const TrapFrame& f) {
    if (g_reporting) arch::poweroff(kernel::kPanicStatus);
    g_reporting = true;
    u64 ec = (f.esr >> 26) & 0x3f;
    bool sync = (kind & 3) == kSync;
    if (sync)
        print("\nTRAP: {} (EC {:#04x}, ESR {:#010x}) from {}\n", exception_class_name(ec), ec, f.esr,
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
    if ((kind & 3) == kIrq) {
        irq_handle();
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
