// procserv's memory: its own cap slots, the blocks of untyped memory it lends, the
// address spaces it builds, and its access to client memory through a window page.
#include "procserv.hpp"

namespace procserv {

Pool g_thread_blocks, g_proc_blocks;

// ---- cap slots -------------------------------------------------------------------------
u64 g_slot_used[(u64{1} << root::kCapSpaceBits) / 64];
u64 g_slot_hint = 0;

void mark_slot(u64 s, bool used) {
    if (used) g_slot_used[s / 64] |= u64{1} << (s % 64);
    else g_slot_used[s / 64] &= ~(u64{1} << (s % 64));
}
/// `count` consecutive free slots (one retype can fill them all); the first of them.
u64 alloc_slots(u64 count) {
    constexpr u64 n = u64{1} << root::kCapSpaceBits;
    auto used = [](u64 s) { return g_slot_used[s / 64] >> (s % 64) & 1; };
    for (u64 k = 0; k < n; ++k) {
        u64 s = (g_slot_hint + k) % (n - count + 1), i = 0;
        while (i < count && !used(s + i)) ++i;
        if (i == count) {
            for (i = 0; i < count; ++i) mark_slot(s + i, true);
            g_slot_hint = s + count;
            return s;
        }
    }
    return abi::kNoSlot;
}

void free_slot(u64 s) {
    if (s != abi::kNoSlot) mark_slot(s, false);
}

// Cut the kernel's untypeds into blocks. Thread blocks first (few), then process blocks.
void make_pools() {
    const auto& in = info();
    g_thread_blocks.bits = kThreadBlockBits;
    g_proc_blocks.bits = kProcBlockBits;
    for (u64 i = 0; i < in.untyped_count; ++i) {
        u64 ut = in.untyped_first + i;
        for (Pool* p : {&g_thread_blocks, &g_proc_blocks}) {
            u64 want = p == &g_thread_blocks ? 768 : 1024;
            while (p->total < want) {
                u64 s = alloc_slot();
                if (sys::retype(ut, OT::Untyped, static_cast<u32>(p->bits), root::kCapSpace, s) != 0) {
                    free_slot(s);
                    break;
                }
                p->give(s);
                ++p->total;
            }
        }
    }
}

u64 pool_free_bytes() {
    return g_thread_blocks.count * (u64{1} << kThreadBlockBits) + g_proc_blocks.count * (u64{1} << kProcBlockBits);
}

// ---- memory of an Mm -------------------------------------------------------------------
/// Retype one object of `type` into a new slot, paid by the mm's blocks (a new block when
/// the last one is full).
long long mm_retype(Mm& mm, OT type, u32 bits, u64& out) {
    out = alloc_slot();
    if (out == abi::kNoSlot) return -sys::kENOMEM;
    for (;;) {
        if (mm.nblocks && sys::retype(mm.blocks[mm.nblocks - 1], type, bits, root::kCapSpace, out) == 0)
            return 0;
        if (mm.nblocks == 64) break;
        u64 b = g_proc_blocks.take();
        if (b == abi::kNoSlot) break;
        mm.blocks[mm.nblocks++] = b;
    }
    free_slot(out);
    out = abi::kNoSlot;
    return -sys::kENOMEM;
}

Mapping* find_map(Mm& mm, u64 va) {
    va &= ~(kPage - 1);
    for (u64 i = 0; i < mm.nmaps; ++i)
        if (mm.maps[i].va == va) return &mm.maps[i];
    return nullptr;
}

/// A fresh zeroed frame mapped at `va` of `mm`.
long long mm_map_new(Mm& mm, u64 va, u32 rights, u64* frame_out) {
    if (mm.nmaps == kMaxMaps) return -sys::kENOMEM;
    u64 frame;
    if (long long e = mm_retype(mm, OT::Frame, 0, frame)) return e;
    if (long long e = sys::map(mm.as, frame, va, rights)) return e;
    mm.maps[mm.nmaps++] = {va, frame, rights};
    if (frame_out) *frame_out = frame;
    return 0;
}

/// A page of `mm` at `va` that reads as zeros and is given a frame only when it is first
/// touched (by the program: a page fault procserv answers, or by procserv writing to it):
/// stacks and a fork's copies of zero pages cost nothing until used.
long long mm_reserve(Mm& mm, u64 va, u32 rights) {
    if (mm.nmaps == kMaxMaps) return -sys::kENOMEM;
    mm.maps[mm.nmaps++] = {va, abi::kNoSlot, rights};
    return 0;
}

/// Back a reserved zero page with a fresh (zeroed) frame.
long long mm_back(Mm& mm, Mapping& m) {
    u64 frame;
    if (long long e = mm_retype(mm, OT::Frame, 0, frame)) return e;
    if (long long e = sys::map(mm.as, frame, m.va, m.rights)) {
        free_slot(frame); // its memory stays with the mm's blocks until they are revoked
        return e;
    }
    m.frame = frame;
    return 0;
}

alignas(4096) const unsigned char g_zero_page[kPage] = {};

/// Give the blocks back: revoking a block's capability destroys everything carved from it.
void mm_release(Mm& mm) {
    if (--mm.refs > 0) return;
    for (u64 i = 0; i < mm.nmaps; ++i) free_slot(mm.maps[i].frame);
    free_slot(mm.as);
    for (u64 i = 0; i < mm.nblocks; ++i) {
        sys::cap_revoke(root::kCapSpace, mm.blocks[i]);
        g_proc_blocks.give(mm.blocks[i]);
    }
    mm.used = false;
}

Mm* mm_create() {
    Mm* mm = alloc_in(g_mms);
    if (!mm) return nullptr;
    mm->refs = 1;
    if (mm_retype(*mm, OT::AddressSpace, kAsBits, mm->as) != 0) {
        mm_release(*mm);
        return nullptr;
    }
    return mm;
}

bool copy_in(Mm& mm, u64 va, void* dst, u64 n) {
    auto* d = static_cast<unsigned char*>(dst);
    while (n) {
        u64 chunk = kPage - (va & (kPage - 1));
        if (chunk > n) chunk = n;
        if (!with_page(mm, va, false, [&](unsigned char* p) { memcpy(d, p, chunk); })) return false;
        va += chunk, d += chunk, n -= chunk;
    }
    return true;
}

bool copy_out(Mm& mm, u64 va, const void* src, u64 n) {
    auto* s = static_cast<const unsigned char*>(src);
    while (n) {
        u64 chunk = kPage - (va & (kPage - 1));
        if (chunk > n) chunk = n;
        if (!with_page(mm, va, true, [&](unsigned char* p) { memcpy(p, s, chunk); })) return false;
        va += chunk, s += chunk, n -= chunk;
    }
    return true;
}

/// A NUL-terminated string of at most `max` - 1 bytes; -EFAULT / -ENAMETOOLONG. Read a
/// page at a time, up to the NUL.
long copy_string(Mm& mm, u64 va, char* out, u64 max) {
    u64 n = 0;
    while (n < max) {
        u64 chunk = kPage - ((va + n) & (kPage - 1));
        if (chunk > max - n) chunk = max - n;
        bool nul = false;
        if (!with_page(mm, va + n, false, [&](unsigned char* p) {
                for (u64 i = 0; i < chunk && !nul; ++i) nul = (out[n++] = static_cast<char>(p[i])) == 0;
            }))
            return -sys::kEFAULT;
        if (nul) return static_cast<long>(n - 1);
    }
    return -sys::kENAMETOOLONG;
}

/// A copy of every page of `from` into a new mm (fork without CLONE_VM: eager copy).
/// Pages that are zero, backed or not, stay zero pages in the copy: no frame, no copy.
Mm* copy_mm(Mm& from) {
    Mm* mm = mm_create();
    if (!mm) return nullptr;
    for (u64 i = 0; i < from.nmaps; ++i) {
        const Mapping m = from.maps[i];
        long long err = 0;
        if (m.frame == abi::kNoSlot) {
            err = mm_reserve(*mm, m.va, m.rights);
        } else if (sys::map(root::kAddressSpace, m.frame, kWindow, rt::kRead) != 0) {
            err = -sys::kENOMEM;
        } else {
            const auto* src = reinterpret_cast<const u64*>(kWindow);
            bool zero = true;
            for (u64 w = 0; w < kPage / 8 && zero; ++w) zero = src[w] == 0;
            u64 frame;
            if (zero) {
                err = mm_reserve(*mm, m.va, m.rights);
            } else if ((err = mm_map_new(*mm, m.va, m.rights, &frame)) == 0) {
                // Both pages side by side in procserv's window: the source at kWindow, the copy next.
                err = sys::map(root::kAddressSpace, frame, kWindow + kPage, rt::kRead | rt::kWrite);
                if (!err) {
                    memcpy(reinterpret_cast<void*>(kWindow + kPage), src, kPage);
                    sys::unmap(root::kAddressSpace, kWindow + kPage);
                }
            }
            sys::unmap(root::kAddressSpace, kWindow);
        }
        if (err) {
            mm_release(*mm);
            return nullptr;
        }
    }
    return mm;
}

} // namespace procserv
