// The riscv64 address-space layout (Sv39: 39-bit virtual addresses, so the upper half
// starts at 0xffffffc000000000 and is 256 GiB big).
#pragma once

#include <arch/riscv64/pte.hpp>
#include <base/types.hpp>

namespace arch {

using Pte = riscv64::PteFormat;

/// Physical address 0 in the kernel's direct map: the very start of the Sv39 upper half
/// (root entries 256..), so the whole upper half minus the last 2 GiB can map RAM.
constexpr kernel::uptr kDirectMapBase = 0xffffffc000000000;

/// The kernel's link address: the last 2 GiB, where -mcmodel=medany code can reach
/// every symbol PC-relatively (root entry 510).
constexpr kernel::uptr kKernelBase = 0xffffffff80000000;

} // namespace arch
