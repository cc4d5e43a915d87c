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
