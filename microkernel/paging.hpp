// The page-table walking algorithm, written once. An arch supplies only the encoding of
// its entries (a type satisfying PteFormat, in arch/<arch>/include/arch/<arch>/pte.hpp).
//
// Levels are numbered from the leaf: level 0 entries map 4 KiB pages, level 1 entries
// 2 MiB, level 2 entries 1 GiB, level 3 512 GiB. The root is level F::kLevels - 1.
// Every table is one 4 KiB frame of 512 entries on all three architectures.
#pragma once

#include <concepts>
#include <microkernel/frame_allocator.hpp>
#include <base/result.hpp>
#include <base/types.hpp>

namespace kernel {

enum class MemType : u8 { Normal, Device };

/// What a mapping allows and how memory behind it is treated.
struct PageAttr {
    bool write = false;
    bool exec = false;
    bool user = false;
    bool global = true;
    MemType type = MemType::Normal;
    constexpr bool operator==(const PageAttr&) const = default;
};

template <class F>
concept PteFormat = requires(u64 pte, PhysAddr pa, PageAttr attr, unsigned level) {
    { F::kLevels } -> std::convertible_to<unsigned>;
    { F::table(pa) } -> std::same_as<u64>;            ///< entry pointing at a next-level table
    { F::leaf(pa, attr, level) } -> std::same_as<u64>; ///< entry mapping a page or block
    { F::is_present(pte) } -> std::same_as<bool>;
    { F::is_table(pte, level) } -> std::same_as<bool>;
    { F::address(pte, level) } -> std::same_as<PhysAddr>;
    { F::attr(pte, level) } -> std::same_as<PageAttr>;
    { F::leaf_allowed(level) } -> std::same_as<bool>; ///< may a leaf sit at this level?
    /// The leaf with write and/or execute access taken away (unchanged if it had neither).
    { F::restrict(pte, level, true, true) } -> std::same_as<u64>;
};

constexpr unsigned kEntriesPerTable = 512;
constexpr unsigned level_shift(unsigned level) { return 12 + 9 * level; }
constexpr u64 level_size(unsigned level) { return u64{1} << level_shift(level); }
constexpr unsigned table_index(u64 va, unsigned level) {
    return static_cast<unsigned>((va >> level_shift(level)) & (kEntriesPerTable - 1));
}

/// Where a page table gets its table frames: the boot FrameAllocator, or the table
/// budget of an AddressSpace object (paid for by its creator).
template <class A>
concept TableAllocator = requires(A a, PhysWindow w) {
    { a.alloc_zeroed(w) } -> std::same_as<Result<PhysAddr>>;
};

/// User addresses are the lower half of the format's VA space: the root table's first
/// 256 entries. (The kernel lives in the upper half on all three architectures.)
template <class F>
constexpr u64 user_space_end() {
    return u64{1} << (level_shift(F::kLevels - 1) + 8);
}

struct Translation {
    PhysAddr pa;
    PageAttr attr;
    unsigned level; ///< level of the leaf that maps it
};

/// One address space's page tables, reached through a PhysWindow and grown from a
/// FrameAllocator.
template <PteFormat F>
class PageTable {
  public:
    PageTable(PhysAddr root, PhysWindow window) : root_(root), window_(window) {}

    /// A fresh, empty table tree: allocates the root.
    template <TableAllocator A>
    static Result<PageTable> create(A& frames, PhysWindow window) {
        PhysAddr root = TRY(frames.alloc_zeroed(window));
        return PageTable(root, window);
    }

    PhysAddr root() const { return root_; }

    /// Map [va, va + size) to [pa, pa + size). Uses the largest leaves the alignment
    /// and the format allow. Fails without partial effect on misalignment or overlap
    /// with an existing mapping; may leave empty intermediate tables on NoMemory.
    template <TableAllocator A>
    Result<void> map(u64 va, PhysAddr pa, u64 size, PageAttr attr, A& frames) {
        if (!is_aligned(va, kPageSize) || !is_aligned(pa.value, kPageSize) ||
            !is_aligned(size, kPageSize) || size == 0 || va + size < va)
            return Error::InvalidArgument;
        for (u64 off = 0; off < size; off += kPageSize)
            if (translate(va + off).ok()) return Error::Exists;
        u64 off = 0;
        while (off < size) {
            unsigned level = pick_level(va + off, pa.value + off, size - off);
            TRY(set_leaf(va + off, pa + off, attr, level, frames));
            off += level_size(level);
        }
        return {};
    }

    /// Remove the mappings of [va, va + size). Every page must be mapped and no leaf may
    /// reach outside the range (a block is never split); otherwise nothing changes.
    /// Tables that become empty stay (they are reused by later maps). The caller flushes
    /// the TLB.
    Result<void> unmap(u64 va, u64 size) {
        TRY(check_leaves(va, size));
        for_each_leaf(va, size, [](u64& pte, unsigned) { pte = 0; });
        return {};
    }

    /// Remove the 4 KiB page mapped at `va` (NotFound if there is none; a block is never
    /// split). The caller flushes the TLB.
    Result<void> unmap_page(u64 va) {
        unsigned level;
        u64* pte = leaf_entry(va, level);
        if (!pte || level != 0) return Error::NotFound;
        *pte = 0;
        return {};
    }

