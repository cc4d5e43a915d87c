// Building the root task with the kernel's own object operations, exactly as a process
// server will build processes later: carve a cap space from an untyped, retype an
// address space, a thread and frames, map the program, configure, resume.
#include <microkernel/arch.hpp>
#include <base/boot_only.hpp>
#include <base/cpio.hpp>
#include <base/elf.hpp>
#include <microkernel/kernel_state.hpp>
#include <microkernel/object/address_space.hpp>
#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/frame.hpp>
#include <microkernel/object/machine.hpp>
#include <microkernel/object/untyped.hpp>
#include <microkernel/root_task.hpp>
#include <microkernel/smp.hpp>
#include <microkernel/tlb.hpp>
#include <arch/elf.hpp>

namespace kernel {
namespace {

namespace r = abi::rights;

// TLB upkeep. A space with an identifier keeps its translations cached while others run,
// so its stale ones are flushed by tag wherever it is; a space without one is flushed
// whole on every switch to it, so only while active can it hold stale entries. With
// several CPUs every other CPU that has loaded the space does the same for itself (a
// shootdown: by the firmware or by remote calls, which return once all have, smp.cpp),
// unless the arch's flush reaches them all (arch::kTlbBroadcast). tlb.hpp has the local
// halves.
void flush_page(const AddressSpace& space, u64 va) {
    const u16 asid = space.asid();
    local_flush_page(space.root(), asid, va);
    if (g_kernel.smp && !(asid && arch::kTlbBroadcast)) flush_page_elsewhere(space, va);
}
// Many pages lost rights at once (AddressSpace.Protect over a range).
void flush_space(const AddressSpace& space) {
    const u16 asid = space.asid();
    local_flush_space(space.root(), asid);
    if (g_kernel.smp && !(asid && arch::kTlbBroadcast)) flush_space_elsewhere(space);
}
// The space is gone: no CPU may keep its root loaded (its tables are freed next) or its
// identifier's entries (the identifier goes to another space).
void retire_root(const AddressSpace& space) {
    const u16 asid = space.asid();
    local_unload_root(space.root());
    if (asid) arch::flush_asid(asid);
    if (g_kernel.smp) retire_root_elsewhere(space);
    if (asid) g_kernel.asids.release(asid);
}
u16 claim_asid() { return g_kernel.asids.claim(); }

constexpr PagingOps kPagingOps =
    paging_ops_for<arch::Pte>(arch::prepare_user_root, flush_page, retire_root, claim_asid, flush_space);
constexpr u64 kRootMemory = u64{32} << 20; // the root task's untyped, besides its cap space

/// The root task's cap space: a slot per page of RAM (a process server holds a capability
/// for every frame it lends), at least 2^16 and at most 2^20 (4 GiB).
BOOT_ONLY u32 root_cap_space_bits(const BootInfo& info) {
    u64 pages = 0;
    for (const PhysRange& r : info.ram) pages += r.size / kPageSize;
    u32 bits = abi::root::kMinCapSpaceBits;
    while (bits < CapSpace::kMaxBits && (u64{1} << bits) < pages) ++bits;
    return bits;
}

struct Builder {
    CapSpace& cs;
    AddressSpace& as;
    PhysWindow window;
    u64 next_frame_slot = abi::root::kFirstFrame;

