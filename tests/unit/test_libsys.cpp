// The memory and string functions of the kernel and libsys (base/cstring.cpp), built for the host under other names (see
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
int libsys_strcmp(const char* a, const char* b);
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

TEST_CASE("libsys: memcpy, memset and memmove agree with the C library at every alignment and length") {
    // The word-at-a-time paths: source and destination offsets 0..7 (alike and unlike
    // alignment), lengths across the 16-byte threshold and beyond a few words; the bytes
    // around the destination must be untouched.
    alignas(8) unsigned char src[96], got[112], want[112];
    for (size_t i = 0; i < sizeof src; ++i) src[i] = static_cast<unsigned char>(i * 7 + 1);
    for (size_t so = 0; so < 8; ++so)
        for (size_t d_off = 0; d_off < 8; ++d_off)
            for (size_t n : {0, 1, 7, 8, 15, 16, 17, 31, 40, 63, 64, 65, 80}) {
                std::memset(got, 0xee, sizeof got);
                std::memset(want, 0xee, sizeof want);
                libsys_memcpy(got + 8 + d_off, src + so, n);
                std::memcpy(want + 8 + d_off, src + so, n);
                CHECK(std::memcmp(got, want, sizeof got) == 0);
                libsys_memset(got + 8 + d_off, 0x5a + static_cast<int>(n), n);
                std::memset(want + 8 + d_off, 0x5a + static_cast<int>(n), n);
                CHECK(std::memcmp(got, want, sizeof got) == 0);
                // overlapping, destination before and after the source
                libsys_memmove(got + 8 + d_off, got + 8 + so, n);
                std::memmove(want + 8 + d_off, want + 8 + so, n);
                CHECK(std::memcmp(got, want, sizeof got) == 0);
            }
}

TEST_CASE("libsys: strcmp orders as unsigned char") {
    CHECK(libsys_strcmp("abc", "abc") == 0);
    CHECK(libsys_strcmp("abc", "abd") < 0);
    CHECK(libsys_strcmp("abc", "ab") > 0);
    CHECK(libsys_strcmp("", "") == 0);
    CHECK(libsys_strcmp("\x80", "\x01") > 0);
}
