// User mode, the C++ half (the assembly half is user_entry.S): CPU setup for CPL 3 and
// the syscall instruction, fresh thread state, user address spaces, and the sanitizing
// return_to_user. See docs/porting.md, "User mode".
#include "hw.hpp"
#include "user_frame.h"
#include "x86_64.hpp"

#include <arch/context.hpp>
#include <microkernel/arch.hpp>
#include <base/boot_only.hpp>
#include <base/format.hpp>

#include <cstddef>

extern "C" {
// user_entry.S. The entry path reads the first two to know where to save a trap.
extern kernel::u8 x86_64_has_fsgsbase;
void x86_64_syscall_entry();     // with rdfsbase/rdgsbase
void x86_64_syscall_entry_msr(); // with the FS/GS base MSRs (no FSGSBASE)
// (Not [[noreturn]], though it never returns: called last, it is jumped to.)
void x86_64_enter_user(kernel::u64* regs);
void x86_64_enter_user_msr(kernel::u64* regs);
}

arch::x86_64::CpuLocal x86_64_cpus[kernel::kMaxCpus];

namespace arch::x86_64 {
namespace {

// The exit return_to_user jumps to: with wrfsbase/wrgsbase, or with the MSRs when the
// CPU has no FSGSBASE (user_mode_init decides, once).
void (*g_enter_user)(kernel::u64* regs) = x86_64_enter_user;

// The assembly addresses the register file with the offsets of user_frame.h.
static_assert(UREG_RIP == kRip * 8 && UREG_RSP == kRsp * 8 && UREG_RAX == kRax * 8);
static_assert(UREG_RDI == kRdi * 8 && UREG_RSI == kRsi * 8 && UREG_RDX == kRdx * 8);
static_assert(UREG_R10 == kR10 * 8 && UREG_R8 == kR8 * 8 && UREG_R9 == kR9 * 8);
static_assert(UREG_R12 == kR12 * 8 && UREG_RFLAGS == kRflags * 8 && UREG_RBX == kRbx * 8);
static_assert(UREG_RCX == kRcx * 8 && UREG_RBP == kRbp * 8 && UREG_R11 == kR11 * 8);
static_assert(UREG_R13 == kR13 * 8 && UREG_R14 == kR14 * 8 && UREG_R15 == kR15 * 8);
static_assert(UREG_FS_BASE == kFsBase * 8 && UREG_GS_BASE == kGsBase * 8);
static_assert(offsetof(CpuLocal, index) == CPU_INDEX && offsetof(CpuLocal, kernel_sp) == CPU_KERNEL_SP);
static_assert(offsetof(CpuLocal, regs) == CPU_REGS && offsetof(CpuLocal, run_queue) == CPU_RUN_QUEUE);
static_assert(offsetof(CpuLocal, scratch) == CPU_SCRATCH && offsetof(CpuLocal, self) == CPU_SELF);
static_assert(offsetof(CpuLocal, syscall) == CPU_SYSCALL && offsetof(CpuLocal, fpu_live) == CPU_FPU_LIVE);
static_assert(offsetof(CpuLocal, active_pcid) == CPU_ACTIVE_PCID && sizeof(CpuLocal::fpu_live) == 1);
static_assert(CPU_INDEX == 0 && CPU_RUN_QUEUE == 24); // (where arch/cpu.hpp reads them)
static_assert(sizeof(CpuLocal) == CPU_LOCAL_SIZE);
static_assert(USER_DS == kUserData && USER_CS == kUserCode);

constexpr u32 kMsrEfer = 0xc0000080;
constexpr u32 kMsrStar = 0xc0000081;
constexpr u32 kMsrLstar = 0xc0000082;
constexpr u32 kMsrSfmask = 0xc0000084;
constexpr u64 kEferSce = 1 << 0; // syscall/sysret enable

constexpr u64 kCr0Mp = 1 << 1, kCr0Em = 1 << 2, kCr0Ts = 1 << 3, kCr0Ne = 1 << 5;
constexpr u64 kCr4Tsd = 1 << 2, kCr4Osfxsr = 1 << 9, kCr4Osxmmexcpt = 1 << 10, kCr4Fsgsbase = 1 << 16,
              kCr4Pcide = 1 << 17;
constexpr u32 kCpuid1EcxPcid = 1 << 17, kCpuid7EbxFsgsbase = 1 << 0, kCpuid7EbxInvpcid = 1 << 10;

// CR3 with CR4.PCIDE (SDM vol. 3, 4.10.4.1): bits 11..0 are the PCID; bit 63 set means
// "keep what is cached for that PCID", clear means "flush its non-global entries".
constexpr u64 kCr3NoFlush = u64{1} << 63;
constexpr u32 kPcidCount = 4096;
// INVPCID types: one address of one PCID, and every entry of one PCID.
constexpr u64 kInvpcidAddress = 0, kInvpcidContext = 1;

// RFLAGS bits (SDM vol. 1, 3.4.3).
constexpr u64 kFlagCf = 1 << 0, kFlagReserved1 = 1 << 1, kFlagPf = 1 << 2, kFlagAf = 1 << 4,
              kFlagZf = 1 << 6, kFlagSf = 1 << 7, kFlagTf = 1 << 8, kFlagIf = 1 << 9,
              kFlagDf = 1 << 10, kFlagOf = 1 << 11, kFlagIopl = 3 << 12, kFlagNt = 1 << 14,
              kFlagAc = 1 << 18;
/// What a user thread may hold in RFLAGS: the arithmetic flags, DF and AC (inert: CR0.AM
/// is clear). Everything else is forced: IF on, IOPL 0, and no TF/NT/RF/VM/VIF/VIP/ID.
constexpr u64 kUserFlags = kFlagCf | kFlagPf | kFlagAf | kFlagZf | kFlagSf | kFlagDf | kFlagOf | kFlagAc;
constexpr u64 kForcedFlags = kFlagIf | kFlagReserved1;
/// Cleared by the syscall instruction on entry, so the kernel starts with interrupts
/// masked, no single-stepping, string ops going up and no alignment checks.
constexpr u64 kSyscallMask = kFlagIf | kFlagDf | kFlagTf | kFlagAc | kFlagIopl | kFlagNt;

// FXSAVE image fields (SDM vol. 1, table 10-2) and their reset values.
constexpr usize kFxFcw = 0, kFxMxcsr = 24, kFxMxcsrMask = 28;
constexpr u16 kFcwReset = 0x37f;     // all x87 exceptions masked, 64-bit precision
constexpr u32 kMxcsrReset = 0x1f80;  // all SSE exceptions masked, round to nearest
constexpr u32 kMxcsrMaskDefault = 0xffbf; // when FXSAVE reports 0 (SDM 11.6.6)

constexpr u64 kUserEnd = kernel::user_space_end<Pte>(); // 1 << 47
/// Where a bad RIP or RSP is sent: canonical, so iretq accepts it, and never mapped by a
/// program (user.ld starts at 0x400000), so the thread faults in user mode at once.
constexpr u64 kBadUserAddress = 0;

kernel::PhysAddr g_kernel_root{};
u32 g_mxcsr_mask = kMxcsrMaskDefault;
bool g_pcid = false;    // CR4.PCIDE is on
bool g_invpcid = false; // and INVPCID exists
u64 g_cr4 = 0;         // what user_mode_init sets in CR4, for the other CPUs

/// 48-bit canonical: bits 63..47 all equal (4-level paging; LA57 is never enabled).
constexpr bool is_canonical(u64 v) { return v < kUserEnd || v >= ~(kUserEnd - 1); }
static_assert(is_canonical(0x00007fffffffffff) && is_canonical(0xffff800000000000));
static_assert(!is_canonical(0x0000800000000000) && !is_canonical(0xffff7fffffffffff));

u32 load32(const void* p, usize off) {
    u32 v;
    __builtin_memcpy(&v, static_cast<const u8*>(p) + off, sizeof v);
    return v;
}
void store32(void* p, usize off, u32 v) { __builtin_memcpy(static_cast<u8*>(p) + off, &v, sizeof v); }

void write_cr3(u64 v) { asm volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
u64 read_cr3() {
    u64 v;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

void invpcid(u64 type, u16 pcid, u64 va) {
    struct {
        u64 pcid, va;
    } descriptor{pcid, va};
    asm volatile("invpcid %0, %1" ::"m"(descriptor), "r"(type) : "memory");
}

enum class PcidFlush { Page, Everything };

/// Without INVPCID only a CR3 write reaches another PCID's entries: load the kernel's
/// root (its user half is empty, so no user translation gets cached meanwhile) tagged
/// `pcid`, flushing the whole tag or keeping it for one invlpg, then switch back without
/// a flush. Interrupts stay masked so that no handler runs on the borrowed CR3.
void flush_other_pcid(u16 pcid, PcidFlush what, u64 va) {
    u64 flags;
    asm volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
    u64 saved = read_cr3();
    if (what == PcidFlush::Page) {
        write_cr3(g_kernel_root.value | pcid | kCr3NoFlush);
        asm volatile("invlpg (%0)" ::"r"(va) : "memory");
    } else {
        write_cr3(g_kernel_root.value | pcid);
    }
    write_cr3(saved | kCr3NoFlush);
    if (flags & kFlagIf) interrupts_enable();
}

} // namespace

kernel::PhysAddr kernel_root() { return g_kernel_root; }

BOOT_ONLY void cpu_local_init(u32 index, u64 kernel_sp) {
    CpuLocal& c = x86_64_cpus[index];
    c = CpuLocal{index, kernel_sp, nullptr, kernel::fast_yield_run_queue(index), 0, &c, kernel::on_user_syscall_fast,
                 false, 0};
    wrmsr(MSR_GS_BASE, reinterpret_cast<kernel::uptr>(&c));
    wrmsr(MSR_KERNEL_GS_BASE, 0); // the user's, from the first exit on
}

BOOT_ONLY void user_mode_init_cpu() {
    // x87 and SSE for user code: native x87 errors (NE), no emulation (EM), TS clear until
    // the lazy FPU sets it, and the OS-supports-FXSAVE/SSE-exceptions bits without which
    // SSE instructions #UD (in g_cr4).
    write_cr0((read_cr0() | kCr0Mp | kCr0Ne) & ~(kCr0Em | kCr0Ts));
    this_cpu().fpu_live = true;
    write_cr4(g_cr4);
    // syscall: CS = STAR[47:32] (SS = +8) on entry; sysretq: CS = STAR[63:48] + 16, SS =
    // + 8, RPL 3 (the GDT is laid out for it).
    wrmsr(kMsrEfer, rdmsr(kMsrEfer) | kEferSce);
    wrmsr(kMsrStar, (u64{(kUserData & ~3u) - 8} << 48) | (u64{kKernelCode} << 32));
    wrmsr(kMsrLstar, reinterpret_cast<kernel::uptr>(x86_64_has_fsgsbase ? &x86_64_syscall_entry
                                                                        : &x86_64_syscall_entry_msr));
    wrmsr(kMsrSfmask, kSyscallMask);
}

BOOT_ONLY void user_mode_init() {
    // TSD clear: user code may read the TSC (sys_read_counter; under QEMU -icount it
    // counts guest instructions, which is how scripts/bench measures).
    u64 cr4 = (read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt) & ~kCr4Tsd;
    // FSGSBASE lets user code read its TLS base (sys_read_tls) and the entry path save
    // FS/GS bases without rdmsr. Without it the entry path falls back to the MSRs.
    u32 leaf7_ebx = cpuid(0).eax >= 7 ? cpuid(7).ebx : 0;
    if (leaf7_ebx & kCpuid7EbxFsgsbase) {
        cr4 |= kCr4Fsgsbase;
        x86_64_has_fsgsbase = 1;
    } else {
        g_enter_user = x86_64_enter_user_msr;
        kernel::print("x86_64: no FSGSBASE: the FS and GS bases go through their MSRs\n");
    }
    // PCIDs tag user translations, so switching spaces need not flush them. PCIDE may
    // only be turned on with CR3[11:0] = 0, which holds for the early tables.
    if ((cpuid(1).ecx & kCpuid1EcxPcid) && !(read_cr3() & 0xfff)) {
        cr4 |= kCr4Pcide;
        g_pcid = true;
        g_invpcid = (leaf7_ebx & kCpuid7EbxInvpcid) != 0;
    }
    g_cr4 = cr4;
    if (g_pcid)
        kernel::print("x86_64: PCID on ({} ids), INVPCID {}\n", kPcidCount, g_invpcid ? "yes" : "no");
    else
        kernel::print("x86_64: no PCID: every address-space switch flushes the TLB\n");

    // MXCSR bits outside this mask make FXRSTOR #GP; return_to_user clears them.
    alignas(16) u8 image[kFxsaveBytes] = {};
    asm volatile("fxsave64 (%0)" ::"r"(image) : "memory");
    u32 mask = load32(image, kFxMxcsrMask);
    g_mxcsr_mask = mask ? mask : kMxcsrMaskDefault;
    user_mode_init_cpu();
}

} // namespace arch::x86_64

namespace arch {

using namespace x86_64;

void activate_page_table(kernel::PhysAddr root) {
    // The early tables set no global bits, so this write (PCID 0, flushing) drops all
    // they translated.
    write_cr3(root.value);
    g_kernel_root = root; // prepare_user_root copies its kernel half
    set_cpu_active_pcid(0);
}

void init_user_registers(kernel::u64* regs, kernel::u64 ip, kernel::u64 sp) {
    for (u32 i = 0; i < abi::kRegCount; ++i) regs[i] = 0;
    regs[kRip] = ip;
    regs[kRsp] = sp;
    regs[kRflags] = kForcedFlags;
    // CS and SS are not in the file: every exit uses the user selectors.
}

void init_fpu_area(void* fpu_area) {
    __builtin_memset(fpu_area, 0, kernel::kFpuAreaBytes); // FTW 0: every x87 register empty
    u16 fcw = kFcwReset;
    __builtin_memcpy(static_cast<u8*>(fpu_area) + kFxFcw, &fcw, sizeof fcw);
    store32(fpu_area, kFxMxcsr, kMxcsrReset);
}

void prepare_user_root(kernel::PhysAddr root, kernel::PhysWindow window) {
    if (g_kernel_root.value == 0) kernel::panic("prepare_user_root before activate_page_table");
    // Entries 256..511 cover the kernel half. Sharing the kernel's level-3 tables means
    // later changes below them show everywhere; a new PML4 entry would not (the kernel
    // adds none after boot).
    const u64* kernel_root = window.at<const u64>(g_kernel_root);
    u64* user_root = window.at<u64>(root);
    for (unsigned i = kernel::kEntriesPerTable / 2; i < kernel::kEntriesPerTable; ++i)
        user_root[i] = kernel_root[i];
}

kernel::u32 asid_count() { return g_pcid ? kPcidCount : 0; }

void activate_user_space(kernel::PhysAddr root, kernel::u16 asid) {
    // Kernel pages are global and survive every CR3 write. A tagged space keeps its
    // entries (the kernel flushes them by tag when they go stale); an untagged one runs
    // as PCID 0, which this write flushes, so no other untagged space's entries leak in.
    // (An ASID is below asid_count(), which is 0 without PCIDs: the kernel hands out no
    // other, so a non-zero one means PCIDs are on.)
    if (asid != 0) {
        write_cr3(root.value | asid | kCr3NoFlush);
        set_cpu_active_pcid(asid);
    } else {
        write_cr3(root.value);
        set_cpu_active_pcid(0);
    }
}

void flush_user_page(kernel::u64 va, kernel::u16 asid) {
    // invlpg acts on the active PCID only (and on global entries, which user pages never
    // are); asid 0 always means the active space.
    if (!g_pcid || asid == 0 || asid == cpu_active_pcid())
        asm volatile("invlpg (%0)" ::"r"(va) : "memory");
    else if (g_invpcid)
        invpcid(kInvpcidAddress, asid, va);
    else
        flush_other_pcid(asid, PcidFlush::Page, va);
}

void flush_asid(kernel::u16 asid) {
    if (!g_pcid || asid == 0) return; // untagged entries never outlive a switch
    if (g_invpcid)
        invpcid(kInvpcidContext, asid, 0);
    else
        flush_other_pcid(asid, PcidFlush::Everything, 0);
}

// Back to the kernel's own root, which has an empty lower half; as PCID 0 the write
// also drops every untagged translation (tagged ones go with flush_asid).
void deactivate_user_space() {
    write_cr3(g_kernel_root.value);
    set_cpu_active_pcid(0);
}

// Lazy FPU: CR0.TS set makes the first x87/MMX/SSE instruction raise #NM (vector 7,
// TrapKind::FpuUnavailable). The CPU's fpu_live mirrors TS clear, so that CR0 is written
// only when it changes.
namespace {
void set_fpu_live(bool live) {
    if (live == cpu_fpu_live()) return;
    if (live) asm volatile("clts" ::: "memory");
    else write_cr0(read_cr0() | kCr0Ts);
    set_cpu_fpu_live(live);
}
} // namespace

void set_syscall_path(void (*syscall)()) {
    CpuLocal& c = this_cpu();
    c.syscall = syscall;
}

void fpu_switch(void* from, void* to) {
    if (reinterpret_cast<kernel::uptr>(to) % kFxsaveAlign || reinterpret_cast<kernel::uptr>(from) % kFxsaveAlign)
        kernel::panic("fpu_switch: FPU area not 16-byte aligned");
    set_fpu_live(true); // (FXSAVE and FXRSTOR raise #NM too while TS is set)
    if (from) asm volatile("fxsave64 (%0)" ::"r"(from) : "memory");
    // MXCSR bits outside the mask would make FXRSTOR #GP in kernel mode.
    store32(to, kFxMxcsr, load32(to, kFxMxcsr) & g_mxcsr_mask);
    asm volatile("fxrstor64 (%0)" ::"r"(to) : "memory");
}

void leave_to_user(kernel::u64* regs, bool checked, bool fpu_live, kernel::PhysAddr space_root,
                   kernel::u16 space_asid) {
    // (Interrupts masked until iretq/sysretq: an interrupt halfway through would find the
    // entry buffers half switched.)
    if (space_root.value) activate_user_space(space_root, space_asid);
    // Sanitize everything iretq, sysretq and wrfsbase/wrmsr would fault on in kernel mode,
    // so that any bad value faults after the switch to CPL 3 instead. What the thread's
    // own trap saved needs none of it: syscall's RIP and every trap's RIP were executing,
    // CPL 3 cannot set privileged RFLAGS bits or a non-canonical FS/GS base, and RSP is
    // used in user mode only.
    if (!checked) {
        if (regs[kRip] >= kUserEnd) regs[kRip] = kBadUserAddress;
        if (regs[kRsp] >= kUserEnd) regs[kRsp] = kBadUserAddress;
        regs[kRflags] = (regs[kRflags] & kUserFlags) | kForcedFlags;
        if (!is_canonical(regs[kFsBase])) regs[kFsBase] = 0;
        if (!is_canonical(regs[kGsBase])) regs[kGsBase] = 0;
    }
    set_fpu_live(fpu_live);
    // this_cpu().regs = regs, in one instruction (the exit's path)
    asm volatile("mov %0, %%gs:%c1" ::"r"(regs), "i"(CPU_REGS) : "memory");
    g_enter_user(regs);
}


} // namespace arch
