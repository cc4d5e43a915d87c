#include <base/bytes.hpp>
#include <base/boot_only.hpp>
#include <base/format.hpp>
#include <microkernel/multiboot2.hpp>

namespace kernel::multiboot2 {
namespace {
constexpr u32 kMemoryAvailable = 1;
constexpr u32 kMmapEntryMin = 24;

BOOT_ONLY void reserve(BootInfo& info, PhysRange r) {
    if (r.size && !info.reserved.push(r)) info.truncated = true;
}

BOOT_ONLY Result<void> add_mmap(const Tag& t, BootInfo& info) {
    u32 payload = t.size - 8;
    if (payload < 8) return Error::Malformed;
    u32 entry_size = load_le32(t.data);
    if (entry_size < kMmapEntryMin || entry_size % 8) return Error::Malformed;
    for (u32 off = 8; off + entry_size <= payload; off += entry_size) {
        const u8* e = t.data + off;
        PhysRange r{load_le64(e), load_le64(e + 8)};
        if (r.base + r.size < r.base) return Error::Malformed;
        if (load_le32(e + 16) == kMemoryAvailable && r.size && !info.ram.push(r)) info.truncated = true;
    }
    return {};
}
} // namespace

BOOT_ONLY Result<void> validate(const void* mbi, usize max_size) {
    if (!mbi) return Error::InvalidArgument;
    if (max_size < 8) return Error::Truncated;
    const u8* p = static_cast<const u8*>(mbi);
    u32 total = load_le32(p);
    if (total < 16) return Error::Malformed; // header + end tag
    if (total > max_size) return Error::Truncated;
    for (u64 off = 8; off + 8 <= total;) {
        u32 type = load_le32(p + off), size = load_le32(p + off + 4);
        if (size < 8 || off + size > total) return Error::Malformed;
        if (type == u32(TagType::End)) return size == 8 ? Result<void>{} : Error::Malformed;
        off += (u64(size) + 7) & ~u64(7);
    }
    return Error::Truncated; // no end tag
}

BOOT_ONLY Result<void> collect_boot_info(const void* mbi, usize max_size, PhysAddr mbi_phys, BootInfo& info) {
    bool have_initrd = false;
    u32 mem_lower = 0, mem_upper = 0;
    Error error{};
    bool failed = false;
    TRY(for_each_tag(mbi, max_size, [&](const Tag& t) {
        u32 payload = t.size - 8;
        const char* text = reinterpret_cast<const char*>(t.data);
        switch (TagType(t.type)) {
        case TagType::Cmdline:
            copy_bounded(info.cmdline, sizeof info.cmdline, text, payload);
            break;
        case TagType::BootLoaderName: {
            char name[64];
            copy_bounded(name, sizeof name, text, payload);
            format_to(info.firmware, sizeof info.firmware, "{} (multiboot2)", name);
            break;
        }
        case TagType::Module: {
            if (payload < 8) { failed = true; error = Error::Malformed; break; }
            u32 start = load_le32(t.data), end = load_le32(t.data + 4);
            if (end < start) { failed = true; error = Error::Malformed; break; }
            PhysRange r{start, u64(end) - start};
            reserve(info, r);
            if (!have_initrd) { info.initrd = r; have_initrd = true; }
            break;
        }
        case TagType::BasicMemInfo:
            if (payload >= 8) { mem_lower = load_le32(t.data); mem_upper = load_le32(t.data + 4); }
            break;
        case TagType::Mmap:
            if (auto r = add_mmap(t, info); !r) { failed = true; error = r.error(); }
            break;
        default:
            break;
        }
    }));
    if (failed) return error;
    if (info.ram.count == 0 && (mem_lower || mem_upper)) {
        info.ram.push(PhysRange{0, u64(mem_lower) << 10});
        info.ram.push(PhysRange{1 << 20, u64(mem_upper) << 10});
    }
    if (info.ram.count == 0) return Error::NotFound;
    reserve(info, PhysRange{mbi_phys.value, load_le32(static_cast<const u8*>(mbi))});
    return {};
}

} // namespace kernel::multiboot2
