#include <catch2/catch.hpp>
#include <base/format.hpp>
#include <string>

using namespace kernel;

template <class... A>
static std::string fmt(const char* f, const A&... a) {
    char buf[128];
    format_to(buf, sizeof buf, f, a...);
    return buf;
}

TEST_CASE("format: integers, strings and escapes") {
    CHECK(fmt("plain") == "plain");
    CHECK(fmt("{} + {} = {}", 1, 2, 3) == "1 + 2 = 3");
    CHECK(fmt("{}", -42) == "-42");
    CHECK(fmt("{}", 0) == "0");
    CHECK(fmt("{}", 18446744073709551615ull) == "18446744073709551615");
    CHECK(fmt("{}", -9223372036854775807ll - 1) == "-9223372036854775808");
    CHECK(fmt("{}", "text") == "text");
    CHECK(fmt("{}", static_cast<const char*>(nullptr)) == "(null)");
    CHECK(fmt("{}{}", 'a', true) == "atrue");
    CHECK(fmt("{{}} {}", 5) == "{} 5");
}

TEST_CASE("format: hex, width, alignment") {
    CHECK(fmt("{:x}", 255u) == "ff");
    CHECK(fmt("{:#x}", 255u) == "0xff");
    CHECK(fmt("{:016x}", 0xdeadu) == "000000000000dead");
    CHECK(fmt("{:#010x}", 0xbeefu) == "0x0000beef");
    CHECK(fmt("{:5}", 42) == "   42");
    CHECK(fmt("{:<5}|", 42) == "42   |");
    CHECK(fmt("{:05}", -42) == "-0042");
    CHECK(fmt("{:<6}|", "ab") == "ab    |");
    CHECK(fmt("{}", PhysAddr{0x1000}) == "0x1000");
}

TEST_CASE("format: missing arguments and truncation are safe") {
    CHECK(fmt("{} {}", 1) == "1 {?}");
    CHECK(fmt("open {", 1) == "open {");
    char small[6];
    usize n = format_to(small, sizeof small, "{}", "abcdefghij");
    CHECK(n == 10);
    CHECK(std::string(small) == "abcde");
    char none[1] = {'x'};
    format_to(none, 0, "{}", 1);
    CHECK(none[0] == 'x');
}
