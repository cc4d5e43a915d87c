// Type-safe formatting without a heap: "{}" placeholders, as in std::format.
//   {}      decimal for integers, text for strings, 0x-hex for pointers/PhysAddr
//   {:x}    lower-case hex          {:#x}  with 0x prefix
//   {:016x} zero-padded to width 16 {:8}   right-aligned in width 8   {:<8} left-aligned
//   {{ }}   literal braces
// Too few arguments print "{?}"; extra arguments are ignored.
#pragma once

#include <base/types.hpp>

namespace kernel {

struct FmtArg {
    enum class Kind : u8 { Signed, Unsigned, String, Char, Bool, Pointer } kind;
    union {
        long long s;
        unsigned long long u;
        const char* str;
        char c;
        bool b;
    };
    constexpr FmtArg(int v) : kind(Kind::Signed), s(v) {}
    constexpr FmtArg(long v) : kind(Kind::Signed), s(v) {}
    constexpr FmtArg(long long v) : kind(Kind::Signed), s(v) {}
    constexpr FmtArg(unsigned v) : kind(Kind::Unsigned), u(v) {}
    constexpr FmtArg(unsigned long v) : kind(Kind::Unsigned), u(v) {}
    constexpr FmtArg(unsigned long long v) : kind(Kind::Unsigned), u(v) {}
    constexpr FmtArg(unsigned char v) : kind(Kind::Unsigned), u(v) {}
    constexpr FmtArg(unsigned short v) : kind(Kind::Unsigned), u(v) {}
    constexpr FmtArg(const char* v) : kind(Kind::String), str(v) {}
    constexpr FmtArg(char* v) : kind(Kind::String), str(v) {}
    constexpr FmtArg(char v) : kind(Kind::Char), c(v) {}
    constexpr FmtArg(bool v) : kind(Kind::Bool), b(v) {}
    FmtArg(const void* v) : kind(Kind::Pointer), u(reinterpret_cast<uptr>(v)) {}
    constexpr FmtArg(PhysAddr v) : kind(Kind::Pointer), u(v.value) {}
};

/// Receives formatted characters.
struct Sink {
    void (*put)(void* ctx, char c);
    void* ctx;
};

/// Format into `sink`; returns the number of characters produced.
usize vformat(Sink sink, const char* fmt, const FmtArg* args, usize nargs);

/// Format into `buf` (always NUL-terminated when cap > 0, truncating). Returns the
/// length the full output would have had, like snprintf.
usize vformat_to(char* buf, usize cap, const char* fmt, const FmtArg* args, usize nargs);

template <class... A>
usize format_to(char* buf, usize cap, const char* fmt, const A&... a) {
    if constexpr (sizeof...(A) == 0) {
        return vformat_to(buf, cap, fmt, nullptr, 0);
    } else {
        const FmtArg args[] = {FmtArg(a)...};
        return vformat_to(buf, cap, fmt, args, sizeof...(A));
    }
}

/// Console output, defined by the kernel (console.cpp) on top of arch::console_putc.
void vprint(const char* fmt, const FmtArg* args, usize nargs);
/// One character to the console ('\n' becomes "\r\n"): the put function of a Sink,
/// for code that takes one, like the syscall layer.
void console_put(void* ctx, char c);

template <class... A>
void print(const char* fmt, const A&... a) {
    if constexpr (sizeof...(A) == 0) {
        vprint(fmt, nullptr, 0);
    } else {
        const FmtArg args[] = {FmtArg(a)...};
        vprint(fmt, args, sizeof...(A));
    }
}

} // namespace kernel
