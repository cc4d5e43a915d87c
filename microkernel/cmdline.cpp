#include <microkernel/cmdline.hpp>
#include <microkernel/boot_only.hpp>

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

} // namespace kernel
