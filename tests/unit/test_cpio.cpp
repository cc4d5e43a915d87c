#include "fixtures.hpp"
#include <catch2/catch.hpp>
#include <cstring>
#include <base/cpio.hpp>
#include <string>

using namespace kernel;

TEST_CASE("cpio: reads an archive made by cpio -H newc") {
    auto data = read_fixture("fixture.cpio");
    REQUIRE(!data.empty());
    auto a = cpio::Archive::open(data.data(), data.size());
    REQUIRE(a.ok());
    CHECK(a->entry_count() == 3);

    auto hello = a->find("hello.txt");
    REQUIRE(hello.ok());
    CHECK(hello->is_file());
    CHECK(std::string(reinterpret_cast<const char*>(hello->data), hello->size) == "Hello, fixture.\n");
    CHECK(a->find("/hello.txt").ok());
    CHECK(a->find("./hello.txt").ok());
    auto empty = a->find("empty.txt");
    REQUIRE(empty.ok());
    CHECK(empty->size == 0);
    CHECK(a->find("missing").error() == Error::NotFound);

    std::string names;
    a->for_each([&](const cpio::Entry& e) { names += std::string(e.name) + ";"; });
    CHECK(names == "empty.txt;hello.txt;notes.md;");
}

TEST_CASE("cpio: every truncation is an error, never an overread") {
    auto data = read_fixture("fixture.cpio");
    // Any prefix shorter than the whole archive lacks (part of) the trailer.
    for (size_t n = 1; n < data.size(); ++n) {
        std::vector<unsigned char> copy(data.begin(), data.begin() + long(n));
        auto a = cpio::Archive::open(copy.data(), copy.size());
        // the trailer entry is followed by zero padding, which a prefix may drop
        if (a.ok()) CHECK(n >= 110 * 4);
        else CHECK((a.error() == Error::Truncated || a.error() == Error::Malformed));
    }
}

TEST_CASE("cpio: corrupt headers are rejected") {
    auto data = read_fixture("fixture.cpio");
    SECTION("bad magic") {
        data[0] = 'X';
        CHECK(cpio::Archive::open(data.data(), data.size()).error() == Error::Malformed);
    }
    SECTION("non-hex digit in a field") {
        data[6 + 6 * 8] = 'g'; // filesize of the first entry
        CHECK(cpio::Archive::open(data.data(), data.size()).error() == Error::Malformed);
    }
    SECTION("file size beyond the archive") {
        std::memcpy(&data[6 + 6 * 8], "7fffffff", 8);
        CHECK(cpio::Archive::open(data.data(), data.size()).error() == Error::Truncated);
    }
    SECTION("name size beyond the archive") {
        std::memcpy(&data[6 + 11 * 8], "ffffffff", 8);
        CHECK(cpio::Archive::open(data.data(), data.size()).error() == Error::Truncated);
    }
    SECTION("name without its terminating NUL") {
        std::memcpy(&data[6 + 11 * 8], "00000002", 8);
        CHECK(cpio::Archive::open(data.data(), data.size()).error() == Error::Malformed);
    }
    SECTION("null pointer") {
        CHECK(cpio::Archive::open(nullptr, 10).error() == Error::InvalidArgument);
    }
}

TEST_CASE("cpio: single-byte corruption anywhere never crashes") {
    auto data = read_fixture("fixture.cpio");
    for (size_t i = 0; i < data.size(); ++i) {
        for (unsigned char v : {0x00, 0x39, 0x66, 0xff}) {
            auto copy = data;
            copy[i] = v;
            auto a = cpio::Archive::open(copy.data(), copy.size());
            if (a.ok())
                a->for_each([](const cpio::Entry& e) {
                    if (e.size) (void)*static_cast<const volatile unsigned char*>(e.data + e.size - 1);
                });
        }
    }
    SUCCEED("no crash, no sanitizer report");
}
