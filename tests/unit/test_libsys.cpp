// libsys' memory and string functions, built for the host under other names (see
// meson.build: -Dmemcpy=libsys_memcpy ...) so that they do not replace the C library's.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <string>

extern "C" {
void* libsys_memcpy(void* dst, const void* src, size_t n);
void* libsys_memmove(void* dst, const void* src, size_t n);
void* libsys_memset(void* dst, int value, size_t n);
int libsys_memcmp(const void* a, const void* b, size_t n);
size_t libsys_strlen(const char* s);
}

TEST_CASE("libsys: memcpy, memset, memcmp, strlen") {
    char buf[16] = {};
    CHECK(libsys_memcpy(buf, "hello", 6) == buf);
    CHECK(std::string(buf) == "hello");
    CHECK(libsys_memcpy(buf, "x", 0) == buf); // n = 0 touches nothing
    CHECK(buf[0] == 'h');
    CHECK(libsys_strlen(buf) == 5);
    CHECK(libsys_strlen("") == 0);
    CHECK(libsys_memset(buf, 0x1ff, sizeof buf) == buf); // only the low byte counts
    for (char c : buf) CHECK(static_cast<unsigned char>(c) == 0xff);
    CHECK(libsys_memcmp("abc", "abc", 3) == 0);
    CHECK(libsys_memcmp("abc", "abd", 3) < 0);
    CHECK(libsys_memcmp("abd", "abc", 3) > 0);
    CHECK(libsys_memcmp("\x80", "\x01", 1) > 0); // compared as unsigned char
    CHECK(libsys_memcmp("a", "b", 0) == 0);
}

TEST_CASE("libsys: memmove handles overlap in both directions") {
    for (size_t shift = 0; shift < 8; ++shift) {
        for (size_t n = 0; n + shift <= 24; ++n) {
            unsigned char forward[24], backward[24], expect_f[24], expect_b[24];
            for (size_t i = 0; i < 24; ++i)
                forward[i] = backward[i] = expect_f[i] = expect_b[i] = static_cast<unsigned char>(i);
            std::memmove(expect_f + shift, expect_f, n); // destination after the source
            std::memmove(expect_b, expect_b + shift, n); // destination before the source
            CHECK(libsys_memmove(forward + shift, forward, n) == forward + shift);
            CHECK(libsys_memmove(backward, backward + shift, n) == backward);
            CHECK(std::memcmp(forward, expect_f, 24) == 0);
            CHECK(std::memcmp(backward, expect_b, 24) == 0);
        }
    }
}
