#include <base/format.hpp>

namespace kernel {
namespace {

struct Spec {
    bool hex = false;
    bool prefix = false;
    bool zero = false;
    bool left = false;
    unsigned width = 0;
};

// Parses the text between '{' and '}' (exclusive). Unknown specs are ignored.
Spec parse_spec(const char* p, const char* end) {
    Spec s;
    if (p == end || *p != ':') return s;
    ++p;
    if (p < end && *p == '<') { s.left = true; ++p; }
    if (p < end && *p == '#') { s.prefix = true; ++p; }
    if (p < end && *p == '0') { s.zero = true; ++p; }
    while (p < end && *p >= '0' && *p <= '9') s.width = s.width * 10 + unsigned(*p++ - '0');
    if (p < end && *p == 'x') s.hex = true;
    if (s.width > 64) s.width = 64;
    return s;
}

struct Out {
    Sink sink;
    usize count = 0;
    void put(char c) { sink.put(sink.ctx, c); ++count; }
    void pad(usize n, char c) { while (n--) put(c); }
};

void emit(Out& out, const Spec& spec, const char* text, usize len, bool numeric) {
    usize pad = spec.width > len ? spec.width - len : 0;
    if (!spec.left && !(numeric && spec.zero)) out.pad(pad, ' ');
    if (numeric && spec.zero && !spec.left) {
        // keep a sign or 0x prefix in front of the zeros
        usize lead = 0;
        if (len && text[0] == '-') lead = 1;
        else if (len > 1 && text[0] == '0' && text[1] == 'x') lead = 2;
        for (usize i = 0; i < lead; ++i) out.put(text[i]);
        out.pad(pad, '0');
        text += lead;
        len -= lead;
    }
    for (usize i = 0; i < len; ++i) out.put(text[i]);
    if (spec.left) out.pad(pad, ' ');
}

void emit_unsigned(Out& out, const Spec& spec, unsigned long long v, bool negative, bool hex,
                   bool prefix) {
    char buf[32];
    usize i = sizeof buf;
    do {
        unsigned d = unsigned(hex ? v & 15 : v % 10);
        buf[--i] = char(d < 10 ? '0' + d : 'a' + d - 10);
        v = hex ? v >> 4 : v / 10;
    } while (v);
    if (prefix) { buf[--i] = 'x'; buf[--i] = '0'; }
    if (negative) buf[--i] = '-';
    emit(out, spec, buf + i, sizeof buf - i, true);
}

void emit_arg(Out& out, const Spec& spec, const FmtArg& a) {
    switch (a.kind) {
    case FmtArg::Kind::Signed:
        if (spec.hex) emit_unsigned(out, spec, static_cast<unsigned long long>(a.s), false, true, spec.prefix);
        else emit_unsigned(out, spec, a.s < 0 ? 0ull - static_cast<unsigned long long>(a.s) : static_cast<unsigned long long>(a.s), a.s < 0, false, false);
        return;
    case FmtArg::Kind::Unsigned:
        emit_unsigned(out, spec, a.u, false, spec.hex, spec.hex && spec.prefix);
        return;
    case FmtArg::Kind::Pointer:
        emit_unsigned(out, spec, a.u, false, true, true);
        return;
    case FmtArg::Kind::String: {
        const char* s = a.str ? a.str : "(null)";
        usize n = 0;
        while (s[n]) ++n;
        emit(out, spec, s, n, false);
        return;
    }
    case FmtArg::Kind::Char:
        emit(out, spec, &a.c, 1, false);
        return;
    case FmtArg::Kind::Bool:
        emit(out, spec, a.b ? "true" : "false", a.b ? 4 : 5, false);
        return;
    }
}

} // namespace

[[gnu::cold]] usize vformat(Sink sink, const char* fmt, const FmtArg* args, usize nargs) {
    Out out{sink};
    usize next = 0;
    for (const char* p = fmt; *p; ++p) {
        if (*p == '{' && p[1] == '{') { out.put('{'); ++p; continue; }
        if (*p == '}' && p[1] == '}') { out.put('}'); ++p; continue; }
        if (*p != '{') { out.put(*p); continue; }
        const char* close = p + 1;
        while (*close && *close != '}') ++close;
        if (!*close) { // unterminated: print the rest literally
            for (; *p; ++p) out.put(*p);
            break;
        }
        Spec spec = parse_spec(p + 1, close);
        if (next < nargs) emit_arg(out, spec, args[next++]);
        else emit(out, spec, "{?}", 3, false);
        p = close;
    }
    return out.count;
}

namespace {
struct BufCtx {
    char* buf;
    usize cap;
    usize len;
};
void buf_put(void* ctx, char c) {
    auto* b = static_cast<BufCtx*>(ctx);
    if (b->cap && b->len + 1 < b->cap) b->buf[b->len] = c;
    ++b->len;
}
} // namespace

usize vformat_to(char* buf, usize cap, const char* fmt, const FmtArg* args, usize nargs) {
    BufCtx ctx{buf, cap, 0};
    usize n = vformat(Sink{buf_put, &ctx}, fmt, args, nargs);
    if (cap) buf[ctx.len < cap ? ctx.len : cap - 1] = '\0';
    return n;
}

} // namespace kernel
