// Loads from byte buffers that may be unaligned (firmware structures, archives).
#pragma once

#include <base/types.hpp>

namespace kernel {

inline u32 load_le32(const u8* p) {
    u32 v;
    __builtin_memcpy(&v, p, 4);
    return v; // all three targets are little-endian
}
inline u64 load_le64(const u8* p) {
    u64 v;
    __builtin_memcpy(&v, p, 8);
    return v;
}
inline u32 load_be32(const u8* p) {
    return u32(p[0]) << 24 | u32(p[1]) << 16 | u32(p[2]) << 8 | u32(p[3]);
}
inline u64 load_be64(const u8* p) { return u64(load_be32(p)) << 32 | load_be32(p + 4); }

inline bool str_equal(const char* a, const char* b) {
    while (*a && *a == *b) { ++a; ++b; }
    return *a == *b;
}

/// Copy at most `n` bytes of a possibly unterminated string into out[cap].
inline void copy_bounded(char* out, usize cap, const char* src, usize n) {
    if (!cap) return;
    usize i = 0;
    for (; i < n && i + 1 < cap && src[i]; ++i) out[i] = src[i];
    out[i] = '\0';
}

} // namespace kernel