    /// Give the mappings of [va, va + size) new attributes; same rules as unmap.
    Result<void> protect(u64 va, u64 size, PageAttr attr) {
        TRY(check_leaves(va, size));
        for_each_leaf(va, size, [&](u64& pte, unsigned level) {
            pte = F::leaf(F::address(pte, level), attr, level);
        });
        return {};
    }

    /// Take write and/or execute access away from every leaf in [va, end) (a block only
    /// when the range holds it whole); what is not mapped costs one entry per missing
    /// table, so a sparse range is cheap. Returns how many leaves changed. The caller
    /// checks the range and flushes the TLB.
    u64 restrict(u64 va, u64 end, bool drop_write, bool drop_exec) {
        return restrict_in(window_.at<u64>(root_), F::kLevels - 1, 0, va, end, drop_write, drop_exec);
    }

    /// How many tables a 4 KiB mapping at `va` would have to allocate (so callers with a
    /// fixed budget can check before they act).
    unsigned missing_tables(u64 va) const {
        u64* table = window_.at<u64>(root_);
        for (unsigned level = F::kLevels - 1; level > 0; --level) {
            u64 pte = table[table_index(va, level)];
            if (!F::is_present(pte)) return level;
            if (!F::is_table(pte, level)) return 0; // a block maps it: map() will refuse
            table = window_.at<u64>(F::address(pte, level));
        }
        return 0;
    }

    /// Find the leaf that maps `va`.
    Result<Translation> translate(u64 va) const {
        u64* table = window_.at<u64>(root_);
        for (unsigned level = F::kLevels - 1;; --level) {
            u64 pte = table[table_index(va, level)];
            if (!F::is_present(pte)) return Error::NotFound;
            if (level > 0 && F::is_table(pte, level)) {
                table = window_.at<u64>(F::address(pte, level));
                continue;
            }
            u64 offset = va & (level_size(level) - 1);
            return Translation{F::address(pte, level) + offset, F::attr(pte, level), level};
        }
    }

  private:
    /// The entry of the leaf mapping `va`, or null; `level` receives its level.
    u64* leaf_entry(u64 va, unsigned& level) const {
        u64* table = window_.at<u64>(root_);
        for (level = F::kLevels - 1;; --level) {
            u64& pte = table[table_index(va, level)];
            if (!F::is_present(pte)) return nullptr;
            if (level > 0 && F::is_table(pte, level)) {
                table = window_.at<u64>(F::address(pte, level));
                continue;
            }
            return &pte;
        }
    }

    /// restrict() within the table at `level` whose first entry maps `base` (start lies
    /// in it).
    [[gnu::noinline]] u64 restrict_in(u64* table, unsigned level, u64 base, u64 start, u64 end,
                                      bool drop_write, bool drop_exec) {
        const u64 size = level_size(level);
        u64 changed = 0;
        for (unsigned i = table_index(start, level); i < kEntriesPerTable; ++i) {
            const u64 from = base + i * size;
            if (from >= end) break;
            const u64 pte = table[i];
            if (!F::is_present(pte)) continue;
            if (level > 0 && F::is_table(pte, level)) {
                changed += restrict_in(window_.at<u64>(F::address(pte, level)), level - 1, from,
                                       start > from ? start : from, end, drop_write, drop_exec);
            } else if (from >= start && end - from >= size) { // (a block the range cuts stays)
                const u64 less = F::restrict(pte, level, drop_write, drop_exec);
                if (less != pte) table[i] = less, ++changed;
            }
        }
        return changed;
    }

    Result<void> check_leaves(u64 va, u64 size) const {
        if (!is_aligned(va, kPageSize) || !is_aligned(size, kPageSize) || size == 0 ||
            va + size < va)
            return Error::InvalidArgument;
        for (u64 off = 0; off < size;) {
            unsigned level;
            if (!leaf_entry(va + off, level)) return Error::NotFound;
            u64 leaf = level_size(level);
            if (!is_aligned(va + off, leaf) || size - off < leaf) return Error::InvalidArgument;
            off += leaf;
        }
        return {};
    }

    template <class Fn>
    void for_each_leaf(u64 va, u64 size, Fn fn) {
        for (u64 off = 0; off < size;) {
            unsigned level;
            u64* pte = leaf_entry(va + off, level);
            fn(*pte, level);
            off += level_size(level);
        }
    }

    unsigned pick_level(u64 va, u64 pa, u64 remaining) const {
        for (unsigned level = F::kLevels - 1; level > 0; --level) {
            u64 sz = level_size(level);
            if (F::leaf_allowed(level) && is_aligned(va, sz) && is_aligned(pa, sz) && remaining >= sz)
                return level;
        }
        return 0;
    }

    template <TableAllocator A>
    Result<void> set_leaf(u64 va, PhysAddr pa, PageAttr attr, unsigned leaf_level, A& frames) {
        u64* table = window_.at<u64>(root_);
        for (unsigned level = F::kLevels - 1; level > leaf_level; --level) {
            u64& pte = table[table_index(va, level)];
            if (!F::is_present(pte)) {
                PhysAddr next = TRY(frames.alloc_zeroed(window_));
                pte = F::table(next);
            } else if (!F::is_table(pte, level)) {
                return Error::Exists;
            }
            table = window_.at<u64>(F::address(pte, level));
        }
        table[table_index(va, leaf_level)] = F::leaf(pa, attr, leaf_level);
        return {};
    }

    PhysAddr root_;
    PhysWindow window_;
};

} // namespace kernel
