// procserv's memory bookkeeping (servers/procserv/regions.hpp): regions split, merge and
// protect exactly like Linux's mappings, never half-change when they run out of room, and
// the page map finds every page after any sequence of additions and removals and shares
// its chunks with a fork's copy until either changes one.
#include <catch2/catch.hpp>
#include <servers/procserv/regions.hpp>

#include <cstdlib>
#include <cstring>
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

namespace {
/// The page map's memory and frame references, watched: what a test's maps allocate must
/// all be freed, and every frame's references must come back to zero.
struct Watch {
    static inline std::map<void*, u64> live;
    static inline std::map<u64, long> refs; // frame -> references (1 when added)
    static inline bool fail;                // allocations fail
    Watch() {
        live.clear(), refs.clear(), fail = false;
        PageMap::ops = {[](u64 n) -> void* {
                            if (fail) return nullptr;
                            void* p = calloc(1, n);
                            live[p] = n;
                            return p;
                        },
                        raw,
                        [](void* p) {
                            if (!p) return;
                            REQUIRE(live.erase(p) == 1);
                            free(p);
                        },
                        [](u64 f) { ++refs[f]; }, [](u64 f) { REQUIRE(--refs[f] >= 0); }};
    }
    static void* raw(u64 n) { // (garbage in it: nothing may count on zeros)
        if (fail) return nullptr;
        void* p = malloc(n);
        memset(p, 0xa5, n);
        live[p] = n;
        return p;
    }
    static void added(u64 frame) { refs[frame] = 1; }
    static bool balanced() {
        for (auto& [f, n] : refs)
            if (n) return false;
        return live.empty();
    }
};
} // namespace

TEST_CASE("page map: pages are found after any mix of additions and removals") {
    Watch w;
    PageMap m{};
    std::mt19937_64 rng(11);
    std::map<u64, u64> model;
    u64 next_frame = 1;
    for (int step = 0; step < 20000; ++step) {
        u64 va = (rng() % 3000) * P;
        if (rng() % 2) {
            if (!m.find(va)) {
                u64 f = next_frame++;
                Watch::added(f);
                PageMap::Page p = m.add(va, f, 3, false);
                REQUIRE(p);
                CHECK(p.va() == va);
                model[va] = f;
            }
        } else {
            u64 len = (rng() % 100 + 1) * P; // erase a range of pages
            REQUIRE(m.prepare_erase(va, va + len));
            u64 seen = 0;
            m.erase_range(va, va + len, [&](PageMap::Page p) { REQUIRE(p.va() >= va); REQUIRE(p.va() < va + len); ++seen; });
            u64 expected = 0;
            for (auto it = model.lower_bound(va); it != model.end() && it->first < va + len;) {
                REQUIRE(Watch::refs[it->second] == 0); // the frame went back
                it = model.erase(it), ++expected;
            }
            REQUIRE(seen == expected);
        }
        REQUIRE(m.size() == model.size());
    }
    u64 listed = 0;
    m.for_each([&](PageMap::Page p) {
        ++listed;
        REQUIRE(model.count(p.va()) == 1);
        REQUIRE(model[p.va()] == p.frame());
    });
    CHECK(listed == model.size());
    for (u64 p = 0; p < 3000; ++p) {
        PageMap::Page x = m.find(p * P);
        auto y = model.find(p * P);
        REQUIRE(static_cast<bool>(x) == (y != model.end()));
        if (x) CHECK(x.frame() == y->second);
    }
    u64 in_range = 0;
    m.for_range(100 * P, 1000 * P, [&](PageMap::Page p) { REQUIRE(p.va() >= 100 * P); REQUIRE(p.va() < 1000 * P); ++in_range; });
    CHECK(in_range == static_cast<u64>(std::distance(model.lower_bound(100 * P), model.lower_bound(1000 * P))));
    // Both ways erase_range walks: chunk by chunk, and over every span.
    u64 rest = 0;
    m.erase_range(0, ~u64{0} & ~(P - 1), [&](PageMap::Page) { ++rest; });
    CHECK(rest == model.size());
    CHECK(m.size() == 0);
    CHECK(m.spans() == 0);
    m.clear();
    CHECK(Watch::balanced());
}

TEST_CASE("page map: a fork's copy shares the chunks until either changes one") {
    Watch w;
    PageMap a{};
    for (u64 i = 0; i < 300; ++i) {
        Watch::added(1000 + i);
        REQUIRE(a.add(i * P, 1000 + i, 3, false));
    }
    Watch::refs[5000] = 0; // a shared object's frame: never counted
    REQUIRE(a.add(400 * P, 5000, 3, true));
    const u64 allocated = Watch::live.size();
    PageMap b{};
    REQUIRE(b.copy_of(a));
    CHECK(Watch::live.size() == allocated + 2); // the span table and its order: no chunk
    CHECK(b.size() == 301);
    for (u64 i = 0; i < 300; ++i) {
        PageMap::Page p = b.find(i * P);
        REQUIRE(p);
        CHECK(p.frame() == 1000 + i);
        CHECK(p.shared());
        CHECK(p.rights() == 0); // nothing mapped in the copy yet
        CHECK(a.find(i * P).rights() == 3);
        CHECK(Watch::refs[1000 + i] == 1); // one chunk holds it
    }
    // A change in the copy: its chunk is copied first, the original keeps its own.
    PageMap::Page p = b.find(70 * P);
    REQUIRE(b.unshare(p));
    CHECK_FALSE(p.shared());
    CHECK_FALSE(a.find(70 * P).shared()); // (the only holder of the old chunk now)
    for (u64 i = 64; i < 128; ++i) CHECK(Watch::refs[1000 + i] == 2);
    Watch::added(7000);
    b.set_frame(p, 7000);
    CHECK(Watch::refs[1070] == 1);
    CHECK(a.find(70 * P).frame() == 1070);
    CHECK(b.find(70 * P).frame() == 7000);
    // An erase of part of a shared chunk copies it; of a whole one only lets it go.
    Watch::fail = true;
    CHECK_FALSE(b.prepare_erase(10 * P, 20 * P)); // no memory: nothing changed
    CHECK(b.find(10 * P).shared());
    CHECK(b.prepare_erase(128 * P, 192 * P)); // a whole chunk needs no memory
    Watch::fail = false;
    REQUIRE(b.prepare_erase(10 * P, 20 * P));
    b.erase_range(10 * P, 20 * P, [](PageMap::Page) {});
    b.erase_range(128 * P, 192 * P, [](PageMap::Page) {});
    CHECK_FALSE(b.find(10 * P));
    CHECK_FALSE(b.find(130 * P));
    CHECK(a.find(10 * P).frame() == 1010);
    CHECK(a.find(130 * P).frame() == 1130);
    CHECK(Watch::refs[1130] == 1);
    CHECK(Watch::refs[1010] == 1);
    CHECK(Watch::refs[1020] == 2);
    CHECK(b.add(130 * P, 1130, 1, false)); // re-adding where a whole chunk went: a new one
    ++Watch::refs[1130];
    CHECK(a.size() == 301);
    // Either ends first; every frame comes back, every chunk is freed.
    a.clear();
    CHECK(Watch::refs[1000] == 1);
    CHECK(Watch::refs[5000] == 0);
    b.clear();
    CHECK(Watch::balanced());
}
