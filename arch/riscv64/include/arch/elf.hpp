// The ELF machine of riscv64 user programs: the kernel's loader refuses any other
// (see base/elf.hpp).
#pragma once

#include <base/types.hpp>

namespace arch {

/// e_machine of riscv64 executables (EM_RISCV).
constexpr kernel::u16 kElfMachine = 243;

} // namespace arch
