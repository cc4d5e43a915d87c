// The AArch64 stage-1 descriptor encoding (4 KiB granule, 48-bit VA), checked bit by bit
// against the Arm ARM's layout, and once through the portable walker.
#include "fake_memory.hpp"
#include <arch/aarch64/pte.hpp>
#include <catch2/catch.hpp>

using kernel::MemType;
using kernel::PageAttr;
using kernel::PhysAddr;
using kernel::u64;
using Pte = arch::aarch64::PteFormat;

static_assert(kernel::PteFormat<Pte>);

namespace {
constexpr u64 kValid = 1, kTableOrPage = 2;
constexpr u64 kAp1User = u64{1} << 6, kAp2ReadOnly = u64{1} << 7;
constexpr u64 kShMask = u64{3} << 8, kShInner = u64{3} << 8;
constexpr u64 kAf = u64{1} << 10, kNg = u64{1} << 11;
constexpr u64 kPxn = u64{1} << 53, kUxn = u64{1} << 54;
constexpr u64 kOaMask = 0x0000'ffff'ffff'f000;

u64 attr_index(u64 pte) { return (pte >> 2) & 7; }
/// The MAIR_EL1 attribute byte a descriptor selects.
u64 mair_byte(u64 pte) { return (arch::aarch64::kMair >> (8 * attr_index(pte))) & 0xff; }
} // namespace

TEST_CASE("aarch64 pte: four levels, blocks only at levels 1 and 2", "[pte][aarch64]") {
    CHECK(Pte::kLevels == 4);
    CHECK(Pte::leaf_allowed(0));  // 4 KiB page
    CHECK(Pte::leaf_allowed(1));  // 2 MiB block
    CHECK(Pte::leaf_allowed(2));  // 1 GiB block
    CHECK_FALSE(Pte::leaf_allowed(3)); // no 512 GiB blocks with a 4 KiB granule
}

