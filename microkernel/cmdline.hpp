// Kernel command line: space-separated `key=value` or bare `key` words.
#pragma once

#include <base/result.hpp>
#include <base/types.hpp>

namespace kernel {

/// Copy the value of `key` into `out` (NUL-terminated, truncated to cap). Returns false
/// when the key is absent. A bare `key` has the empty value.
bool cmdline_get(const char* cmdline, const char* key, char* out, usize cap);
bool cmdline_has(const char* cmdline, const char* key);
/// The value of `key` as a decimal number (at most 9 digits). NotFound when the key is
/// absent, InvalidArgument when its value is not such a number.
Result<u64> cmdline_number(const char* cmdline, const char* key);

} // namespace kernel
