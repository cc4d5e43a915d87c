// Address spaces over the generic walker (ToyPte): map rules, budgets, and mappings that
// follow their frame capabilities through the derivation tree.
#include "kernel_world.hpp"
#include "toy_pte.hpp"

#include <random>
#include <set>
#include <utility>
#include <vector>

using namespace kernel;
namespace r = abi::rights;

namespace {
constexpr PagingOps kToyOps = paging_ops_for<ToyPte>();

struct Spaces : KernelWorld {
    Spaces() : KernelWorld(2 << 20, 1, &kToyOps) {}
    AddressSpace& space(u64 slot, u32 bits = 2) {
        return make<AddressSpace>(ObjectType::AddressSpace, slot, bits);
    }
    Frame& frame(u64 slot) { return make<Frame>(ObjectType::Frame, slot); }
};
} // namespace

TEST_CASE("aspace: the user range is the lower half of the format's VA space") {
    CHECK(kToyOps.user_top == u64{1} << 47);
    Spaces w;
    CHECK(retype(w.ut_cap(), ObjectType::AddressSpace, 1, *w.cs, 2, 1).error() == Error::InvalidArgument);
    CHECK(retype(w.ut_cap(), ObjectType::AddressSpace, 9, *w.cs, 2, 1).error() == Error::InvalidArgument);
    AddressSpace& as = w.space(2);
    CHECK(as.tables_left() == 3); // the root took one of four
    CHECK(is_aligned(as.root().value, kPageSize));
}

TEST_CASE("aspace: map validates everything before acting") {
    Spaces w;
    AddressSpace& as = w.space(2);
    Frame& f = w.frame(3);
    w.endpoint(4);
    REQUIRE(w.cs->mint(3, *w.cs, 5, r::kRead, 0).ok()); // a read-only frame capability
    Capability& rw = w.cs->slot(3);
    CHECK(as.map(w.cs->slot(4), 0x1000, r::kRead).error() == Error::WrongType);
    CHECK(as.map(w.cs->slot(9), 0x1000, r::kRead).error() == Error::BadCapability);
    CHECK(as.map(rw, 0x1001, r::kRead).error() == Error::InvalidArgument);          // misaligned
    CHECK(as.map(rw, u64{1} << 47, r::kRead).error() == Error::OutOfRange);        // kernel half
    CHECK(as.map(rw, ~u64{0xfff}, r::kRead).error() == Error::OutOfRange);
    CHECK(as.map(rw, 0x1000, r::kWrite).error() == Error::InvalidArgument);        // no Read
    CHECK(as.map(rw, 0x1000, r::kRead | r::kGrant).error() == Error::InvalidArgument);
    CHECK(as.map(w.cs->slot(5), 0x1000, r::kRead | r::kWrite).error() == Error::AccessDenied);
    CHECK(as.mapping_count() == 0);
    CHECK(as.tables_left() == 3);

    REQUIRE(as.map(rw, 0x1000, r::kRead | r::kWrite).ok());
    CHECK(as.map(w.cs->slot(5), 0x1000, r::kRead).error() == Error::Exists); // overlap
    auto q = as.query(0x1234);
    REQUIRE(q.ok());
    CHECK(q->pa.value == f.page().value + 0x234);
    CHECK(q->rights == (r::kRead | r::kWrite));
    CHECK(as.query(0x2000).error() == Error::NotFound);
    CHECK(as.query(u64{1} << 47).error() == Error::OutOfRange);
    CHECK(as.tables_left() == 0); // levels 2, 1, 0 for the first mapping
    CHECK(f.cap_count() == 3);    // two capabilities + the mapping
}

TEST_CASE("aspace: the table budget is checked before anything changes") {
    Spaces w;
    AddressSpace& as = w.space(2);
    w.frame(3);
    REQUIRE(as.map(w.cs->slot(3), 0x1000, r::kRead).ok());
    REQUIRE(as.map(w.cs->slot(3), 0x5000, r::kRead).ok()); // same tables
    // A VA under another level-1 table needs one more table than the budget has.
    CHECK(as.map(w.cs->slot(3), 0x40000000, r::kRead).error() == Error::NoMemory);
    CHECK(as.query(0x40000000).error() == Error::NotFound);
    CHECK(as.mapping_count() == 2);
}

