// Multiboot2 boot information reader (x86_64 with GRUB). `parse` validates every tag's
// bounds before using it; a corrupt structure is an error, never an out-of-bounds read.
#pragma once

#include <microkernel/boot_info.hpp>
#include <base/result.hpp>

namespace kernel::multiboot2 {

constexpr u32 kBootloaderMagic = 0x36d76289; ///< in eax at the kernel's entry

enum class TagType : u32 {
    End = 0,
    Cmdline = 1,
    BootLoaderName = 2,
    Module = 3,
    BasicMemInfo = 4,
    Mmap = 6,
    AcpiOld = 14,
    AcpiNew = 15,
};

struct Tag {
    u32 type;
    u32 size; ///< including this header
    const u8* data; ///< payload (size - 8 bytes)
};

/// Validate the info structure at `mbi` (at most `max_size` bytes may be read) and call
/// f(const Tag&) for each tag up to the end tag.
Result<void> validate(const void* mbi, usize max_size);

template <class F>
Result<void> for_each_tag(const void* mbi, usize max_size, F&& f) {
    TRY(validate(mbi, max_size));
    const u8* p = static_cast<const u8*>(mbi);
    u32 total = *reinterpret_cast<const u32*>(p);
    for (u32 off = 8; off + 8 <= total;) {
        Tag t{*reinterpret_cast<const u32*>(p + off), *reinterpret_cast<const u32*>(p + off + 4),
              p + off + 8};
        if (t.type == u32(TagType::End)) break;
        f(t);
        off += (t.size + 7) & ~7u;
    }
    return {};
}

/// Fill BootInfo from the multiboot2 structure: RAM from the memory map (type 1 only),
/// command line, boot loader name (as info.firmware), the first module as the initrd,
/// and reserve the modules and the structure itself (at `mbi_phys`).
Result<void> collect_boot_info(const void* mbi, usize max_size, PhysAddr mbi_phys, BootInfo& info);

} // namespace kernel::multiboot2
