// procserv's memory: its own cap slots, the blocks of untyped memory it lends, the
// address spaces it builds (regions, pages backed on first touch, mmap and friends), and
// its access to client memory through a window page.
#include "procserv.hpp"

#include <sys/heap.hpp>

namespace procserv {

Pool g_thread_blocks, g_proc_blocks;
// ---- cap slots -------------------------------------------------------------------------
constexpr u64 kMaxSlots = u64{1} << 20;
u64 g_slot_used[kMaxSlots / 64];
u64 g_slot_count, g_slot_hint;
u64 g_cpus = 1;

// What procserv knows of a slot holding a frame or a block (SlotInfo), in chunks of 4096
// slots made in the heap when a slot of theirs is first handed out: the cap space has a
// slot per page of RAM, and start-up must not take longer on a bigger machine.
constexpr u64 kChunkSlots = 4096;
SlotInfo* g_slot_chunks[kMaxSlots / kChunkSlots];
u64 g_slot_chunk_bytes; // heap bytes they take (kept for good, as the slots are)

SlotInfo& slot_info(u64 s) { return g_slot_chunks[s / kChunkSlots][s % kChunkSlots]; }

/// The chunks of [first, first + count) exist (made, all zeros, if not).
bool slot_chunks_ready(u64 first, u64 count) {
    for (u64 c = first / kChunkSlots; c <= (first + count - 1) / kChunkSlots; ++c)
        if (!g_slot_chunks[c]) {
            g_slot_chunks[c] = static_cast<SlotInfo*>(heap_alloc(kChunkSlots * sizeof(SlotInfo)));
            if (!g_slot_chunks[c]) return false;
            g_slot_chunk_bytes += sys::Heap::footprint(g_slot_chunks[c]);
        }
    return true;
}

void mark_slot(u64 s, bool used) {
    if (used) g_slot_used[s / 64] |= u64{1} << (s % 64);
    else g_slot_used[s / 64] &= ~(u64{1} << (s % 64));
}
/// `count` consecutive free slots (one retype can fill them all); the first of them. The
/// search goes on from where the last one ended, skipping full words of the bitmap.
/// `info`: their SlotInfo is made ready too (the heap's own frames need none).
u64 alloc_slots(u64 count, bool info) {
    const u64 n = g_slot_count;
    if (count == 0 || count > n) return abi::kNoSlot;
    auto used = [](u64 s) { return g_slot_used[s / 64] >> (s % 64) & 1; };
    for (u64 s = g_slot_hint % n, scanned = 0; scanned < n + count;) {
        if (s + count > n) {
            scanned += n - s, s = 0;
            continue;
        }
        if (s % 64 == 0 && g_slot_used[s / 64] == ~u64{0}) {
            s += 64, scanned += 64;
            continue;
        }
        u64 i = 0;
        while (i < count && !used(s + i)) ++i;
        if (i == count) {
            for (i = 0; i < count; ++i) mark_slot(s + i, true);
            g_slot_hint = s + count;
            if (info && !slot_chunks_ready(s, count)) {
                for (i = 0; i < count; ++i) mark_slot(s + i, false);
                return abi::kNoSlot;
            }
            return s;
        }
        s += i + 1, scanned += i + 1;
    }
    return abi::kNoSlot;
}

void free_slot(u64 s) {
    if (s != 0) copy_window_forget(s);
    if (s != abi::kNoSlot) mark_slot(s, false);
}

// ---- blocks ----------------------------------------------------------------------------
// Bytes of each of the kernel's untypeds carved so far, as the kernel counts them: its
// header's page, then each child untyped page-aligned after the one before.
u64 g_untyped_used[root::kMaxUntypeds];

namespace {
void frame_ref(u64 f);
void frame_unref(u64 f);
} // namespace

void make_pools() {
    g_thread_blocks.bits = kThreadBlockBits;
    g_proc_blocks.bits = kProcBlockBits;
    for (u64 i = 0; i < info().untyped_count; ++i) g_untyped_used[i] = kPage;
    PageMap::ops = {heap_alloc, heap_alloc_raw, heap_free, frame_ref, frame_unref};
}

u64 pool_take(Pool& p, bool slot_info_ready) {
    if (p.free_count) {
        u64 b = p.free_head;
        p.free_head = slot_info(b).block_next;
        --p.free_count;
        return b;
    }
    // The slot first: making its SlotInfo may grow the heap, which takes blocks itself.
    u64 s = alloc_slots(1, slot_info_ready);
    if (s == abi::kNoSlot) return abi::kNoSlot;
    const auto& in = info();
    const u64 size = u64{1} << p.bits;
    for (; p.cursor < in.untyped_count; ++p.cursor) {
        u64 i = p.cursor, at = page_up(g_untyped_used[i]);
        if (at + size > in.untyped_bytes[i]) continue; // this one is full (for this size)
        if (sys::retype(in.untyped_first + i, OT::Untyped, static_cast<u32>(p.bits), root::kCapSpace, s) != 0) {
            g_untyped_used[i] = in.untyped_bytes[i]; // not as counted: use it no more
            continue;
        }
        g_untyped_used[i] = at + size;
        return s;
    }
    free_slot(s);
    return abi::kNoSlot;
}

void pool_give(Pool& p, u64 block) {
    slot_info(block).block_next = static_cast<u32>(p.free_head);
    p.free_head = block;
    ++p.free_count;
}

/// Frames carved from `block` at once: the largest batch of `most`, most/4, ... 1 that
/// it still holds (a frame alone costs two pages of its block: the kernel lays out
/// page-owning objects pages first, headers after, so only a batch packs its headers).
/// The first slot, `count` of them, or kNoSlot. `info`: as alloc_slots.
u64 carve_frames(u64 block, u32 most, bool info, u32& count) {
    for (u32 n = most; n >= 1; n /= 4) {
        u64 first = alloc_slots(n, info);
        if (first == abi::kNoSlot) continue;
        if (sys::retype(block, OT::Frame, 0, root::kCapSpace, first, n) == 0) {
            count = n;
            return first;
        }
        for (u64 f = first; f < first + n; ++f) free_slot(f);
    }
    return abi::kNoSlot;
}

// ---- procserv's heap --------------------------------------------------------------------
// Every record (threads, processes, address spaces, descriptor tables, page maps ...)
// lives in one heap in procserv's own address space from kHeapBase. It grows by process
// blocks: all the frames of a block, mapped one after the other at its end. It never
// shrinks, but its unused bytes count as free memory (pool_free_bytes), so that "every
// byte back" still means every record freed.
constexpr u64 kHeapBase = u64{1} << 35;
sys::Heap g_heap;
u64 g_heap_top = kHeapBase, g_heap_blocks;

/// Add at least `bytes` to the heap (contiguous with its end). False when memory is
/// exhausted.
bool heap_grow(u64 bytes) {
    const u64 from = g_heap_top;
    while (g_heap_top - from < bytes) {
        u64 b = pool_take(g_proc_blocks, false); // (the heap's blocks are never given back)
        if (b == abi::kNoSlot) break;
        ++g_heap_blocks;
        u32 n = 0;
        for (u64 first; (first = carve_frames(b, 64, false, n)) != abi::kNoSlot;) // all it holds
            for (u64 f = first; f < first + n; ++f, g_heap_top += kPage)
                if (!self_map(f, g_heap_top, rt::kRead | rt::kWrite).ok()) return false; // (slots: never)
    }
    if (g_heap_top == from) return false;
    if (!g_heap.extend(reinterpret_cast<void*>(from), g_heap_top - from)) return false;
    return g_heap_top - from >= bytes;
}

void* heap_alloc_raw(u64 bytes) {
    void* p = g_heap.alloc(bytes);
    while (!p && heap_grow(bytes + 64)) p = g_heap.alloc(bytes);
    return p;
}

void* heap_alloc(u64 bytes) {
    void* p = heap_alloc_raw(bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void heap_free(void* p) {
    if (p) g_heap.release(p);
}

u64 pool_free_bytes() {
    const auto& in = info();
    u64 free = (g_thread_blocks.free_count << kThreadBlockBits) + (g_proc_blocks.free_count << kProcBlockBits);
    for (u64 i = 0; i < in.untyped_count; ++i) free += in.untyped_bytes[i] - g_untyped_used[i];
    // The heap's blocks, less what records use there. The slots' SlotInfo chunks are
    // bookkeeping of the cap space (made as slots are first used, kept as the slots are):
    // not counted, so that the figure is what processes can still get.
    return free + (g_heap_blocks << kProcBlockBits) - (g_heap.capacity() - g_heap.free_bytes() - g_slot_chunk_bytes);
}

// ---- frames of an Mm -------------------------------------------------------------------
/// One more process block for `blocks` (at its head). False when memory is exhausted.
bool blocks_grow(Blocks& blocks) {
    u64 b = pool_take(g_proc_blocks);
    if (b == abi::kNoSlot) return false;
    slot_info(b).block_next = static_cast<u32>(blocks.head);
    blocks.head = b;
    return true;
}

Result<void> blocks_carve(Blocks& blocks, OT type, u32 bits, u64 cs, u64 slot, u32* count, u32 most) {
    for (bool grown = false;; grown = true) {
        if (blocks.head) {
            long long e = sys::retype(blocks.head, type, bits, cs, slot);
            if (e != -sys::kENOMEM || grown) return kernel_answer(e); // (too big for a fresh block too)
        }
        if ((count && *count >= most) || !blocks_grow(blocks)) return kNoMemory;
        if (count) ++*count;
    }
}

/// Retype one object of `type` into a new slot of procserv's, paid by `blocks`; the slot.
Result<u64> blocks_retype(Blocks& blocks, OT type, u32 bits) {
    u64 out = alloc_slot();
    if (out == abi::kNoSlot) return kNoMemory;
    if (Result<void> r = blocks_carve(blocks, type, bits, root::kCapSpace, out); !r.ok()) {
        free_slot(out);
        return r.error();
    }
    return out;
}

/// Revoking a block's capability destroys everything carved from it: give them back.
void blocks_release(Blocks& blocks) {
    copy_window_forget(0); // (their frames may be these blocks')
    for (u64 b = blocks.head, next; b != 0; b = next) {
        next = slot_info(b).block_next;
        sys::cap_revoke(root::kCapSpace, b);
        pool_give(g_proc_blocks, b);
    }
    blocks.head = 0;
}

Shared* shared_create(u64 size) {
    Shared* s = heap_new<Shared>();
    if (s) s->refs = 1, s->size = size;
    return s;
}

void shared_release(Shared& s) {
    if (--s.refs > 0) return;
    if (s.id) memory_forget(s);
    s.pages.for_each([](PageMap::Page p) { free_slot(p.frame()); });
    s.pages.clear();
    blocks_release(s.blocks);
    heap_free(&s);
}

alignas(4096) const unsigned char g_zero_page[kPage] = {};

/// Map in procserv's own address space, growing it (from procserv's own untyped) when it
/// has no table or mapping slot left.
/// Hand the map budget in `slot` to address space `as` (the budget is deleted if the space
/// refuses it); the slot is free again either way. ENOMEM when refused.
Result<void> give_budget(u64 as, u64 slot) {
    bool grown = sys::grow(as, slot) == 0;
    if (!grown) sys::cap_delete(root::kCapSpace, slot);
    free_slot(slot);
    if (!grown) return kNoMemory;
    return {};
}

Result<void> self_map(u64 frame, u64 va, u32 rights) {
    long long e = sys::map(root::kAddressSpace, frame, va, rights);
    if (e != -sys::kENOMEM) return kernel_answer(e);
    u64 slot = alloc_slots(1, false); // (no SlotInfo: making one may come here)
    if (slot == abi::kNoSlot) return kNoMemory;
    if (sys::retype(root::kUntyped, OT::MapBudget, kBudgetBits, root::kCapSpace, slot) != 0) {
        free_slot(slot);
        return kNoMemory;
    }
    TRY(give_budget(root::kAddressSpace, slot));
    return kernel_answer(sys::map(root::kAddressSpace, frame, va, rights));
}

namespace {

Store* store_create() {
    Store* s = heap_new<Store>();
    if (s) s->users = 1; // the address space that will allocate from it
    return s;
}

/// One user fewer; with none left, every frame of it is free: the blocks go back.
void store_unuse(Store& s) {
    if (--s.users > 0) return;
    for (u64 list : {s.free_head, s.fresh_head})
        for (u64 f = list, next; f != 0; f = next) {
            next = slot_info(f).frame_next;
            free_slot(f);
        }
    blocks_release(s.blocks);
    heap_free(&s);
}

void frame_ref(u64 f) { ++slot_info(f).refs; }

/// A page no longer maps frame f: with no page left it joins its store's free list.
void frame_unref(u64 f) {
    if (--slot_info(f).refs > 0) return;
    Store& s = *slot_info(f).store;
    slot_info(f).frame_next = static_cast<u32>(s.free_head);
    s.free_head = f;
    store_unuse(s);
}

/// Run f(pointer) with `frame` mapped at procserv's window (`slot` 0 or 1: two pages can
/// be there at once, for copies).
template <class F>
bool with_frame(u64 frame, u64 slot, bool write, F&& f) {
    u64 at = kWindow + slot * kPage;
    if (!self_map(frame, at, write ? rt::kRead | rt::kWrite : rt::kRead).ok()) return false;
    f(reinterpret_cast<unsigned char*>(at));
    sys::unmap(root::kAddressSpace, at);
    return true;
}

/// Carve fresh frames for store `s`: a batch as large as the store has carved so far
/// (4 to 64: a short-lived fork child needs few) that its newest block still holds, else
/// one from a new block.
Result<void> refill_frames(Store& s) {
    u32 batch = 4;
    while (batch < 64 && batch * 4 <= s.carved) batch *= 4;
    u32 n = 0;
    u64 first = s.blocks.head ? carve_frames(s.blocks.head, batch, true, n) : abi::kNoSlot;
    if (first == abi::kNoSlot && blocks_grow(s.blocks)) first = carve_frames(s.blocks.head, batch, true, n);
    if (first == abi::kNoSlot) return kNoMemory;
    for (u64 f = first + n; f-- > first;) {
        slot_info(f).frame_next = static_cast<u32>(s.fresh_head);
        s.fresh_head = f;
    }
    s.carved += n;
    return {};
}

/// A zeroed frame from mm's store, mapped by one page (the caller's): a fresh one (the
/// kernel clears those), or one that was given back (cleared here).
Result<u64> new_frame(Mm& mm) {
    Store& s = *mm.store;
    if (s.fresh_head == 0 && s.free_head == 0) TRY(refill_frames(s));
    u64 frame;
    if (s.fresh_head != 0) {
        frame = s.fresh_head;
        s.fresh_head = slot_info(frame).frame_next;
    } else {
        frame = s.free_head;
        if (!with_frame(frame, 0, true, [](unsigned char* p) { memset(p, 0, kPage); })) return kNoMemory;
        s.free_head = slot_info(frame).frame_next;
    }
    slot_info(frame).refs = 1;
    slot_info(frame).store = &s;
    ++s.users;
    return frame;
}

} // namespace

/// Map in mm's address space, growing it by a map budget paid from mm's store when it has
/// no table or mapping slot left (small ones first: most programs never need one).
Result<void> mm_map(Mm& mm, u64 frame, u64 va, u32 rights) {
    long long e = sys::map(mm.as, frame, va, rights);
    if (e != -sys::kENOMEM) return kernel_answer(e);
    u32 bits = mm.budgets < kBudgetBits ? mm.budgets : kBudgetBits;
    u64 slot = TRY(blocks_retype(mm.store->blocks, OT::MapBudget, bits));
    TRY(give_budget(mm.as, slot));
    ++mm.budgets;
    return kernel_answer(sys::map(mm.as, frame, va, rights));
}

namespace {

/// A present page goes (munmap, MADV_DONTNEED, MAP_FIXED): unmapped here; the page map
/// lets its frame go, which is reused once no chunk holds it (memory returns to the system
/// when its store ends).
void drop_page(Mm& mm, PageMap::Page p) {
    if (p.rights()) sys::unmap(mm.as, p.va());
}

/// A new mark for Shared::mark: walks over regions visit each shared object once with it.
u64 new_mark() {
    static u64 mark;
    return ++mark;
}

/// After regions went: a shared object that none of mm's regions maps any more loses mm's
/// reference. `gone` lists the objects the removed regions mapped (maybe twice). O(regions).
void release_unmapped_shared(Mm& mm, Shared* const* gone, u32 n) {
    if (n == 0) return;
    const u64 mark = new_mark();
    for (u32 k = 0; k < mm.regions.count(); ++k)
        if (Shared* s = mm.regions.at(k).shm) s->mark = mark; // still mapped
    Shared* release = nullptr; // the others, once each (listed first: releasing may free)
    for (u32 i = 0; i < n; ++i)
        if (gone[i]->mark != mark) gone[i]->mark = mark, gone[i]->next = release, release = gone[i];
    for (Shared *s = release, *next; s; s = next) next = s->next, shared_release(*s);
}

/// Remove [start, end) from mm's regions with their pages (the frames go back to mm,
/// shared objects lose mm's reference when no region of mm maps them any more).
Result<void> remove_range(Mm& mm, u64 start, u64 end) {
    // A range inside one region splits it twice before the middle goes; a chunk shared
    // with a fork that the range covers in part is copied.
    if (!regions_room(mm.regions, 2) || !mm.pages.prepare_erase(start, end)) return kNoMemory;
    // The shared objects the range maps, listed before anything changes.
    u32 k = 0;
    mm.regions.for_range(start, end, [&](const Region& r) { k += r.shm != nullptr; });
    Shared* few[16];
    Shared** gone = k <= 16 ? few : static_cast<Shared**>(heap_alloc_raw(k * sizeof(Shared*)));
    if (!gone) return kNoMemory;
    u32 n = 0;
    Result<void> e = mm.regions.remove(start, end, [&](const Region& r) {
        mm.pages.erase_range(r.start, r.end, [&](PageMap::Page p) { drop_page(mm, p); });
        if (r.shm) gone[n++] = r.shm;
    });
    release_unmapped_shared(mm, gone, n);
    if (gone != few) heap_free(gone);
    return e;
}

/// The frame of page `va` of shared region `r`: the object's, made (zeroed) on first use.
Result<u64> shared_frame(const Region& r, u64 va) { return shared_page(*r.shm, va - r.shm_va); }

} // namespace

Result<u64> shared_page(Shared& s, u64 key) {
    if (PageMap::Page p = s.pages.find(key)) return p.frame();
    u64 frame = TRY(blocks_retype(s.blocks, OT::Frame, 0));
    if (!s.pages.add(key, frame, 0, true)) { // (borrowed: the page map never frees it)
        sys::cap_delete(root::kCapSpace, frame), free_slot(frame);
        return kNoMemory;
    }
    return frame;
}

namespace {

/// The bytes `r` gives the page at `va` (a fresh zeroed frame holds them when this
/// returns): nothing for anonymous memory, the file's bytes for a file region.
void fill_page(const Region& r, u64 va, unsigned char* page) {
    if (!r.is_file()) return;
    u64 from = va > r.file_va ? va : r.file_va;
    u64 file_end = r.file_va + r.file_len, to = va + kPage < file_end ? va + kPage : file_end;
    if (from < to) memcpy(page + (from - va), r.file + (from - r.file_va), to - from);
}

} // namespace

/// Room in `set` for `more` regions beyond its count: its storage doubles in the heap (up
/// to RegionSet::kMaxRegions, as Linux's vm.max_map_count).
bool regions_room(RegionSet& set, u32 more) {
    const u64 need = u64{set.count()} + more;
    if (need <= set.capacity()) return true;
    if (need > RegionSet::kMaxRegions) return false;
    u64 capacity = set.capacity() ? set.capacity() * 2 : 8;
    while (capacity < need) capacity *= 2;
    if (capacity > RegionSet::kMaxRegions) capacity = RegionSet::kMaxRegions;
    auto* storage = static_cast<Region*>(heap_alloc_raw(capacity * sizeof(Region)));
    if (!storage) return false;
    Region* old = set.storage();
    set.set_storage(storage, static_cast<u32>(capacity));
    heap_free(old);
    return true;
}

/// Give a present page the rights `rights` (0: no mapping, its frame kept). The kernel's
/// Protect only lowers rights below those a page was mapped with: raising them maps again.
Result<void> set_rights(Mm& mm, PageMap::Page p, u32 rights) {
    Result<void> e;
    if (page_cow(p)) rights &= ~rt::kWrite; // a write must come to procserv first (mm_touch)
    const u32 was = p.rights();
    if (rights == was) return {};
    if (!rights) e = kernel_answer(sys::unmap(mm.as, p.va()));
    else if (was && (rights & ~was) == 0) {
        long long n = sys::protect(mm.as, p.va(), kPage, rights); // (pages changed, or -errno)
        e = kernel_answer(n < 0 ? n : 0);
    } else {
        if (was) sys::unmap(mm.as, p.va());
        e = mm_map(mm, p.frame(), p.va(), rights);
        if (!e.ok()) rights = 0; // it stays as a frame without a mapping
    }
    p.rights() = static_cast<unsigned char>(rights);
    return e;
}

bool page_cow(PageMap::Page p) { return !p.borrowed() && (p.shared() || slot_info(p.frame()).refs > 1); }

u32 rights_of(u32 prot) {
    if (!(prot & kProtMask)) return 0;
    return rt::kRead | (prot & kProtWrite ? rt::kWrite : 0) | (prot & kProtExec ? rt::kExecute : 0);
}

bool allows(const Region& r, u32 access) {
    u32 prot = r.prot;
    if (prot & kProtWrite) prot |= kProtRead; // no CPU here maps a page writable but not readable
    return (prot & access) == access;
}

Touch mm_touch(Mm& mm, u64 va, u32 access, PageMap::Page* out) {
    const Region* r = mm.regions.find(va);
    if (!r || !allows(*r, access)) return Touch::Segv;
    u64 page = va & ~(kPage - 1);
    const u32 rights = rights_of(r->prot);
    if (PageMap::Page p = mm.pages.find(page)) {
        if (out) *out = p;
        const u32 was = p.rights();
        if ((access & kProtWrite) && page_cow(p)) {
            // Copy-on-write: the chunk becomes this page map's alone (a fork shares them),
            // then the last chunk holding the frame takes it over; otherwise the page gets
            // a copy of its own.
            if (!mm.pages.unshare(p)) return Touch::NoMem;
            if (slot_info(p.frame()).refs > 1) {
                Result<u64> got = new_frame(mm);
                if (!got.ok()) return Touch::NoMem;
                u64 frame = got.value();
                bool copied = with_frame(p.frame(), 0, false, [&](unsigned char* from) {
                    with_frame(frame, 1, true, [&](unsigned char* to) { memcpy(to, from, kPage); });
                });
                if (!copied) {
                    frame_unref(frame);
                    return Touch::NoMem;
                }
                if (was) sys::unmap(mm.as, page);
                p.rights() = 0;
                mm.pages.set_frame(p, frame);
            }
            return set_rights(mm, p, rights).ok() ? Touch::Ok : Touch::NoMem;
        }
        // A page with its frame but no mapping (a fork child's, or one a failed map
        // left), or mapped read-only by a fork that another has since ended, is mapped
        // now with what it may have.
        u32 want = page_cow(p) ? rights & ~rt::kWrite : rights;
        if (want && (was == 0 || ((access & kProtWrite) && !(was & rt::kWrite))) && want != was)
            return set_rights(mm, p, rights).ok() ? Touch::Ok : Touch::NoMem;
        return Touch::Present;
    }
    if (r->beyond_file(page)) return Touch::Bus;
    if (r->shm) { // the shared object's frame, mapped here too (a file's: up to its end)
        if (past_file_end(*r->shm, page - r->shm_va)) return Touch::Bus;
        Result<u64> frame = shared_frame(*r, page);
        if (!frame.ok() || (rights && !mm_map(mm, frame.value(), page, rights).ok())) return Touch::NoMem;
        PageMap::Page p = mm.pages.add(page, frame.value(), rights, true);
        if (!p) {
            if (rights) sys::unmap(mm.as, page);
            return Touch::NoMem;
        }
        if (out) *out = p;
        return Touch::Ok;
    }
    Result<u64> got = new_frame(mm);
    if (!got.ok()) return Touch::NoMem;
    u64 frame = got.value();
    bool filled = !r->is_file() || with_frame(frame, 0, true, [&](unsigned char* p) { fill_page(*r, page, p); });
    if (!filled || !mm_map(mm, frame, page, rights).ok()) {
        frame_unref(frame);
        return Touch::NoMem;
    }
    PageMap::Page p = mm.pages.add(page, frame, rights, false);
    if (!p) {
        sys::unmap(mm.as, page);
        frame_unref(frame);
        return Touch::NoMem;
    }
    if (out) *out = p;
    return Touch::Ok;
}

Result<void> mm_fill(Mm& mm, u64 va, const unsigned char* bytes, u64 n) {
    PageMap::Page p{};
    const Touch got = mm_touch(mm, va, 0, &p); // (whatever the region's protection)
    if ((got != Touch::Ok && got != Touch::Present) || !p || page_cow(p)) return kNoMemory;
    if (!with_frame(p.frame(), 0, true, [&](unsigned char* page) { memcpy(page + (va & (kPage - 1)), bytes, n); }))
        return kNoMemory;
    return {};
}

Result<void> mm_add_region(Mm& mm, const Region& r) {
    TRY(remove_range(mm, r.start, r.end));
    if (!regions_room(mm.regions, 1)) return kNoMemory;
    return mm.regions.insert(r);
}

Result<void> mm_unmap(Mm& mm, u64 start, u64 end) { return remove_range(mm, start, end); }

Result<void> mm_move(Mm& mm, u64 from, u64 old_len, u64 to, u64 new_len, bool keep_old) {
    const Region* r = mm.regions.find(from);
    if (!r) return Errno{sys::kEFAULT};
    // The region at its new place: the same backing, shifted (the same file bytes, the
    // same pages of a shared object); it replaces what was there.
    Region moved = *r;
    const u64 delta = to - from; // (modulo 2^64: file_va and shm_va move with the range)
    moved.start = to, moved.end = to + new_len;
    moved.file_va += delta, moved.shm_va += delta;
    // The present pages, listed first (adding pages moves the map's storage).
    const u64 keep = old_len < new_len ? old_len : new_len;
    struct Moving {
        u64 va, frame;
        bool borrowed;
    };
    u64 n = 0;
    mm.pages.for_range(from, from + keep, [&](PageMap::Page) { ++n; });
    auto* list = static_cast<Moving*>(heap_alloc_raw((n ? n : 1) * sizeof(Moving)));
    if (!list) return kNoMemory;
    n = 0;
    mm.pages.for_range(from, from + keep, [&](PageMap::Page p) { list[n++] = {p.va(), p.frame(), p.borrowed()}; });
    Result<void> e = mm_add_region(mm, moved);
    // Each frame is held at its new page too (mapped there at its next touch), then the old
    // range goes with its pages (or, with keep_old, only its pages: MREMAP_DONTUNMAP).
    for (u64 i = 0; e.ok() && i < n; ++i) {
        if (!list[i].borrowed) frame_ref(list[i].frame);
        if (!mm.pages.add(list[i].va + delta, list[i].frame, 0, list[i].borrowed)) {
            if (!list[i].borrowed) frame_unref(list[i].frame);
            (void)remove_range(mm, to, to + new_len); // (the pages added so far go with it)
            e = kNoMemory;
        }
    }
    heap_free(list);
    TRY(e);
    if (keep_old) return mm_dontneed(mm, from, from + old_len);
    return remove_range(mm, from, from + old_len);
}

Result<void> mm_protect(Mm& mm, u64 start, u64 end, u32 prot) {
    if (!mm.regions.covered(start, end) || !regions_room(mm.regions, 2)) return kNoMemory;
    TRY(mm.regions.protect(start, end, prot));
    u32 rights = rights_of(prot);
    bool ok = true;
    mm.pages.for_range(start, end, [&](PageMap::Page p) { // PROT_NONE keeps the frame and its bytes
        ok = set_rights(mm, p, rights).ok() && ok;
    });
    if (!ok) return kNoMemory;
    return {};
}

Result<void> mm_dontneed(Mm& mm, u64 start, u64 end) {
    // The next touch sees zeros, or the file again; or, for shared memory, what the
    // object holds (only this mapping of it goes).
    if (!mm.pages.prepare_erase(start, end)) return kNoMemory;
    mm.pages.erase_range(start, end, [&](PageMap::Page p) { drop_page(mm, p); });
    if (!mm.regions.covered(start, end)) return kNoMemory;
    return {};
}

Result<void> mm_load_segment(Mm& mm, const kernel::elf::Segment& s) {
    u32 prot = (s.readable ? kProtRead : 0) | (s.writable ? kProtWrite : 0) | (s.executable ? kProtExec : 0);
    u64 start = page_down(s.vaddr), end = page_up(s.vaddr + s.memsz);
    Region r{};
    r.prot = prot;
    r.file = s.data, r.file_va = s.vaddr, r.file_len = s.filesz;
    r.zero_tail = true; // memsz beyond filesz: the bss
    if (start >= end) return {};
    if (!regions_room(mm.regions, 3)) return kNoMemory;
    if (const Region* before = mm.regions.find(start)) {
        // The page is shared with the segment before (a linker may pack them so): it gets
        // both segments' bytes now, and the rights of both.
        Region joint = *before;
        joint.start = start, joint.end = start + kPage;
        PageMap::Page p{};
        Touch got = mm_touch(mm, start, 0, &p);
        if ((got != Touch::Ok && got != Touch::Present) || !p) return kNoMemory;
        if (!with_frame(p.frame(), 0, true, [&](unsigned char* page) { fill_page(r, start, page); }))
            return kNoMemory;
        // The page's region: its own, anonymous now (its bytes are in the frame already).
        TRY(mm.regions.remove(start, start + kPage, [](const Region&) {}));
        joint.prot |= prot;
        joint.file = nullptr;
        TRY(mm.regions.insert(joint));
        TRY(set_rights(mm, mm.pages.find(start), rights_of(joint.prot)));
        start += kPage;
        if (start >= end) return {};
    }
    r.start = start, r.end = end;
    return mm.regions.insert(r);
}

/// Give the blocks back: revoking a block's capability destroys everything carved from it.
void mm_release(Mm& mm) {
    if (--mm.refs > 0) return;
    // The address space goes, and every mapping in it; then its frames, unless a fork
    // left them to another address space too; then the store, once nothing uses it.
    if (mm.as != abi::kNoSlot) sys::cap_delete(root::kCapSpace, mm.as), free_slot(mm.as);
    mm.pages.clear(); // (frames no other chunk holds are free again)
    if (mm.store) store_unuse(*mm.store);
    // Each shared object it maps loses its reference, once.
    const u64 mark = new_mark();
    Shared* release = nullptr;
    for (u32 i = 0; i < mm.regions.count(); ++i)
        if (Shared* s = mm.regions.at(i).shm; s && s->mark != mark) s->mark = mark, s->next = release, release = s;
    for (Shared *s = release, *next; s; s = next) next = s->next, shared_release(*s);
    heap_free(mm.regions.storage());
    heap_free(&mm);
}

Mm* mm_create() {
    // Field by field: the region table (20 KiB) is read only up to its count.
    auto* mm = static_cast<Mm*>(heap_alloc_raw(sizeof(Mm)));
    if (!mm) return nullptr;
    mm->refs = 1;
    mm->as = abi::kNoSlot;
    mm->regions = RegionSet{};
    mm->pages = PageMap{};
    mm->budgets = 0;
    mm->brk_start = mm->brk = 0;
    mm->store = store_create();
    Result<u64> as = mm->store ? blocks_retype(mm->store->blocks, OT::AddressSpace, kAsBits) : kNoMemory;
    if (as.ok()) mm->as = as.value();
    if (!as.ok()) {
        mm_release(*mm);
        return nullptr;
    }
    return mm;
}

/// fork without CLONE_VM: the same regions and the same pages, copy-on-write. The copy's
/// page map holds the same chunks (a reference more each: O(chunks)); every private page
/// of `from` mapped writable loses write access, and the first write in either copies
/// the chunk, then the page (mm_touch). Writable pages are mapped in the copy only when it
/// first touches them, so a fork costs little per page of data (most children touch few
/// pages before they exec or exit). Shared memory stays shared.
Mm* copy_mm(Mm& from) {
    Mm* mm = mm_create();
    if (!mm) return nullptr;
    if (!regions_room(mm->regions, from.regions.count()) || !mm->pages.copy_of(from.pages)) {
        mm_release(*mm);
        return nullptr;
    }
    mm->regions.copy_from(from.regions);
    mm->brk_start = from.brk_start, mm->brk = from.brk;
    const u64 mark = new_mark();
    for (u32 i = 0; i < mm->regions.count(); ++i) // the child maps the same shared objects
        if (Shared* s = mm->regions.at(i).shm; s && s->mark != mark) s->mark = mark, ++s->refs;
    // The parent's private pages stop being writable until they copy. The kernel takes
    // write access from a run of whole chunks in one call (it walks its tables, a few
    // instructions a page, and flushes the space once); spans come in the order they were
    // made, so memory touched in order is one run. A chunk that also holds pages of shared
    // memory goes page by page. After a first fork few pages are writable again: a chunk
    // with none (its rights read eight at a time) costs no call.
    constexpr u64 kAnyWrite = 0x0101010101010101ull * rt::kWrite;
    bool err = false;
    u64 run = 0, run_end = 0;
    auto protect_run = [&] {
        if (run_end != run)
            err = sys::protect(from.as, run, run_end - run, rt::kRead | rt::kExecute) < 0 || err;
    };
    from.pages.for_each_span([&](Span& s) {
        u64 any = 0;
        for (u32 w = 0; w < kChunkPages; w += 8) {
            u64 eight;
            __builtin_memcpy(&eight, s.rights + w, 8);
            any |= eight;
        }
        if (!(any & kAnyWrite)) return;
        if (s.chunk->borrowed)
            return for_bits(s.chunk->present & ~s.chunk->borrowed, [&](u32 i) {
                if (s.rights[i] & rt::kWrite) err = !set_rights(from, PageMap::Page{&s, i}, s.rights[i]).ok() || err;
            });
        for (u32 w = 0; w < kChunkPages; w += 8) {
            u64 eight;
            __builtin_memcpy(&eight, s.rights + w, 8);
            eight &= ~kAnyWrite;
            __builtin_memcpy(s.rights + w, &eight, 8);
        }
        if (s.base != run_end) protect_run(), run = s.base;
        run_end = s.base + kChunkSize;
    });
    protect_run();
    if (err) {
        mm_release(*mm);
        return nullptr;
    }
    // Pages that will never be copied (code, read-only data) and shared memory are mapped
    // at once: a fault costs ten times a map. Writable private pages wait for the child's
    // first touch (a write would fault anyway); so does a page whose map fails. A chunk
    // inside one writable private region is skipped whole.
    const Region* r = nullptr;
    mm->pages.for_each_span([&](Span& s) {
        if (!(r && r->contains(s.base))) r = mm->regions.find(s.base);
        if (r && r->is_private_anon() && (r->prot & kProtWrite) && r->end - s.base >= kChunkSize) return;
        for_bits(s.chunk->present, [&](u32 i) {
            PageMap::Page p{&s, i};
            if (!(r && r->contains(p.va()))) r = mm->regions.find(p.va());
            if (!r || (!p.borrowed() && (r->prot & kProtWrite))) return;
            if (u32 rights = rights_of(r->prot); rights && mm_map(*mm, p.frame(), p.va(), rights).ok())
                s.rights[i] = static_cast<unsigned char>(rights);
        });
    });
    return mm;
}

} // namespace procserv
