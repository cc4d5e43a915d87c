// The ELF machine of aarch64 user programs: the kernel's loader refuses any other
// (see base/elf.hpp).
#pragma once

#include <base/types.hpp>

namespace arch {

/// e_machine of aarch64 executables (EM_AARCH64).
constexpr kernel::u16 kElfMachine = 183;

} // namespace arch
