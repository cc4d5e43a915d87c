// How procserv reads and writes a program's memory for its calls: through the program's
// own pages (with_page, procserv.hpp, backs them as the program's touch would and checks
// what the program itself may do), mapped at a few windows of procserv's address space.
#include "procserv.hpp"

namespace procserv {

// ---- the copy windows ----------------------------------------------------------------
// The client pages procserv last read or wrote for calls (with_page) stay mapped at the
// copy windows, so that the next copy to or from one of them (a thread's stack, call after
// call; a parent's stack and its new thread's) needs neither a map nor an unmap; the
// least recently used goes when another is wanted. A frame is forgotten (unmapped) before
// its slot is freed, and all of them before any block is revoked, so no window ever maps a
// frame that is gone.
constexpr int kCopyWindows = 4;
u64 g_copy_frame[kCopyWindows]; // each window's frame slot (0: none)
u64 g_copy_used[kCopyWindows], g_copy_clock;

unsigned char* copy_window(u64 frame) {
    int lru = 0;
    for (int i = 0; i < kCopyWindows; ++i) {
        if (frame && g_copy_frame[i] == frame) {
            g_copy_used[i] = ++g_copy_clock;
            return reinterpret_cast<unsigned char*>(kCopyWindow + i * kPage);
        }
        if (g_copy_used[i] < g_copy_used[lru]) lru = i;
    }
    const u64 at = kCopyWindow + static_cast<u64>(lru) * kPage;
    if (g_copy_frame[lru]) sys::unmap(root::kAddressSpace, at), g_copy_frame[lru] = 0;
    if (!self_map(frame, at, rt::kRead | rt::kWrite).ok()) return nullptr;
    g_copy_frame[lru] = frame, g_copy_used[lru] = ++g_copy_clock;
    return reinterpret_cast<unsigned char*>(at);
}

void copy_window_forget(u64 frame) {
    for (int i = 0; i < kCopyWindows; ++i)
        if (g_copy_frame[i] && (frame == 0 || g_copy_frame[i] == frame)) {
            sys::unmap(root::kAddressSpace, kCopyWindow + static_cast<u64>(i) * kPage);
            g_copy_frame[i] = 0, g_copy_used[i] = 0;
        }
}

/// Store an int in `mm` at `va`, all or nothing (both ends are checked first).
bool store_int(Mm& mm, u64 va, int value) {
    return int_writable(mm, va) && copy_out(mm, va, &value, sizeof value);
}

namespace {
/// [va, va + n) of `mm` page by page: `f(page bytes at va, bytes done so far, chunk)`.
template <class F>
bool each_page(Mm& mm, u64 va, u64 n, bool write, F f) {
    for (u64 done = 0; done < n;) {
        u64 chunk = kPage - (va & (kPage - 1));
        if (chunk > n - done) chunk = n - done;
        if (!with_page(mm, va, write, [&](unsigned char* p) { f(p, done, chunk); })) return false;
        va += chunk, done += chunk;
    }
    return true;
}
} // namespace

bool copy_in(Mm& mm, u64 va, void* dst, u64 n) {
    auto* d = static_cast<unsigned char*>(dst);
    return each_page(mm, va, n, false, [&](unsigned char* p, u64 at, u64 chunk) { memcpy(d + at, p, chunk); });
}

bool copy_out(Mm& mm, u64 va, const void* src, u64 n) {
    auto* s = static_cast<const unsigned char*>(src);
    return each_page(mm, va, n, true, [&](unsigned char* p, u64 at, u64 chunk) { memcpy(p, s + at, chunk); });
}

/// A NUL-terminated string of at most `max` - 1 bytes; -EFAULT / -ENAMETOOLONG. Read a
/// page at a time, up to the NUL.
Result<long> copy_string(Mm& mm, u64 va, char* out, u64 max) {
    u64 n = 0;
    while (n < max) {
        u64 chunk = kPage - ((va + n) & (kPage - 1));
        if (chunk > max - n) chunk = max - n;
        bool nul = false;
        if (!with_page(mm, va + n, false, [&](unsigned char* p) {
                for (u64 i = 0; i < chunk && !nul; ++i) nul = (out[n++] = static_cast<char>(p[i])) == 0;
            }))
            return Errno{sys::kEFAULT};
        if (nul) return static_cast<long>(n - 1);
    }
    return Errno{sys::kENAMETOOLONG};
}

} // namespace procserv
