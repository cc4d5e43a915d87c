// libFuzzer target (scripts/fuzz host ramfs): procserv's RAM filesystem behind /tmp and
// /dev/shm (servers/procserv/ramfs.cpp), driven by random creates, unlinks, rmdirs,
// renames (across directories, over files and empty directories, into themselves), opens
// and closes (so that unlinked nodes live on while open), page writes and truncates,
// over a handful of names at two levels. After every step the tree must hold together
// (each entry's parent is its directory, linked, its name unique there; an open node is
// readable, linked or not) and used() must be the pages that live files hold. At the end,
// with everything closed and removed, no byte of data is counted and every allocation the
// filesystem made has been freed.
#include "counted_alloc.hpp"
#include "ramfs.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

using procserv::RamFs;
using procserv::RamNode;
using u64 = std::uint64_t;

using fuzz::g_live;
using fuzz::release;
using fuzz::zeroed;

const char* const kNames[] = {"a", "b", "c", "dd"};
constexpr int kOpen = 8;

u64 pages_of(const RamFs& fs, const RamNode* n) {
    u64 k = 0;
    for (u64 i = 0; !n->dir && i < n->page_slots; ++i) k += fs.page(n, i) != nullptr;
    return k;
}

/// The tree under `dir` holds together; the pages of its files.
u64 check_dir(const RamFs& fs, const RamNode* dir, int depth) {
    if (depth > 8) abort();
    u64 pages = 0;
    for (const RamNode* c = dir->children; c; c = c->next) {
        if (c->parent != dir || !c->linked || !c->name) abort();
        if (fs.find(dir, c->name, strlen(c->name)) != c) abort(); // (also: no other entry of its name)
        pages += c->dir ? check_dir(fs, c, depth + 1) : pages_of(fs, c);
    }
    return pages;
}

void check(const RamFs& fs, RamNode* const (&open)[kOpen]) {
    u64 pages = check_dir(fs, fs.root(), 0);
    for (int i = 0; i < kOpen; ++i) { // open and unlinked: counted too (once each)
        bool seen = false;
        for (int j = 0; j < i; ++j) seen |= open[j] == open[i];
        if (open[i] && !open[i]->linked && !seen) pages += pages_of(fs, open[i]);
    }
    if (fs.used() != pages * RamFs::kPage) abort();
}

/// A directory: the root, or one of its entries that is a directory.
RamNode* pick_dir(RamFs& fs, uint8_t b) {
    if (b % 3 == 0) return fs.root();
    RamNode* d = fs.find(fs.root(), kNames[b % 4], strlen(kNames[b % 4]));
    return d && d->dir ? d : fs.root();
}

void remove_all(RamFs& fs, RamNode* dir) {
    while (RamNode* c = dir->children) {
        if (c->dir) remove_all(fs, c);
        if (!fs.remove(dir, c->name, strlen(c->name), c->dir).ok()) abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    g_live = 0;
    RamFs fs{};
    if (!fs.init(zeroed, release, 64 * RamFs::kPage, 1).ok()) abort();
    RamNode* open[kOpen] = {};
    if (size > 600) size = 600; // 150 steps
    for (size_t i = 0; i + 4 <= size; i += 4) {
        const uint8_t op = data[i] % 8, x = data[i + 1], y = data[i + 2], z = data[i + 3];
        const char* name = kNames[x % 4];
        const char* other = kNames[y % 4];
        RamNode* dir = pick_dir(fs, x >> 2);
        switch (op) {
        case 0: (void)fs.create(dir, name, strlen(name), z & 1, 0644); break;
        case 1: (void)fs.remove(dir, name, strlen(name), z & 1); break;
        case 2: (void)fs.rename(dir, name, strlen(name), pick_dir(fs, y >> 2), other, strlen(other)); break;
        case 3: { // open an entry into slot z
            RamNode* n = fs.find(dir, name, strlen(name));
            if (n && !open[z % kOpen]) fs.open(n), open[z % kOpen] = n;
            break;
        }
        case 4: // close slot z
            if (open[z % kOpen]) fs.close(open[z % kOpen]), open[z % kOpen] = nullptr;
            break;
        case 5: { // write a byte into page y % 12 of an open file (linked or not)
            RamNode* n = open[z % kOpen];
            if (!n || n->dir) break;
            auto p = fs.page_for_write(n, y % 12);
            if (p.ok()) p.value()[x] = x, fs.written(n, (y % 12) * RamFs::kPage + x + 1);
            break;
        }
        case 6: { // truncate an open file
            RamNode* n = open[z % kOpen];
            if (n && !n->dir) (void)fs.truncate(n, (u64{x} << 8) | y);
            break;
        }
        default: // lookups
            (void)fs.find(dir, other, strlen(other));
            (void)fs.entry_at(dir, z % 6);
            (void)fs.find(dir, "", 0);
            break;
        }
        check(fs, open);
    }
    for (RamNode*& n : open)
        if (n) fs.close(n), n = nullptr;
    remove_all(fs, fs.root());
    if (fs.used() != 0) abort();
    fs.destroy();
    if (g_live != 0) abort();
    return 0;
}
