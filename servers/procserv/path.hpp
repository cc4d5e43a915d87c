// Path walking, as Linux walks a path: procserv's pure filesystem logic, with no kernel
// calls, so that the host's unit tests check it (tests/unit/test_path.cpp). What the
// filesystem holds is asked through a callback (fs.cpp: the initrd).
#pragma once

#include "result.hpp"

#include <cstdint>

namespace procserv {

enum class Kind { None, File, Dir };

/// What the filesystem has at the absolute, normalised name `abs` ("/a/b").
using KindOf = Kind (*)(const char* abs, void* context);

/// Walk `path` (relative to `cwd`, an absolute directory name, unless it starts with '/')
/// into the absolute name `out` ("/a/b", no "." or "..", at most `max` bytes with the
/// NUL). Every name the walk passes through must be a directory: ENOENT if it is missing,
/// ENOTDIR if it is a file (also for "file/" and "file/.."); the last name itself need not
/// exist. ENAMETOOLONG when the result does not fit.
Result<void> walk_path(const char* cwd, const char* path, char* out, std::uint64_t max, KindOf kind_of,
                       void* context);

} // namespace procserv
