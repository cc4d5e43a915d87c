// Multiboot (version 1) information, as QEMU's -kernel loader provides it (x86_64's fast
// --no-firmware path; GRUB boots use multiboot2). Every pointer in the structure is a
// physical address checked against `limit` before it is read.
#include <base/bytes.hpp>
#include <base/boot_only.hpp>
#include <base/format.hpp>
#include <microkernel/multiboot1.hpp>

namespace kernel::multiboot1 {
namespace {

// The fixed part of the structure up to boot_loader_name (multiboot spec 3.3).
struct Info {
    u32 flags;
    u32 mem_lower, mem_upper; // KiB below 1 MiB / above 1 MiB
    u32 boot_device;
    u32 cmdline;
    u32 mods_count, mods_addr;
    u32 syms[4];
    u32 mmap_length, mmap_addr;
    u32 drives_length, drives_addr;
    u32 config_table;
    u32 boot_loader_name;
};
static_assert(sizeof(Info) == 68);

struct Module {
    u32 start, end; // [start, end)
    u32 string;
    u32 reserved;
};

enum Flag : u32 {
    kMemInfo = 1 << 0,
    kCmdline = 1 << 2,
    kModules = 1 << 3,
    kMmap = 1 << 6,
    kLoaderName = 1 << 9,
};

constexpr u32 kMmapAvailable = 1;
constexpr u32 kMaxModules = 64;
constexpr u64 kMaxString = 4096; // a longer string is taken as a missing NUL


struct Reader {
    PhysWindow window;
    u64 limit;

    bool fits(u64 pa, u64 n) const { return pa < limit && n <= limit - pa; }

    /// Copy the NUL-terminated string at `pa` into out[cap] (truncating); returns the
    /// bytes it occupies including the NUL, or 0 if it runs past `limit` or kMaxString.
    u64 copy_string(u64 pa, char* out, usize cap) const {
        const char* s = window.at<const char>(PhysAddr{pa});
        for (u64 n = 0; n < kMaxString && pa + n < limit; ++n) {
            if (n + 1 < cap) out[n] = s[n];
            if (s[n] == '\0') {
                if (n + 1 >= cap && cap) out[cap - 1] = '\0';
                return n + 1;
            }
        }
        return 0;
    }
};

/// Multiboot1 loaders (QEMU, GRUB legacy) start the command line with the image's file
/// name; multiboot2 GRUB does not. Drop it so both paths give the kernel the same words.
BOOT_ONLY void drop_first_word(char* s) {
    usize from = 0;
    while (s[from] && s[from] != ' ') ++from;
    while (s[from] == ' ') ++from;
    usize to = 0;
    while (s[from]) s[to++] = s[from++];
    s[to] = '\0';
}

BOOT_ONLY void reserve(BootInfo& info, u64 base, u64 size) {
    if (size && !info.reserved.push(PhysRange{base, size})) info.truncated = true;
}

BOOT_ONLY void add_ram(BootInfo& info, u64 base, u64 size) {
    if (size && !info.ram.push(PhysRange{base, size})) info.truncated = true;
}

BOOT_ONLY Result<void> collect_mmap(const Reader& rd, const Info& mbi, BootInfo& info) {
    if (!rd.fits(mbi.mmap_addr, mbi.mmap_length)) return Error::OutOfRange;
    const u8* p = rd.window.at<const u8>(PhysAddr{mbi.mmap_addr});
    // Entries: u32 size (not counting itself), u64 base, u64 length, u32 type.
    for (u32 off = 0; off < mbi.mmap_length;) {
        if (mbi.mmap_length - off < 4) return Error::Malformed;
        u32 size = load_le32(p + off);
        if (size < 20 || size > mbi.mmap_length - off - 4) return Error::Malformed;
        const u8* e = p + off + 4;
        u64 base = load_le64(e);
        u64 len = load_le64(e + 8);
        u32 type = load_le32(e + 16);
        if (type == kMmapAvailable && base + len >= base) add_ram(info, base, len);
        off += size + 4;
    }
    return {};
}

BOOT_ONLY Result<void> collect_modules(const Reader& rd, const Info& mbi, BootInfo& info) {
    if (mbi.mods_count > kMaxModules) return Error::Malformed;
    u64 bytes = u64{mbi.mods_count} * sizeof(Module);
    if (!rd.fits(mbi.mods_addr, bytes)) return Error::OutOfRange;
    reserve(info, mbi.mods_addr, bytes);
    for (u32 i = 0; i < mbi.mods_count; ++i) {
        Module m;
        __builtin_memcpy(&m, rd.window.at<const u8>(PhysAddr{mbi.mods_addr + u64{i} * sizeof(Module)}),
                         sizeof m);
        if (m.end < m.start || !rd.fits(m.start, m.end - m.start)) return Error::OutOfRange;
        if (i == 0) info.initrd = PhysRange{m.start, u64{m.end} - m.start};
        reserve(info, m.start, u64{m.end} - m.start);
        char ignored[1];
        if (m.string) reserve(info, m.string, rd.copy_string(m.string, ignored, 0));
    }
    return {};
}

} // namespace

BOOT_ONLY Result<void> collect_boot_info(PhysAddr mbi_pa, PhysWindow window, u64 limit, BootInfo& info) {
    Reader rd{window, limit};
    if (!rd.fits(mbi_pa.value, sizeof(Info))) return Error::OutOfRange;
    Info mbi;
    __builtin_memcpy(&mbi, window.at<const Info>(mbi_pa), sizeof mbi);
    reserve(info, mbi_pa.value, sizeof(Info));

    if (mbi.flags & kMmap) {
        TRY(collect_mmap(rd, mbi, info));
        reserve(info, mbi.mmap_addr, mbi.mmap_length);
    } else if (mbi.flags & kMemInfo) {
        add_ram(info, 0, u64{mbi.mem_lower} << 10);
        add_ram(info, 1 << 20, u64{mbi.mem_upper} << 10);
    } else {
        return Error::NotFound; // no idea where RAM is
    }
    if (mbi.flags & kCmdline) {
        u64 n = rd.copy_string(mbi.cmdline, info.cmdline, sizeof info.cmdline);
        if (n == 0) return Error::OutOfRange;
        reserve(info, mbi.cmdline, n);
        drop_first_word(info.cmdline);
    }
    if (mbi.flags & kModules) TRY(collect_modules(rd, mbi, info));
    char name[64] = {};
    if (mbi.flags & kLoaderName) {
        u64 n = rd.copy_string(mbi.boot_loader_name, name, sizeof name);
        if (n == 0) return Error::OutOfRange;
        reserve(info, mbi.boot_loader_name, n);
    }
    format_to(info.firmware, sizeof info.firmware, "{} (multiboot1)",
                      name[0] ? name : "unknown loader");
    return {};
}

} // namespace kernel::multiboot1
