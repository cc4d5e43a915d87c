// A RAM filesystem (procserv's /tmp and /dev/shm): a tree of directories and files whose
// data lives in 4 KiB pages of the owner's memory. procserv's pure logic, with no kernel
// calls, so that the host's unit tests check it (tests/unit/test_ramfs.cpp); its memory
// comes from the owner (procserv's heap; a test's malloc) through the two functions it is
// given. Errors are Linux's: ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL,
// ENAMETOOLONG, ENOSPC (the filesystem's size is used up), ENOMEM, EFBIG.
#pragma once

#include "result.hpp"

#include <cstdint>

namespace procserv {

struct RamNode {
    RamNode* parent;   // its directory (itself for the root; kept while it is open, even unlinked)
    RamNode* children; // a directory: its entries, newest first
    RamNode* next;     // in its directory's list
    char* name;        // NUL-terminated, in the owner's memory
    std::uint64_t ino;
    bool dir;
    bool linked;       // in a directory (an unlinked one lives on while open)
    std::uint32_t mode; // permission bits
    std::uint64_t opens;
    std::uint64_t size;
    unsigned char** pages; // a file: page i of its data, null where nothing was written
    std::uint64_t page_slots;
    void* backing; // the owner's store of the file's pages once it keeps them (adopt):
                   // `pages` is then empty; size and used() are still kept here
    std::int64_t times[2][2]; // access and modification: seconds, nanoseconds (utimensat)
};

class RamFs {
  public:
    using u64 = std::uint64_t;
    using Alloc = void* (*)(u64 bytes); ///< zeroed memory, or null
    using Free = void (*)(void* p);
    /// The owner lets a node's backing go (the node's own end): the bytes of data it held.
    using Drop = u64 (*)(RamNode* n);
    static constexpr u64 kPage = 4096;
    static constexpr u64 kMaxName = 255;
    static constexpr u64 kMaxFile = u64{1} << 40; ///< EFBIG beyond

    /// An empty filesystem (a root directory, mode 01777) of at most `capacity` bytes of
    /// data. ENOMEM.
    Result<void> init(Alloc alloc, Free free, u64 capacity, u64 first_ino, Drop drop = nullptr);
    RamNode* root() const { return root_; }
    /// Give back everything (the owner's end; nothing of it may be open).
    void destroy();

    /// The entry `name` (of `len` bytes) of directory `dir`, or null.
    RamNode* find(const RamNode* dir, const char* name, u64 len) const;
    /// The entry at `index` of `dir`'s list (stable while nothing is added or removed).
    RamNode* entry_at(const RamNode* dir, u64 index) const;
    /// A new file or directory `name` in `dir`. EEXIST; ENOTDIR; ENAMETOOLONG; ENOMEM.
    Result<RamNode*> create(RamNode* dir, const char* name, u64 len, bool directory, std::uint32_t mode);
    /// unlink (directory false) or rmdir (true): ENOENT; EISDIR / ENOTDIR; ENOTEMPTY. The
    /// node's memory goes now, or at its last close().
    Result<void> remove(RamNode* dir, const char* name, u64 len, bool directory);
    /// rename(2) within this filesystem: replaces a file by a file or an empty directory
    /// by a directory. ENOENT; EISDIR; ENOTDIR; ENOTEMPTY; EINVAL (a directory into itself).
    Result<void> rename(RamNode* from_dir, const char* from, u64 from_len, RamNode* to_dir, const char* to,
                        u64 to_len);

    void open(RamNode* n) { ++n->opens; }
    void close(RamNode* n);

    /// Up to `count` bytes of `n` from `offset`: bytes read (0 at or past the end).
    /// `page(index)` of a file gives its data, null for a hole (zeros).
    const unsigned char* page(const RamNode* n, u64 index) const {
        return index < n->page_slots ? n->pages[index] : nullptr;
    }
    /// Page `index` of file `n`, made (zeros) if it was a hole, for a write. ENOSPC;
    /// ENOMEM; EFBIG.
    Result<unsigned char*> page_for_write(RamNode* n, u64 index);
    /// A write of bytes up to `end` happened: the size grows to it.
    void written(RamNode* n, u64 end) {
        if (end > n->size) n->size = end;
    }
    /// The file's size becomes `size` (pages past it go; a hole up to it). EFBIG. Of an
    /// adopted file only the size changes: its pages are the owner's.
    Result<void> truncate(RamNode* n, u64 size);

    // A file whose pages the owner keeps (procserv: in frames, when a program maps the file
    // shared). The owner copies the pages out (page()), then adopts them; from then on it
    // reads and writes them itself, charging each new page here, and the node's end gives
    // them back through the Drop function given to init().
    /// The file's pages are now `backing`'s: its own go (still counted in used()).
    void adopt(RamNode* n, void* backing);
    /// `bytes` more of data for an adopted file: ENOSPC beyond the capacity.
    Result<void> charge(u64 bytes);
    u64 used() const { return used_; } ///< bytes of data pages
    /// Files and directories it holds, its root not counted (an unlinked one still open
    /// included: its memory goes at its last close).
    u64 entries() const { return entries_; }
    u64 capacity() const { return capacity_; }

  private:
    void unlink(RamNode* n);
    void release(RamNode* n);
    Alloc alloc_;
    Free free_;
    Drop drop_;
    RamNode* root_;
    u64 used_, capacity_, next_ino_, entries_;
};

} // namespace procserv
