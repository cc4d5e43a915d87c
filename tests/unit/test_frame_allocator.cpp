#include "fake_memory.hpp"
#include <catch2/catch.hpp>
#include <microkernel/frame_allocator.hpp>
#include <set>
#include <vector>

using namespace kernel;

TEST_CASE("frames: never hands out reserved memory, the bitmap, or non-RAM") {
    FakeMemory mem(0x40000000, 4 << 20); // 4 MiB of "RAM" = 1024 frames
    PhysRange ram[] = {{0x40000000, 1 << 20}, {0x40200000, 2 << 20}}; // a hole at 1..2 MiB
    PhysRange reserved[] = {
        {0x40000000, 0x3000},    // e.g. the kernel image
        {0x40080800, 0x100},     // unaligned: rounds out to the whole page
        {0x40250000, 0x10000},   // e.g. the initrd
    };
    FrameAllocator fa;
    REQUIRE(fa.init(ram, 2, reserved, 3, mem.window()).ok());
    PhysRange bitmap = fa.bitmap_range();
    for (auto& r : reserved) CHECK_FALSE(bitmap.overlaps(r));

    std::set<u64> got;
    while (auto f = fa.alloc()) {
        u64 pa = f->value;
        CHECK(pa % kPageSize == 0);
        CHECK(got.insert(pa).second);
        CHECK(((pa >= 0x40000000 && pa < 0x40100000) || (pa >= 0x40200000 && pa < 0x40400000)));
        for (auto& r : reserved) CHECK_FALSE(PhysRange{pa, kPageSize}.overlaps(PhysRange{align_down(r.base, kPageSize), align_up(r.end(), kPageSize) - align_down(r.base, kPageSize)}));
        CHECK_FALSE(bitmap.overlaps(PhysRange{pa, kPageSize}));
    }
    CHECK(fa.free_frames() == 0);
    CHECK(got.size() == fa.managed_frames());
    CHECK(fa.managed_frames() == 768 - 3 - 1 - 16 - bitmap.size / kPageSize);
    CHECK(fa.alloc().error() == Error::NoMemory);

    for (u64 pa : got) REQUIRE(fa.free(PhysAddr{pa}).ok());
    CHECK(fa.free_frames() == fa.managed_frames()); // everything came back, exactly
}

TEST_CASE("frames: bad frees are errors") {
    FakeMemory mem(0x80000000, 1 << 20);
    PhysRange ram[] = {mem.range()};
    PhysRange reserved[] = {{0x80000000, 0x2000}};
    FrameAllocator fa;
    REQUIRE(fa.init(ram, 1, reserved, 1, mem.window()).ok());
    auto f = fa.alloc();
    REQUIRE(f.ok());
    CHECK(fa.free(PhysAddr{f->value + 1}).error() == Error::InvalidArgument);      // unaligned
    CHECK(fa.free(PhysAddr{0x70000000}).error() == Error::InvalidArgument);        // not RAM
    CHECK(fa.free(PhysAddr{0x80000000}).error() == Error::InvalidArgument);        // reserved
    CHECK(fa.free(PhysAddr{fa.bitmap_range().base}).error() == Error::InvalidArgument); // bitmap
    usize before = fa.free_frames();
    REQUIRE(fa.free(*f).ok());
    CHECK(fa.free_frames() == before + 1);
    CHECK(fa.free(*f).error() == Error::InvalidArgument); // double free
    CHECK(fa.free_frames() == before + 1);
}

TEST_CASE("frames: contiguous and zeroed allocations") {
    FakeMemory mem(0x100000, 2 << 20);
    PhysRange ram[] = {mem.range()};
    FrameAllocator fa;
    REQUIRE(fa.init(ram, 1, nullptr, 0, mem.window()).ok());
    auto block = fa.alloc_contiguous(16, 64 * 1024);
    REQUIRE(block.ok());
    CHECK(block->value % (64 * 1024) == 0);
    CHECK(fa.alloc_contiguous(0, 4096).error() == Error::InvalidArgument);
    CHECK(fa.alloc_contiguous(1, 3000).error() == Error::InvalidArgument);
    CHECK(fa.alloc_contiguous(100000, 4096).error() == Error::NoMemory);
    auto z = fa.alloc_zeroed(mem.window());
    REQUIRE(z.ok());
    auto* p = mem.window().at<u64>(*z);
    for (int i = 0; i < 512; ++i) REQUIRE(p[i] == 0);
}

TEST_CASE("frames: no usable RAM, or no room for the bitmap") {
    FrameAllocator fa;
    FakeMemory mem(0x1000, 0x1000);
    PhysRange tiny[] = {{0x1000, 0x800}};
    CHECK(fa.init(tiny, 1, nullptr, 0, mem.window()).error() == Error::NotFound);
    PhysRange one[] = {{0x1000, 0x1000}};
    PhysRange all[] = {{0x1000, 0x1000}};
    CHECK(fa.init(one, 1, all, 1, mem.window()).error() == Error::NoMemory);
}