TEST_CASE("aspace: unmap and protect") {
    Spaces w;
    AddressSpace& as = w.space(2);
    w.frame(3);
    REQUIRE(as.map(w.cs->slot(3), 0x7000, r::kRead | r::kWrite).ok());
    CHECK(*as.protect(0x7000, kPageSize, r::kRead) == 1);
    CHECK(as.query(0x7000)->rights == r::kRead);
    CHECK(*as.protect(0x7000, kPageSize, r::kRead | r::kWrite | r::kExecute) == 0); // adds nothing
    CHECK(as.query(0x7000)->rights == r::kRead);
    CHECK(*as.protect(0x8000, kPageSize, r::kRead) == 0); // nothing mapped there
    CHECK(as.unmap(0x8000, w.reaper).error() == Error::NotFound);
    CHECK(as.unmap(0x7001, w.reaper).error() == Error::InvalidArgument);
    REQUIRE(as.unmap(0x7000, w.reaper).ok());
    CHECK(as.query(0x7000).error() == Error::NotFound);
    CHECK(as.mapping_count() == 0);
    CHECK(w.cs->slot(3).as<Frame>().cap_count() == 1);
}

TEST_CASE("aspace: deleting or revoking a frame capability removes its mappings first") {
    Spaces w;
    AddressSpace& as = w.space(2);
    w.frame(3);
    REQUIRE(as.map(w.cs->slot(3), 0x1000, r::kRead).ok());
    REQUIRE(as.map(w.cs->slot(3), 0x2000, r::kRead).ok()); // one frame, two places
    REQUIRE(w.cs->revoke(3, w.reaper).ok());
    CHECK(as.query(0x1000).error() == Error::NotFound);
    CHECK(as.query(0x2000).error() == Error::NotFound);
    CHECK(as.mapping_count() == 0);

    REQUIRE(as.map(w.cs->slot(3), 0x3000, r::kRead).ok());
    u64 destroyed = w.reaper.destroyed();
    w.remove(3); // the mapping keeps the frame alive: not destroyed yet
    CHECK(w.reaper.destroyed() == destroyed);
    CHECK(as.query(0x3000).ok());
    REQUIRE(as.unmap(0x3000, w.reaper).ok()); // its last reference
    CHECK(w.reaper.destroyed() == destroyed + 1);
}

TEST_CASE("aspace: destroying an address space drops its mappings; memory comes back") {
    Spaces w;
    u64 used0 = w.untyped->used_bytes();
    for (int round = 0; round < 10; ++round) {
        AddressSpace& as = w.space(2, 3);
        w.frame(3);
        REQUIRE(as.map(w.cs->slot(3), 0x1000, r::kRead).ok());
        REQUIRE(as.map(w.cs->slot(3), 0x200000000, r::kRead).ok());
        w.remove(2); // the address space first: the frame loses its mappings
        CHECK(w.cs->slot(3).as<Frame>().cap_count() == 1);
        w.remove(3);
        CHECK(w.untyped->used_bytes() == used0);
    }
}

// The same object over each architecture's real entry encoding.
#include <arch/aarch64/pte.hpp>
#include <arch/riscv64/pte.hpp>
#include <arch/x86_64/pte.hpp>

namespace {
template <class F>
struct ArchOps {
    static constexpr PagingOps ops = paging_ops_for<F>();
};
} // namespace

TEMPLATE_TEST_CASE("aspace: map, protect, query and unmap with each arch's entries", "",
                   arch::x86_64::PteFormat, arch::aarch64::PteFormat, arch::riscv64::PteFormat) {
    const PagingOps& ops = ArchOps<TestType>::ops;
    CHECK(ops.user_top == (TestType::kLevels == 3 ? u64{1} << 38 : u64{1} << 47));
    KernelWorld w(2 << 20, 1, &ops);
    auto& as = w.make<AddressSpace>(ObjectType::AddressSpace, 2, 3); // two separate paths
    auto& f = w.make<Frame>(ObjectType::Frame, 3);
    u64 top_page = ops.user_top - kPageSize;
    CHECK(as.map(w.cs->slot(3), ops.user_top, r::kRead).error() == Error::OutOfRange);
    REQUIRE(as.map(w.cs->slot(3), top_page, r::kRead | r::kWrite).ok());
    REQUIRE(as.map(w.cs->slot(3), 0x400000, r::kRead | r::kExecute).ok());
    auto q = as.query(top_page + 8);
    REQUIRE(q.ok());
    CHECK(q->pa.value == f.page().value + 8);
    CHECK(q->rights == (r::kRead | r::kWrite));
    CHECK(as.query(0x400000)->rights == (r::kRead | r::kExecute));
    CHECK(*as.protect(top_page, kPageSize, r::kRead) == 1);
    CHECK(as.query(top_page)->rights == r::kRead);
    REQUIRE(as.unmap(top_page, w.reaper).ok());
    CHECK(as.query(top_page).error() == Error::NotFound);
    CHECK(as.query(0x400000).ok());
}

