// The Sv39 entry encoding, checked bit by bit against the privileged spec's layout.
#include <arch/riscv64/pte.hpp>
#include <catch2/catch.hpp>

using kernel::MemType;
using kernel::PageAttr;
using kernel::PhysAddr;
using kernel::u64;
using Pte = arch::riscv64::PteFormat;

static_assert(kernel::PteFormat<Pte>);

namespace {
constexpr u64 V = 1 << 0, R = 1 << 1, W = 1 << 2, X = 1 << 3, U = 1 << 4, G = 1 << 5,
              A = 1 << 6, D = 1 << 7;
constexpr u64 kFlagBits = 0x3ff; // V..D plus the two RSW bits
} // namespace

TEST_CASE("riscv64 pte: three levels, leaves allowed at each", "[pte][riscv64]") {
    CHECK(Pte::kLevels == 3);
    CHECK(Pte::leaf_allowed(0));
    CHECK(Pte::leaf_allowed(1)); // megapage
    CHECK(Pte::leaf_allowed(2)); // gigapage
    CHECK_FALSE(Pte::leaf_allowed(3));
}

TEST_CASE("riscv64 pte: table entries carry only V and the PPN", "[pte][riscv64]") {
    u64 pte = Pte::table(PhysAddr{0x8020'3000});
    CHECK((pte & kFlagBits) == V);
    CHECK(pte >> 10 == 0x8020'3000 >> 12);
    CHECK(Pte::is_present(pte));
    CHECK(Pte::is_table(pte, 2));
    CHECK(Pte::is_table(pte, 1));
    CHECK_FALSE(Pte::is_table(pte, 0)); // a pointer below level 0 does not exist
    CHECK(Pte::address(pte, 2) == PhysAddr{0x8020'3000});
}

TEST_CASE("riscv64 pte: leaf permission bits per attribute", "[pte][riscv64]") {
    const PhysAddr pa{0x8000'0000};
    SECTION("read-only kernel data: R, global, A and D preset") {
        u64 pte = Pte::leaf(pa, PageAttr{}, 0);
        CHECK((pte & kFlagBits) == (V | R | G | A | D));
    }
    SECTION("writable") {
        CHECK((Pte::leaf(pa, PageAttr{.write = true}, 0) & kFlagBits) == (V | R | W | G | A | D));
    }
    SECTION("executable") {
        CHECK((Pte::leaf(pa, PageAttr{.exec = true}, 0) & kFlagBits) == (V | R | X | G | A | D));
    }
    SECTION("user, not global") {
        u64 pte = Pte::leaf(pa, PageAttr{.write = true, .user = true, .global = false}, 0);
        CHECK((pte & kFlagBits) == (V | R | W | U | A | D));
    }
    SECTION("device memory has no hardware encoding, only the software RSW marker") {
        u64 pte = Pte::leaf(pa, PageAttr{.write = true, .type = MemType::Device}, 0);
        CHECK((pte & 0xff) == (V | R | W | G | A | D));
        CHECK((pte & (u64{3} << 61)) == 0); // PBMT stays zero: reserved without Svpbmt
        CHECK(Pte::attr(pte, 0).type == MemType::Device);
    }
    SECTION("the reserved bits 63..54 stay clear") {
        u64 pte = Pte::leaf(PhysAddr{0x00ff'ffff'ffff'f000}, PageAttr{.write = true, .exec = true}, 0);
        CHECK(pte >> 54 == 0);
    }
}

TEST_CASE("riscv64 pte: leaf versus table detection", "[pte][riscv64]") {
    for (unsigned level = 0; level < 3; ++level) {
        u64 leaf = Pte::leaf(PhysAddr{0}, PageAttr{}, level);
        CHECK(Pte::is_present(leaf));
        CHECK_FALSE(Pte::is_table(leaf, level));
    }
    CHECK_FALSE(Pte::is_present(0));
    CHECK_FALSE(Pte::is_present(Pte::table(PhysAddr{0x1000}) & ~V));
    CHECK_FALSE(Pte::is_table(0, 2));
    CHECK(Pte::is_table(V, 1)); // X, W, R all clear: a pointer
    CHECK_FALSE(Pte::is_table(V | X, 1));
}

TEST_CASE("riscv64 pte: address and attributes round trip at each level", "[pte][riscv64]") {
    const PageAttr attrs[] = {
        PageAttr{},
        PageAttr{.write = true},
        PageAttr{.exec = true},
        PageAttr{.write = true, .user = true, .global = false},
        PageAttr{.exec = true, .user = true, .global = false},
        PageAttr{.write = true, .type = MemType::Device},
    };
    // Aligned to each level's size: 4 KiB, 2 MiB, 1 GiB; the last is the top of the
    // 56-bit physical address space Sv39 can name.
    const u64 addrs[3][3] = {
        {0x1000, 0x8020'5000, 0x00ff'ffff'ffff'f000},
        {0x20'0000, 0x8020'0000, 0x00ff'ffff'ffe0'0000},
        {0x4000'0000, 0x8000'0000, 0x00ff'ffff'c000'0000},
    };
    for (unsigned level = 0; level < 3; ++level) {
        for (u64 a : addrs[level]) {
            for (const PageAttr& attr : attrs) {
                u64 pte = Pte::leaf(PhysAddr{a}, attr, level);
                CHECK(Pte::address(pte, level) == PhysAddr{a});
                CHECK(Pte::attr(pte, level) == attr);
                CHECK(((pte >> 10) & ((u64{1} << 44) - 1)) == a >> 12);
            }
            CHECK(Pte::address(Pte::table(PhysAddr{a}), level) == PhysAddr{a});
        }
    }
}

TEST_CASE("riscv64 pte: the PPN ignores the offset bits of the address", "[pte][riscv64]") {
    u64 pte = Pte::leaf(PhysAddr{0x8020'1abc}, PageAttr{}, 0);
    CHECK(Pte::address(pte, 0) == PhysAddr{0x8020'1000});
    CHECK((pte & kFlagBits) == (V | R | G | A | D));
}

TEST_CASE("riscv64 satp: Sv39 mode field", "[pte][riscv64]") {
    CHECK(arch::riscv64::kSatpModeSv39 >> 60 == 8);
}
