// Reader for `cpio -H newc` archives (the initrd). `Archive::open` validates every header,
// name and size against the archive's bounds up to the TRAILER!!! entry.
#pragma once

#include <base/result.hpp>

namespace kernel::cpio {

struct Entry {
    const char* name;  ///< NUL-terminated, inside the archive
    const u8* data;
    u64 size;
    u32 mode;          ///< st_mode bits (S_IFREG = 0100000, S_IFDIR = 0040000)
    bool is_file() const { return (mode & 0170000) == 0100000; }
    bool is_dir() const { return (mode & 0170000) == 0040000; }
};

class Archive {
  public:
    static Result<Archive> open(const void* data, usize size);

    usize entry_count() const { return count_; }

    template <class F>
    void for_each(F&& f) const {
        usize off = 0;
        Entry e;
        while (next(off, e)) f(e);
    }
    Result<Entry> find(const char* path) const;

  private:
    bool next(usize& off, Entry& out) const; // only valid after open() validated
    const u8* data_ = nullptr;
    usize size_ = 0;
    usize count_ = 0;
};

} // namespace kernel::cpio
