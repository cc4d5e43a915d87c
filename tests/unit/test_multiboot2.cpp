#include <catch2/catch.hpp>
#include <cstring>
#include <microkernel/multiboot2.hpp>
#include <string>
#include <vector>

using namespace kernel;

namespace {
// Builds a multiboot2 information structure the way GRUB lays it out.
struct MbiBuilder {
    std::vector<unsigned char> bytes = std::vector<unsigned char>(8, 0);
    void u32_(uint32_t v) { bytes.insert(bytes.end(), reinterpret_cast<unsigned char*>(&v), reinterpret_cast<unsigned char*>(&v) + 4); }
    void u64_(uint64_t v) { bytes.insert(bytes.end(), reinterpret_cast<unsigned char*>(&v), reinterpret_cast<unsigned char*>(&v) + 8); }
    void pad() { while (bytes.size() % 8) bytes.push_back(0); }
    void tag(uint32_t type, const std::vector<unsigned char>& payload) {
        u32_(type);
        u32_(uint32_t(8 + payload.size()));
        bytes.insert(bytes.end(), payload.begin(), payload.end());
        pad();
    }
    std::vector<unsigned char> finish() {
        u32_(0);
        u32_(8);
        uint32_t total = uint32_t(bytes.size());
        std::memcpy(bytes.data(), &total, 4);
        return bytes;
    }
};

std::vector<unsigned char> text(const std::string& s) {
    std::vector<unsigned char> v(s.begin(), s.end());
    v.push_back(0);
    return v;
}

std::vector<unsigned char> grub_like() {
    MbiBuilder b;
    b.tag(1, text("test=fault console=com1"));
    b.tag(2, text("GRUB 2.06-13+deb12u1"));
    std::vector<unsigned char> mod(8);
    uint32_t start = 0x200000, end = 0x201400;
    std::memcpy(mod.data(), &start, 4);
    std::memcpy(mod.data() + 4, &end, 4);
    auto name = text("initrd");
    mod.insert(mod.end(), name.begin(), name.end());
    b.tag(3, mod);
    MbiBuilder m; // mmap payload
    m.bytes.clear();
    m.u32_(24);
    m.u32_(0);
    auto entry = [&](uint64_t base, uint64_t len, uint32_t type) { m.u64_(base); m.u64_(len); m.u32_(type); m.u32_(0); };
    entry(0, 0x9fc00, 1);
    entry(0x9fc00, 0x400, 2);
    entry(0x100000, 0xfee0000, 1);
    entry(0xfffc0000, 0x40000, 2);
    b.tag(6, m.bytes);
    return b.finish();
}
} // namespace

TEST_CASE("multiboot2: boot information as GRUB gives it") {
    auto mbi = grub_like();
    BootInfo info;
    REQUIRE(multiboot2::collect_boot_info(mbi.data(), mbi.size(), PhysAddr{0x10000}, info).ok());
    CHECK(std::string(info.cmdline) == "test=fault console=com1");
    CHECK(std::string(info.firmware) == "GRUB 2.06-13+deb12u1 (multiboot2)");
    REQUIRE(info.ram.count == 2);
    CHECK(info.ram.items[0].size == 0x9fc00);
    CHECK(info.ram.items[1].base == 0x100000);
    CHECK(info.initrd.base == 0x200000);
    CHECK(info.initrd.size == 0x1400);
    REQUIRE(info.reserved.count == 2); // the module and the structure itself
    CHECK(info.reserved.items[1].base == 0x10000);
    CHECK(info.reserved.items[1].size == mbi.size());
}

TEST_CASE("multiboot2: tags are visited in order up to the end tag") {
    auto mbi = grub_like();
    std::vector<uint32_t> types;
    REQUIRE(multiboot2::for_each_tag(mbi.data(), mbi.size(), [&](const multiboot2::Tag& t) { types.push_back(t.type); }).ok());
    CHECK(types == std::vector<uint32_t>{1, 2, 3, 6});
}

TEST_CASE("multiboot2: corrupt structures are errors") {
    auto good = grub_like();
    auto set32 = [](std::vector<unsigned char>& v, size_t off, uint32_t x) { std::memcpy(v.data() + off, &x, 4); };
    BootInfo info;
    CHECK(multiboot2::validate(nullptr, 64).error() == Error::InvalidArgument);
    CHECK(multiboot2::validate(good.data(), 4).error() == Error::Truncated);
    CHECK(multiboot2::validate(good.data(), good.size() - 1).error() == Error::Truncated);
    SECTION("total size too small") {
        set32(good, 0, 8);
        CHECK(multiboot2::validate(good.data(), good.size()).error() == Error::Malformed);
    }
    SECTION("a tag runs past the end") {
        set32(good, 12, 0x10000);
        CHECK(multiboot2::validate(good.data(), good.size()).error() == Error::Malformed);
    }
    SECTION("a tag smaller than its header") {
        set32(good, 12, 4);
        CHECK(multiboot2::validate(good.data(), good.size()).error() == Error::Malformed);
    }
    SECTION("no end tag") {
        set32(good, good.size() - 8, 5);
        CHECK(multiboot2::validate(good.data(), good.size()).error() == Error::Truncated);
    }
    SECTION("memory map with a bad entry size") {
        MbiBuilder b;
        std::vector<unsigned char> m(8, 0);
        b.tag(6, m);
        auto v = b.finish();
        CHECK(multiboot2::collect_boot_info(v.data(), v.size(), PhysAddr{0}, info).error() == Error::Malformed);
    }
    SECTION("module that ends before it starts") {
        MbiBuilder b;
        std::vector<unsigned char> mod(8);
        uint32_t s = 0x3000, e = 0x2000;
        std::memcpy(mod.data(), &s, 4);
        std::memcpy(mod.data() + 4, &e, 4);
        b.tag(3, mod);
        auto v = b.finish();
        CHECK(multiboot2::collect_boot_info(v.data(), v.size(), PhysAddr{0}, info).error() == Error::Malformed);
    }
    SECTION("no memory information at all") {
        MbiBuilder b;
        b.tag(1, text("x"));
        auto v = b.finish();
        CHECK(multiboot2::collect_boot_info(v.data(), v.size(), PhysAddr{0}, info).error() == Error::NotFound);
    }
}

TEST_CASE("multiboot2: any single-byte corruption is handled") {
    auto good = grub_like();
    for (size_t i = 0; i < good.size(); ++i)
        for (unsigned char v : {0x00, 0x07, 0x18, 0xff}) {
            auto copy = good;
            copy[i] = v;
            BootInfo info;
            (void)multiboot2::collect_boot_info(copy.data(), copy.size(), PhysAddr{0}, info);
        }
    SUCCEED("no crash, no sanitizer report");
}
