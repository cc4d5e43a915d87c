// Test fixtures made at build time by the standard tools (dtc, cpio), and helpers to
// corrupt copies of them.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

inline std::vector<unsigned char> read_fixture(const std::string& name) {
    std::string path = std::string(MK_FIXTURES) + "/" + name;
    std::vector<unsigned char> data;
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
        unsigned char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.insert(data.end(), buf, buf + n);
        std::fclose(f);
    }
    return data;
}
