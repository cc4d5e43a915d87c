// The x86_64 4-level entry encoding, checked bit by bit against the SDM's layout
// (vol. 3, tables 4-15 to 4-20).
#include <arch/x86_64/pte.hpp>
#include <catch2/catch.hpp>

using kernel::MemType;
using kernel::PageAttr;
using kernel::PhysAddr;
using kernel::u64;
using Pte = arch::x86_64::PteFormat;

static_assert(kernel::PteFormat<Pte>);

namespace {
constexpr u64 P = 1 << 0, W = 1 << 1, U = 1 << 2, PWT = 1 << 3, PCD = 1 << 4, PS = 1 << 7,
              G = 1 << 8, NX = u64{1} << 63;
constexpr u64 kFlagBits = 0xfff | NX; // everything that is not the address
constexpr u64 kAddressBits = 0x000f'ffff'ffff'f000;

/// Restores the CPU-feature flag a test changes.
struct OneGigPages {
    bool saved = Pte::has_1g_pages;
    explicit OneGigPages(bool on) { Pte::has_1g_pages = on; }
    ~OneGigPages() { Pte::has_1g_pages = saved; }
};
} // namespace

TEST_CASE("x86_64 pte: four levels; 4 KiB and 2 MiB leaves, 1 GiB only with the CPU flag",
          "[pte][x86_64]") {
    CHECK(Pte::kLevels == 4);
    SECTION("without 1 GiB pages") {
        OneGigPages flag(false);
        CHECK(Pte::leaf_allowed(0));
        CHECK(Pte::leaf_allowed(1));
        CHECK_FALSE(Pte::leaf_allowed(2));
        CHECK_FALSE(Pte::leaf_allowed(3));
    }
    SECTION("with 1 GiB pages") {
        OneGigPages flag(true);
        CHECK(Pte::leaf_allowed(2));
        CHECK_FALSE(Pte::leaf_allowed(3)); // PS is reserved in a PML4 entry
    }
}

TEST_CASE("x86_64 pte: table entries are P|W|U and the address", "[pte][x86_64]") {
    u64 pte = Pte::table(PhysAddr{0x1234'5000});
    CHECK((pte & kFlagBits) == (P | W | U));
    CHECK((pte & kAddressBits) == 0x1234'5000);
    CHECK(Pte::is_present(pte));
    for (unsigned level = 1; level < 4; ++level) {
        CHECK(Pte::is_table(pte, level));
        CHECK(Pte::address(pte, level) == PhysAddr{0x1234'5000});
    }
    CHECK_FALSE(Pte::is_table(pte, 0)); // level 0 entries always map pages
    CHECK(Pte::table(PhysAddr{0xfff}) == (P | W | U)); // offset bits never leak into flags
}

TEST_CASE("x86_64 pte: leaf bits per attribute", "[pte][x86_64]") {
    const PhysAddr pa{0x20'0000};
    SECTION("read-only kernel data: global, not executable") {
        CHECK((Pte::leaf(pa, PageAttr{}, 0) & kFlagBits) == (P | G | NX));
    }
    SECTION("writable") {
        CHECK((Pte::leaf(pa, PageAttr{.write = true}, 0) & kFlagBits) == (P | W | G | NX));
    }
    SECTION("executable clears NX") {
        CHECK((Pte::leaf(pa, PageAttr{.exec = true}, 0) & kFlagBits) == (P | G));
    }
    SECTION("user, not global") {
        u64 pte = Pte::leaf(pa, PageAttr{.write = true, .user = true, .global = false}, 0);
        CHECK((pte & kFlagBits) == (P | W | U | NX));
    }
    SECTION("device memory is uncacheable: PCD|PWT (PAT entry 3)") {
        u64 pte = Pte::leaf(pa, PageAttr{.write = true, .type = MemType::Device}, 0);
        CHECK((pte & kFlagBits) == (P | W | G | NX | PCD | PWT));
    }
    SECTION("every combination reads back as written, at every leaf level") {
        for (unsigned bits = 0; bits < 32; ++bits) {
            PageAttr a{.write = (bits & 1) != 0, .exec = (bits & 2) != 0, .user = (bits & 4) != 0,
                       .global = (bits & 8) != 0,
                       .type = (bits & 16) ? MemType::Device : MemType::Normal};
            for (unsigned level = 0; level < 3; ++level) {
                u64 pte = Pte::leaf(PhysAddr{0x4000'0000}, a, level);
                CAPTURE(bits, level);
                CHECK(Pte::attr(pte, level) == a);
                CHECK(Pte::is_present(pte));
                CHECK_FALSE(Pte::is_table(pte, level));
                CHECK(((pte & PS) != 0) == (level > 0));
                CHECK((pte & (0x7ffull << 52)) == 0); // bits 52..62: ignored/protection keys
            }
        }
    }
}

TEST_CASE("x86_64 pte: PS tells a large leaf from a table at levels 1 and 2", "[pte][x86_64]") {
    u64 leaf2m = Pte::leaf(PhysAddr{0x4000'0000}, PageAttr{}, 1);
    u64 leaf1g = Pte::leaf(PhysAddr{0x4000'0000}, PageAttr{}, 2);
    u64 leaf4k = Pte::leaf(PhysAddr{0x4000'0000}, PageAttr{}, 0);
    CHECK((leaf2m & PS) != 0);
    CHECK((leaf1g & PS) != 0);
    CHECK((leaf4k & PS) == 0); // bit 7 is PAT in a 4 KiB entry: must stay clear
    CHECK_FALSE(Pte::is_table(leaf2m, 1));
    CHECK_FALSE(Pte::is_table(leaf1g, 2));
    CHECK(Pte::is_table(leaf2m & ~PS, 1));
    CHECK(Pte::is_table(Pte::table(PhysAddr{0x1000}), 3));
}

TEST_CASE("x86_64 pte: addresses round-trip at every level", "[pte][x86_64]") {
    const u64 top = u64{1} << 51; // the highest address bit an entry can hold
    struct Case {
        u64 pa;
        unsigned level;
    };
    for (Case c : {Case{0x0, 0}, Case{0x1000, 0}, Case{top | 0x7654'3000, 0}, Case{0x20'0000, 1},
                   Case{top | 0x3fe0'0000, 1}, Case{0x4000'0000, 2}, Case{top | 0xc000'0000, 2}}) {
        CAPTURE(c.pa, c.level);
        u64 pte = Pte::leaf(PhysAddr{c.pa}, PageAttr{.write = true, .exec = true}, c.level);
        CHECK(Pte::address(pte, c.level) == PhysAddr{c.pa});
        CHECK((pte & kAddressBits) == c.pa);
    }
}

TEST_CASE("x86_64 pte: a large leaf's PAT bit is not part of its address", "[pte][x86_64]") {
    // Bit 12 of a 2 MiB / 1 GiB entry is PAT; an address is never read from it.
    u64 pte = Pte::leaf(PhysAddr{0x20'0000}, PageAttr{}, 1) | (u64{1} << 12);
    CHECK(Pte::address(pte, 1) == PhysAddr{0x20'0000});
    // Unaligned low bits of a physical address are dropped, not turned into flags.
    CHECK(Pte::leaf(PhysAddr{0x20'1000}, PageAttr{}, 1) == Pte::leaf(PhysAddr{0x20'0000}, PageAttr{}, 1));
}

TEST_CASE("x86_64 pte: not-present entries", "[pte][x86_64]") {
    CHECK_FALSE(Pte::is_present(0));
    CHECK_FALSE(Pte::is_present(Pte::leaf(PhysAddr{0x1000}, PageAttr{}, 0) & ~P));
}
