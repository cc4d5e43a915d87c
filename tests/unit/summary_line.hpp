// The summary line of a test program (tests/programs/proc/check.hpp's finish()), as the
// boot and Linux suites look for it.
#pragma once

#include <cctype>
#include <string>

/// Does `output` hold the line "<program>: N passed, 0 failed" with N > 0?
inline bool all_passed(const std::string& output, const std::string& program) {
    const std::string head = program + ": ", tail = " passed, 0 failed";
    for (auto at = output.find(head); at != std::string::npos; at = output.find(head, at + 1)) {
        if (at != 0 && output[at - 1] != '\n') continue;
        std::size_t i = at + head.size(), digits = 0;
        while (i < output.size() && std::isdigit(static_cast<unsigned char>(output[i]))) ++i, ++digits;
        if (digits && output[at + head.size()] != '0' && output.compare(i, tail.size(), tail) == 0 &&
            (i + tail.size() == output.size() || output[i + tail.size()] == '\n' || output[i + tail.size()] == '\r'))
            return true;
    }
    return false;
}
