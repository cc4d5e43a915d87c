#include <base/bytes.hpp>
#include <base/boot_only.hpp>
#include <base/elf.hpp>

namespace kernel::elf {
namespace {

// ELF64 header and program header layout (System V gABI), read field by field with
// unaligned little-endian loads: the initrd gives no alignment guarantee.
constexpr usize kEhdrSize = 64;
constexpr usize kPhdrSize = 56;
enum EhdrOffset : usize {
    kIdentClass = 4, kIdentData = 5, kIdentVersion = 6,
    kType = 16, kMachine = 18, kVersion = 20, kEntry = 24, kPhoff = 32,
    kEhsize = 52, kPhentsize = 54, kPhnum = 56,
};
enum PhdrOffset : usize {
    kPType = 0, kPFlags = 4, kPOffset = 8, kPVaddr = 16, kPFilesz = 32, kPMemsz = 40,
    kPAlign = 48,
};
constexpr u8 kClass64 = 2, kDataLsb = 1, kVersionCurrent = 1;
constexpr u16 kTypeExec = 2;
constexpr u32 kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3, kPtNote = 4;
constexpr u32 kPfX = 1, kPfW = 2, kPfR = 4;

u16 load_le16(const u8* p) { return u16(p[0] | p[1] << 8); }

struct Phdr {
    u32 type, flags;
    u64 offset, vaddr, filesz, memsz, align;
};

BOOT_ONLY Phdr read_phdr(const u8* p) {
    return {load_le32(p + kPType), load_le32(p + kPFlags), load_le64(p + kPOffset),
            load_le64(p + kPVaddr), load_le64(p + kPFilesz), load_le64(p + kPMemsz),
            load_le64(p + kPAlign)};
}

// A loadable segment that reserves memory (an empty PT_LOAD maps nothing).
bool occupies_memory(const Phdr& ph) { return ph.type == kPtLoad && ph.memsz != 0; }

// The rules for one PT_LOAD, in the order a reader of the error would check them.
// Returns false and sets `why` when one is broken.
BOOT_ONLY bool check_segment(const Phdr& ph, usize file_size, u64 user_end, Error& why) {
    auto fail = [&](Error e) { why = e; return false; };
    if (ph.offset > file_size || ph.filesz > file_size - ph.offset)
        return fail(Error::SegmentOutsideFile);
    if (ph.filesz > ph.memsz) return fail(Error::FileSizeAboveMemSize);
    if (ph.memsz == 0) return true;
    // The loader maps whole pages: the first and the last page must be in user space,
    // and page 0 stays unmapped so that null pointers fault.
    if (ph.vaddr < kPageSize || ph.vaddr >= user_end || ph.memsz > user_end - ph.vaddr)
        return fail(Error::SegmentOutsideUser);
    if (ph.align == 0 || (ph.align & (ph.align - 1)) != 0 ||
        ph.vaddr % kPageSize != ph.offset % kPageSize)
        return fail(Error::BadAlignment);
    if ((ph.flags & kPfW) && (ph.flags & kPfX)) return fail(Error::WritableAndExecutable);
    return true;
}

// Page-granular: two segments in one page would need two sets of rights for it.
BOOT_ONLY bool pages_overlap(const Phdr& a, const Phdr& b) {
    auto first = [](const Phdr& ph) { return align_down(ph.vaddr, kPageSize); };
    auto last = [](const Phdr& ph) { return align_down(ph.vaddr + ph.memsz - 1, kPageSize); };
    return first(a) <= last(b) && first(b) <= last(a);
}

} // namespace

BOOT_ONLY const char* error_name(Error e) {
    switch (e) {
    case Error::NullData: return "no data";
    case Error::TruncatedHeader: return "truncated header";
    case Error::BadMagic: return "bad magic";
    case Error::NotElf64: return "not ELF64";
    case Error::NotLittleEndian: return "not little-endian";
    case Error::BadVersion: return "bad version";
    case Error::NotExecutable: return "not an executable";
    case Error::WrongMachine: return "wrong machine";
    case Error::BadHeaderSize: return "bad header size";
    case Error::BadProgramHeaderSize: return "bad program header size";
    case Error::TooManyProgramHeaders: return "bad program header count";
    case Error::ProgramHeadersOutside: return "program headers outside the file";
    case Error::NeedsInterpreter: return "needs an interpreter (not static)";
    case Error::SegmentOutsideFile: return "segment outside the file";
    case Error::FileSizeAboveMemSize: return "segment file size above memory size";
    case Error::SegmentOutsideUser: return "segment outside user space";
    case Error::BadAlignment: return "bad segment alignment";
    case Error::WritableAndExecutable: return "writable and executable segment";
    case Error::SegmentsOverlap: return "overlapping segments";
    case Error::NoLoadableSegment: return "no loadable segment";
    case Error::EntryNotExecutable: return "entry point outside code";
    }
    return "?";
}

BOOT_ONLY const char* Segment::rights_name() const {
    static const char* const kNames[8] = {"---", "--x", "-w-", "-wx", "r--", "r-x", "rw-", "rwx"};
    return kNames[(readable ? 4 : 0) | (writable ? 2 : 0) | (executable ? 1 : 0)];
}

BOOT_ONLY OpenResult Image::open(const void* data, usize size, Machine expected, u64 user_end) {
    if (!data) return Error::NullData;
    const u8* p = static_cast<const u8*>(data);
    if (size < kEhdrSize) return Error::TruncatedHeader;
    if (p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F') return Error::BadMagic;
    if (p[kIdentClass] != kClass64) return Error::NotElf64;
    if (p[kIdentData] != kDataLsb) return Error::NotLittleEndian;
    if (p[kIdentVersion] != kVersionCurrent || load_le32(p + kVersion) != kVersionCurrent)
        return Error::BadVersion;
    if (load_le16(p + kType) != kTypeExec) return Error::NotExecutable;
    if (load_le16(p + kMachine) != u16(expected)) return Error::WrongMachine;
    if (load_le16(p + kEhsize) != kEhdrSize) return Error::BadHeaderSize;
    if (load_le16(p + kPhentsize) != kPhdrSize) return Error::BadProgramHeaderSize;
    u16 phnum = load_le16(p + kPhnum);
    if (phnum == 0 || phnum > kMaxProgramHeaders) return Error::TooManyProgramHeaders;
    u64 phoff = load_le64(p + kPhoff);
    // phnum * 56 is small (bounded above), so only the offset can overflow.
    if (phoff > size || u64(phnum) * kPhdrSize > size - phoff) return Error::ProgramHeadersOutside;

    user_end = align_down(user_end, kPageSize); // whole pages are mapped, the last one too
    u64 entry = load_le64(p + kEntry);
    usize loadable = 0;
    bool entry_in_code = false;
    for (u16 i = 0; i < phnum; ++i) {
        Phdr ph = read_phdr(p + phoff + u64(i) * kPhdrSize);
        if (ph.type == kPtInterp || ph.type == kPtDynamic) return Error::NeedsInterpreter;
        if (ph.type != kPtLoad) continue;
        Error why = Error::NullData;
        if (!check_segment(ph, size, user_end, why)) return why;
        if (!occupies_memory(ph)) continue;
        for (u16 j = 0; j < i; ++j) {
            Phdr other = read_phdr(p + phoff + u64(j) * kPhdrSize);
            if (occupies_memory(other) && pages_overlap(ph, other)) return Error::SegmentsOverlap;
        }
        ++loadable;
        if ((ph.flags & kPfX) && entry >= ph.vaddr && entry - ph.vaddr < ph.memsz)
            entry_in_code = true;
    }
    if (loadable == 0) return Error::NoLoadableSegment;
    if (!entry_in_code) return Error::EntryNotExecutable;

    Image image;
    image.data_ = p;
    image.size_ = size;
    image.phoff_ = phoff;
    image.phnum_ = phnum;
    image.segments_ = loadable;
    image.entry_ = entry;
    return image;
}

BOOT_ONLY bool Image::has_note(const char* name, u32 type) const {
    u32 namesz = 0;
    while (name[namesz]) ++namesz;
    ++namesz; // with its NUL, as notes count it
    for (u16 i = 0; i < phnum_; ++i) {
        Phdr ph = read_phdr(data_ + phoff_ + u64(i) * kPhdrSize);
        if (ph.type != kPtNote || ph.offset > size_ || ph.filesz > size_ - ph.offset) continue;
        // Notes: namesz, descsz, type (4 bytes each), then name and desc, each padded to 4.
        for (u64 at = 0; ph.filesz - at >= 12;) {
            const u8* n = data_ + ph.offset + at;
            u64 nsz = load_le32(n), dsz = load_le32(n + 4), size = 12 + align_up(nsz, 4) + align_up(dsz, 4);
            if (size > ph.filesz - at) break;
            if (nsz == namesz && load_le32(n + 8) == type) {
                bool same = true;
                for (u32 k = 0; k < namesz && same; ++k) same = n[12 + k] == static_cast<u8>(name[k]);
                if (same) return true;
            }
            at += size;
        }
    }
    return false;
}

BOOT_ONLY u64 Image::phdr_address() const {
    for (u16 i = 0; i < phnum_; ++i) {
        Phdr ph = read_phdr(data_ + phoff_ + u64(i) * kPhdrSize);
        if (occupies_memory(ph) && phoff_ >= ph.offset && phoff_ + u64(phnum_) * kPhdrSize <= ph.offset + ph.filesz)
            return ph.vaddr + (phoff_ - ph.offset);
    }
    return 0;
}

BOOT_ONLY bool Image::segment(u16 index, Segment& out) const {
    Phdr ph = read_phdr(data_ + phoff_ + u64(index) * kPhdrSize);
    if (!occupies_memory(ph)) return false;
    out = Segment{ph.vaddr, ph.memsz, data_ + ph.offset, ph.filesz,
                  (ph.flags & kPfR) != 0, (ph.flags & kPfW) != 0, (ph.flags & kPfX) != 0};
    return true;
}

} // namespace kernel::elf
