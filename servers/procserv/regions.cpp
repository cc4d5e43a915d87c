#include "regions.hpp"

namespace procserv {
namespace {
constexpr Errno kNoRoom{12}; // ENOMEM: no room in the storage (procserv grows it first)
} // namespace

bool Region::mergeable(const Region& next) const {
    if (end != next.start || prot != next.prot || shared != next.shared || no_write != next.no_write)
        return false;
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
    if (r.start >= r.end) return Errno{22}; // empty or inverted (a wrapped end): the caller's bug, as below
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

u64 PageMap::range_mask(u64 base, u64 start, u64 end) {
    u64 lo = start > base ? (start - base) / kPageSize : 0;
    u64 hi = end - base >= kChunkSize ? kChunkPages : (end - base + kPageSize - 1) / kPageSize;
    if (end <= base || lo >= kChunkPages || lo >= hi) return 0;
    u64 below_hi = hi == 64 ? ~u64{0} : (u64{1} << hi) - 1;
    return below_hi & ~((u64{1} << lo) - 1);
}

Span* PageMap::find_span(u64 base) {
    if (!capacity_) return nullptr;
    for (u64 i = home(base);; i = (i + 1) & (capacity_ - 1)) {
        if (!table_[i]) return nullptr;
        if (spans_[table_[i] - 1].base == base) return &spans_[table_[i] - 1];
    }
}

u32* PageMap::slot_of(u64 base) {
    for (u64 i = home(base);; i = (i + 1) & (capacity_ - 1))
        if (spans_[table_[i] - 1].base == base) return &table_[i];
}

bool PageMap::grow() {
    const u64 capacity = capacity_ ? capacity_ * 2 : 8;
    if (capacity > (u64{1} << 31)) return false; // (indices are 32 bits)
    auto* spans = static_cast<Span*>(ops.alloc(capacity / 2 * sizeof(Span)));
    auto* table = static_cast<u32*>(ops.alloc(capacity * sizeof(u32)));
    if (!spans || !table) {
        ops.free(spans);
        ops.free(table);
        return false;
    }
    if (size_) __builtin_memcpy(spans, spans_, size_ * sizeof(Span));
    ops.free(spans_);
    ops.free(table_);
    spans_ = spans, table_ = table, capacity_ = capacity;
    shift_ = 64;
    for (u64 c = capacity; c > 1; c >>= 1) --shift_;
    for (u64 d = 0; d < size_; ++d) {
        u64 i = home(spans_[d].base);
        while (table_[i]) i = (i + 1) & (capacity_ - 1);
        table_[i] = static_cast<u32>(d + 1);
    }
    return true;
}

Span* PageMap::add_span(u64 base) {
    if (size_ >= capacity_ / 2 && !grow()) return nullptr;
    auto* c = static_cast<Chunk*>(ops.alloc_raw(sizeof(Chunk))); // (frames read only if present)
    if (!c) return nullptr;
    c->refs = 1, c->count = 0, c->present = c->borrowed = 0;
    u64 i = home(base);
    while (table_[i]) i = (i + 1) & (capacity_ - 1);
    Span& s = spans_[size_];
    s = Span{};
    s.base = base, s.chunk = c;
    table_[i] = static_cast<u32>(++size_);
    return &s;
}

void PageMap::release(Chunk* c) {
    if (--c->refs > 0) return;
    for_bits(c->present & ~c->borrowed, [&](u32 i) { ops.unref(c->frame[i]); });
    ops.free(c);
}

void PageMap::drop_span(Span& s) {
    pages_ -= s.chunk->count;
    release(s.chunk);
    const u64 mask = capacity_ - 1;
    u64 hole = static_cast<u64>(slot_of(s.base) - table_);
    // The array's last span takes the removed one's place (its table entry follows).
    const u64 d = static_cast<u64>(&s - spans_), last = size_ - 1;
    if (d != last) {
        *slot_of(spans_[last].base) = static_cast<u32>(d + 1);
        spans_[d] = spans_[last];
    }
    table_[hole] = 0;
    size_ = last;
    // Backward shift: move later entries of the cluster into the hole when the hole lies
    // between their home and where they are, so that no probe sequence is broken.
    for (u64 j = (hole + 1) & mask; table_[j]; j = (j + 1) & mask) {
        u64 h = home(spans_[table_[j] - 1].base);
        bool movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
        if (movable) {
            table_[hole] = table_[j];
            table_[j] = 0;
            hole = j;
        }
    }
}

void PageMap::forget(Span& s, u64 mask) {
    Chunk& c = *s.chunk;
    for_bits(mask, [&](u32 i) {
        if (!((c.borrowed >> i) & 1)) ops.unref(c.frame[i]);
        s.rights[i] = 0;
        --c.count, --pages_;
    });
    c.present &= ~mask, c.borrowed &= ~mask;
}

PageMap::Page PageMap::find(u64 va) {
    Span* s = find_span(va & ~(kChunkSize - 1));
    if (!s) return {};
    u32 i = static_cast<u32>((va & (kChunkSize - 1)) / kPageSize);
    if (!((s->chunk->present >> i) & 1)) return {};
    return {s, i};
}

PageMap::Page PageMap::add(u64 va, u64 frame, u32 rights, bool borrowed) {
    const u64 base = va & ~(kChunkSize - 1);
    Span* s = find_span(base);
    if (!s) s = add_span(base);
    if (!s) return {};
    Page p{s, static_cast<u32>((va & (kChunkSize - 1)) / kPageSize)};
    if (!unshare(p)) return {};
    Chunk& c = *s->chunk;
    c.frame[p.i] = frame;
    c.present |= u64{1} << p.i;
    if (borrowed) c.borrowed |= u64{1} << p.i;
    ++c.count, ++pages_;
    s->rights[p.i] = static_cast<unsigned char>(rights);
    return p;
}

bool PageMap::unshare(Page p) {
    Chunk* c = p.span->chunk;
    if (c->refs == 1) return true;
    auto* copy = static_cast<Chunk*>(ops.alloc_raw(sizeof(Chunk)));
    if (!copy) return false;
    *copy = *c;
    copy->refs = 1;
    for_bits(c->present & ~c->borrowed, [&](u32 i) { ops.ref(c->frame[i]); });
    --c->refs;
    p.span->chunk = copy;
    return true;
}

void PageMap::set_frame(Page p, u64 frame) {
    // (the caller unshared the chunk: mm_touch)
    Chunk& c = *p.span->chunk;
    if (!((c.borrowed >> p.i) & 1)) ops.unref(c.frame[p.i]);
    c.frame[p.i] = frame;
    c.borrowed &= ~(u64{1} << p.i);
}

bool PageMap::prepare_erase(u64 start, u64 end) {
    if (start >= end) return true;
    const u64 ends[2] = {start & ~(kChunkSize - 1), (end - 1) & ~(kChunkSize - 1)};
    for (u64 base : ends) {
        Span* s = find_span(base);
        if (!s || s->chunk->refs == 1) continue;
        u64 mask = range_mask(base, start, end) & s->chunk->present;
        if (mask && mask != s->chunk->present && !unshare(Page{s, 0})) return false;
    }
    return true;
}

bool PageMap::copy_of(const PageMap& other) {
    if (!other.capacity_) return true;
    // Not cleared: the table is copied whole, the spans in use field by field.
    auto* spans = static_cast<Span*>(ops.alloc_raw(other.capacity_ / 2 * sizeof(Span)));
    auto* table = static_cast<u32*>(ops.alloc_raw(other.capacity_ * sizeof(u32)));
    if (!spans || !table) {
        ops.free(spans);
        ops.free(table);
        return false;
    }
    spans_ = spans, table_ = table;
    capacity_ = other.capacity_, size_ = other.size_, pages_ = other.pages_, shift_ = other.shift_;
    __builtin_memcpy(table_, other.table_, capacity_ * sizeof(u32));
    for (u64 d = 0; d < size_; ++d) {
        Span& s = spans_[d];
        s.base = other.spans_[d].base, s.chunk = other.spans_[d].chunk;
        for (u32 w = 0; w < kChunkPages; w += 8) __builtin_memset(s.rights + w, 0, 8); // nothing mapped yet
        ++s.chunk->refs;
    }
    return true;
}

void PageMap::clear() {
    for (u64 d = 0; d < size_; ++d) release(spans_[d].chunk);
    if (capacity_) ops.free(spans_), ops.free(table_);
    *this = PageMap{};
}

} // namespace procserv
