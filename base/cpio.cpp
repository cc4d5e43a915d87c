#include <base/bytes.hpp>
#include <base/boot_only.hpp>
#include <base/cpio.hpp>

namespace kernel::cpio {
namespace {

constexpr usize kHeaderSize = 110;
constexpr usize align4(usize v) { return (v + 3) & ~usize(3); }

// Field `i` (0 = c_ino ... 12 = c_check) of a newc header: 8 hex digits.
BOOT_ONLY bool field(const u8* hdr, unsigned i, u32& out) {
    const u8* p = hdr + 6 + i * 8;
    u32 v = 0;
    for (unsigned k = 0; k < 8; ++k) {
        u8 c = p[k];
        u32 d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return false;
        v = v << 4 | d;
    }
    out = v;
    return true;
}

enum Field : unsigned { kMode = 1, kFileSize = 6, kNameSize = 11 };

// Parse the entry at `off`; on success fills `e` and the offset of the next entry.
BOOT_ONLY Result<usize> parse(const u8* data, usize size, usize off, Entry& e) {
    if (off + kHeaderSize > size || off + kHeaderSize < off) return Error::Truncated;
    const u8* h = data + off;
    if (__builtin_memcmp(h, "070701", 6) != 0 && __builtin_memcmp(h, "070702", 6) != 0)
        return Error::Malformed;
    u32 mode, filesize, namesize;
    if (!field(h, kMode, mode) || !field(h, kFileSize, filesize) || !field(h, kNameSize, namesize))
        return Error::Malformed;
    if (namesize == 0) return Error::Malformed;
    usize name_off = off + kHeaderSize;
    if (name_off + namesize > size) return Error::Truncated;
    if (data[name_off + namesize - 1] != 0) return Error::Malformed;
    usize data_off = align4(name_off + namesize);
    if (data_off > size || filesize > size - data_off) return Error::Truncated;
    e = Entry{reinterpret_cast<const char*>(data + name_off), data + data_off, filesize, mode};
    return align4(data_off + filesize);
}

BOOT_ONLY bool is_trailer(const Entry& e) { return str_equal(e.name, "TRAILER!!!"); }

BOOT_ONLY const char* strip_prefix(const char* p) {
    while (*p == '/' || (p[0] == '.' && p[1] == '/')) p += *p == '/' ? 1 : 2;
    return p;
}

} // namespace

BOOT_ONLY Result<Archive> Archive::open(const void* data, usize size) {
    if (!data) return Error::InvalidArgument;
    Archive a;
    a.data_ = static_cast<const u8*>(data);
    a.size_ = size;
    for (usize off = 0;;) {
        Entry e;
        off = TRY(parse(a.data_, size, off, e));
        if (is_trailer(e)) return a;
        ++a.count_;
    }
}

BOOT_ONLY bool Archive::next(usize& off, Entry& out) const {
    auto r = parse(data_, size_, off, out);
    if (!r || is_trailer(out)) return false;
    off = r.value();
    return true;
}

BOOT_ONLY Result<Entry> Archive::find(const char* path) const {
    const char* want = strip_prefix(path);
    usize off = 0;
    Entry e;
    while (next(off, e))
        if (str_equal(strip_prefix(e.name), want)) return e;
    return Error::NotFound;
}

} // namespace kernel::cpio
