#include <microkernel/cmdline.hpp>
#include <base/boot_only.hpp>

namespace kernel {

BOOT_ONLY bool cmdline_get(const char* cmdline, const char* key, char* out, usize cap) {
    if (!cmdline || !key || !*key) return false;
    const char* p = cmdline;
    while (*p) {
        while (*p == ' ') ++p;
        const char* word = p;
        while (*p && *p != ' ') ++p;
        const char* k = key;
        const char* w = word;
        while (*k && w < p && *w == *k) { ++w; ++k; }
        if (*k) continue;
        if (w == p || *w == '=') {
            if (w < p) ++w; // skip '='
            usize n = 0;
            while (w < p && cap && n + 1 < cap) out[n++] = *w++;
            if (cap) out[n] = '\0';
            return true;
        }
    }
    return false;
}

BOOT_ONLY bool cmdline_has(const char* cmdline, const char* key) {
    char dummy[1];
    return cmdline_get(cmdline, key, dummy, sizeof dummy);
}

BOOT_ONLY Result<u64> cmdline_number(const char* cmdline, const char* key) {
    char digits[16];
    if (!cmdline_get(cmdline, key, digits, sizeof digits)) return Error::NotFound;
    u64 n = 0;
    usize i = 0;
    for (; digits[i]; ++i) {
        if (digits[i] < '0' || digits[i] > '9' || i == 9) return Error::InvalidArgument;
        n = n * 10 + static_cast<u64>(digits[i] - '0');
    }
    if (i == 0) return Error::InvalidArgument;
    return n;
}

} // namespace kernel
