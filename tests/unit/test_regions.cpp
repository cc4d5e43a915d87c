// procserv's memory bookkeeping (servers/procserv/regions.hpp): regions split, merge and
// protect exactly like Linux's mappings, never half-change when they run out of room, and
// the page map finds every page after any sequence of additions and removals.
#include <catch2/catch.hpp>
#include <servers/procserv/regions.hpp>

#include <map>
#include <random>
#include <vector>

using namespace procserv;

namespace {
constexpr u64 P = kPageSize;
Region anon(u64 start, u64 end, u32 prot = kProtRead | kProtWrite) {
    Region r{};
    r.start = start, r.end = end, r.prot = prot;
    return r;
}
/// A region set with storage for `capacity` regions (procserv gives it heap memory).
struct Set : RegionSet {
    std::vector<Region> store;
    explicit Set(u32 capacity = 512) : RegionSet{}, store(capacity) { set_storage(store.data(), capacity); }
};
/// The regions as (start, end, prot) triples, for comparisons.
std::vector<std::vector<u64>> dump(const RegionSet& s) {
    std::vector<std::vector<u64>> out;
    for (u32 i = 0; i < s.count(); ++i) out.push_back({s.at(i).start, s.at(i).end, s.at(i).prot});
    return out;
}
} // namespace

TEST_CASE("regions: insert keeps order, merges equal neighbours, finds by address") {
    Set s;
    REQUIRE(s.insert(anon(10 * P, 12 * P)).ok());
    REQUIRE(s.insert(anon(2 * P, 4 * P)).ok());
    REQUIRE(s.insert(anon(4 * P, 6 * P)).ok()); // joins [2, 4)
    REQUIRE(s.insert(anon(6 * P, 8 * P, kProtRead)).ok()); // other rights: a region of its own
    CHECK(dump(s) == std::vector<std::vector<u64>>{{2 * P, 6 * P, 3}, {6 * P, 8 * P, 1}, {10 * P, 12 * P, 3}});
    CHECK(s.find(5 * P + 7)->start == 2 * P);
    CHECK(s.find(8 * P) == nullptr);
    CHECK(s.find(12 * P) == nullptr);
    CHECK(s.find(P) == nullptr);
    CHECK(s.overlaps(7 * P, 11 * P));
    CHECK_FALSE(s.overlaps(8 * P, 10 * P));
    CHECK(s.covered(3 * P, 8 * P));
    CHECK_FALSE(s.covered(3 * P, 9 * P));
    CHECK(s.insert(anon(3 * P, 5 * P)).error().code == 22); // overlap: refused, nothing changes
    CHECK(s.count() == 3);
}

TEST_CASE("regions: remove splits what it cuts and reports every piece") {
    Set s;
    REQUIRE(s.insert(anon(0x10 * P, 0x20 * P)).ok());
    std::vector<std::pair<u64, u64>> removed;
    auto note = [&](const Region& r) { removed.push_back({r.start, r.end}); };
    REQUIRE(s.remove(0x14 * P, 0x16 * P, note).ok()); // a hole in the middle
    CHECK(removed == std::vector<std::pair<u64, u64>>{{0x14 * P, 0x16 * P}});
    CHECK(dump(s) == std::vector<std::vector<u64>>{{0x10 * P, 0x14 * P, 3}, {0x16 * P, 0x20 * P, 3}});
    removed.clear();
    REQUIRE(s.remove(0x12 * P, 0x18 * P, note).ok()); // across the hole: two pieces
    CHECK(removed == std::vector<std::pair<u64, u64>>{{0x12 * P, 0x14 * P}, {0x16 * P, 0x18 * P}});
    removed.clear();
    REQUIRE(s.remove(0, 0x100 * P, note).ok()); // everything
    CHECK(removed.size() == 2);
    CHECK(s.count() == 0);
    REQUIRE(s.remove(0, P, note).ok()); // nothing there: fine
}