namespace {
// Records what the address space asks the kernel to make CPUs forget.
struct FlushLog {
    static inline std::vector<std::pair<u64, u64>> pages; // (root, va)
    static inline std::vector<u64> roots, spaces;
    static void flush(const AddressSpace& s, u64 va) { pages.emplace_back(s.root().value, va); }
    static void retire(const AddressSpace& s) { roots.push_back(s.root().value); }
    static void flush_space(const AddressSpace& s) { spaces.push_back(s.root().value); }
    static void clear() { pages.clear(), roots.clear(), spaces.clear(); }
};
constexpr PagingOps kLoggedOps =
    paging_ops_for<ToyPte>(nullptr, FlushLog::flush, FlushLog::retire, nullptr, FlushLog::flush_space);
} // namespace

// Regression: unmap and protect left the old translation usable (no TLB flush), so a
// thread could reach a page after it was unmapped and its frame reused.
TEST_CASE("aspace: every end or weakening of a mapping flushes it; destruction retires the root") {
    FlushLog::clear();
    KernelWorld w(2 << 20, 1, &kLoggedOps);
    auto& as = w.make<AddressSpace>(ObjectType::AddressSpace, 2, 2);
    for (u64 slot : {3, 4, 5}) w.make<Frame>(ObjectType::Frame, slot);
    const u64 root = as.root().value;
    REQUIRE(as.map(w.cs->slot(3), 0x10000, r::kRead | r::kWrite).ok());
    REQUIRE(as.map(w.cs->slot(4), 0x11000, r::kRead | r::kWrite).ok());
    REQUIRE(as.map(w.cs->slot(5), 0x12000, r::kRead | r::kWrite).ok());
    CHECK(FlushLog::pages.empty()); // a new mapping replaces nothing

    REQUIRE(as.protect(0x10000, kPageSize, r::kRead).ok());
    CHECK(FlushLog::spaces == std::vector<u64>{root});
    REQUIRE(as.unmap(0x11000, w.reaper).ok());
    REQUIRE(w.cs->revoke(5, w.reaper).ok()); // revoking the frame capability removes its mapping
    CHECK(FlushLog::pages == std::vector<std::pair<u64, u64>>{{root, 0x11000}, {root, 0x12000}});

    FlushLog::clear();
    w.remove(2); // the address space goes: its root first, then its last mapping
    CHECK(FlushLog::roots == std::vector<u64>{root});
    CHECK(FlushLog::pages == std::vector<std::pair<u64, u64>>{{root, 0x10000}});
}

