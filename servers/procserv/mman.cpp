// The memory calls: mmap, munmap, mprotect, madvise and brk, with Linux's arguments,
// rules and errors. They check their input and shape the request; memory.cpp does the
// work on the address space (regions, pages, frames).
#include "procserv.hpp"

namespace procserv {
namespace {

constexpr u32 kMapShared = 0x01, kMapPrivate = 0x02, kMapSharedValidate = 0x03, kMapType = 0x0f;
constexpr u32 kMapFixed = 0x10, kMapAnonymous = 0x20, kMapFixedNoreplace = 0x100000;
constexpr u32 kProtSem = 0x8; // accepted and ignored, as Linux does on these arches
constexpr u64 kMadvDontneed = 4, kMadvLast = 4;

/// [addr, addr + length) rounded up to whole pages, inside the user half. False when it
/// is not (too long, wrapping, or past the end).
bool user_range(u64 addr, u64 length, u64& end) {
    if (length > kUserEnd || addr > kUserEnd) return false;
    end = addr + page_up(length);
    return end <= kUserEnd;
}

/// Where a new mapping of `len` bytes goes: `addr` itself (MAP_FIXED, MAP_FIXED_NOREPLACE),
/// else the hint if that range is free, else the highest free range below kMmapTop. (The
/// ends are compared without adding: a hint near 2^64 once wrapped past zero, passed, and
/// left a region ending before it started; the fuzzer's procserv mode found it.)
Result<u64> place(Mm& mm, u64 addr, u64 len, u32 flags) {
    const auto fits = [len](u64 a) { return a >= kMmapMin && a <= kMapEnd && len <= kMapEnd - a; };
    if (flags & (kMapFixed | kMapFixedNoreplace)) {
        if (addr < kMmapMin) return Errno{sys::kEPERM}; // as Linux's mmap_min_addr
        if (!fits(addr)) return Errno{sys::kENOMEM};     // (the IPC area is above kMapEnd)
        if ((flags & kMapFixedNoreplace) && mm.regions.overlaps(addr, addr + len)) return Errno{sys::kEEXIST};
        return addr;
    }
    u64 hint = page_down(addr);
    if (fits(hint) && !mm.regions.overlaps(hint, hint + len)) return hint;
    u64 start = mm.regions.find_free(len, kMmapMin, kMmapTop);
    if (!start) return Errno{sys::kENOMEM};
    return start;
}

/// Add `r`, a region of shared object r.shm, which has taken a reference for mm already.
/// The object counts the address spaces that map it, once each (memory.cpp's walks): the
/// reference goes again when another region of mm holds one.
Result<void> add_shared_region(Mm& mm, const Region& r) {
    if (Result<void> e = mm_add_region(mm, r); !e.ok()) {
        shared_release(*r.shm);
        return e;
    }
    for (u32 i = 0; i < mm.regions.count(); ++i)
        if (const Region& o = mm.regions.at(i); o.shm == r.shm && o.start != r.start) {
            --r.shm->refs;
            break;
        }
    return {};
}

} // namespace

Result<long> do_mmap_memory(ThreadRec& t, u64 slot, u64 addr, u64 length, u32 prot, u32 flags) {
    bool writable = false;
    Shared* obj = TRY(memory_of(t, slot, writable));
    if (prot & ~kProtMask || flags & ~(kMapFixed | kMapFixedNoreplace)) return Errno{sys::kEINVAL};
    if (length > obj->size) return Errno{sys::kEINVAL}; // no further than the object
    if ((prot & kProtWrite) && !writable) return Errno{sys::kEACCES}; // a read-only capability
    if ((flags & (kMapFixed | kMapFixedNoreplace)) && addr % kPage) return Errno{sys::kEINVAL};
    const u64 len = length ? page_up(length) : obj->size;
    Mm& mm = *t.proc->mm;
    Region r{};
    r.start = TRY(place(mm, addr, len, flags));
    r.end = r.start + len;
    r.prot = prot;
    r.shared = true;
    r.shm = obj;
    r.shm_va = r.start;
    ++obj->refs;
    TRY(add_shared_region(mm, r));
    return static_cast<long>(r.start);
}

Result<long> do_mmap(ThreadRec& t, int fd, u64 addr, u64 length, u32 prot, u32 flags, u64 offset) {
    Mm& mm = *t.proc->mm;
    u32 type = flags & kMapType;
    if (type != kMapShared && type != kMapPrivate && type != kMapSharedValidate) return Errno{sys::kEINVAL};
    if (length == 0 || offset % kPage) return Errno{sys::kEINVAL};
    bool fixed = flags & (kMapFixed | kMapFixedNoreplace);
    if (fixed && addr % kPage) return Errno{sys::kEINVAL};
    if (length > kMapEnd) return Errno{sys::kENOMEM};
    const u64 len = page_up(length);

    Region r{};
    r.prot = prot & kProtMask;
    r.shared = type != kMapPrivate;
    OpenFile* ram = nullptr; // a mapping of a RAM file
    if (!(flags & kMapAnonymous)) {
        OpenFile* f = fd_of(t, static_cast<u64>(static_cast<long>(fd)));
        if (!f) return Errno{sys::kEBADF};
        if (!f->readable()) return Errno{sys::kEACCES};
        // The initrd's files (read-only: a shared mapping cannot write) and RAM files can
        // be mapped; not directories, pipes or devices.
        if (f->kind == FileKind::Ram && !f->is_dir()) {
            r.no_write = r.shared && !f->writable();
            ram = f;
        } else {
            if (f->kind != FileKind::Initrd) return Errno{sys::kENODEV};
            r.no_write = r.shared;
            static const unsigned char kNothing[1] = {};
            bool inside = offset < f->size;
            r.file = inside ? f->data + offset : kNothing; // past the end: every page is SIGBUS
            r.file_len = inside ? f->size - offset : 0;
        }
    }

    if (r.no_write && (prot & kProtWrite)) return Errno{sys::kEACCES};
    u64 start = TRY(place(mm, addr, len, flags));
    r.start = start, r.end = start + len;
    r.file_va = start;
    if (ram && r.shared) { // the file's own pages (filemap.cpp), with this address space's reference
        if (offset > RamFs::kMaxFile) return Errno{sys::kEINVAL};
        r.shm = TRY(file_shared(*ram->fs, ram->node));
        r.shm_va = start - offset;
        ++r.shm->refs;
        TRY(add_shared_region(mm, r));
        return static_cast<long>(start);
    }
    if (r.shared && !r.is_file()) { // its own object, which a fork's child will share
        if (!(r.shm = shared_create(len))) return Errno{sys::kENOMEM};
        r.shm_va = start;
    }
    if (Result<void> e = mm_add_region(mm, r); !e.ok()) {
        if (r.shm) shared_release(*r.shm);
        return e.error();
    }
    // A private mapping of a RAM file gets the file's pages as they are now (POSIX leaves
    // unspecified whether later changes to the file show in a private mapping; here they
    // do not): anonymous memory with the file's bytes, zeros past its end (where Linux
    // would raise SIGBUS beyond its last page).
    for (u64 i = 0; ram && i < len / kPage; ++i) {
        const u64 index = offset / kPage + i;
        const RamNode* n = ram->node;
        if (index * kPage >= n->size) break;
        const u64 bytes = n->size - index * kPage < kPage ? n->size - index * kPage : kPage;
        Result<const unsigned char*> page = file_page(*ram->fs, n, index); // (a hole: nothing to fill)
        if (!page.ok() || (page.value() && !mm_fill(mm, start + i * kPage, page.value(), bytes).ok())) {
            (void)mm_unmap(mm, start, start + len);
            return kNoMemory;
        }
    }
    return static_cast<long>(start);
}

Result<void> do_munmap(ThreadRec& t, u64 addr, u64 length) {
    u64 end;
    if (addr % kPage || length == 0 || !user_range(addr, length, end)) return Errno{sys::kEINVAL};
    return mm_unmap(*t.proc->mm, addr, end);
}

Result<void> do_mprotect(ThreadRec& t, u64 addr, u64 length, u64 prot) {
    Mm& mm = *t.proc->mm;
    if (addr % kPage || (prot & ~u64{kProtMask | kProtSem})) return Errno{sys::kEINVAL};
    if (length == 0) return {};
    u64 end;
    if (!user_range(addr, length, end) || !mm.regions.covered(addr, end)) return Errno{sys::kENOMEM};
    for (u64 va = addr; va < end;) { // nor may a mapping of a file opened read-only
        const Region* r = mm.regions.find(va);
        if (r->no_write && (prot & kProtWrite)) return Errno{sys::kEACCES};
        va = r->end;
    }
    return mm_protect(mm, addr, end, static_cast<u32>(prot) & kProtMask);
}

Result<void> do_msync(ThreadRec& t, u64 addr, u64 length, u64 flags) {
    constexpr u64 kMsAsync = 1, kMsInvalidate = 2, kMsSync = 4;
    if (addr % kPage || (flags & ~(kMsAsync | kMsInvalidate | kMsSync)) || (flags & kMsAsync && flags & kMsSync))
        return Errno{sys::kEINVAL};
    u64 end;
    if (!user_range(addr, length, end)) return Errno{sys::kENOMEM};
    if (addr != end && !t.proc->mm->regions.covered(addr, end)) return Errno{sys::kENOMEM};
    return {};
}

Result<void> do_madvise(ThreadRec& t, u64 addr, u64 length, u64 advice) {
    Mm& mm = *t.proc->mm;
    if (addr % kPage || advice > kMadvLast) return Errno{sys::kEINVAL};
    if (length == 0) return {};
    u64 end;
    if (!user_range(addr, length, end)) return Errno{sys::kEINVAL};
    if (advice != kMadvDontneed) {
        if (!mm.regions.covered(addr, end)) return kNoMemory;
        return {};
    }
    return mm_dontneed(mm, addr, end);
}

Result<long> do_mremap(ThreadRec& t, u64 addr, u64 old_length, u64 new_length, u64 flags, u64 new_addr) {
    constexpr u64 kMaymove = 1, kFixed = 2, kDontunmap = 4;
    Mm& mm = *t.proc->mm;
    if ((flags & ~(kMaymove | kFixed | kDontunmap)) || ((flags & kFixed) && !(flags & kMaymove)) || addr % kPage)
        return Errno{sys::kEINVAL};
    const u64 old_len = page_up(old_length), new_len = page_up(new_length);
    if (new_len == 0 || new_len < new_length || old_len < old_length) return Errno{sys::kEINVAL};
    if ((flags & kDontunmap) && (!(flags & kMaymove) || old_len != new_len)) return Errno{sys::kEINVAL};
    if (flags & kFixed) {
        if (new_addr % kPage || new_len > kMapEnd || new_addr > kMapEnd - new_len) return Errno{sys::kEINVAL};
        if (new_addr < addr + old_len && addr < new_addr + new_len) return Errno{sys::kEINVAL}; // overlapping
        if (new_addr < kMmapMin) return Errno{sys::kEPERM};
    }
    // The old range lies in one region (EFAULT otherwise, as in one of Linux's VMAs).
    const Region* r = mm.regions.find(addr);
    if (!r || addr + old_len > r->end || addr + old_len < addr) return Errno{sys::kEFAULT};
    if (old_len == 0) return Errno{sys::kEINVAL}; // (Linux duplicates a shared mapping so: not here)
    if ((flags & kDontunmap) && !r->is_private_anon()) return Errno{sys::kEINVAL};
    if (flags & kFixed) {
        TRY(mm_move(mm, addr, old_len, new_addr, new_len, flags & kDontunmap));
        return static_cast<long>(new_addr);
    }
    if (new_len <= old_len && !(flags & kDontunmap)) { // shrinking, in place
        if (new_len < old_len) TRY(mm_unmap(mm, addr + new_len, addr + old_len));
        return static_cast<long>(addr);
    }
    // Growing: in place when the range ends its region and the space above is free.
    const u64 end = addr + new_len;
    if (!(flags & kDontunmap) && addr + old_len == r->end && end <= kMapEnd && end > addr &&
        !mm.regions.overlaps(r->end, end)) {
        Region grown = *r; // (copied first: making room may move the region table)
        grown.start = r->end, grown.end = end;
        if (!regions_room(mm.regions, 1)) return kNoMemory;
        TRY(mm.regions.insert(grown)); // (it merges with r: the same backing, continued)
        if (grown.shm && end - grown.shm_va > grown.shm->size) grown.shm->size = end - grown.shm_va;
        return static_cast<long>(addr);
    }
    if (!(flags & kMaymove)) return kNoMemory;
    const u64 to = mm.regions.find_free(new_len, kMmapMin, kMmapTop);
    if (!to) return kNoMemory;
    TRY(mm_move(mm, addr, old_len, to, new_len, flags & kDontunmap));
    return static_cast<long>(to);
}

long do_brk(ThreadRec& t, u64 addr) {
    Mm& mm = *t.proc->mm;
    if (addr < mm.brk_start || addr > kMapEnd) return static_cast<long>(mm.brk);
    u64 old_end = page_up(mm.brk), new_end = page_up(addr);
    if (new_end > old_end) {
        // Growing never moves another mapping out of the way: it fails instead.
        Region heap{};
        heap.start = old_end, heap.end = new_end, heap.prot = kProtRead | kProtWrite;
        if (mm.regions.overlaps(old_end, new_end) || !mm.regions.insert(heap).ok()) return static_cast<long>(mm.brk);
    } else if (new_end < old_end && !mm_unmap(mm, new_end, old_end).ok()) {
        return static_cast<long>(mm.brk);
    }
    mm.brk = addr;
    return static_cast<long>(addr);
}

} // namespace procserv
