// The portable walker, checked with a minimal format whose bits are easy to read, and
// with each architecture's real encoding.
#include "fake_memory.hpp"
#include "toy_pte.hpp"
#include <arch/aarch64/pte.hpp>
#include <arch/riscv64/pte.hpp>
#include <arch/x86_64/pte.hpp>
#include <catch2/catch.hpp>
#include <microkernel/paging.hpp>

using namespace kernel;

namespace {

struct Fixture {
    FakeMemory mem{0x1000000, 1 << 20};
    FrameAllocator frames;
    Fixture() {
        PhysRange ram[] = {mem.range()};
        REQUIRE(frames.init(ram, 1, nullptr, 0, mem.window()).ok());
    }
};
} // namespace

TEST_CASE("paging: map, translate, and the largest leaf that fits") {
    Fixture f;
    auto pt = PageTable<ToyPte>::create(f.frames, f.mem.window());
    REQUIRE(pt.ok());
    u64 va = 0xffff800000000000;
    REQUIRE(pt->map(va, PhysAddr{0x40000000}, 4 << 20, PageAttr{.write = true}, f.frames).ok());
    auto t = pt->translate(va + 0x123456);
    REQUIRE(t.ok());
    CHECK(t->pa.value == 0x40123456);
    CHECK(t->level == 1); // 2 MiB leaves: aligned and large enough
    CHECK(t->attr.write);
    CHECK_FALSE(t->attr.exec);

    REQUIRE(pt->map(0x1000, PhysAddr{0x5000}, 0x3000, PageAttr{.exec = true, .user = true}, f.frames).ok());
    auto small = pt->translate(0x2fff);
    REQUIRE(small.ok());
    CHECK(small->pa.value == 0x6fff);
    CHECK(small->level == 0);
    CHECK(small->attr.user);
    CHECK(pt->translate(0x4000).error() == Error::NotFound);
    CHECK(pt->translate(0).error() == Error::NotFound);
}

TEST_CASE("paging: misaligned, empty, wrapping and overlapping requests change nothing") {
    Fixture f;
    auto pt = PageTable<ToyPte>::create(f.frames, f.mem.window());
    REQUIRE(pt.ok());
    PageAttr rw{.write = true};
    CHECK(pt->map(0x1001, PhysAddr{0x2000}, 0x1000, rw, f.frames).error() == Error::InvalidArgument);
    CHECK(pt->map(0x1000, PhysAddr{0x2001}, 0x1000, rw, f.frames).error() == Error::InvalidArgument);
    CHECK(pt->map(0x1000, PhysAddr{0x2000}, 0x800, rw, f.frames).error() == Error::InvalidArgument);
    CHECK(pt->map(0x1000, PhysAddr{0x2000}, 0, rw, f.frames).error() == Error::InvalidArgument);
    CHECK(pt->map(~u64(0xfff), PhysAddr{0x2000}, 0x2000, rw, f.frames).error() == Error::InvalidArgument);

    REQUIRE(pt->map(0x200000, PhysAddr{0x400000}, 0x200000, rw, f.frames).ok()); // one 2 MiB leaf
    usize free_before = f.frames.free_frames();
    CHECK(pt->map(0x3ff000, PhysAddr{0x9000}, 0x2000, rw, f.frames).error() == Error::Exists);
    CHECK(pt->map(0x201000, PhysAddr{0x9000}, 0x1000, rw, f.frames).error() == Error::Exists);
    CHECK(f.frames.free_frames() == free_before);
    CHECK(pt->translate(0x400000).error() == Error::NotFound); // the overlap was not half-done
}

TEST_CASE("paging: running out of table frames is an error") {
    FakeMemory mem{0x1000000, 4 * 4096};
    FrameAllocator frames;
    PhysRange ram[] = {mem.range()};
    REQUIRE(frames.init(ram, 1, nullptr, 0, mem.window()).ok()); // bitmap takes 1 frame
    auto pt = PageTable<ToyPte>::create(frames, mem.window());
    REQUIRE(pt.ok());
    // needs 3 more tables (levels 2, 1, 0), only 2 frames remain
    CHECK(pt->map(0x1000, PhysAddr{0x1000}, 0x1000, PageAttr{}, frames).error() == Error::NoMemory);
}