// AddressSpace.Protect over a range (a fork write-protects its parent with one call).
TEST_CASE("aspace: protect lowers the rights of every mapped page of a range, flushing the space once") {
    FlushLog::clear();
    KernelWorld w(2 << 20, 1, &kLoggedOps);
    auto& as = w.make<AddressSpace>(ObjectType::AddressSpace, 2, 3);
    w.make<Frame>(ObjectType::Frame, 3);
    const u64 base = 0x7f0000, rwx = r::kRead | r::kWrite | r::kExecute;
    for (u64 i = 0; i < 40; ++i) // 40 pages across a 2 MiB boundary, every fourth missing
        if (i % 4 != 3) REQUIRE(as.map(w.cs->slot(3), base + i * kPageSize, i % 4 == 2 ? r::kRead : rwx).ok());
    REQUIRE(as.map(w.cs->slot(3), 0x40000000, rwx).ok()); // far beyond: another table

    CHECK(as.protect(base + 1, kPageSize, r::kRead).error() == Error::InvalidArgument);
    CHECK(as.protect(base, 0x800, r::kRead).error() == Error::InvalidArgument);
    CHECK(as.protect(base, 0, r::kRead).error() == Error::InvalidArgument);
    CHECK(as.protect(base, kPageSize, r::kWrite).error() == Error::InvalidArgument); // no Read
    CHECK(as.protect(base, kPageSize, r::kRead | r::kGrant).error() == Error::InvalidArgument);
    CHECK(as.protect(u64{1} << 47, kPageSize, r::kRead).error() == Error::OutOfRange);
    CHECK(as.protect(base, (u64{1} << 47) - base + kPageSize, r::kRead).error() == Error::OutOfRange);
    CHECK(as.protect(kPageSize, ~u64{0xfff}, r::kRead).error() == Error::OutOfRange); // wraps
    CHECK(FlushLog::spaces.empty());
    CHECK(as.query(base)->rights == rwx);

    auto changed = as.protect(base, 40 * kPageSize, r::kRead | r::kExecute);
    REQUIRE(changed.ok());
    CHECK(*changed == 20); // the writable ones: 40 less 10 missing, less 10 read-only
    CHECK(FlushLog::spaces == std::vector<u64>{as.root().value});
    CHECK(FlushLog::pages.empty());
    for (u64 i = 0; i < 40; ++i) {
        auto q = as.query(base + i * kPageSize);
        if (i % 4 == 3) CHECK(q.error() == Error::NotFound); // holes stay holes
        else CHECK(q->rights == (i % 4 == 2 ? r::kRead : r::kRead | r::kExecute));
    }
    CHECK(as.query(0x40000000)->rights == rwx);
    CHECK(as.mapping_count() == 31);

    FlushLog::clear();
    CHECK(*as.protect(base, 40 * kPageSize, r::kRead | r::kExecute) == 0);
    CHECK(FlushLog::spaces.empty()); // nothing lost a right: no flush
    CHECK(*as.protect(0, u64{1} << 47, r::kRead) == 21); // the whole half: 20 lose X, one W and X
    CHECK(as.query(0x40000000)->rights == r::kRead);
    // No right comes back: protect_range only lowers.
    CHECK(*as.protect(base, 40 * kPageSize, rwx) == 0);
    CHECK(as.query(base)->rights == r::kRead);
}

TEST_CASE("aspace: a space grows by map budgets; a budget has one capability") {
    Spaces w;
    AddressSpace& as = w.space(2); // 4 tables, 256 slots: 192 mappings
    w.frame(3);
    for (u64 i = 0; i < 192; ++i) REQUIRE(as.map(w.cs->slot(3), 0x10000000 + i * kPageSize, r::kRead).ok());
    CHECK(as.slots_left() == 0);
    CHECK(as.map(w.cs->slot(3), 0x10100000, r::kRead).error() == Error::NoMemory); // no slot
    CHECK(as.query(0x10100000).error() == Error::NotFound);

    CHECK(retype(w.ut_cap(), ObjectType::MapBudget, MapBudget::kMaxBits + 1, *w.cs, 4, 1).error() ==
          Error::InvalidArgument);
    w.make<MapBudget>(ObjectType::MapBudget, 4, 0); // 1 table, 512 slots: 384 mappings
    CHECK(w.cs->copy(4, *w.cs, 5).error() == Error::Unsupported);
    CHECK(w.cs->mint(4, *w.cs, 5, r::kRead, 0).error() == Error::Unsupported);
    w.endpoint(6);
    CHECK(as.grow(w.cs->slot(6)).error() == Error::WrongType);
    CHECK(as.grow(w.cs->slot(7)).error() == Error::BadCapability);
    REQUIRE(as.grow(w.cs->slot(4)).ok());
    CHECK(w.cs->slot(4).empty()); // moved into the space
    CHECK(as.slots_left() == 384);
    CHECK(as.tables_left() == 1);

    // A new level-0 table (the budget's one), then a mapping that needs two: refused.
    REQUIRE(as.map(w.cs->slot(3), 0x10200000, r::kRead).ok());
    CHECK(as.map(w.cs->slot(3), 0x80000000, r::kRead).error() == Error::NoMemory);
    for (u64 i = 1; i < 384; ++i) REQUIRE(as.map(w.cs->slot(3), 0x10200000 + i * kPageSize, r::kRead).ok());
    CHECK(as.mapping_count() == 576);
    CHECK(as.slots_left() == 0);
    for (u64 i = 0; i < 192; ++i) CHECK(as.query(0x10000000 + i * kPageSize).ok());
    REQUIRE(as.unmap(0x10000000, w.reaper).ok());
    REQUIRE(as.unmap(0x10200000 + 383 * kPageSize, w.reaper).ok());
    CHECK(as.slots_left() == 2);
    CHECK(w.cs->slot(3).as<Frame>().cap_count() == 575);
}

