// The aarch64 address space layout (TTBR1 half, 48-bit VA):
//   0xffff000000000000  direct map: physical address 0 and up
//   0xffffffff80000000  the kernel image, linked here (kernel.ld), wherever it was loaded
// The lower half (TTBR0) is left to user space; the kernel keeps no identity map.
#pragma once

#include <arch/aarch64/pte.hpp>

namespace arch {

using Pte = aarch64::PteFormat;
constexpr kernel::uptr kDirectMapBase = 0xffff000000000000;
constexpr kernel::uptr kKernelBase = 0xffffffff80000000;

} // namespace arch
