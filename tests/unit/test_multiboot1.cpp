#include "fake_memory.hpp"
#include <catch2/catch.hpp>
#include <cstring>
#include <microkernel/multiboot1.hpp>
#include <string>

using namespace kernel;

namespace {
// Lays out a multiboot1 structure in fake physical memory as QEMU's -kernel loader does.
struct Mb1 {
    FakeMemory mem{0x9000, 0x4000};
    u8* at(u64 pa) { return mem.buffer + (pa - mem.base); }
    void put32(u64 pa, u32 v) { std::memcpy(at(pa), &v, 4); }
    void put64(u64 pa, u64 v) { std::memcpy(at(pa), &v, 8); }
    void str(u64 pa, const char* s) { std::memcpy(at(pa), s, std::strlen(s) + 1); }
    static constexpr u64 kInfo = 0x9000, kMmap = 0x9100, kMods = 0x9200, kCmd = 0x9300,
                         kModName = 0x9400, kName = 0x9500;
    Mb1() {
        std::memset(mem.buffer, 0, mem.size);
        put32(kInfo + 0, 1 | 4 | 8 | 64 | 512);         // meminfo, cmdline, mods, mmap, name
        put32(kInfo + 4, 639);                            // mem_lower KiB
        put32(kInfo + 8, 261120);                         // mem_upper KiB
        put32(kInfo + 16, kCmd);
        put32(kInfo + 20, 1);                             // mods_count
        put32(kInfo + 24, kMods);
        put32(kInfo + 44, 2 * 24);                        // mmap_length
        put32(kInfo + 48, kMmap);
        put32(kInfo + 64, kName);
        entry(kMmap, 0, 0x9fc00, 1);
        entry(kMmap + 24, 0x100000, 0xfee0000, 1);
        put32(kMods + 0, 0x200000);
        put32(kMods + 4, 0x201000);
        put32(kMods + 8, kModName);
        str(kCmd, "/path/kernel.elf test=fault hello");
        str(kModName, "initrd.cpio");
        str(kName, "qemu");
    }
    void entry(u64 pa, u64 base, u64 len, u32 type) {
        put32(pa, 20);
        put64(pa + 4, base);
        put64(pa + 12, len);
        put32(pa + 20, type);
    }
    Result<void> collect(BootInfo& info, u64 limit = 0x400000) {
        return multiboot1::collect_boot_info(PhysAddr{kInfo}, mem.window(), limit, info);
    }
};
} // namespace

TEST_CASE("multiboot1: boot information as QEMU's -kernel loader gives it") {
    Mb1 m;
    BootInfo info;
    // modules and strings point into "RAM" outside the fake buffer: give a window large
    // enough only for the structure itself, and place the module inside the limit.
    REQUIRE(m.collect(info).ok());
    CHECK(std::string(info.cmdline) == "test=fault hello"); // image name dropped
    CHECK(std::string(info.firmware) == "qemu (multiboot1)");
    REQUIRE(info.ram.count == 2);
    CHECK(info.ram.items[1].base == 0x100000);
    CHECK(info.ram.items[1].size == 0xfee0000);
    CHECK(info.initrd.base == 0x200000);
    CHECK(info.initrd.size == 0x1000);
    CHECK(info.reserved.count >= 4);
}

TEST_CASE("multiboot1: pointers beyond the limit and malformed maps are errors") {
    Mb1 m;
    BootInfo info;
    SECTION("structure beyond the limit") {
        CHECK(multiboot1::collect_boot_info(PhysAddr{0x3fffff0}, m.mem.window(), 0x400000, info).error() == Error::OutOfRange);
    }
    SECTION("memory map beyond the limit") {
        m.put32(Mb1::kInfo + 48, 0x3fffff0);
        CHECK(m.collect(info).error() == Error::OutOfRange);
    }
    SECTION("memory map entry with a bad size") {
        m.put32(Mb1::kMmap, 8);
        CHECK(m.collect(info).error() == Error::Malformed);
    }
    SECTION("memory map entry running past the map") {
        m.put32(Mb1::kMmap + 24, 200);
        CHECK(m.collect(info).error() == Error::Malformed);
    }
    SECTION("module ending before it starts") {
        m.put32(Mb1::kMods + 4, 0x100);
        CHECK(m.collect(info).error() == Error::OutOfRange);
    }
    SECTION("absurd module count") {
        m.put32(Mb1::kInfo + 20, 100000);
        CHECK(m.collect(info).error() == Error::Malformed);
    }
    SECTION("command line without its NUL before the limit") {
        std::memset(m.at(Mb1::kCmd), 'x', 0x100);
        CHECK(m.collect(info, Mb1::kCmd + 0x100).error() == Error::OutOfRange);
    }
    SECTION("no memory information at all") {
        m.put32(Mb1::kInfo, 4);
        CHECK(m.collect(info).error() == Error::NotFound);
    }
}