// Regression guard for the hash table of mapping slots: deleting entries must keep every
// other one findable (runs close up, nothing is left behind a hole).
TEST_CASE("aspace: mappings stay findable through any order of maps and unmaps") {
    Spaces w;
    AddressSpace& as = w.space(2, 3); // 512 slots, 384 mappings: long runs when it is full
    w.frame(3);
    std::mt19937_64 rng(7);
    std::set<u64> model;
    for (int step = 0; step < 6000; ++step) {
        u64 va = 0x40000000 + (rng() % 600) * kPageSize;
        if (model.count(va)) {
            REQUIRE(as.unmap(va, w.reaper).ok());
            model.erase(va);
        } else if (model.size() < 384) {
            REQUIRE(as.map(w.cs->slot(3), va, r::kRead | r::kWrite).ok());
            model.insert(va);
        }
        if (step % 500 == 0 || step == 5999) {
            for (u64 i = 0; i < 600; ++i) {
                u64 v = 0x40000000 + i * kPageSize;
                CHECK(as.query(v).ok() == (model.count(v) == 1));
            }
        }
    }
    CHECK(as.mapping_count() == model.size());
    CHECK(as.slots_left() == 384 - model.size());
}

TEST_CASE("aspace: taking a budget's memory back empties the space, which stays usable") {
    Spaces w;
    u64 used0 = w.untyped->used_bytes();
    AddressSpace& as = w.space(2);
    w.frame(3);
    w.make<Untyped>(ObjectType::Untyped, 4, 17); // 128 KiB to pay for the budget
    REQUIRE(retype(w.cs->slot(4), ObjectType::MapBudget, 1, *w.cs, 5, 1).ok());
    REQUIRE(as.grow(w.cs->slot(5)).ok());
    REQUIRE(as.map(w.cs->slot(3), 0x1000, r::kRead).ok());             // own tables
    REQUIRE(as.map(w.cs->slot(3), 0x40000000, r::kRead).ok());         // the budget's two
    CHECK(as.tables_left() == 0);
    const u64 with_budget = w.untyped->used_bytes();

    REQUIRE(w.cs->revoke(4, w.reaper).ok()); // the budget goes: so does every mapping
    CHECK(as.mapping_count() == 0);
    CHECK(as.query(0x1000).error() == Error::NotFound);
    CHECK(as.query(0x40000000).error() == Error::NotFound);
    CHECK(as.tables_left() == 3);
    CHECK(as.slots_left() == 192);
    CHECK(w.cs->slot(3).as<Frame>().cap_count() == 1);
    REQUIRE(as.map(w.cs->slot(3), 0x40000000, r::kRead).ok());
    CHECK(as.query(0x40000000).ok());

    // Destroying the space gives back its budgets too.
    REQUIRE(retype(w.cs->slot(4), ObjectType::MapBudget, 1, *w.cs, 5, 1).ok());
    REQUIRE(as.grow(w.cs->slot(5)).ok());
    CHECK(w.untyped->used_bytes() == with_budget);
    w.remove(2);
    w.remove(4);
    w.remove(3);
    CHECK(w.untyped->used_bytes() == used0);
}

TEST_CASE("aspace: a space and its budget may go in one revoke, in either order") {
    for (int order = 0; order < 2; ++order) {
        Spaces w;
        u64 used0 = w.untyped->used_bytes();
        w.frame(3);
        w.make<Untyped>(ObjectType::Untyped, 4, 18);
        // Retype order decides the order of the untyped's children in the revoke walk.
        if (order == 0) REQUIRE(retype(w.cs->slot(4), ObjectType::AddressSpace, 2, *w.cs, 2, 1).ok());
        REQUIRE(retype(w.cs->slot(4), ObjectType::MapBudget, 1, *w.cs, 5, 1).ok());
        if (order == 1) REQUIRE(retype(w.cs->slot(4), ObjectType::AddressSpace, 2, *w.cs, 2, 1).ok());
        AddressSpace& as = w.cs->slot(2).as<AddressSpace>();
        REQUIRE(as.grow(w.cs->slot(5)).ok());
        REQUIRE(as.map(w.cs->slot(3), 0x40000000, r::kRead).ok());
        REQUIRE(w.cs->revoke(4, w.reaper).ok());
        CHECK(w.cs->slot(2).empty());
        CHECK(w.cs->slot(3).as<Frame>().cap_count() == 1);
        w.remove(4);
        w.remove(3);
        CHECK(w.untyped->used_bytes() == used0);
    }
}
