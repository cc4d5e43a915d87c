// Helpers GCC calls that we must not take from libgcc: libgcc is built with FP/SIMD
// enabled (its __popcountdi2 uses the vector CNT instruction), and the kernel leaves
// FP/SIMD trapped (CPACR_EL1.FPEN = 0) so that any such use is caught, not silently
// corrupting user FP state later. -lgcc stays on the link line for anything else.
#include <base/types.hpp>

extern "C" int __popcountdi2(kernel::u64 v) {
    // SWAR bit count, general registers only.
    v = v - ((v >> 1) & 0x5555555555555555);
    v = (v & 0x3333333333333333) + ((v >> 2) & 0x3333333333333333);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0f;
    return static_cast<int>((v * 0x0101010101010101) >> 56);
}