TEST_CASE("aarch64 pte: table descriptors are 0b11 plus the next table's address", "[pte][aarch64]") {
    u64 pte = Pte::table(PhysAddr{0x4020'3000});
    CHECK(pte == (0x4020'3000 | kValid | kTableOrPage));
    for (unsigned level = 1; level < 4; ++level) {
        CHECK(Pte::is_present(pte));
        CHECK(Pte::is_table(pte, level));
        CHECK(Pte::address(pte, level) == PhysAddr{0x4020'3000});
    }
    CHECK_FALSE(Pte::is_table(pte, 0)); // the same bits at level 0 mean "page"
}

TEST_CASE("aarch64 pte: pages are 0b11 at level 0, blocks 0b01 above", "[pte][aarch64]") {
    u64 page = Pte::leaf(PhysAddr{0x4000'1000}, PageAttr{}, 0);
    CHECK((page & 3) == (kValid | kTableOrPage));
    CHECK_FALSE(Pte::is_table(page, 0));
    for (unsigned level = 1; level <= 2; ++level) {
        u64 block = Pte::leaf(PhysAddr{0x4000'0000}, PageAttr{}, level);
        CHECK((block & 3) == kValid);
        CHECK(Pte::is_present(block));
        CHECK_FALSE(Pte::is_table(block, level));
    }
    CHECK_FALSE(Pte::is_present(0));
    CHECK_FALSE(Pte::is_present(kTableOrPage)); // bit 0 clear: invalid whatever the rest
}

TEST_CASE("aarch64 pte: every leaf has AF and inner shareability", "[pte][aarch64]") {
    for (unsigned level = 0; level <= 2; ++level) {
        u64 pte = Pte::leaf(PhysAddr{0}, PageAttr{.write = true}, level);
        CHECK((pte & kAf) != 0); // no access flag faults: we never clear it
        CHECK((pte & kShMask) == kShInner);
    }
}

TEST_CASE("aarch64 pte: AP, UXN and PXN per attribute", "[pte][aarch64]") {
    const PhysAddr pa{0x4000'0000};
    auto bits = [](u64 pte) { return pte & (kAp1User | kAp2ReadOnly | kPxn | kUxn | kNg); };
    SECTION("kernel read-only data: AP=10, never executable") {
        CHECK(bits(Pte::leaf(pa, PageAttr{}, 0)) == (kAp2ReadOnly | kPxn | kUxn));
    }
    SECTION("kernel data: AP=00, never executable") {
        CHECK(bits(Pte::leaf(pa, PageAttr{.write = true}, 0)) == (kPxn | kUxn));
    }
    SECTION("kernel text: read-only, executable at EL1 only") {
        CHECK(bits(Pte::leaf(pa, PageAttr{.exec = true}, 0)) == (kAp2ReadOnly | kUxn));
    }
    SECTION("user data: AP=01, not global, never executable") {
        u64 pte = Pte::leaf(pa, PageAttr{.write = true, .user = true, .global = false}, 0);
        CHECK(bits(pte) == (kAp1User | kPxn | kUxn | kNg));
    }
    SECTION("user text: AP=11, executable at EL0 only") {
        u64 pte = Pte::leaf(pa, PageAttr{.exec = true, .user = true, .global = false}, 0);
        CHECK(bits(pte) == (kAp1User | kAp2ReadOnly | kPxn | kNg));
    }
}

TEST_CASE("aarch64 pte: AttrIndx selects Device-nGnRnE or Normal write-back", "[pte][aarch64]") {
    u64 device = Pte::leaf(PhysAddr{0x0900'0000}, PageAttr{.write = true, .type = MemType::Device}, 0);
    u64 normal = Pte::leaf(PhysAddr{0x4000'0000}, PageAttr{.write = true}, 0);
    CHECK(attr_index(device) == arch::aarch64::kMairDeviceIndex);
    CHECK(attr_index(normal) == arch::aarch64::kMairNormalIndex);
    CHECK(mair_byte(device) == 0x00); // Device-nGnRnE
    CHECK(mair_byte(normal) == 0xff); // Normal, inner/outer WB non-transient RW-allocate
    CHECK(Pte::attr(device, 0).type == MemType::Device);
    CHECK(Pte::attr(normal, 0).type == MemType::Normal);
}

TEST_CASE("aarch64 pte: address and attributes round trip at each level", "[pte][aarch64]") {
    const PageAttr attrs[] = {
        PageAttr{},
        PageAttr{.write = true},
        PageAttr{.exec = true},
        PageAttr{.write = true, .user = true, .global = false},
        PageAttr{.exec = true, .user = true, .global = false},
        PageAttr{.user = true},
        PageAttr{.write = true, .type = MemType::Device},
    };
    // Aligned to 4 KiB, 2 MiB, 1 GiB; the last is the top of the 48-bit PA space.
    const u64 addrs[3][3] = {
        {0x1000, 0x4020'5000, 0x0000'ffff'ffff'f000},
        {0x20'0000, 0x4020'0000, 0x0000'ffff'ffe0'0000},
        {0x4000'0000, 0x8000'0000, 0x0000'ffff'c000'0000},
    };
    for (unsigned level = 0; level <= 2; ++level) {
        for (u64 a : addrs[level]) {
            for (const PageAttr& attr : attrs) {
                u64 pte = Pte::leaf(PhysAddr{a}, attr, level);
                CHECK(Pte::address(pte, level) == PhysAddr{a});
                CHECK(Pte::attr(pte, level) == attr);
                CHECK((pte & kOaMask) == a);
            }
            CHECK(Pte::address(Pte::table(PhysAddr{a}), level + 1) == PhysAddr{a});
        }
    }
}

TEST_CASE("aarch64 pte: low address bits never leak into a leaf's RES0 or attribute bits",
          "[pte][aarch64]") {
    u64 page = Pte::leaf(PhysAddr{0x4020'1abc}, PageAttr{}, 0);
    CHECK(Pte::address(page, 0) == PhysAddr{0x4020'1000});
    u64 block = Pte::leaf(PhysAddr{0x4020'1000}, PageAttr{}, 1);
    CHECK((block & 0x1f'f000) == 0); // a 2 MiB block's OA bits [20:12] are RES0
    CHECK(Pte::address(block, 1) == PhysAddr{0x4020'0000});
    u64 high = Pte::leaf(PhysAddr{0xffff'ffff'ffff'f000}, PageAttr{.write = true}, 0);
    CHECK((high & ~kOaMask & (u64{0x3ff} << 54)) == kUxn); // only UXN above bit 53 is ours
}

TEST_CASE("aarch64 pte: the portable walker builds the kernel's layout", "[pte][aarch64]") {
    FakeMemory mem{0x4000'0000, 1 << 20};
    kernel::FrameAllocator frames;
    kernel::PhysRange ram[] = {mem.range()};
    REQUIRE(frames.init(ram, 1, nullptr, 0, mem.window()).ok());
    auto pt = kernel::PageTable<Pte>::create(frames, mem.window());
    REQUIRE(pt.ok());

    const u64 kernel_va = 0xffff'ffff'8000'0000, direct_map = 0xffff'0000'0000'0000;
    REQUIRE(pt->map(kernel_va, PhysAddr{0x4040'0000}, 0x3000, PageAttr{.exec = true}, frames).ok());
    REQUIRE(pt->map(direct_map + 0x4000'0000, PhysAddr{0x4000'0000}, u64{1} << 30,
                    PageAttr{.write = true}, frames).ok());
    REQUIRE(pt->map(direct_map + 0x0900'0000, PhysAddr{0x0900'0000}, 0x1000,
                    PageAttr{.write = true, .type = MemType::Device}, frames).ok());

    auto text = pt->translate(kernel_va + 0x2010);
    REQUIRE(text.ok());
    CHECK(text->pa == PhysAddr{0x4040'2010});
    CHECK(text->level == 0);
    CHECK(text->attr == PageAttr{.exec = true});
    auto ram_map = pt->translate(direct_map + 0x7fff'fff8);
    REQUIRE(ram_map.ok());
    CHECK(ram_map->level == 2); // one 1 GiB block
    CHECK(ram_map->pa == PhysAddr{0x7fff'fff8});
    auto uart = pt->translate(direct_map + 0x0900'0018);
    REQUIRE(uart.ok());
    CHECK(uart->attr.type == MemType::Device);

    // Root slot 511 covers the kernel, slot 0 the direct map; both point at tables.
    const u64* root = mem.window().at<u64>(pt->root());
    CHECK(Pte::is_table(root[511], 3));
    CHECK(Pte::is_table(root[0], 3));
    CHECK_FALSE(Pte::is_present(root[1]));
}
