// Device interrupts: the platform-level interrupt controller (PLIC). User space owns its
// sources 1..ndev (source 0 means "none"); the kernel uses one context, the S-mode one of
// the boot hart, which the devicetree names (see init.cpp). Every source gets priority 1
// and the context threshold 0, so masking is the context's enable bit alone.
#include "riscv64.hpp"

namespace arch::riscv64 {
namespace {

// Register offsets from the PLIC base (the SiFive layout every "riscv,plic0" shares).
constexpr u64 kPriority = 0x0;          // + 4 * source
constexpr u64 kEnable = 0x2000;         // + 0x80 * context: one bit per source
constexpr u64 kEnableStride = 0x80;
constexpr u64 kContext = 0x200000;      // + 0x1000 * context: threshold, claim/complete
constexpr u64 kContextStride = 0x1000;
constexpr u64 kClaim = 4;               // read: claim; write: complete
constexpr kernel::u32 kMaxSources = 1023;

struct Plic {
    u64 base = 0; // virtual (direct map); 0 = no PLIC, no device lines
    kernel::u32 sources = 0;
    kernel::u32 context = 0;
};
Plic g_plic;

volatile kernel::u32& reg(u64 offset) {
    return *reinterpret_cast<volatile kernel::u32*>(g_plic.base + offset);
}
volatile kernel::u32& enable_word(kernel::u32 source) {
    return reg(kEnable + kEnableStride * g_plic.context + 4 * (source / 32));
}
volatile kernel::u32& claim_reg() {
    return reg(kContext + kContextStride * g_plic.context + kClaim);
}

bool valid(kernel::u32 source) { return g_plic.base && source >= 1 && source <= g_plic.sources; }

void set_enabled(kernel::u32 source, bool on) {
    kernel::u32 bit = kernel::u32{1} << (source % 32);
    volatile kernel::u32& w = enable_word(source);
    w = on ? (w | bit) : (w & ~bit);
}

} // namespace

void plic_init(u64 phys, kernel::u32 sources, kernel::u32 context) {
    g_plic = {kDirectMapBase + phys, sources < kMaxSources ? sources : kMaxSources, context};
    for (kernel::u32 s = 1; s <= g_plic.sources; ++s) {
        reg(kPriority + 4 * s) = 1;
        set_enabled(s, false); // the firmware may have left some enabled
    }
    reg(kContext + kContextStride * context) = 0; // threshold: every priority >= 1 passes
    csr_set<Csr::sie>(kSieSeie); // taken once sstatus.SIE is set, like the timer
}

bool plic_has_source(kernel::u32 source) { return valid(source); }

// One claim per trap: another pending source keeps sip.SEIP up and traps again right
// after, so a line that will not stop cannot lock out the timer or the rest. Claim 0
// (another context took it, or nothing) and sources the kernel does not know are only
// completed.
void external_interrupt() {
    if (!g_plic.base) return;
    kernel::u32 source = claim_reg();
    if (source == 0) return;
    if (!valid(source)) {
        claim_reg() = source;
        return;
    }
    kernel::on_device_interrupt(source); // masks the line until user space acks it
    // The PLIC ignores a completion for a source its context has disabled, which would
    // leave the source claimed (and silent) forever: complete with the bit set for a
    // moment. Interrupts are masked here, so a re-pending level line is not taken.
    bool masked = !(enable_word(source) & (kernel::u32{1} << (source % 32)));
    if (masked) set_enabled(source, true);
    claim_reg() = source;
    if (masked) set_enabled(source, false);
}

} // namespace arch::riscv64

namespace arch {

bool irq_line_valid(kernel::u32 line) { return riscv64::valid(line); }

// The kernel may pass any line it keeps a handler slot for: only real sources are touched.
void irq_set_masked(kernel::u32 line, bool masked) {
    if (riscv64::valid(line)) riscv64::set_enabled(line, !masked);
}

} // namespace arch
