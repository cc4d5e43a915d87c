// What the compiler expects from a freestanding C++ environment. Compiled only into the
// kernel: hosted test builds use the C library's versions.
#include <microkernel/arch.hpp>
#include <microkernel/format.hpp>

namespace kernel {
extern "C" void (*const __init_array_start[])(), (*const __init_array_end[])();

void run_global_constructors() {
    for (auto* f = __init_array_start; f != __init_array_end; ++f) (*f)();
}
} // namespace kernel

extern "C" {

void* memcpy(void* dst, const void* src, kernel::usize n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    while (n--) *d++ = *s++;
    return dst;
}

void* memmove(void* dst, const void* src, kernel::usize n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        d += n;
        s += n;
        while (n--) *--d = *--s;
    }
    return dst;
}

void* memset(void* dst, int c, kernel::usize n) {
    auto* d = static_cast<unsigned char*>(dst);
    while (n--) *d++ = static_cast<unsigned char>(c);
    return dst;
}

int memcmp(const void* a, const void* b, kernel::usize n) {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (; n; --n, ++x, ++y)
        if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}

kernel::usize strlen(const char* s) {
    kernel::usize n = 0;
    while (s[n]) ++n;
    return n;
}

int strcmp(const char* a, const char* b) {
    while (*a && *a == *b) { ++a; ++b; }
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

// A pure virtual call or a failed static-init guard can only be a kernel bug.
void __cxa_pure_virtual() { kernel::panic("pure virtual call"); }

} // extern "C"
