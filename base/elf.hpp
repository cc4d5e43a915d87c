// Reader for the user programs: static ELF64 executables, little-endian. `Image::open`
// validates the whole file once (headers, every loadable segment, the entry point), so a
// loader can then walk the segments without any further checks and can never read
// outside the file or map outside user space.
#pragma once

#include <base/result.hpp>

namespace kernel::elf {

/// ELF e_machine values of the architectures we run on. The kernel gets its own from the
/// arch (arch::kElfMachine); portable code never picks one itself.
enum class Machine : u16 {
    X86_64 = 62,
    AArch64 = 183,
    RiscV64 = 243,
};

/// Why a file was refused: one value per rule, so a log line says exactly what is wrong.
enum class Error : u8 {
    NullData,               ///< no file at all
    TruncatedHeader,        ///< shorter than the 64-byte ELF header
    BadMagic,               ///< does not start with 0x7f 'E' 'L' 'F'
    NotElf64,               ///< EI_CLASS is not ELFCLASS64
    NotLittleEndian,        ///< EI_DATA is not ELFDATA2LSB
    BadVersion,             ///< EI_VERSION or e_version is not 1
    NotExecutable,          ///< e_type is not ET_EXEC (relocatable, shared, core...)
    WrongMachine,           ///< e_machine is not the one asked for
    BadHeaderSize,          ///< e_ehsize is not 64
    BadProgramHeaderSize,   ///< e_phentsize is not 56
    TooManyProgramHeaders,  ///< e_phnum is 0 or above kMaxProgramHeaders
    ProgramHeadersOutside,  ///< the program header table does not lie inside the file
    NeedsInterpreter,       ///< PT_INTERP or PT_DYNAMIC: not a static executable
    SegmentOutsideFile,     ///< p_offset + p_filesz runs past the end of the file
    FileSizeAboveMemSize,   ///< p_filesz > p_memsz
    SegmentOutsideUser,     ///< [p_vaddr, p_vaddr + p_memsz) overflows or leaves user space
    BadAlignment,           ///< p_align not a power of two, or p_vaddr, p_offset incongruent
    WritableAndExecutable,  ///< a segment asks for W and X at once
    SegmentsOverlap,        ///< two PT_LOAD segments share a virtual page
    NoLoadableSegment,      ///< no PT_LOAD segment with memory in it
    EntryNotExecutable,     ///< e_entry is not inside an executable segment
};

/// A short name for log lines.
const char* error_name(Error e);

/// The kernel-wide error a caller propagates (for TRY chains): the details stay in elf::Error.
constexpr kernel::Error to_kernel_error(Error e) {
    switch (e) {
    case Error::NullData: return kernel::Error::InvalidArgument;
    case Error::TruncatedHeader:
    case Error::ProgramHeadersOutside:
    case Error::SegmentOutsideFile: return kernel::Error::Truncated;
    case Error::WrongMachine:
    case Error::NotElf64:
    case Error::NotLittleEndian:
    case Error::NotExecutable:
    case Error::NeedsInterpreter: return kernel::Error::Unsupported;
    case Error::SegmentOutsideUser: return kernel::Error::OutOfRange;
    default: return kernel::Error::Malformed;
    }
}

/// The most program headers a file may have; real static executables have under a dozen,
/// and the bound keeps the pairwise overlap check cheap.
constexpr u16 kMaxProgramHeaders = 64;

/// One loadable segment, as the loader needs it: map [vaddr, vaddr + memsz) with these
/// rights, copy `filesz` bytes from `data` to vaddr and zero the rest.
struct Segment {
    u64 vaddr;
    u64 memsz;
    const u8* data; ///< inside the file given to Image::open
    u64 filesz;     ///< <= memsz
    bool readable;
    bool writable;
    bool executable;

    /// "r-x", "rw-", ... for log lines.
    const char* rights_name() const;
};

class Image;

/// An Image or the reason the file was refused (kernel::Result carries only kernel::Error).
class [[nodiscard]] OpenResult;

class Image {
  public:
    /// Validate `size` bytes at `data` as a static executable for `expected`, whose every
    /// loadable segment lies in [kPageSize, user_end) (user_end rounded down to a page).
    /// The Image points into `data`, which must outlive it.
    static OpenResult open(const void* data, usize size, Machine expected, u64 user_end);

    u64 entry() const { return entry_; }
    /// Loadable segments with memory in them (PT_LOAD with p_memsz > 0), in file order.
    usize segment_count() const { return segments_; }

    /// Does a PT_NOTE segment hold a note named `name` (NUL included in the size) of `type`?
    /// (libsys marks its programs with one: procserv tells them from Linux programs.)
    bool has_note(const char* name, u32 type) const;
    /// Where the program headers are in the program's memory (a loadable segment holds
    /// them), or 0; their count. Linux programs read them through the auxv's AT_PHDR.
    u64 phdr_address() const;
    u16 phdr_count() const { return phnum_; }

    /// Call f(const Segment&) for each loadable segment, in file order.
    template <class F>
    void for_each_segment(F&& f) const {
        for (u16 i = 0; i < phnum_; ++i) {
            Segment s;
            if (segment(i, s)) f(static_cast<const Segment&>(s));
        }
    }

  private:
    bool segment(u16 index, Segment& out) const; // only valid after open() validated
    const u8* data_ = nullptr;
    usize size_ = 0;
    u64 phoff_ = 0;
    u16 phnum_ = 0;
    usize segments_ = 0;
    u64 entry_ = 0;
};

class [[nodiscard]] OpenResult {
  public:
    OpenResult(Image image) : image_(image), ok_(true) {}
    OpenResult(Error e) : error_(e), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    Error error() const { return error_; }
    const Image& value() const { return image_; }
    const Image* operator->() const { return &image_; }
    const Image& operator*() const { return image_; }

  private:
    Image image_;
    Error error_ = Error::NullData;
    bool ok_;
};

} // namespace kernel::elf
