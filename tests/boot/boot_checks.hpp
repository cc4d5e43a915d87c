// What the boot suites' files share: the arch under test, and checks of a boot's console.
#pragma once

#include "boot_runner.hpp"
#include "summary_line.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

inline std::string arch() { return env_or("MK_ARCH", "x86_64"); }

/// A process semantics program (tests/programs/proc/, the same source that passes on
/// Linux in tests/linux) as the first process: every check passes, it ends with status 0
/// and procserv has all its memory back.
inline BootResult run_semantics(const std::string& program, const std::string& options = "") {
    BootResult r = boot(options + " --append exec=" + program, 300);
    SHOW(r);
    CHECK(r.contains("procserv: started " + program + " as pid 1"));
    CHECK(all_passed(r.output, program));
    CHECK_FALSE(r.contains("FAILED"));
    CHECK(memory_returned(r, program));
    CHECK(r.status == 0);
    return r;
}

/// "cpu N online (arch id X)" for N = 1..count-1, and the arch ids of those and of the
/// boot CPU ("booted on B") are 0..count-1, each once.
inline bool every_cpu_online(const std::string& out, unsigned count) {
    std::vector<bool> seen(count, false);
    auto mark = [&](std::size_t at) {
        unsigned long id = std::strtoul(out.c_str() + at, nullptr, 10);
        if (id >= count || seen[id]) return false;
        seen[id] = true;
        return true;
    };
    std::size_t booted = out.find("), booted on ");
    if (booted == std::string::npos || !mark(booted + 13)) return false;
    for (unsigned n = 1; n < count; ++n) {
        const std::string key = "cpu " + std::to_string(n) + " online (arch id ";
        std::size_t at = out.find(key);
        if (at == std::string::npos || !mark(at + key.size())) return false;
    }
    return std::find(seen.begin(), seen.end(), false) == seen.end();
}
