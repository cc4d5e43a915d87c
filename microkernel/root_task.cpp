// Building the root task with the kernel's own object operations, exactly as a process
// server will build processes later: carve a cap space from an untyped, retype an
// address space, a thread and frames, map the program, configure, resume.
#include <microkernel/arch.hpp>
#include <microkernel/cpio.hpp>
#include <microkernel/elf.hpp>
#include <microkernel/kernel_state.hpp>
#include <microkernel/object/address_space.hpp>
#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/frame.hpp>
#include <microkernel/object/untyped.hpp>
#include <microkernel/root_task.hpp>
#include <arch/elf.hpp>

namespace kernel {
namespace {

namespace r = abi::rights;

// TLB upkeep. Every switch between address spaces flushes all user translations (no
// ASIDs yet, one CPU), so only the active space can hold stale ones.
void flush_page(PhysAddr root, u64 va) {
    if (root == g_kernel.active_root) arch::flush_user_page(va);
}
void retire_root(PhysAddr root) {
    if (root != g_kernel.active_root) return;
    arch::deactivate_user_space();
    g_kernel.active_root = PhysAddr{};
}

constexpr PagingOps kPagingOps =
    paging_ops_for<arch::Pte>(arch::prepare_user_root, flush_page, retire_root);
constexpr u32 kAddressSpaceBits = 4;      // 16 table frames, 1024 mappings
constexpr u64 kRootMemory = u64{32} << 20; // the root task's untyped

struct Builder {
    CapSpace& cs;
    AddressSpace& as;
    PhysWindow window;
    u64 next_frame_slot = abi::root::kFirstFrame;

    /// A new frame mapped at `va` with `rights`; returns the kernel's view of its page.
    Result<u8*> map_page(u64 va, u32 rights) {
        if (next_frame_slot >= cs.slot_count()) return Error::NoMemory;
        u64 slot = next_frame_slot++;
        TRY(retype(cs.slot(abi::root::kUntyped), ObjectType::Frame, 0, cs, slot, 1));
        TRY(as.map(cs.slot(slot), va, rights));
        return window.at(cs.slot(slot).as<Frame>().page());
    }
};

u32 rights_of(const elf::Segment& s) {
    return r::kRead | (s.writable ? r::kWrite : 0) | (s.executable ? r::kExecute : 0);
}

// Copy one segment into fresh frames; bytes past the file's part stay zero (.bss).
Result<void> load_segment(Builder& b, const elf::Segment& s) {
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

} // namespace

Result<Thread*> start_root_task(const BootInfo& info, const char* path, KernelState& k,
                                PhysWindow window) {
    auto archive = TRY(cpio::Archive::open(window.at(PhysAddr{info.initrd.base}), info.initrd.size));
    cpio::Entry file = TRY(archive.find(path));
    auto image = elf::Image::open(file.data, file.size, elf::Machine(arch::kElfMachine),
                                  user_space_end<arch::Pte>());
    if (!image) return elf::to_kernel_error(image.error());

    PhysAddr base = TRY(k.frames.alloc_contiguous(kRootMemory / kPageSize, kPageSize));
    Untyped* ut = TRY(Untyped::create(window, base, kRootMemory, &kPagingOps));
    TRY(ut->check_retype(ObjectType::CapSpace, abi::root::kCapSpaceBits, 1));
    auto& cs = static_cast<CapSpace&>(ut->carve(ObjectType::CapSpace, abi::root::kCapSpaceBits));
    cap_install_root(cs.slot(abi::root::kUntyped), *ut, r::kAll);
    cap_insert_child(cs.slot(abi::root::kUntyped), cs.slot(abi::root::kCapSpace), cs, r::kAll, 0);

    Capability& untyped = cs.slot(abi::root::kUntyped);
    TRY(retype(untyped, ObjectType::AddressSpace, kAddressSpaceBits, cs, abi::root::kAddressSpace, 1));
    TRY(retype(untyped, ObjectType::Thread, 0, cs, abi::root::kThread, 1));
    TRY(retype(untyped, ObjectType::Frame, 0, cs, abi::root::kIpcBufferFrame, 1));
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

    thread.set_cap_space(cs.slot(abi::root::kCapSpace), k.reaper);
    thread.set_address_space(cs.slot(abi::root::kAddressSpace), k.reaper);
    thread.set_ipc_buffer(buffer_frame,
                          window.at<abi::IpcBuffer>(buffer_frame.as<Frame>().page()), k.reaper);
    // argc = 0, argv = envp = auxv = empty: the zeroed words at the stack pointer.
    arch::init_user_registers(thread.register_file(), image->entry(), abi::root::kStackTop - 64);
    arch::init_fpu_area(thread.fpu_area());
    TRY(thread.resume(k.scheduler));
    return &thread;
}

} // namespace kernel
