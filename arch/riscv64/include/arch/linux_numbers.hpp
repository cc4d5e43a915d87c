// Linux's system-call numbers on riscv64: the generic table, for procserv's Linux front end
// (servers/procserv/linux.cpp), and what riscv64 has of its own.
#pragma once

#include <sys/linux_generic_numbers.hpp>

namespace arch::linux_nr {
using namespace ::linux_generic;
/// open(2)'s O_DIRECTORY here (the native API uses x86_64's values).
constexpr unsigned long o_directory = 0200000;
/// struct sigaction has no sa_restorer here (handler, flags, mask).
constexpr bool sigaction_has_restorer = false;
/// uname(2)'s machine.
constexpr const char* machine = "riscv64";
} // namespace arch::linux_nr
