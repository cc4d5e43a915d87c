// The C memory and string functions, for the kernel and for libsys (user programs): the
// compiler itself emits calls to memcpy, memset, memmove and memcmp even in freestanding
// code. Hosted test builds use the C library's, and test these under other names
// (tests/unit/test_libsys.cpp).
//
// Eight bytes at a time: a page copied or cleared costs 512 stores rather than 4096
// (frames are cleared when retyped, fork copies every page). memcpy between pointers
// aligned differently (a program's bytes in the initrd, which cpio aligns to 4 only)
// stores aligned words built from two aligned loads, shifted (all three arches are
// little-endian); a load may take bytes next to the source, never past its last word. The build passes
// -fno-tree-loop-distribute-patterns, so GCC does not turn these loops back into calls to
// themselves.
#include <stddef.h>
#include <stdint.h>

namespace {
using Word = uint64_t __attribute__((may_alias));
constexpr uintptr_t kWordMask = sizeof(Word) - 1;

bool same_alignment(const void* a, const void* b) {
    return ((reinterpret_cast<uintptr_t>(a) ^ reinterpret_cast<uintptr_t>(b)) & kWordMask) == 0;
}
} // namespace

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    if (n >= 2 * sizeof(Word) && same_alignment(d, s)) {
        for (; reinterpret_cast<uintptr_t>(d) & kWordMask; --n) *d++ = *s++;
        for (; n >= sizeof(Word); n -= sizeof(Word), d += sizeof(Word), s += sizeof(Word))
            *reinterpret_cast<Word*>(d) = *reinterpret_cast<const Word*>(s);
    } else if (n >= 2 * sizeof(Word)) {
        for (; reinterpret_cast<uintptr_t>(d) & kWordMask; --n) *d++ = *s++;
        const unsigned shift = (reinterpret_cast<uintptr_t>(s) & kWordMask) * 8; // (not 0: aligned unlike d)
        const Word* from = reinterpret_cast<const Word*>(reinterpret_cast<uintptr_t>(s) & ~kWordMask);
        Word low = *from++;
        for (; n >= sizeof(Word); n -= sizeof(Word), d += sizeof(Word), s += sizeof(Word)) {
            const Word high = *from++; // (holds s[7] at least: never a word past the source's)
            *reinterpret_cast<Word*>(d) = (low >> shift) | (high << (64 - shift));
            low = high;
        }
    }
    while (n--) *d++ = *s++;
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    if (d <= s || d >= s + n) return memcpy(dst, src, n); // forward is safe
    d += n;
    s += n;
    while (n--) *--d = *--s;
    return dst;
}

void* memset(void* dst, int value, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto byte = static_cast<unsigned char>(value);
    if (n >= 2 * sizeof(Word)) {
        for (; reinterpret_cast<uintptr_t>(d) & kWordMask; --n) *d++ = byte;
        const Word w = Word{byte} * 0x0101010101010101ull;
        for (; n >= sizeof(Word); n -= sizeof(Word), d += sizeof(Word)) *reinterpret_cast<Word*>(d) = w;
    }
    while (n--) *d++ = byte;
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (; n; --n, ++x, ++y)
        if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

int strcmp(const char* a, const char* b) {
    while (*a && *a == *b) ++a, ++b;
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

} // extern "C"
