#include "regions.hpp"

namespace procserv {
namespace {
constexpr Errno kNoRoom{12}; // ENOMEM: no room in the storage (procserv grows it first)
} // namespace

bool Region::mergeable(const Region& next) const {
    if (end != next.start || prot != next.prot || shared != next.shared) return false;
    if (shm || next.shm) return shm == next.shm && shm_va == next.shm_va; // the same object, continued
    if (!file && !next.file) return true;
    // The same bytes of the same file, continued.
    return file && next.file && file == next.file && file_va == next.file_va && file_len == next.file_len &&
           zero_tail == next.zero_tail;
}

u32 RegionSet::first_at_or_after(u64 va) const {
    u32 lo = 0, hi = count_;
    while (lo < hi) {
        u32 mid = (lo + hi) / 2;
        if (regions_[mid].end <= va) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

const Region* RegionSet::find(u64 va) const {
    u32 i = first_at_or_after(va);
    return i < count_ && regions_[i].contains(va) ? &regions_[i] : nullptr;
}

bool RegionSet::overlaps(u64 start, u64 end) const {
    u32 i = first_at_or_after(start);
    return i < count_ && regions_[i].start < end;
}

bool RegionSet::covered(u64 start, u64 end) const {
    for (u32 i = first_at_or_after(start); start < end; ++i) {
        if (i >= count_ || regions_[i].start > start) return false;
        start = regions_[i].end;
    }
    return true;
}

void RegionSet::erase(u32 i) {
    for (u32 j = i; j + 1 < count_; ++j) regions_[j] = regions_[j + 1];
    --count_;
}

void RegionSet::merge_around(u32 i) {
    if (i + 1 < count_ && regions_[i].mergeable(regions_[i + 1])) {
        regions_[i].end = regions_[i + 1].end;
        erase(i + 1);
    }
    if (i > 0 && regions_[i - 1].mergeable(regions_[i])) {
        regions_[i - 1].end = regions_[i].end;
        erase(i);
    }
}

Result<void> RegionSet::insert(const Region& r) {
    u32 i = first_at_or_after(r.start);
    if (i < count_ && regions_[i].start < r.end) return Errno{22}; // overlaps: the caller's bug, never user input
    if (i > 0 && regions_[i - 1].mergeable(r)) { // grows the region before it, with no room needed
        regions_[i - 1].end = r.end;
        merge_around(i - 1);
        return {};
    }
    if (i < count_ && r.mergeable(regions_[i])) {
        regions_[i].start = r.start;
        return {};
    }
    if (count_ == capacity_) return kNoRoom;
    for (u32 j = count_; j > i; --j) regions_[j] = regions_[j - 1];
    regions_[i] = r;
    ++count_;
    return {};
}

Result<void> RegionSet::split_at(u64 va) {
    u32 i = first_at_or_after(va);
    if (i >= count_ || regions_[i].start >= va) return {}; // a boundary already, or no region there
    if (count_ == capacity_) return kNoRoom;
    for (u32 j = count_; j > i + 1; --j) regions_[j] = regions_[j - 1];
    regions_[i + 1] = regions_[i];
    regions_[i].end = va;
    regions_[i + 1].start = va;
    ++count_;
    return {};
}

Result<void> RegionSet::prepare_split(u64 start, u64 end) {
    // Both splits or neither: count the regions they need before making either.
    u32 need = 0;
    const Region* a = find(start);
    const Region* b = find(end);
    if (a && a->start < start) ++need;
    if (b && b->start < end) ++need;
    if (count_ + need > capacity_) return kNoRoom;
    (void)split_at(start); // (room counted above)
    (void)split_at(end);
    return {};
}

Result<void> RegionSet::protect(u64 start, u64 end, u32 prot) {
    if (Result<void> e = prepare_split(start, end); !e.ok()) return e;
    u32 first = first_at_or_after(start), last = first;
    for (; last < count_ && regions_[last].start < end; ++last) regions_[last].prot = prot;
    // Merge from the end back, so indices below stay valid.
    for (u32 i = last; i-- > first;) merge_around(i);
    return {};
}

u64 RegionSet::find_free(u64 length, u64 low, u64 high) const {
    if (length == 0 || high <= low || high - low < length) return 0;
    // Top down, as Linux places mmap: the gap below `top`, from the highest region down.
    u64 top = high;
    for (u32 i = count_; i-- > 0;) {
        const Region& r = regions_[i];
        if (r.start >= top) continue; // wholly above the range searched
        if (r.end < top) {
            u64 bottom = r.end > low ? r.end : low;
            if (top - bottom >= length) return top - length;
        }
        top = r.start;
        if (top <= low) return 0;
    }
    return top - low >= length ? top - length : 0;
}

void PageMap::init(Page* storage, u32* order, u64 capacity) {
    pages_ = storage;
    order_ = order;
    capacity_ = capacity;
    size_ = 0;
    shift_ = 64;
    for (u64 c = capacity; c > 1; c >>= 1) --shift_;
}

void PageMap::move_to(Page* storage, u32* order, u64 capacity) {
    Page* old_pages = pages_;
    u32* old_order = order_;
    const u64 n = size_;
    init(storage, order, capacity);
    for (u64 i = 0; i < n; ++i) {
        Page p = old_pages[old_order[i]];
        old_pages[old_order[i]] = Page{};
        old_order[i] = 0;
        Page* q = add(p.va, p.frame, p.rights);
        q->borrowed = p.borrowed;
        q->cow = p.cow;
    }
}

void PageMap::copy_of(const PageMap& other, Page* storage, u32* order) {
    pages_ = storage;
    order_ = order;
    capacity_ = other.capacity_;
    size_ = other.size_;
    shift_ = other.shift_;
    __builtin_memcpy(pages_, other.pages_, capacity_ * sizeof(Page));
    __builtin_memcpy(order_, other.order_, capacity_ / 2 * sizeof(u32));
}

void PageMap::clear() {
    for (u64 i = 0; i < size_; ++i) pages_[order_[i]] = Page{}, order_[i] = 0;
    size_ = 0;
}

PageMap::Page* PageMap::find(u64 va) {
    if (!capacity_) return nullptr;
    va = page_down(va);
    for (u64 i = home(va);; i = (i + 1) & (capacity_ - 1)) {
        if (!pages_[i].used) return nullptr;
        if (pages_[i].va == va) return &pages_[i];
    }
}

void PageMap::place(u64 index, const Page& p) {
    pages_[index] = p;
    order_[p.dense] = static_cast<u32>(index);
}

PageMap::Page* PageMap::add(u64 va, u64 frame, u32 rights) {
    if (size_ >= limit()) return nullptr;
    va = page_down(va);
    u64 i = home(va);
    while (pages_[i].used) i = (i + 1) & (capacity_ - 1);
    place(i, Page{va, frame, rights, static_cast<u32>(size_), true, false, false});
    ++size_;
    return &pages_[i];
}

void PageMap::remove(Page* p) {
    const u64 mask = capacity_ - 1;
    u64 hole = static_cast<u64>(p - pages_);
    // The dense list: its last entry takes the removed one's place.
    u32 d = p->dense;
    --size_;
    if (d != size_) {
        order_[d] = order_[size_];
        pages_[order_[d]].dense = d;
    }
    order_[size_] = 0;
    pages_[hole] = Page{};
    // Backward shift: move later entries of the cluster into the hole when the hole lies
    // between their home and where they are, so that no probe sequence is broken.
    for (u64 j = (hole + 1) & mask; pages_[j].used; j = (j + 1) & mask) {
        u64 h = home(pages_[j].va);
        bool movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
        if (movable) {
            place(hole, pages_[j]);
            pages_[j] = Page{};
            hole = j;
        }
    }
}

} // namespace procserv
