#include "ramfs.hpp"

namespace procserv {
namespace {
constexpr int kENOENT = 2, kENOMEM = 12, kEEXIST = 17, kENOTDIR = 20, kEISDIR = 21, kEINVAL = 22, kEFBIG = 27,
              kENOSPC = 28, kENAMETOOLONG = 36, kENOTEMPTY = 39;

bool same(const char* a, const char* b, std::uint64_t len) {
    for (std::uint64_t i = 0; i < len; ++i)
        if (a[i] != b[i]) return false;
    return a[len] == 0;
}
} // namespace

Result<void> RamFs::init(Alloc alloc, Free free, u64 capacity, u64 first_ino, Drop drop) {
    alloc_ = alloc, free_ = free, drop_ = drop, capacity_ = capacity, used_ = 0, next_ino_ = first_ino;
    entries_ = 0;
    root_ = static_cast<RamNode*>(alloc_(sizeof(RamNode)));
    if (!root_) return Errno{kENOMEM};
    root_->parent = root_;
    root_->dir = root_->linked = true;
    root_->mode = 01777;
    root_->ino = next_ino_++;
    return {};
}

void RamFs::destroy() {
    // Depth first, without recursion: a directory goes once its entries have gone.
    for (RamNode* n = root_; n;) {
        if (n->children) {
            n = n->children;
            continue;
        }
        RamNode* up = n == root_ ? nullptr : n->parent;
        if (up) up->children = n->next;
        release(n);
        n = up;
    }
    root_ = nullptr;
}

RamNode* RamFs::find(const RamNode* dir, const char* name, u64 len) const {
    for (RamNode* n = dir->children; n; n = n->next)
        if (same(n->name, name, len)) return n;
    return nullptr;
}

RamNode* RamFs::entry_at(const RamNode* dir, u64 index) const {
    RamNode* n = dir->children;
    for (; n && index; --index) n = n->next;
    return n;
}

Result<RamNode*> RamFs::create(RamNode* dir, const char* name, u64 len, bool directory, std::uint32_t mode) {
    if (!dir->dir) return Errno{kENOTDIR};
    if (len > kMaxName) return Errno{kENAMETOOLONG};
    if (len == 0 || find(dir, name, len)) return Errno{kEEXIST};
    auto* n = static_cast<RamNode*>(alloc_(sizeof(RamNode)));
    char* copy = static_cast<char*>(alloc_(len + 1));
    if (!n || !copy) {
        free_(n), free_(copy);
        return Errno{kENOMEM};
    }
    for (u64 i = 0; i < len; ++i) copy[i] = name[i];
    n->name = copy;
    n->dir = directory;
    n->mode = mode & 07777;
    n->ino = next_ino_++;
    n->parent = dir;
    n->linked = true;
    n->next = dir->children;
    dir->children = n;
    ++entries_;
    return n;
}

void RamFs::unlink(RamNode* n) {
    for (RamNode** link = &n->parent->children; *link; link = &(*link)->next)
        if (*link == n) {
            *link = n->next;
            break;
        }
    n->next = nullptr;
    n->linked = false;
}

void RamFs::release(RamNode* n) {
    for (u64 i = 0; i < n->page_slots; ++i)
        if (n->pages[i]) free_(n->pages[i]), used_ -= kPage;
    if (n->backing && drop_) used_ -= drop_(n);
    free_(n->pages);
    free_(n->name);
    if (n != root_) --entries_;
    free_(n);
}

Result<void> RamFs::remove(RamNode* dir, const char* name, u64 len, bool directory) {
    RamNode* n = find(dir, name, len);
    if (!n) return Errno{kENOENT};
    if (n->dir != directory) return Errno{directory ? kENOTDIR : kEISDIR};
    if (n->dir && n->children) return Errno{kENOTEMPTY};
    unlink(n);
    if (n->opens == 0) release(n);
    return {};
}

void RamFs::close(RamNode* n) {
    if (--n->opens == 0 && !n->linked) release(n);
}

Result<void> RamFs::rename(RamNode* from_dir, const char* from, u64 from_len, RamNode* to_dir, const char* to,
                           u64 to_len) {
    RamNode* n = find(from_dir, from, from_len);
    if (!n) return Errno{kENOENT};
    if (to_len > kMaxName) return Errno{kENAMETOOLONG};
    if (!to_dir->dir) return Errno{kENOTDIR};
    if (n->dir) // not into itself or anything below it
        for (RamNode* d = to_dir;; d = d->parent) {
            if (d == n) return Errno{kEINVAL};
            if (d == root_) break;
        }
    RamNode* old = find(to_dir, to, to_len);
    if (old == n) return {};
    if (old) {
        if (old->dir && !n->dir) return Errno{kEISDIR};
        if (!old->dir && n->dir) return Errno{kENOTDIR};
        if (old->dir && old->children) return Errno{kENOTEMPTY};
    }
    char* copy = static_cast<char*>(alloc_(to_len + 1));
    if (!copy) return Errno{kENOMEM};
    for (u64 i = 0; i < to_len; ++i) copy[i] = to[i];
    if (old) {
        unlink(old);
        if (old->opens == 0) release(old);
    }
    unlink(n);
    free_(n->name);
    n->name = copy;
    n->parent = to_dir;
    n->linked = true;
    n->next = to_dir->children;
    to_dir->children = n;
    return {};
}

Result<unsigned char*> RamFs::page_for_write(RamNode* n, u64 index) {
    if (index >= kMaxFile / kPage) return Errno{kEFBIG};
    if (index >= n->page_slots) {
        u64 slots = n->page_slots ? n->page_slots : 4;
        while (slots <= index) slots *= 2;
        auto* pages = static_cast<unsigned char**>(alloc_(slots * sizeof(unsigned char*)));
        if (!pages) return Errno{kENOMEM};
        for (u64 i = 0; i < n->page_slots; ++i) pages[i] = n->pages[i];
        free_(n->pages);
        n->pages = pages;
        n->page_slots = slots;
    }
    if (!n->pages[index]) {
        if (used_ + kPage > capacity_) return Errno{kENOSPC};
        n->pages[index] = static_cast<unsigned char*>(alloc_(kPage));
        if (!n->pages[index]) return Errno{kENOSPC}; // the memory it would take is not there
        used_ += kPage;
    }
    return n->pages[index];
}

void RamFs::adopt(RamNode* n, void* backing) {
    for (u64 i = 0; i < n->page_slots; ++i) free_(n->pages[i]);
    free_(n->pages);
    n->pages = nullptr, n->page_slots = 0;
    n->backing = backing;
}

Result<void> RamFs::charge(u64 bytes) {
    if (bytes > capacity_ - used_) return Errno{kENOSPC};
    used_ += bytes;
    return {};
}

Result<void> RamFs::truncate(RamNode* n, u64 size) {
    if (n->dir) return Errno{kEISDIR};
    if (size > kMaxFile) return Errno{kEFBIG};
    u64 keep = (size + kPage - 1) / kPage; // pages that still hold data
    for (u64 i = keep; i < n->page_slots; ++i)
        if (n->pages[i]) free_(n->pages[i]), n->pages[i] = nullptr, used_ -= kPage;
    if (size % kPage && keep - 1 < n->page_slots && n->pages[keep - 1]) // the tail of the last page reads as zeros
        for (u64 i = size % kPage; i < kPage; ++i) n->pages[keep - 1][i] = 0;
    n->size = size;
    return {};
}

} // namespace procserv
