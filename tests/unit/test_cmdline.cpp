#include <catch2/catch.hpp>
#include <microkernel/cmdline.hpp>
#include <string>

using namespace kernel;

TEST_CASE("cmdline: key=value and bare keys") {
    char v[16];
    const char* cl = "console=ttyS0  test=fault quiet testing=no";
    REQUIRE(cmdline_get(cl, "test", v, sizeof v));
    CHECK(std::string(v) == "fault");
    REQUIRE(cmdline_get(cl, "console", v, sizeof v));
    CHECK(std::string(v) == "ttyS0");
    REQUIRE(cmdline_get(cl, "quiet", v, sizeof v));
    CHECK(std::string(v).empty());
    CHECK(cmdline_has(cl, "testing"));
    CHECK_FALSE(cmdline_has(cl, "tes"));
    CHECK_FALSE(cmdline_has(cl, "missing"));
    CHECK_FALSE(cmdline_has("", "test"));
    CHECK_FALSE(cmdline_has(nullptr, "test"));
}

TEST_CASE("cmdline: values are truncated to the buffer") {
    char v[4];
    REQUIRE(cmdline_get("k=abcdef", "k", v, sizeof v));
    CHECK(std::string(v) == "abc");
}

TEST_CASE("cmdline: decimal numbers") {
    CHECK(cmdline_number("asids=3 x", "asids").value() == 3);
    CHECK(cmdline_number("n=123456789", "n").value() == 123456789);
    CHECK(cmdline_number("x=1", "asids").error() == Error::NotFound);
    CHECK(cmdline_number("asids=lots", "asids").error() == Error::InvalidArgument);
    CHECK(cmdline_number("asids=", "asids").error() == Error::InvalidArgument);
    CHECK(cmdline_number("asids", "asids").error() == Error::InvalidArgument);
    CHECK(cmdline_number("asids=12a", "asids").error() == Error::InvalidArgument);
    CHECK(cmdline_number("n=1234567890", "n").error() == Error::InvalidArgument); // 10 digits
}
