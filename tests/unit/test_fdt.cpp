#include "fixtures.hpp"
#include <catch2/catch.hpp>
#include <cstring>
#include <microkernel/fdt.hpp>
#include <string>

using namespace kernel;

static fdt::Tree open_fixture(std::vector<unsigned char>& blob) {
    blob = read_fixture("virt.dtb");
    REQUIRE(!blob.empty());
    auto t = fdt::Tree::open(blob.data(), blob.size());
    REQUIRE(t.ok());
    return t.value();
}

TEST_CASE("fdt: lookups in a blob made by dtc") {
    std::vector<unsigned char> blob;
    fdt::Tree t = open_fixture(blob);
    CHECK(t.total_size() == blob.size());
    CHECK(std::string(t.name(t.root())).empty());

    auto serial = t.find_path("/soc/serial");
    REQUIRE(serial.ok());
    CHECK(std::string(t.name(*serial)) == "serial@10000000");
    CHECK(t.find_path("/soc/serial@10000000").ok());
    CHECK(t.find_path("/soc/serial@2").error() == Error::NotFound);
    CHECK(t.find_path("/nope").error() == Error::NotFound);
    CHECK(t.find_path("relative").error() == Error::InvalidArgument);
    CHECK(t.find_path("/").value() == t.root());

    auto reg = t.reg(*serial, 0); // parent has 1 address cell and 1 size cell
    REQUIRE(reg.ok());
    CHECK(reg->base == 0x10000000);
    CHECK(reg->size == 0x100);
    CHECK(t.reg(*serial, 1).error() == Error::NotFound);

    auto uart = t.find_compatible("arm,pl011");
    REQUIRE(uart.ok());
    CHECK(t.reg(*uart, 0)->base == 0x09000000); // 2 + 2 cells at the root
    auto test_dev = t.find_compatible("sifive,test0");
    REQUIRE(test_dev.ok());
    CHECK(t.reg(*test_dev, 0)->base == 0x100000);
    CHECK(t.find_compatible("no,such-device").error() == Error::NotFound);
    CHECK(t.find_compatible_after("sifive,test0", *test_dev).error() == Error::NotFound);

    auto soc = t.parent(*serial);
    REQUIRE(soc.ok());
    CHECK(std::string(t.name(*soc)) == "soc");
    CHECK(t.parent(t.root()).error() == Error::NotFound);

    auto compat = t.prop(*test_dev, "compatible");
    REQUIRE(compat.ok());
    CHECK(compat->contains_string("syscon"));
    CHECK_FALSE(compat->contains_string("sifive"));
    CHECK(t.prop(*test_dev, "nonexistent").error() == Error::NotFound);

    int children = 0;
    t.for_each_child(t.root(), [&](fdt::Node) { ++children; });
    CHECK(children == 8);
    int nodes = 0;
    t.for_each_node([&](fdt::Node) { ++nodes; });
    CHECK(nodes == 16);
}

TEST_CASE("fdt: boot information the way every devicetree arch reads it") {
    std::vector<unsigned char> blob;
    fdt::Tree t = open_fixture(blob);
    BootInfo info;
    REQUIRE(fdt::collect_boot_info(t, PhysAddr{0x4f100000}, info).ok());

    REQUIRE(info.ram.count == 2); // the disabled memory node is ignored
    CHECK(info.ram.items[0].base == 0x40000000);
    CHECK(info.ram.items[0].size == 0x10000000);
    CHECK(info.ram.items[1].base == 0x100000000);
    CHECK(std::string(info.cmdline) == "console=ttyS0 test=fault");
    CHECK(info.initrd.base == 0x48000000);
    CHECK(info.initrd.size == 0x1200);
    CHECK(info.timer_hz == 10000000);
    // the cpu nodes under /cpus, by reg; a disabled one and a node that is no cpu left out
    REQUIRE(info.cpus.count == 2);
    CHECK(info.cpus.items[0] == 0);
    CHECK(info.cpus.items[1] == 1);
    CHECK(info.cpus_listed == 2);

    REQUIRE(info.reserved.count == 4); // memreserve, reserved-memory child, initrd, blob
    CHECK(info.reserved.items[0].base == 0x40000000);
    CHECK(info.reserved.items[0].size == 0x10000);
    CHECK(info.reserved.items[1].base == 0x4f000000);
    CHECK(info.reserved.items[2].base == 0x48000000);
    CHECK(info.reserved.items[3].base == 0x4f100000);
    CHECK(info.reserved.items[3].size == blob.size());
    CHECK_FALSE(info.truncated);
}

TEST_CASE("fdt: bad headers are clear errors") {
    std::vector<unsigned char> blob = read_fixture("virt.dtb");
    REQUIRE(blob.size() > 64);
    CHECK(fdt::Tree::open(nullptr, 100).error() == Error::InvalidArgument);
    CHECK(fdt::Tree::open(blob.data(), 20).error() == Error::Truncated);
    CHECK(fdt::Tree::open(blob.data(), blob.size() - 1).error() == Error::Truncated);
    auto bad_magic = blob;
    bad_magic[0] ^= 0xff;
    CHECK(fdt::Tree::open(bad_magic.data(), bad_magic.size()).error() == Error::Malformed);
    auto old = blob;
    old[23] = 16; // version 16
    CHECK(fdt::Tree::open(old.data(), old.size()).error() == Error::Unsupported);
    auto huge_struct = blob;
    huge_struct[36] = 0x7f; // size_dt_struct far beyond the blob
    CHECK(fdt::Tree::open(huge_struct.data(), huge_struct.size()).error() == Error::Malformed);
}

TEST_CASE("fdt: every truncation and single-byte corruption is handled") {
    std::vector<unsigned char> blob = read_fixture("virt.dtb");
    for (size_t n = 0; n < blob.size(); ++n) {
        // Claim the truncated length in the header too, so the parser has to find it.
        std::vector<unsigned char> copy(blob.begin(), blob.begin() + long(n));
        if (n >= 8) { copy[4] = u8(n >> 24); copy[5] = u8(n >> 16); copy[6] = u8(n >> 8); copy[7] = u8(n); }
        CHECK_FALSE(fdt::Tree::open(copy.data(), copy.size()).ok());
    }
    for (size_t i = 0; i < blob.size(); ++i) {
        for (unsigned char v : {0x00, 0x01, 0x02, 0x03, 0x09, 0x7f, 0xff}) {
            auto copy = blob;
            copy[i] = v;
            auto t = fdt::Tree::open(copy.data(), copy.size());
            if (!t.ok()) continue;
            // Whatever validated must be safe to walk completely.
            t->for_each_node([&](fdt::Node n) {
                (void)t->name(n);
                (void)t->parent(n);
                (void)t->reg(n, 0);
                if (auto c = t->prop(n, "compatible")) (void)c->contains_string("x");
            });
            BootInfo info;
            (void)fdt::collect_boot_info(*t, PhysAddr{0}, info);
        }
    }
    SUCCEED("no crash, no sanitizer report");
}
