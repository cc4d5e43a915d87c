// procserv's RAM filesystem (servers/procserv/ramfs.cpp), behind /tmp and /dev/shm: the
// tree's rules as Linux's tmpfs has them, data in pages with holes reading as zeros, the
// size limit, and every byte given back. tests/linux-abi/tmpfs.c checks the same from a
// static glibc program, in the guest and on Linux.
#include <catch2/catch.hpp>
#include <servers/procserv/ramfs.hpp>

#include <cstdlib>
#include <cstring>

using namespace procserv;

namespace {
long g_live; // allocations not freed yet
void* zeroed(std::uint64_t bytes) {
    ++g_live;
    return std::calloc(1, bytes);
}
void release(void* p) {
    if (p) --g_live;
    std::free(p);
}
RamNode* make(RamFs& fs, RamNode* dir, const char* name, bool directory = false) {
    Result<RamNode*> n = fs.create(dir, name, std::strlen(name), directory, 0644);
    REQUIRE(n.ok());
    return n.value();
}
int code(Result<void> r) { return r.ok() ? 0 : r.error().code; }
void write_bytes(RamFs& fs, RamNode* n, std::uint64_t at, const char* s) {
    for (std::uint64_t i = 0; s[i]; ++i, ++at) {
        Result<unsigned char*> p = fs.page_for_write(n, at / RamFs::kPage);
        REQUIRE(p.ok());
        p.value()[at % RamFs::kPage] = static_cast<unsigned char>(s[i]);
        fs.written(n, at + 1);
    }
}
char byte_at(RamFs& fs, RamNode* n, std::uint64_t at) {
    const unsigned char* p = fs.page(n, at / RamFs::kPage);
    return p ? static_cast<char>(p[at % RamFs::kPage]) : 0;
}
} // namespace

TEST_CASE("ramfs: create, find, EEXIST, ENOTDIR, names up to 255 bytes") {
    g_live = 0;
    {
        RamFs fs{};
        REQUIRE(fs.init(zeroed, release, 1 << 20, 1).ok());
        RamNode* d = make(fs, fs.root(), "dir", true);
        RamNode* f = make(fs, d, "file");
        CHECK(fs.find(fs.root(), "dir", 3) == d);
        CHECK(fs.find(d, "file", 4) == f);
        CHECK(fs.find(d, "fil", 3) == nullptr); // a prefix is not the name
        CHECK(fs.create(d, "file", 4, false, 0).error().code == 17);  // EEXIST
        CHECK(fs.create(f, "x", 1, false, 0).error().code == 20);     // ENOTDIR
        std::string longest(255, 'n');
        CHECK(fs.create(d, longest.c_str(), 255, false, 0).ok());
        CHECK(fs.create(d, longest.c_str(), 256, false, 0).error().code == 36); // ENAMETOOLONG
        CHECK(f->ino != d->ino);
        CHECK(fs.entry_at(d, 0) != nullptr);
        CHECK(fs.entry_at(d, 2) == nullptr);
        CHECK(code(fs.remove(d, longest.c_str(), 255, false)) == 0);
        CHECK(code(fs.remove(d, "file", 4, false)) == 0);
        CHECK(code(fs.remove(fs.root(), "dir", 3, false)) == 21); // EISDIR: unlink of a directory
        CHECK(code(fs.remove(fs.root(), "dir", 3, true)) == 0);
        CHECK(fs.root()->children == nullptr);
        fs.destroy();
    }
    CHECK(g_live == 0);
}

TEST_CASE("ramfs: rmdir of a non-empty directory is ENOTEMPTY; rmdir of a file ENOTDIR") {
    RamFs fs{};
    REQUIRE(fs.init(zeroed, release, 1 << 20, 1).ok());
    RamNode* d = make(fs, fs.root(), "d", true);
    make(fs, d, "f");
    CHECK(code(fs.remove(fs.root(), "d", 1, true)) == 39);
    CHECK(code(fs.remove(d, "f", 1, true)) == 20);
    CHECK(code(fs.remove(d, "g", 1, false)) == 2); // ENOENT
    fs.destroy();
}

TEST_CASE("ramfs: data in pages; holes read as zeros; truncate clears what it cuts; the size limit is ENOSPC") {
    g_live = 0;
    RamFs fs{};
    REQUIRE(fs.init(zeroed, release, 3 * RamFs::kPage, 1).ok());
    RamNode* f = make(fs, fs.root(), "f");
    write_bytes(fs, f, 0, "hello");
    write_bytes(fs, f, 2 * RamFs::kPage + 10, "far");
    CHECK(f->size == 2 * RamFs::kPage + 13);
    CHECK(fs.page(f, 1) == nullptr); // the hole between has no page
    CHECK(fs.used() == 2 * RamFs::kPage);
    CHECK(byte_at(fs, f, 4) == 'o');
    CHECK(byte_at(fs, f, RamFs::kPage + 7) == 0);
    REQUIRE(fs.page_for_write(f, 1).ok()); // the third page: the limit is reached
    CHECK(fs.page_for_write(f, 3).error().code == 28); // ENOSPC
    REQUIRE(fs.truncate(f, 3).ok());
    CHECK(fs.used() == RamFs::kPage);
    CHECK(f->size == 3);
    REQUIRE(fs.truncate(f, 10).ok()); // growing again: what was cut reads as zeros
    CHECK(byte_at(fs, f, 2) == 'l');
    CHECK(byte_at(fs, f, 3) == 0);
    CHECK(fs.page_for_write(f, (RamFs::kMaxFile / RamFs::kPage)).error().code == 27); // EFBIG
    CHECK(code(fs.remove(fs.root(), "f", 1, false)) == 0);
    CHECK(fs.used() == 0);
    CHECK(g_live == 1); // the root
    fs.destroy();
}

