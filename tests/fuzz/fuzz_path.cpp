// libFuzzer target (scripts/fuzz host path): procserv's path walk (servers/procserv/
// path.cpp) on any working directory and path. The input is "dir\0path" (the working
// directory is where dir leads from "/", when that is a directory); the filesystem
// has /bin, /etc, /tmp, /tmp/d as directories and /etc/motd, /hello as files. An accepted
// walk gives an absolute name without "." or ".." parts, no "//", that fits `max`.
#include "path.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {
procserv::Kind kind_of(const char* abs, void*) {
    for (const char* d : {"/", "/bin", "/etc", "/tmp", "/tmp/d"})
        if (!strcmp(abs, d)) return procserv::Kind::Dir;
    for (const char* f : {"/etc/motd", "/hello"})
        if (!strcmp(abs, f)) return procserv::Kind::File;
    return procserv::Kind::None;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const size_t cut = input.find('\0');
    const std::string first = cut == std::string::npos ? "/" : input.substr(0, cut);
    const std::string p = cut == std::string::npos ? input : input.substr(cut + 1).c_str(); // (to a second NUL)
    // procserv's working directory is always a walk's result, and a directory.
    char cwd[256];
    if (!procserv::walk_path("/", first.c_str(), cwd, sizeof cwd, kind_of, nullptr).ok() ||
        kind_of(cwd, nullptr) != procserv::Kind::Dir)
        return 0;
    for (uint64_t max : {uint64_t{1}, uint64_t{8}, uint64_t{256}}) {
        char out[256];
        memset(out, 0x55, sizeof out);
        auto r = procserv::walk_path(cwd, p.c_str(), out, max, kind_of, nullptr);
        if (!r.ok()) continue;
        const size_t len = strnlen(out, max);
        if (len >= max || out[0] != '/') abort();
        if (strstr(out, "//") || strstr(out, "/./") || strstr(out, "/../")) abort();
        if (len > 1 && (out[len - 1] == '/' || !strcmp(out + len - 2, "/.") || (len > 2 && !strcmp(out + len - 3, "/.."))))
            abort();
    }
    return 0;
}
