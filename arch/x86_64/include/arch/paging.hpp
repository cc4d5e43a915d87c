// The x86_64 answers to microkernel/arch.hpp's paging questions.
#pragma once

#include <arch/x86_64/pte.hpp>

namespace arch {

using Pte = x86_64::PteFormat;

/// Physical address 0 as the kernel sees it: PML4 slot 256, the first kernel-half slot.
constexpr kernel::uptr kDirectMapBase = 0xffff800000000000;
/// The image is linked at kKernelBase + its physical load address (the top 2 GiB, which
/// -mcmodel=kernel requires).
constexpr kernel::uptr kKernelBase = 0xffffffff80000000;

} // namespace arch