TEST_CASE("regions: protect splits and merges back") {
    Set s;
    REQUIRE(s.insert(anon(0, 8 * P)).ok());
    REQUIRE(s.protect(2 * P, 3 * P, kProtRead).ok());
    CHECK(dump(s) == std::vector<std::vector<u64>>{{0, 2 * P, 3}, {2 * P, 3 * P, 1}, {3 * P, 8 * P, 3}});
    REQUIRE(s.protect(2 * P, 3 * P, kProtRead | kProtWrite).ok());
    CHECK(dump(s) == std::vector<std::vector<u64>>{{0, 8 * P, 3}});
    REQUIRE(s.protect(0, 8 * P, 0).ok());
    CHECK(dump(s) == std::vector<std::vector<u64>>{{0, 8 * P, 0}});
}

TEST_CASE("regions: a file region merges only with the same file continued") {
    static const unsigned char file[3 * P] = {};
    Set s;
    Region a = anon(P, 2 * P, kProtRead);
    a.file = file, a.file_va = P, a.file_len = sizeof file;
    Region b = a;
    b.start = 2 * P, b.end = 3 * P;
    REQUIRE(s.insert(a).ok());
    REQUIRE(s.insert(b).ok());
    CHECK(s.count() == 1);
    Region c = anon(3 * P, 4 * P, kProtRead); // anonymous after it
    REQUIRE(s.insert(c).ok());
    CHECK(s.count() == 2);
    CHECK_FALSE(s.at(0).beyond_file(3 * P));
    Region d = a;
    d.file_len = 10; // one page of file: the page after it is beyond the end
    CHECK(d.beyond_file(2 * P));
    CHECK_FALSE(d.beyond_file(P));
}

TEST_CASE("regions: shared memory merges only with the same object at the same anchor") {
    Shared* one = reinterpret_cast<Shared*>(0x1000); // only the address matters here
    Shared* two = reinterpret_cast<Shared*>(0x2000);
    Region a = anon(0, P);
    a.shared = true, a.shm = one, a.shm_va = 0;
    Region b = a;
    b.start = P, b.end = 2 * P;
    CHECK(a.mergeable(b));
    b.shm_va = P; // another part of the object: not a continuation
    CHECK_FALSE(a.mergeable(b));
    b.shm_va = 0, b.shm = two;
    CHECK_FALSE(a.mergeable(b));
    Set s;
    REQUIRE(s.insert(a).ok());
    REQUIRE(s.protect(0, P, kProtRead).ok());
    CHECK(s.at(0).shm == one);
    CHECK_FALSE(a.is_private_anon());
}

TEST_CASE("regions: a full set refuses what would need room, and changes nothing") {
    constexpr u32 kCap = 256;
    Set s(kCap);
    for (u32 i = 0; i < kCap; ++i) // one-page regions with gaps: none merge
        REQUIRE(s.insert(anon(2 * i * P, (2 * i + 1) * P)).ok());
    CHECK(s.insert(anon(0x10000 * P, 0x10001 * P, kProtExec)).error().code == 12);
    CHECK(s.insert(anon(P, 2 * P)).ok()); // fills a gap and merges both neighbours: room
    CHECK(s.count() == kCap - 1);
    REQUIRE(s.insert(anon(0x10000 * P, 0x10004 * P, kProtExec)).ok());
    auto full = dump(s);
    CHECK(s.protect(0x10001 * P, 0x10002 * P, kProtRead).error().code == 12); // needs two more regions
    CHECK(s.remove(0x10001 * P, 0x10002 * P, [](const Region&) {}).error().code == 12);
    CHECK(dump(s) == full);
    CHECK(s.protect(0x10000 * P, 0x10004 * P, kProtRead).ok()); // a whole region: no split
    CHECK(s.remove(0x10000 * P, 0x10004 * P, [](const Region&) {}).ok());
}