TEST_CASE("paging: unmap and protect whole leaves, all or nothing") {
    Fixture f;
    auto pt = PageTable<ToyPte>::create(f.frames, f.mem.window());
    REQUIRE(pt.ok());
    PageAttr rw{.write = true, .user = true};
    REQUIRE(pt->map(0x10000, PhysAddr{0x80000}, 0x4000, rw, f.frames).ok());
    REQUIRE(pt->map(0x200000, PhysAddr{0x400000}, 0x200000, rw, f.frames).ok()); // 2 MiB leaf

    // Bad ranges change nothing.
    CHECK(pt->unmap(0x10001, 0x1000).error() == Error::InvalidArgument);
    CHECK(pt->unmap(0x10000, 0).error() == Error::InvalidArgument);
    CHECK(pt->unmap(0x10000, 0x5000).error() == Error::NotFound); // last page unmapped
    CHECK(pt->unmap(0x201000, 0x1000).error() == Error::InvalidArgument); // would split the block
    CHECK(pt->protect(0x200000, 0x1000, PageAttr{}).error() == Error::InvalidArgument);
    CHECK(pt->protect(0xf000, 0x2000, PageAttr{}).error() == Error::NotFound);
    CHECK(pt->translate(0x13000).ok());
    CHECK(pt->translate(0x10000)->attr.write);

    REQUIRE(pt->protect(0x11000, 0x2000, PageAttr{.exec = true, .user = true}).ok());
    auto t = pt->translate(0x11800);
    REQUIRE(t.ok());
    CHECK(t->pa.value == 0x81800);
    CHECK_FALSE(t->attr.write);
    CHECK(t->attr.exec);
    CHECK(pt->translate(0x10000)->attr.write); // neighbours untouched
    CHECK(pt->translate(0x13000)->attr.write);

    REQUIRE(pt->unmap(0x11000, 0x2000).ok());
    CHECK(pt->translate(0x11000).error() == Error::NotFound);
    CHECK(pt->translate(0x12fff).error() == Error::NotFound);
    CHECK(pt->translate(0x13000).ok());
    CHECK(pt->unmap_page(0x200000).error() == Error::NotFound); // a block: not a page
    CHECK(pt->unmap_page(0x11000).error() == Error::NotFound);
    REQUIRE(pt->unmap_page(0x13000).ok());
    CHECK(pt->translate(0x13000).error() == Error::NotFound);
    CHECK(pt->translate(0x10000).ok());
    REQUIRE(pt->unmap(0x200000, 0x200000).ok());
    CHECK(pt->translate(0x300000).error() == Error::NotFound);
    // The space can be mapped again, with the tables that stayed.
    usize free_before = f.frames.free_frames();
    REQUIRE(pt->map(0x11000, PhysAddr{0x90000}, 0x1000, rw, f.frames).ok());
    CHECK(f.frames.free_frames() == free_before);
    CHECK(pt->translate(0x11000)->pa.value == 0x90000);
}

TEST_CASE("paging: restrict takes write and execute from every leaf of a range, blocks only whole") {
    Fixture f;
    auto pt = PageTable<ToyPte>::create(f.frames, f.mem.window());
    REQUIRE(pt.ok());
    PageAttr rwx{.write = true, .exec = true, .user = true};
    REQUIRE(pt->map(0x1ff000, PhysAddr{0x80000}, 0x1000, rwx, f.frames).ok());  // last page of a table
    REQUIRE(pt->map(0x400000, PhysAddr{0x600000}, 0x200000, rwx, f.frames).ok()); // a 2 MiB block
    REQUIRE(pt->map(0x600000, PhysAddr{0x81000}, 0x2000, rwx, f.frames).ok());  // after it
    REQUIRE(pt->map(0x40000000, PhysAddr{0x83000}, 0x1000, PageAttr{.user = true}, f.frames).ok());
    REQUIRE(pt->map(0x40001000, PhysAddr{0x84000}, 0x1000, rwx, f.frames).ok()); // past the range

    // A range that cuts the block keeps it; pages (and whole blocks) lose write only.
    CHECK(pt->restrict(0x1ff000, 0x401000, true, false) == 1);
    CHECK_FALSE(pt->translate(0x1ff000)->attr.write);
    CHECK(pt->translate(0x1ff000)->attr.exec);
    CHECK(pt->translate(0x400000)->attr.write);
    CHECK(pt->restrict(0x1ff000, 0x40001000, true, false) == 3); // the block and two pages
    CHECK(pt->restrict(0x1ff000, 0x40001000, true, false) == 0); // nothing left to take
    CHECK_FALSE(pt->translate(0x5ff000)->attr.write);
    CHECK(pt->translate(0x5ff000)->pa.value == 0x7ff000);
    CHECK_FALSE(pt->translate(0x601000)->attr.write);
    CHECK(pt->translate(0x40001000)->attr.write); // beyond the end
    // Execute goes the same way; the pages stay mapped where they were.
    CHECK(pt->restrict(0x0, 0x40002000, false, true) == 5);
    CHECK_FALSE(pt->translate(0x40001000)->attr.exec);
    CHECK(pt->translate(0x40001000)->attr.write);
    CHECK(pt->translate(0x600000)->pa.value == 0x81000);
    CHECK(pt->translate(0x40000000)->attr.user);
}

TEST_CASE("paging: each format's restrict is its leaf without the rights taken") {
    auto check = [](auto format) {
        using F = decltype(format);
        for (unsigned level = 0; level < 2; ++level)
            for (int bits = 0; bits < 16; ++bits) {
                PageAttr a{.write = (bits & 1) != 0, .exec = (bits & 2) != 0, .user = (bits & 4) != 0,
                           .global = false, .type = (bits & 8) ? MemType::Device : MemType::Normal};
                for (int drop = 0; drop < 4; ++drop) {
                    PageAttr less = a;
                    less.write = a.write && !(drop & 1);
                    less.exec = a.exec && !(drop & 2);
                    const PhysAddr pa{level ? 0x40200000ull : 0x40123000ull};
                    CHECK(F::restrict(F::leaf(pa, a, level), level, drop & 1, drop & 2) == F::leaf(pa, less, level));
                }
            }
    };
    check(ToyPte{});
    check(arch::x86_64::PteFormat{});
    check(arch::aarch64::PteFormat{});
    check(arch::riscv64::PteFormat{});
}
