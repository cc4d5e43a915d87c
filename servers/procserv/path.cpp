#include "path.hpp"

namespace procserv {

Result<void> walk_path(const char* cwd, const char* path, char* out, std::uint64_t max, KindOf kind_of,
                       void* context) {
    using u64 = std::uint64_t;
    if (max < 2) return Errno{36}; // ENAMETOOLONG: not even "/"
    u64 o = 0;
    if (path[0] != '/')
        for (; cwd[o]; ++o) {
            if (o + 1 >= max) return Errno{36};
            out[o] = cwd[o];
        }
    if (o == 1) o = 0; // the cwd "/" is the empty prefix
    out[o] = 0;
    for (u64 i = 0; path[i];) {
        while (path[i] == '/') ++i;
        u64 j = i;
        while (path[j] && path[j] != '/') ++j;
        u64 len = j - i;
        if (len == 0) break;
        if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
            while (o > 0 && out[o - 1] != '/') --o;
            if (o > 0) --o;
        } else if (!(len == 1 && path[i] == '.')) {
            if (o + 1 + len + 1 > max) return Errno{36};
            out[o++] = '/';
            for (u64 k = 0; k < len; ++k) out[o + k] = path[i + k];
            o += len;
        }
        out[o] = 0;
        // Something follows this name (a '/', maybe then more names): it must be a directory.
        if (path[j] == '/' && o > 0) {
            Kind k = kind_of(out, context);
            if (k == Kind::None) return Errno{2};  // ENOENT
            if (k == Kind::File) return Errno{20}; // ENOTDIR
        }
        i = j;
    }
    if (o == 0) out[o++] = '/';
    out[o] = 0;
    return {};
}

} // namespace procserv
