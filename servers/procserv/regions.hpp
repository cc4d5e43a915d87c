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
// slot of procserv's cap space) of each present page, in chunks of 64 pages that a fork
// shares between parent and child (copied when either changes one), so that a fork costs
// O(chunks), not O(pages).
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
    bool no_write;  ///< a shared mapping of a file it may not write: PROT_WRITE never (EACCES)
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

/// Pages per chunk: a page map keeps its frames in chunks of this many neighbouring pages.
constexpr u64 kChunkPages = 64;
constexpr u64 kChunkSize = kChunkPages * kPageSize;

/// The frames of kChunkPages neighbouring pages. After a fork, parent and child hold the
/// same chunks (a reference each); the first change by either copies the chunk (each of
/// its frames gains a reference: PageMap::Ops::ref), so a fork costs a reference per chunk,
/// not per page.
struct Chunk {
    u32 refs;     ///< page maps holding it
    u32 count;    ///< present pages
    u64 present;  ///< bit i: page i has a frame
    u64 borrowed; ///< bit i: its frame belongs to a Shared object (never referenced here)
    u64 frame[kChunkPages]; ///< slots of procserv's cap space
};

/// Call f(i) for every bit i set in `mask`, lowest first (by shifts, stopping at the
/// highest: no count-trailing-zeros, which riscv64 without Zbb makes a library call).
template <class F>
inline void for_bits(u64 mask, F&& f) {
    for (u32 i = 0; mask; ++i, mask >>= 1)
        if (mask & 1) f(i);
}

/// One address space's hold on a chunk: which chunk, and the rights each of its pages is
/// mapped with there (0: not mapped), which are this address space's own.
struct Span {
    u64 base;    ///< first page's address, kChunkSize aligned
    Chunk* chunk;
    alignas(8) unsigned char rights[kChunkPages]; ///< as mapped (abi rights); 0: not mapped
};

/// The frames of the present pages of one address space (or of a shared memory object,
/// keyed by offset): a dense array of spans (walks are O(chunks present)), found through
/// a table of their indices, open addressing on the chunk number with backward-shift
/// deletion (O(1) whatever is unmapped). Memory comes from Ops::alloc[_raw] and goes
/// back by Ops::free; a frame that no chunk holds any more goes back by Ops::unref. All
/// zeros is an empty map with no storage.
class PageMap {
  public:
    struct Ops {
        void* (*alloc)(u64 bytes); ///< zeroed, or null
        void* (*alloc_raw)(u64 bytes); ///< not cleared, or null
        void (*free)(void* p);
        void (*ref)(u64 frame);    ///< one more chunk holds the frame
        void (*unref)(u64 frame);  ///< one chunk fewer
    };
    static inline Ops ops{};

    /// A present page: valid until the map gains or loses a span.
    struct Page {
        Span* span;
        u32 i;
        explicit operator bool() const { return span != nullptr; }
        u64 va() const { return span->base + i * kPageSize; }
        u64 frame() const { return span->chunk->frame[i]; }
        bool borrowed() const { return (span->chunk->borrowed >> i) & 1; }
        /// Is its chunk another map's too (a change must copy it first: unshare)?
        bool shared() const { return span->chunk->refs > 1; }
        unsigned char& rights() const { return span->rights[i]; }
    };

    u64 size() const { return pages_; } ///< present pages
    u64 spans() const { return size_; }

    Page find(u64 va);
    /// Record a present page (none at va before) with its rights; a null Page when memory
    /// for a chunk or a bigger table is lacking (nothing changed then).
    Page add(u64 va, u64 frame, u32 rights, bool borrowed);
    /// Give the page's chunk to this map alone (a copy if another map holds it); false
    /// when memory is lacking. The page stays valid.
    bool unshare(Page p);
    /// Replace a present page's frame (its chunk unshared first); the old one is unref'd.
    void set_frame(Page p, u64 frame);
    /// Make the chunks that [start, end) covers only in part this map's alone, so that
    /// erase_range cannot fail; false when memory is lacking (nothing lost then).
    bool prepare_erase(u64 start, u64 end);
    /// Call f(page) for every present page in [start, end), then forget the pages (a
    /// chunk that only part of the range covers must be unshared: prepare_erase).
    template <class F>
    void erase_range(u64 start, u64 end, F&& f) {
        walk_spans(start, end, [&](Span& s) {
            const u64 mask = range_mask(s.base, start, end) & s.chunk->present;
            for_bits(mask, [&](u32 i) { f(Page{&s, i}); });
            if (mask == s.chunk->present) return drop_span(s);
            forget(s, mask);
        });
    }
    /// Call f(page) for every present page in [start, end); f must not add or remove pages.
    template <class F>
    void for_range(u64 start, u64 end, F&& f) {
        walk_spans(start, end, [&](Span& s) {
            for_bits(range_mask(s.base, start, end) & s.chunk->present, [&](u32 i) { f(Page{&s, i}); });
        });
    }
    template <class F>
    void for_each(F&& f) {
        for (u64 d = 0; d < size_; ++d)
            for_bits(spans_[d].chunk->present, [&](u32 i) { f(Page{&spans_[d], i}); });
    }
    template <class F>
    void for_each_span(F&& f) {
        for (u64 d = 0; d < size_; ++d) f(spans_[d]);
    }
    /// Become a copy of `other` (this one empty): the same chunks, a reference more each,
    /// and no page mapped (rights 0). O(chunks). False when memory is lacking.
    bool copy_of(const PageMap& other);
    /// Forget every page (chunks lose this map's reference) and free the storage.
    void clear();

  private:
    static u64 range_mask(u64 base, u64 start, u64 end); ///< bits of the chunk's pages in the range
    template <class F>
    void walk_spans(u64 start, u64 end, F&& f) {
        if (start >= end) return;
        const u64 first = start & ~(kChunkSize - 1);
        if ((end - first) / kChunkSize <= size_) {
            for (u64 base = first; base < end && base >= first; base += kChunkSize)
                if (Span* s = find_span(base)) f(*s);
        } else {
            // f may drop the span: the array's last span then takes its place.
            for (u64 d = 0; d < size_;) {
                Span& s = spans_[d];
                const u64 before = size_;
                if (s.base + kChunkSize > start && s.base < end) f(s);
                if (size_ == before) ++d;
            }
        }
    }
    Span* find_span(u64 base);
    Span* add_span(u64 base); ///< null when memory is lacking
    void drop_span(Span& s);  ///< the chunk loses this map's reference; the span goes
    void forget(Span& s, u64 mask); ///< pages in mask (present; the chunk this map's alone) go
    void release(Chunk* c);   ///< one reference fewer; the last frees it and unrefs its frames
    bool grow();
    u64 home(u64 base) const { return ((base / kChunkSize) * 0x9e3779b97f4a7c15ull) >> shift_; }
    u32* slot_of(u64 base); ///< the table entry holding base's span (present)

    Span* spans_;  ///< capacity_ / 2 of them, size_ used
    u32* table_;   ///< capacity_ entries: 1 + a span's index, 0 empty
    u64 capacity_; ///< a power of two; at most half used
    u64 size_;     ///< spans
    u64 pages_;    ///< present pages
    unsigned shift_;
};

} // namespace procserv
