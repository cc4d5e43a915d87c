// RAM files that programs map shared (mmap MAP_SHARED of a file in /tmp or /dev/shm).
//
// A RAM file keeps its data in procserv's heap (ramfs.cpp) until a program maps it shared.
// Then its pages move into frames: a Shared object, the same kind of object anonymous
// MAP_SHARED memory is, which every address space that maps the file maps page for page
// (a fork's child too). From then on read, write and truncate reach the file's bytes in
// those frames, so every mapping and every descriptor sees the same bytes, as on Linux.
//
// Who holds the object: the file (one reference, until the file itself ends: unlinked
// and closed) and each address space with a region of it (memory.cpp's walks). A file
// that ended while mapped lives on in its mappings, as Linux's does, with the size it
// had. A page past the file's end is SIGBUS at its first touch; a page already mapped
// when the file shrank stays mapped and reads zeros past the end (Linux would unmap it).
#include "procserv.hpp"

namespace procserv {

Result<Shared*> file_shared(RamFs& fs, RamNode* n) {
    if (n->backing) return static_cast<Shared*>(n->backing);
    Shared* s = shared_create(RamFs::kMaxFile);
    if (!s) return kNoMemory;
    s->file = n, s->of_file = true;
    for (u64 i = 0; i < n->page_slots; ++i) { // the pages written so far, copied
        const unsigned char* page = fs.page(n, i);
        if (!page) continue;
        Result<u64> frame = shared_page(*s, i * kPage);
        unsigned char* to = frame.ok() ? copy_window(frame.value()) : nullptr;
        if (!to) {
            s->file = nullptr;
            shared_release(*s);
            return kNoMemory;
        }
        memcpy(to, page, kPage);
        s->charged += kPage; // (adopt keeps the file system's count of them)
    }
    fs.adopt(n, s);
    return s;
}

namespace {
// A mapped file's page passes through here: the frame's copy window may be wanted again
// by the copy to or from the caller (usercopy.cpp), so the bytes are copied first.
alignas(16) unsigned char g_spare[kPage];
} // namespace

Result<const unsigned char*> file_page(const RamFs& fs, const RamNode* n, u64 index) {
    auto* s = static_cast<Shared*>(n->backing);
    if (!s) return fs.page(n, index); // (procserv's heap: used as it is)
    PageMap::Page p = s->pages.find(index * kPage);
    if (!p) return nullptr;
    const unsigned char* frame = copy_window(p.frame());
    if (!frame) return kNoMemory;
    memcpy(g_spare, frame, kPage);
    return g_spare;
}

Result<void> file_write(Mm& mm, u64 va, RamFs& fs, RamNode* n, u64 index, u64 at, u64 k) {
    auto* s = static_cast<Shared*>(n->backing);
    if (!s) {
        unsigned char* page = TRY(fs.page_for_write(n, index));
        return copy_in(mm, va, page + at, k) ? Result<void>{} : Errno{sys::kEFAULT};
    }
    if (index >= RamFs::kMaxFile / kPage) return Errno{sys::kEFBIG};
    if (!copy_in(mm, va, g_spare, k)) return Errno{sys::kEFAULT};
    const u64 offset = index * kPage;
    // A hole gets its page, counted as the file system's (pages a mapping's touch made
    // are not: they are the mapping's, and no more than the file's size allows).
    const bool hole = !s->pages.find(offset);
    if (hole && fs.used() + kPage > fs.capacity()) return Errno{sys::kENOSPC};
    const u64 frame = TRY(shared_page(*s, offset));
    if (hole) s->charged += kPage, (void)fs.charge(kPage);
    unsigned char* page = copy_window(frame);
    if (!page) return kNoMemory;
    memcpy(page + at, g_spare, k);
    return {};
}

Result<void> file_truncate(RamFs& fs, RamNode* n, u64 size) {
    auto* s = static_cast<Shared*>(n->backing);
    if (s && size < n->size) { // the frames keep their pages (they may be mapped): zeros past the end
        bool ok = true;
        s->pages.for_each([&](PageMap::Page p) {
            const u64 offset = p.va();
            if (offset + kPage <= size) return;
            unsigned char* page = copy_window(p.frame());
            if (!page) ok = false;
            else if (offset >= size) memset(page, 0, kPage);
            else memset(page + (size - offset), 0, kPage - (size - offset));
        });
        if (!ok) return kNoMemory;
    }
    return fs.truncate(n, size);
}

bool past_file_end(const Shared& s, u64 offset) {
    if (s.file) return offset >= page_up(s.file->size);
    return s.of_file && offset >= s.size; // (the size it had when it ended)
}

u64 file_drop(RamNode* n) {
    auto* s = static_cast<Shared*>(n->backing);
    const u64 bytes = s->charged;
    s->file = nullptr;
    s->size = page_up(n->size);
    n->backing = nullptr;
    shared_release(*s);
    return bytes;
}

} // namespace procserv
