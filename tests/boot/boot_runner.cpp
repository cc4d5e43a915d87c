#include "boot_runner.hpp"

#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

namespace {
// GRUB and U-Boot paint the serial terminal with ANSI/VT100 sequences: drop them, and
// carriage returns, so tests see plain lines.
std::string strip_escapes(const std::string& in) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '\x1b') {
            if (i + 1 < in.size() && in[i + 1] == '[') {
                i += 2;
                while (i < in.size() && !((in[i] >= '@' && in[i] <= '~'))) ++i;
            } else {
                ++i;
            }
            continue;
        }
        if (c == '\r') continue;
        out += c;
    }
    return out;
}
} // namespace

long long BootResult::number_after(const std::string& prefix) const {
    size_t at = output.find(prefix);
    if (at == std::string::npos) return -1;
    at += prefix.size();
    if (at >= output.size() || output[at] < '0' || output[at] > '9') return -1;
    return std::strtoll(output.c_str() + at, nullptr, 10);
}

BootResult boot(const std::string& args, int timeout_seconds) {
    std::string root = env_or("MK_ROOT", ".");
    std::string cmd = "timeout -k 5 " + std::to_string(timeout_seconds + 15) + " '" + root +
                      "/scripts/run' " + env_or("MK_ARCH", "x86_64") + " --no-build --build-dir '" +
                      env_or("MK_BUILD", ".") + "' --timeout " + std::to_string(timeout_seconds) +
                      " " + args + " </dev/null 2>&1";
    BootResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::string raw;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) raw.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.output = strip_escapes(raw);
    return r;
}