    /// A new frame mapped at `va` with `rights`; returns the kernel's view of its page.
    BOOT_ONLY Result<u8*> map_page(u64 va, u32 rights) {
        if (next_frame_slot >= cs.slot_count()) return Error::NoMemory;
        u64 slot = next_frame_slot++;
        TRY(retype(cs.slot(abi::root::kUntyped), ObjectType::Frame, 0, cs, slot, 1));
        TRY(as.map(cs.slot(slot), va, rights));
        return window.at(cs.slot(slot).as<Frame>().page());
    }
};

BOOT_ONLY u32 rights_of(const elf::Segment& s) {
    return r::kRead | (s.writable ? r::kWrite : 0) | (s.executable ? r::kExecute : 0);
}

// Copy one segment into fresh frames; bytes past the file's part stay zero (.bss).
BOOT_ONLY Result<void> load_segment(Builder& b, const elf::Segment& s) {
    u64 start = align_down(s.vaddr, kPageSize), end = align_up(s.vaddr + s.memsz, kPageSize);
    for (u64 va = start; va < end; va += kPageSize) {
        u8* page = TRY(b.map_page(va, rights_of(s)));
        for (u64 off = 0; off < kPageSize; ++off) {
            u64 at = va + off;
            if (at >= s.vaddr && at - s.vaddr < s.filesz) page[off] = s.data[at - s.vaddr];
        }
    }
    return {};
}

/// Machine.PowerOff: with several CPUs, what the lock cost them first.
[[noreturn]] void power_off(int status) {
    if (g_kernel.smp) report_lock_waits();
    arch::poweroff(status);
}

// The machine's objects (boot-time: no untyped paid for them, nothing frees them).
constexpr MachineOps kMachineOps{
    .line_valid = arch::irq_line_valid,
    .set_masked = arch::irq_set_masked,
    .console_put = arch::console_putc,
    .console_get = arch::console_getc,
    .power_off = power_off,
    .clock_ns = arch::clock_ns,
};
alignas(Machine) u8 g_machine_storage[sizeof(Machine)];
alignas(Console) u8 g_console_storage[sizeof(Console)];
Machine* g_machine = nullptr;

/// Address-space size (abi: 2^bits tables, 64 * 2^bits mappings) for `pages` mappings,
/// and room besides for a thread on every CPU the kernel can run (a stack and an IPC
/// buffer each: libsys's regions of 8 pages).
BOOT_ONLY u32 address_space_bits(u64 pages) {
    const u64 room = pages + 64 + 8 * kMaxCpus;
    u32 bits = 4;
    while (bits < AddressSpace::kMaxBits && MapStore::mappings_for(u64{64} << bits) < room) ++bits;
    return bits;
}

// The initrd, read-only: boot-time frame objects over its pages (their headers in
// frames the kernel keeps), capabilities from kFirstBootSlot, mapped in order at kInitrd.
BOOT_ONLY Result<void> give_initrd(const BootInfo& info, KernelState& k, Builder& b, abi::root::Info& out) {
    u64 first = align_down(info.initrd.base, kPageSize);
    u64 pages = (align_up(info.initrd.base + info.initrd.size, kPageSize) - first) / kPageSize;
    if (abi::root::kFirstBootSlot + pages + abi::root::kMaxUntypeds > b.cs.slot_count())
        return Error::NoMemory;
    constexpr u64 kPerPage = kPageSize / sizeof(Frame);
    Frame* headers = nullptr;
    for (u64 i = 0; i < pages; ++i) {
        if (i % kPerPage == 0) headers = b.window.at<Frame>(TRY(k.frames.alloc()));
        Frame* f = new (&headers[i % kPerPage]) Frame(PhysAddr{first + i * kPageSize});
        Capability& slot = b.cs.slot(abi::root::kFirstBootSlot + i);
        cap_install_root(slot, *f, r::kRead);
        TRY(b.as.map(slot, abi::root::kInitrd + i * kPageSize, r::kRead));
    }
    out.initrd_first_frame = abi::root::kFirstBootSlot;
    out.initrd_frames = pages;
    out.initrd_va = abi::root::kInitrd + (info.initrd.base - first);
    out.initrd_size = info.initrd.size;
    return {};
}

// Every frame still free becomes untyped memory of the root task. Nothing is kept back:
// after this the kernel allocates nothing.
BOOT_ONLY void give_all_memory(KernelState& k, Builder& b, abi::root::Info& out) {
    out.untyped_first = out.initrd_first_frame + out.initrd_frames;
    out.untyped_count = 0;
    while (out.untyped_count < abi::root::kMaxUntypeds) {
        auto run = k.frames.take_run();
        if (!run) break;
        auto ut = Untyped::create(b.window, PhysAddr{run->base}, run->size, &kPagingOps);
        if (!ut) continue; // too small to hold anything
        u64 i = out.untyped_count++;
        cap_install_root(b.cs.slot(out.untyped_first + i), **ut, r::kAll);
        out.untyped_bytes[i] = run->size;
        out.untyped_phys[i] = run->base;
    }
    out.first_free_slot = out.untyped_first + out.untyped_count;
}

} // namespace

void on_device_interrupt(u32 line) {
    if (g_machine) g_machine->interrupt(line, g_kernel.scheduler);
}

bool devices_can_wake() { return g_machine && g_machine->any_bound(); }

BOOT_ONLY Result<Thread*> start_root_task(const BootInfo& info, const char* path, u32 cpus, KernelState& k,
                                PhysWindow window) {
    auto archive = TRY(cpio::Archive::open(window.at(PhysAddr{info.initrd.base}), info.initrd.size));
    cpio::Entry file = TRY(archive.find(path));
    auto image = elf::Image::open(file.data, file.size, elf::Machine(arch::kElfMachine),
                                  user_space_end<arch::Pte>());
    if (!image) return elf::to_kernel_error(image.error());

    const u32 cs_bits = root_cap_space_bits(info);
    const u64 memory = kRootMemory + align_up(CapSpace::bytes_for(cs_bits), kPageSize);
    PhysAddr base = TRY(k.frames.alloc_contiguous(memory / kPageSize, kPageSize));
    Untyped* ut = TRY(Untyped::create(window, base, memory, &kPagingOps));
    TRY(ut->check_retype(ObjectType::CapSpace, cs_bits, 1));
    auto& cs = static_cast<CapSpace&>(ut->carve(ObjectType::CapSpace, cs_bits));
    cap_install_root(cs.slot(abi::root::kUntyped), *ut, r::kAll);
    cap_insert_child(cs.slot(abi::root::kUntyped), cs.slot(abi::root::kCapSpace), cs, r::kAll, 0);

    u64 pages = (info.initrd.size + 2 * kPageSize) / kPageSize + abi::root::kStackPages + 2;
    image->for_each_segment([&](const elf::Segment& s) {
        pages += (align_up(s.vaddr + s.memsz, kPageSize) - align_down(s.vaddr, kPageSize)) / kPageSize;
    });
    Capability& untyped = cs.slot(abi::root::kUntyped);
    TRY(retype(untyped, ObjectType::AddressSpace, address_space_bits(pages), cs,
               abi::root::kAddressSpace, 1));
    TRY(retype(untyped, ObjectType::Thread, 0, cs, abi::root::kThread, 1));
    TRY(retype(untyped, ObjectType::Frame, 0, cs, abi::root::kIpcBufferFrame, 1));
    TRY(retype(untyped, ObjectType::Frame, 0, cs, abi::root::kInfoFrame, 1));
    auto& as = cs.slot(abi::root::kAddressSpace).as<AddressSpace>();
    auto& thread = cs.slot(abi::root::kThread).as<Thread>();

    Builder b{cs, as, window};
    Result<void> loaded{};
    image->for_each_segment([&](const elf::Segment& s) {
        if (loaded) loaded = load_segment(b, s);
    });
    TRY(loaded);
    for (u64 i = 1; i <= abi::root::kStackPages; ++i)
        TRY(b.map_page(abi::root::kStackTop - i * kPageSize, r::kRead | r::kWrite));
    Capability& buffer_frame = cs.slot(abi::root::kIpcBufferFrame);
    TRY(as.map(buffer_frame, abi::root::kIpcBuffer, r::kRead | r::kWrite));

    // RootInfo: filled through the kernel's window, mapped read-only; its capability
    // can read it, never write it.
    Capability& info_frame = cs.slot(abi::root::kInfoFrame);
    auto* root_info = window.at<abi::root::Info>(info_frame.as<Frame>().page());
    root_info->magic = abi::root::kInfoMagic;
    root_info->program_frames = b.next_frame_slot - abi::root::kFirstFrame;
    TRY(give_initrd(info, k, b, *root_info));
    TRY(as.map(info_frame, abi::root::kInfo, r::kRead));
    Capability demoted;
    cap_derive(info_frame, demoted, r::kRead, 0);
    cap_delete(info_frame, k.reaper);
    cap_move(demoted, info_frame);

    auto* machine = new (g_machine_storage) Machine(kMachineOps);
    auto* console = new (g_console_storage) Console(kMachineOps);
    cap_install_root(cs.slot(abi::root::kConsole), *console, r::kRead | r::kWrite);
    cap_install_root(cs.slot(abi::root::kMachine), *machine, r::kAll);
    g_machine = machine;
    root_info->console_irq = arch::console_irq_line();
    root_info->asids = k.asids.count();
    root_info->rtc_seconds = info.rtc_seconds;
    root_info->cap_space_bits = cs_bits;
    root_info->cpus = cpus;
    for (usize i = 0; i + 1 < sizeof root_info->cmdline && info.cmdline[i]; ++i)
        root_info->cmdline[i] = info.cmdline[i];

    thread.set_cap_space(cs.slot(abi::root::kCapSpace), k.reaper);
    thread.set_address_space(cs.slot(abi::root::kAddressSpace), k.reaper);
    thread.set_ipc_buffer(buffer_frame,
                          window.at<abi::IpcBuffer>(buffer_frame.as<Frame>().page()), k.reaper);
    // argc = 0, argv = envp = auxv = empty: the zeroed words at the stack pointer.
    arch::init_user_registers(thread.register_file(), image->entry(), abi::root::kStackTop - 64);
    thread.registers_written();
    thread.mark_root_task();
    TRY(thread.resume(k.scheduler));
    give_all_memory(k, b, *root_info);
    k.reaper.drain();
    return &thread;
}

} // namespace kernel