TEST_CASE("ramfs: an unlinked file lives until its last close") {
    g_live = 0;
    RamFs fs{};
    REQUIRE(fs.init(zeroed, release, 1 << 20, 1).ok());
    RamNode* f = make(fs, fs.root(), "f");
    fs.open(f);
    fs.open(f);
    write_bytes(fs, f, 0, "still here");
    CHECK(fs.entries() == 1);
    REQUIRE(fs.remove(fs.root(), "f", 1, false).ok());
    CHECK(fs.find(fs.root(), "f", 1) == nullptr);
    CHECK(byte_at(fs, f, 0) == 's');
    CHECK(fs.entries() == 1); // unlinked, still held (procserv's end line counts it)
    CHECK(fs.create(fs.root(), "f", 1, false, 0).ok()); // the name is free again
    CHECK(fs.entries() == 2);
    fs.close(f);
    CHECK(fs.used() == RamFs::kPage);
    fs.close(f);
    CHECK(fs.used() == 0);
    CHECK(fs.entries() == 1);
    CHECK(g_live == 3); // the root and the new "f" (node, name)
    fs.destroy();
    CHECK(g_live == 0);
}

TEST_CASE("ramfs: rename replaces a file, an empty directory; never a directory into itself") {
    g_live = 0;
    RamFs fs{};
    REQUIRE(fs.init(zeroed, release, 1 << 20, 1).ok());
    RamNode* a = make(fs, fs.root(), "a", true);
    RamNode* b = make(fs, a, "b", true);
    RamNode* f = make(fs, fs.root(), "f");
    RamNode* g = make(fs, fs.root(), "g");
    CHECK(code(fs.rename(fs.root(), "a", 1, b, "x", 1)) == 22);       // EINVAL: into itself
    CHECK(code(fs.rename(fs.root(), "a", 1, a, "x", 1)) == 22);
    CHECK(code(fs.rename(fs.root(), "f", 1, fs.root(), "a", 1)) == 21); // EISDIR
    CHECK(code(fs.rename(a, "b", 1, fs.root(), "f", 1)) == 20);        // ENOTDIR
    CHECK(code(fs.rename(fs.root(), "nope", 4, a, "x", 1)) == 2);
    CHECK(fs.entries() == 4);
    REQUIRE(fs.rename(fs.root(), "f", 1, fs.root(), "g", 1).ok());      // replaces g
    CHECK(fs.entries() == 3);                                          // g went
    CHECK(fs.find(fs.root(), "g", 1) == f);
    CHECK(fs.find(fs.root(), "f", 1) == nullptr);
    (void)g;
    REQUIRE(fs.rename(fs.root(), "g", 1, b, "moved", 5).ok());
    CHECK(f->parent == b);
    CHECK(std::strcmp(f->name, "moved") == 0);
    RamNode* e = make(fs, fs.root(), "empty", true);
    REQUIRE(fs.rename(a, "b", 1, fs.root(), "empty", 5).ok()); // a directory over an empty one
    CHECK(fs.find(fs.root(), "empty", 5) == b);
    (void)e;
    RamNode* full = make(fs, fs.root(), "full", true);
    make(fs, full, "x");
    make(fs, fs.root(), "d2", true);
    CHECK(code(fs.rename(fs.root(), "d2", 2, fs.root(), "full", 4)) == 39); // ENOTEMPTY
    CHECK(fs.entries() == 6); // a, b, f (moved), full, x, d2 ("g" and "empty" were replaced)
    fs.destroy(); // every node and name of the tree
    CHECK(g_live == 0);
}

namespace {
RamNode* g_dropped;
std::uint64_t drop_three_pages(RamNode* n) {
    g_dropped = n;
    return 3 * RamFs::kPage;
}
} // namespace

TEST_CASE("ramfs: a file whose pages the owner adopts: its own go, the count stays, charges are limited, its end drops them") {
    g_live = 0, g_dropped = nullptr;
    RamFs fs{};
    REQUIRE(fs.init(zeroed, release, 4 * RamFs::kPage, 1, drop_three_pages).ok());
    RamNode* f = make(fs, fs.root(), "f");
    write_bytes(fs, f, 0, "hello");
    write_bytes(fs, f, RamFs::kPage, "more");
    const long before = g_live;
    int owner_store = 0;
    fs.adopt(f, &owner_store);
    CHECK(f->backing == &owner_store);
    CHECK(fs.page(f, 0) == nullptr); // the pages are the owner's now ...
    CHECK(g_live == before - 3);     // ... (two pages and their table freed)
    CHECK(fs.used() == 2 * RamFs::kPage); // ... and still counted
    CHECK(f->size == RamFs::kPage + 4);
    CHECK(fs.charge(RamFs::kPage).ok()); // the owner's third page
    CHECK(fs.charge(2 * RamFs::kPage).error().code == 28); // ENOSPC: one page is left
    REQUIRE(fs.truncate(f, 2).ok()); // only the size: the pages are the owner's
    CHECK(f->size == 2);
    CHECK(fs.used() == 3 * RamFs::kPage);
    CHECK(code(fs.remove(fs.root(), "f", 1, false)) == 0);
    CHECK(g_dropped == f); // the owner let them go, and said how much they were
    CHECK(fs.used() == 0);
    CHECK(g_live == 1); // the root
    fs.destroy();
}
