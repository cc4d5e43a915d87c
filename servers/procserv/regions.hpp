// The regions of an address space and the pages present in it: procserv's pure memory
// bookkeeping, with no kernel calls, so that the host's unit tests (ASan/UBSan) check
// it as they check the kernel core (tests/unit/test_regions.cpp).
//
// A region is a page-aligned range [start, end) with Linux's protection bits and a
// backing: zero-filled anonymous memory, or a private copy of bytes of a file of the
// initrd (pages beyond the file's last page are not backed at all: an access there is
// SIGBUS, as on Linux). Regions never overlap and are kept sorted, and neighbours that
// could be one region are merged, so a search is a binary search.
//
// A page is present when procserv has given it a frame. PageMap records the frame (a
// slot of procserv's cap space) of each present page: open addressing on the page
// number with backward-shift deletion, so lookups stay O(1) whatever is unmapped.
#pragma once

#include "result.hpp"

#include <cstddef>
#include <cstdint>

namespace procserv {

using u64 = std::uint64_t;
using u32 = std::uint32_t;

struct Shared; // anonymous MAP_SHARED memory (procserv.hpp); only its address matters here

constexpr u64 kPageSize = 4096;
constexpr u64 page_down(u64 v) { return v & ~(kPageSize - 1); }
constexpr u64 page_up(u64 v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

/// Linux's protection bits.
constexpr u32 kProtRead = 1, kProtWrite = 2, kProtExec = 4, kProtMask = 7;

// Every type here is trivial (all zeros is empty), so procserv's static tables of them
// need no constructors and cost nothing until used: write `Region r{}` for a fresh one.
struct Region {
    u64 start, end; ///< page aligned, start < end
    u32 prot;       ///< kProt* bits
    bool shared;    ///< MAP_SHARED: a fork's child shares it instead of copying it
    // File backing (file != nullptr): the byte at va comes from file[va - file_va] for
    // va in [file_va, file_va + file_len); other bytes of a page that holds some of the
    // file are zero; a page that holds none of it is beyond the end (SIGBUS), unless
    // zero_tail says such pages are zeros (an ELF segment's bss).
    const unsigned char* file;
    u64 file_va;
    u64 file_len;
    bool zero_tail;
    // Shared anonymous memory (shm != nullptr): the page at va is page (va - shm_va) of
    // the object, which outlives any one address space (a fork's child shares it).
    Shared* shm;
    u64 shm_va;

    bool contains(u64 va) const { return va >= start && va < end; }
    bool is_file() const { return file != nullptr; }
    bool is_private_anon() const { return !file && !shm; }
    /// Is the page at `page` (inside the region) beyond the end of its file?
    bool beyond_file(u64 page) const { return file && !zero_tail && page >= page_up(file_va + file_len); }
    /// Could `next` (which starts where this ends) be part of this region?
    bool mergeable(const Region& next) const;
};

/// The sorted regions of one address space, in storage its owner gives it (and grows:
/// procserv doubles it in its heap). Every change checks first that it can be made whole
/// (room for the regions a split creates) and fails with ENOMEM otherwise, changing
/// nothing. All zeros is an empty set with no storage.
class RegionSet {
  public:
    static constexpr u32 kMaxRegions = 65530; ///< as Linux's default vm.max_map_count

    /// Move the regions to `storage` of `capacity` entries (at least count()).
    void set_storage(Region* storage, u32 capacity) {
        for (u32 i = 0; i < count_; ++i) storage[i] = regions_[i];
        regions_ = storage;
        capacity_ = capacity;
    }
    Region* storage() const { return regions_; }
    u32 capacity() const { return capacity_; }
    /// Copy `other`'s regions (capacity() must hold them): O(count).
    void copy_from(const RegionSet& other) {
        count_ = other.count_;
        for (u32 i = 0; i < count_; ++i) regions_[i] = other.regions_[i];
    }
    void clear() { count_ = 0; }
    u32 count() const { return count_; }
    const Region& at(u32 i) const { return regions_[i]; }
    /// The region holding `va`, or null.
    const Region* find(u64 va) const;
    /// Does any region touch [start, end)?
    bool overlaps(u64 start, u64 end) const;
    /// Is every page of [start, end) inside some region?
    bool covered(u64 start, u64 end) const;

    /// Add `r`, which must not overlap anything (remove() first). ENOMEM: no room.
    Result<void> insert(const Region& r);
    /// Take [start, end) out of every region, splitting those that straddle it; for each
    /// piece removed, `removed(piece)` is called before it goes. ENOMEM: no room to split.
    template <class F>
    Result<void> remove(u64 start, u64 end, F&& removed) {
        if (Result<void> e = prepare_split(start, end); !e.ok()) return e;
        for (u32 i = first_at_or_after(start); i < count_ && regions_[i].start < end;) {
            removed(regions_[i]);
            erase(i);
        }
        return {};
    }
    /// Give every page of [start, end) the protection `prot` (the range must be
    /// covered()). 0 or -ENOMEM.
    Result<void> protect(u64 start, u64 end, u32 prot);
    /// The highest free range of `length` bytes in [low, high), or 0 if there is none.
    u64 find_free(u64 length, u64 low, u64 high) const;
    /// Call f(region) for every region that meets [start, end).
    template <class F>
    void for_range(u64 start, u64 end, F&& f) const {
        for (u32 i = first_at_or_after(start); i < count_ && regions_[i].start < end; ++i) f(regions_[i]);
    }

  private:
    /// Split the regions straddling start and end so that [start, end) is made of whole
    /// regions.
    Result<void> prepare_split(u64 start, u64 end);
    Result<void> split_at(u64 va);
    u32 first_at_or_after(u64 va) const; ///< index of the first region with end > va
    void erase(u32 i);
    void merge_around(u32 i);

    Region* regions_;
    u32 count_;
    u32 capacity_;
};

/// The frames of the present pages of one address space. Besides the hash table, a dense
/// list of the entries in use makes walking every page O(pages present), and removing
/// every page (clear) leaves the table all zeros, ready for reuse without being cleared.
class PageMap {
  public:
    struct Page {
        u64 va;     ///< page address
        u64 frame;  ///< slot of procserv's cap space
        u32 rights; ///< as mapped (abi rights); 0 while the page's region is PROT_NONE
        u32 dense;  ///< its index in the dense list
        bool used;
        bool borrowed; ///< the frame belongs to a Shared object, not to this address space
        bool cow;      ///< the frame may be another address space's too: a write copies it first
    };

    /// `storage` holds `capacity` entries (a power of two), `order` capacity / 2 indices:
    /// at most capacity / 2 pages are kept, so that probes stay short. Both must be all
    /// zeros (as static storage is, and as clear() leaves them).
    void init(Page* storage, u32* order, u64 capacity);
    u64 size() const { return size_; }
    u64 limit() const { return capacity_ / 2; }
    u64 capacity() const { return capacity_; }
    Page* storage() const { return pages_; }
    u32* order() const { return order_; }
    /// Move every page to new storage (as init() wants it); the old storage is left all
    /// zeros. Page pointers from before are stale afterwards.
    void move_to(Page* storage, u32* order, u64 capacity);
    /// Become a copy of `other` (empty before), in `storage` and `order` of other's
    /// capacity: two block copies, no rehashing.
    void copy_of(const PageMap& other, Page* storage, u32* order);
    /// Forget every page.
    void clear();

    Page* find(u64 va);
    /// Record a page (not present yet); null when the map is at its limit.
    Page* add(u64 va, u64 frame, u32 rights);
    void remove(Page* p);
    /// Call f(page) for every present page in [start, end); f must not remove pages.
    template <class F>
    void for_range(u64 start, u64 end, F&& f) {
        if ((end - start) / kPageSize <= size_) {
            for (u64 va = start; va < end; va += kPageSize)
                if (Page* p = find(va)) f(*p);
        } else {
            for (u64 i = 0; i < size_; ++i)
                if (Page& p = pages_[order_[i]]; p.va >= start && p.va < end) f(p);
        }
    }
    /// Call f(page) for every present page in [start, end), then forget it.
    template <class F>
    void erase_range(u64 start, u64 end, F&& f) {
        if ((end - start) / kPageSize <= size_) {
            for (u64 va = start; va < end; va += kPageSize)
                if (Page* p = find(va)) f(*p), remove(p);
            return;
        }
        // A removal moves the last entry of the dense list into the place it frees: look
        // at the same place again.
        for (u64 i = 0; i < size_;) {
            Page& p = pages_[order_[i]];
            if (p.va >= start && p.va < end) f(p), remove(&p);
            else ++i;
        }
    }
    template <class F>
    void for_each(F&& f) {
        for (u64 i = 0; i < size_; ++i) f(pages_[order_[i]]);
    }

  private:
    u64 home(u64 va) const { return ((va / kPageSize) * 0x9e3779b97f4a7c15ull) >> shift_; }
    void place(u64 index, const Page& p); ///< put p at index, and keep the dense list right
    Page* pages_;
    u32* order_;
    u64 capacity_;
    u64 size_;
    unsigned shift_;
};

} // namespace procserv
