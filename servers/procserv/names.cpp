#include "names.hpp"

#include <base/bytes.hpp>

namespace procserv {

NameTable::u64 NameTable::bucket(const char* name) {
    u64 h = 14695981039346656037ull; // FNV-1a
    for (; *name; ++name) h = (h ^ static_cast<unsigned char>(*name)) * 1099511628211ull;
    return h % kBuckets;
}

Result<void> NameTable::add(const char* name, int owner, u64 slot, Alloc alloc) {
    u64 n = 0;
    while (n <= kMaxName && name[n]) ++n;
    if (n == 0 || n > kMaxName) return Errno{22}; // EINVAL
    if (find(name)) return Errno{17};            // EEXIST
    auto* e = static_cast<Entry*>(alloc(sizeof(Entry)));
    if (!e) return Errno{12}; // ENOMEM
    for (u64 i = 0; i <= n; ++i) e->name[i] = name[i];
    e->owner = owner;
    e->slot = slot;
    Entry*& head = buckets_[bucket(name)];
    e->next = head;
    head = e;
    ++count_;
    return {};
}

const NameTable::Entry* NameTable::find(const char* name) const {
    for (const Entry* e = buckets_[bucket(name)]; e; e = e->next)
        if (kernel::str_equal(e->name, name)) return e;
    return nullptr;
}

Result<NameTable::u64> NameTable::remove(const char* name, int owner, Free free) {
    for (Entry** link = &buckets_[bucket(name)]; *link; link = &(*link)->next) {
        Entry* e = *link;
        if (!kernel::str_equal(e->name, name)) continue;
        if (e->owner != owner) return Errno{13}; // EACCES
        u64 slot = e->slot;
        *link = e->next;
        free(e);
        --count_;
        return slot;
    }
    return Errno{2}; // ENOENT
}

} // namespace procserv
