// The libgcc bit-counting helpers GCC calls for __builtin_ctz/clz/popcount on a core
// without the Zbb extension. Debian's riscv64 libgcc.a is built for the lp64d (hard-float)
// ABI only and ld refuses to mix it with the soft-float (-mabi=lp64) kernel, so the kernel
// cannot link -lgcc and defines the few helpers it needs here. Written without the
// builtins, which would call back into these very functions.
#include <base/types.hpp>

using kernel::u32;
using kernel::u64;

extern "C" {

int __popcountdi2(u64 x) {
    // Sum bits in parallel: pairs, nibbles, bytes, then add the bytes with a multiply.
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return static_cast<int>((x * 0x0101010101010101ull) >> 56);
}

// Like the builtins, undefined for 0; here they return 64 rather than looping forever.
int __ctzdi2(u64 x) { return __popcountdi2((x & (0 - x)) - 1); }

int __clzdi2(u64 x) {
    // A binary search, unrolled (the scheduler's top_priority() runs one per switch).
    if (!x) return 64;
    int n = 0;
    if (!(x >> 32)) n += 32, x <<= 32;
    if (!(x >> 48)) n += 16, x <<= 16;
    if (!(x >> 56)) n += 8, x <<= 8;
    if (!(x >> 60)) n += 4, x <<= 4;
    if (!(x >> 62)) n += 2, x <<= 2;
    if (!(x >> 63)) n += 1;
    return n;
}

int __popcountsi2(u32 x) { return __popcountdi2(x); }
int __ctzsi2(u32 x) { return x ? __ctzdi2(x) : 32; }
int __clzsi2(u32 x) { return __clzdi2(x) - 32; }

} // extern "C"
