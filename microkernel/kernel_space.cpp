#include <microkernel/kernel_space.hpp>
#include <base/boot_only.hpp>

namespace kernel {
namespace {

u64 va_of(const char* sym) { return reinterpret_cast<uptr>(sym); }

// The one caller of PageTable::map with the boot frame allocator, so that the compiler
// makes that instantiation part of this boot-only function rather than one in .text.
[[gnu::noinline]] BOOT_ONLY Result<void> map(PageTable<arch::Pte>& pt, u64 va, PhysAddr pa, u64 size, PageAttr attr,
                           FrameAllocator& frames) {
    return pt.map(va, pa, size, attr, frames);
}

BOOT_ONLY Result<void> map_section(PageTable<arch::Pte>& pt, const BootInfo& info, const char* start,
                         const char* end, PageAttr attr, FrameAllocator& frames) {
    u64 va = align_down(va_of(start), kPageSize);
    u64 size = align_up(va_of(end), kPageSize) - va;
    if (size == 0) return {};
    PhysAddr pa{info.kernel_image.base + (va - va_of(__kernel_start))};
    return map(pt, va, pa, size, attr, frames);
}

} // namespace

BOOT_ONLY Result<PhysAddr> build_kernel_space(const BootInfo& info, FrameAllocator& frames, PhysWindow window) {
    auto pt = TRY(PageTable<arch::Pte>::create(frames, window));

    // W^X: text is executable and read-only; rodata read-only; data and bss writable.
    TRY(map_section(pt, info, __text_start, __text_end, PageAttr{.write = false, .exec = true}, frames));
    TRY(map_section(pt, info, __rodata_start, __rodata_end, PageAttr{}, frames));
    TRY(map_section(pt, info, __data_start, __kernel_end, PageAttr{.write = true}, frames));

    for (const PhysRange& r : info.ram) {
        u64 base = align_down(r.base, kPageSize);
        u64 end = align_up(r.end(), kPageSize);
        TRY(map(pt, arch::kDirectMapBase + base, PhysAddr{base}, end - base, PageAttr{.write = true}, frames));
    }
    for (const MmioRange& m : info.mmio) {
        u64 base = align_down(m.range.base, kPageSize);
        u64 end = align_up(m.range.end(), kPageSize);
        u64 va = arch::kDirectMapBase + base;
        // Two devices may share a page; the first mapping serves both.
        for (u64 off = 0; off < end - base; off += kPageSize) {
            if (pt.translate(va + off).ok()) continue;
            TRY(map(pt, va + off, PhysAddr{base + off}, kPageSize,
                   PageAttr{.write = true, .type = MemType::Device}, frames));
        }
    }
    return pt.root();
}

} // namespace kernel
