// The ELF machine of x86_64 user programs: the kernel's loader refuses any other
// (see base/elf.hpp).
#pragma once

#include <base/types.hpp>

namespace arch {

/// e_machine of x86_64 executables (EM_X86_64).
constexpr kernel::u16 kElfMachine = 62;

} // namespace arch