TEST_CASE("regions: find_free takes the highest gap that fits") {
    Set s;
    CHECK(s.find_free(4 * P, 0x10 * P, 0x100 * P) == 0xfc * P);
    REQUIRE(s.insert(anon(0xf0 * P, 0x100 * P)).ok());
    REQUIRE(s.insert(anon(0x80 * P, 0xee * P)).ok());
    CHECK(s.find_free(2 * P, 0x10 * P, 0x100 * P) == 0xee * P);   // the 2-page gap
    CHECK(s.find_free(3 * P, 0x10 * P, 0x100 * P) == 0x7d * P);   // too small: below
    CHECK(s.find_free(0x70 * P, 0x10 * P, 0x100 * P) == 0x10 * P); // exactly the bottom gap
    CHECK(s.find_free(0x71 * P, 0x10 * P, 0x100 * P) == 0);       // nothing
    CHECK(s.find_free(P, 0x10 * P, 0x80 * P) == 0x7f * P);       // a lower limit of the search
}

TEST_CASE("regions: random operations agree with a page-by-page model") {
    std::mt19937_64 rng(7);
    Set s;
    std::map<u64, u32> model; // page -> prot, for mapped pages
    for (int step = 0; step < 4000; ++step) {
        u64 a = rng() % 64, b = a + 1 + rng() % 8;
        u32 prot = static_cast<u32>(rng() % 4);
        switch (rng() % 3) {
        case 0: // map (MAP_FIXED: remove, then insert)
            if (s.remove(a * P, b * P, [](const Region&) {}).ok() && s.insert(anon(a * P, b * P, prot)).ok())
                for (u64 p = a; p < b; ++p) model[p] = prot;
            break;
        case 1:
            if (s.remove(a * P, b * P, [](const Region&) {}).ok())
                for (u64 p = a; p < b; ++p) model.erase(p);
            break;
        case 2:
            if (s.covered(a * P, b * P) && s.protect(a * P, b * P, prot).ok())
                for (u64 p = a; p < b; ++p) model[p] = prot;
            break;
        }
        for (u64 p = 0; p < 80; ++p) {
            const Region* r = s.find(p * P);
            auto m = model.find(p);
            REQUIRE((r != nullptr) == (m != model.end()));
            if (r) REQUIRE(r->prot == m->second);
        }
        for (u32 i = 0; i + 1 < s.count(); ++i) { // sorted, disjoint and merged
            REQUIRE(s.at(i).end <= s.at(i + 1).start);
            REQUIRE_FALSE(s.at(i).mergeable(s.at(i + 1)));
        }
    }
}

TEST_CASE("page map: pages are found after any mix of additions and removals") {
    std::vector<PageMap::Page> storage(256);
    std::vector<u32> order(128);
    PageMap m{};
    m.init(storage.data(), order.data(), storage.size());
    CHECK(m.limit() == 128);
    std::mt19937_64 rng(11);
    std::map<u64, u64> model;
    for (int step = 0; step < 20000; ++step) {
        u64 va = (rng() % 300) * P;
        if (rng() % 2) {
            if (!m.find(va)) {
                PageMap::Page* p = m.add(va, step, 3);
                if (model.size() < m.limit()) {
                    REQUIRE(p != nullptr);
                    model[va] = static_cast<u64>(step);
                } else {
                    REQUIRE(p == nullptr);
                }
            }
        } else if (PageMap::Page* p = m.find(va)) {
            m.remove(p);
            model.erase(va);
        }
        REQUIRE(m.size() == model.size());
    }
    u64 listed = 0;
    m.for_each([&](PageMap::Page& p) {
        ++listed;
        REQUIRE(model.count(p.va) == 1);
        REQUIRE(model[p.va] == p.frame);
    });
    CHECK(listed == model.size());
    for (u64 p = 0; p < 300; ++p) {
        PageMap::Page* x = m.find(p * P);
        auto y = model.find(p * P);
        REQUIRE((x != nullptr) == (y != model.end()));
        if (x) CHECK(x->frame == y->second);
    }
    // erase_range, both ways it walks: page by page, and over the whole table.
    u64 seen = 0;
    m.erase_range(0, 100 * P, [&](PageMap::Page&) { ++seen; });
    u64 rest = 0;
    m.erase_range(0, ~u64{0} & ~(P - 1), [&](PageMap::Page& p) { REQUIRE(p.va >= 100 * P); ++rest; });
    CHECK(seen + rest == model.size());
    CHECK(m.size() == 0);
    // Emptied, the table is all zeros again: ready for reuse without clearing.
    for (const PageMap::Page& p : storage) REQUIRE_FALSE(p.used);
    for (u64 i = 0; i < 100; ++i) REQUIRE(m.add(i * P, i, 1) != nullptr);
    u64 walked = 0;
    m.for_each([&](PageMap::Page& p) { walked += p.frame; });
    CHECK(walked == 99 * 100 / 2);
    m.clear();
    for (const PageMap::Page& p : storage) REQUIRE(p.va == 0);
    for (u32 o : order) REQUIRE(o == 0);
}

TEST_CASE("page map: moving to bigger storage keeps every page and leaves the old storage zeroed") {
    std::vector<PageMap::Page> small(64), big(256);
    std::vector<u32> small_order(32), big_order(128);
    PageMap m{};
    m.init(small.data(), small_order.data(), small.size());
    for (u64 i = 0; i < 32; ++i) {
        PageMap::Page* p = m.add(i * 3 * P, 100 + i, 1);
        REQUIRE(p);
        p->cow = i % 2;
        p->borrowed = i % 3 == 0;
    }
    CHECK(m.add(1000 * P, 1, 1) == nullptr); // full
    m.move_to(big.data(), big_order.data(), big.size());
    CHECK(m.capacity() == 256);
    CHECK(m.size() == 32);
    for (u64 i = 0; i < 32; ++i) {
        PageMap::Page* p = m.find(i * 3 * P);
        REQUIRE(p);
        CHECK(p->frame == 100 + i);
        CHECK(p->cow == (i % 2 == 1));
        CHECK(p->borrowed == (i % 3 == 0));
    }
    for (const PageMap::Page& p : small) REQUIRE_FALSE(p.used);
    for (u32 o : small_order) REQUIRE(o == 0);
    for (u64 i = 0; i < 96; ++i) REQUIRE(m.add((2000 + i) * P, i, 1) != nullptr);
    CHECK(m.size() == m.limit());
}

TEST_CASE("regions: storage can move and grow; a copy takes only the regions in use") {
    Set s(4);
    for (u32 i = 0; i < 4; ++i) REQUIRE(s.insert(anon(2 * i * P, (2 * i + 1) * P)).ok());
    CHECK(s.insert(anon(100 * P, 101 * P)).error().code == 12); // full
    auto before = dump(s);
    std::vector<Region> bigger(16);
    s.set_storage(bigger.data(), 16);
    CHECK(dump(s) == before);
    CHECK(s.insert(anon(100 * P, 101 * P)).ok());
    Set copy(8);
    copy.copy_from(s);
    CHECK(dump(copy) == dump(s));
    std::vector<std::vector<u64>> in_range;
    s.for_range(P, 5 * P, [&](const Region& r) { in_range.push_back({r.start, r.end}); });
    CHECK(in_range == std::vector<std::vector<u64>>{{2 * P, 3 * P}, {4 * P, 5 * P}});
}

TEST_CASE("page map: a copy finds every page and is independent of the original") {
    std::vector<PageMap::Page> a_store(128), b_store(128);
    std::vector<u32> a_order(64), b_order(64);
    PageMap a{}, b{};
    a.init(a_store.data(), a_order.data(), a_store.size());
    for (u64 i = 0; i < 50; ++i) REQUIRE(a.add(i * 7 * P, 1000 + i, 3));
    a.remove(a.find(14 * P));
    b.copy_of(a, b_store.data(), b_order.data());
    CHECK(b.size() == 49);
    for (u64 i = 0; i < 50; ++i) CHECK((b.find(i * 7 * P) != nullptr) == (i != 2));
    b.remove(b.find(0));
    CHECK(a.find(0) != nullptr); // the original is untouched
    u64 walked = 0;
    b.for_each([&](PageMap::Page&) { ++walked; });
    CHECK(walked == 48);
}
