#include <base/bytes.hpp>
#include <base/boot_only.hpp>
#include <microkernel/fdt.hpp>

namespace kernel::fdt {
namespace {

constexpr u32 kMagic = 0xd00dfeed;
constexpr u32 kHeaderSize = 40;
constexpr u32 kBeginNode = 1, kEndNode = 2, kProp = 3, kNop = 4, kEnd = 9;
constexpr u32 kMaxDepth = 64;

constexpr u32 align4(u32 v) { return (v + 3) & ~3u; }

// Length of a NUL-terminated string starting at p, if it ends before `limit`.
BOOT_ONLY bool bounded_strlen(const u8* p, const u8* limit, u32& len) {
    for (const u8* q = p; q < limit; ++q) {
        if (*q == 0) {
            len = u32(q - p);
            return true;
        }
    }
    return false;
}

} // namespace

BOOT_ONLY u32 Prop::cell(u32 i) const {
    if ((u64(i) + 1) * 4 > len) return 0;
    return load_be32(data + u64(i) * 4);
}

BOOT_ONLY u64 Prop::cells_value(u32 first, u32 cells) const {
    u64 v = 0;
    for (u32 i = 0; i < cells; ++i) v = (v << 32) | cell(first + i);
    return v;
}

BOOT_ONLY const char* Prop::string() const {
    if (len == 0 || data[len - 1] != 0) return nullptr;
    return reinterpret_cast<const char*>(data);
}

BOOT_ONLY bool Prop::contains_string(const char* s) const {
    if (!string()) return false;
    for (u32 off = 0; off < len;) {
        const char* item = reinterpret_cast<const char*>(data + off);
        if (str_equal(item, s)) return true;
        u32 n = 0;
        while (off + n < len && item[n]) ++n;
        off += n + 1;
    }
    return false;
}

BOOT_ONLY Result<Tree> Tree::open(const void* blob, usize max_size) {
    if (!blob) return Error::InvalidArgument;
    if (max_size < kHeaderSize) return Error::Truncated;
    const u8* b = static_cast<const u8*>(blob);
    if (load_be32(b) != kMagic) return Error::Malformed;
    u32 total = load_be32(b + 4);
    u32 off_struct = load_be32(b + 8), off_strings = load_be32(b + 12);
    u32 off_rsv = load_be32(b + 16), version = load_be32(b + 20);
    u32 last_comp = load_be32(b + 24);
    u32 size_strings = load_be32(b + 32), size_struct = load_be32(b + 36);
    if (total < kHeaderSize) return Error::Malformed;
    if (total > max_size) return Error::Truncated;
    if (version < 17 || last_comp > 17) return Error::Unsupported;
    if (u64(off_struct) + size_struct > total || u64(off_strings) + size_strings > total ||
        off_rsv < kHeaderSize || off_struct < kHeaderSize || off_strings < kHeaderSize ||
        off_rsv % 8 || off_struct % 4)
        return Error::Malformed;

    Tree t;
    t.base_ = b;
    t.total_size_ = total;
    t.structs_ = b + off_struct;
    t.struct_size_ = size_struct;
    t.strings_ = reinterpret_cast<const char*>(b + off_strings);
    t.strings_size_ = size_strings;
    t.rsv_ = b + off_rsv;

    // Memory reservation block: (address, size) pairs up to a (0, 0) pair.
    for (u64 off = off_rsv;; off += 16) {
        if (off + 16 > total) return Error::Malformed;
        if (load_be64(b + off) == 0 && load_be64(b + off + 8) == 0) break;
        ++t.rsv_count_;
    }

    // Structure block: one root node, properly nested, every name and property in bounds.
    const u8* s = t.structs_;
    const u8* s_end = s + size_struct;
    const u8* strings_end = b + off_strings + size_strings;
    u32 depth = 0;
    bool root_seen = false, root_closed = false, ended = false;
    u32 off = 0;
    while (!ended) {
        if (u64(off) + 4 > size_struct) return Error::Truncated;
        u32 tok = load_be32(s + off);
        switch (tok) {
        case kBeginNode: {
            if (root_closed || (depth == 0 && root_seen)) return Error::Malformed;
            if (depth == 0 && off != 0) return Error::Malformed; // root first: Node{0}
            u32 nlen;
            if (!bounded_strlen(s + off + 4, s_end, nlen)) return Error::Truncated;
            if (++depth > kMaxDepth) return Error::Malformed;
            root_seen = true;
            off = align4(off + 4 + nlen + 1);
            break;
        }
        case kEndNode:
            if (depth == 0) return Error::Malformed;
            if (--depth == 0) root_closed = true;
            off += 4;
            break;
        case kProp: {
            if (depth == 0) return Error::Malformed;
            if (u64(off) + 12 > size_struct) return Error::Truncated;
            u32 len = load_be32(s + off + 4), nameoff = load_be32(s + off + 8);
            if (u64(off) + 12 + len > size_struct) return Error::Truncated;
            u32 nlen;
            if (nameoff >= size_strings ||
                !bounded_strlen(reinterpret_cast<const u8*>(t.strings_) + nameoff, strings_end, nlen))
                return Error::Malformed;
            off = align4(off + 12 + len);
            break;
        }
        case kNop:
            if (off == 0) return Error::Malformed;
            off += 4;
            break;
        case kEnd:
            if (depth != 0 || !root_closed) return Error::Malformed;
            ended = true;
            break;
        default:
            return Error::Malformed;
        }
    }
    return t;
}

BOOT_ONLY u32 Tree::token(u32 off) const { return load_be32(structs_ + off); }

BOOT_ONLY u32 Tree::after_name(u32 node_offset) const {
    const char* name = reinterpret_cast<const char*>(structs_ + node_offset + 4);
    u32 n = 0;
    while (name[n]) ++n;
    return align4(node_offset + 4 + n + 1);
}

BOOT_ONLY const char* Tree::name(Node n) const {
    return reinterpret_cast<const char*>(structs_ + n.offset + 4);
}

// Offset just after the END_NODE matching the BEGIN_NODE at node_offset.
BOOT_ONLY u32 Tree::skip_node(u32 node_offset) const {
    u32 depth = 0;
    u32 off = node_offset;
    for (;;) {
        u32 tok = token(off);
        if (tok == kBeginNode) {
            ++depth;
            off = after_name(off);
        } else if (tok == kEndNode) {
            off += 4;
            if (--depth == 0) return off;
        } else if (tok == kProp) {
            off = align4(off + 12 + load_be32(structs_ + off + 4));
        } else if (tok == kNop) {
            off += 4;
        } else {
            return off; // kEnd: cannot happen inside a validated node
        }
    }
}

BOOT_ONLY u32 Tree::first_child_offset(Node n) const {
    u32 off = after_name(n.offset);
    for (;;) {
        u32 tok = token(off);
        if (tok == kProp) off = align4(off + 12 + load_be32(structs_ + off + 4));
        else if (tok == kNop) off += 4;
        else return tok == kBeginNode ? off : kNone;
    }
}

BOOT_ONLY u32 Tree::next_sibling_offset(u32 node_offset) const {
    u32 off = skip_node(node_offset);
    while (token(off) == kNop) off += 4;
    return token(off) == kBeginNode ? off : kNone;
}

BOOT_ONLY u32 Tree::next_node_offset(u32 node_offset) const {
    u32 off = after_name(node_offset);
    for (;;) {
        u32 tok = token(off);
        if (tok == kBeginNode) return off;
        if (tok == kProp) off = align4(off + 12 + load_be32(structs_ + off + 4));
        else if (tok == kNop || tok == kEndNode) off += 4;
        else return kNone;
    }
}

BOOT_ONLY Result<Prop> Tree::prop(Node n, const char* want) const {
    u32 off = after_name(n.offset);
    for (;;) {
        u32 tok = token(off);
        if (tok == kNop) {
            off += 4;
            continue;
        }
        if (tok != kProp) return Error::NotFound;
        u32 len = load_be32(structs_ + off + 4);
        if (str_equal(strings_ + load_be32(structs_ + off + 8), want))
            return Prop{structs_ + off + 12, len};
        off = align4(off + 12 + len);
    }
}

BOOT_ONLY Result<Node> Tree::parent(Node n) const {
    u32 stack[kMaxDepth];
    u32 depth = 0;
    for (u32 off = 0;;) {
        u32 tok = token(off);
        if (tok == kBeginNode) {
            if (off == n.offset) {
                if (depth == 0) return Error::NotFound;
                return Node{stack[depth - 1]};
            }
            stack[depth++] = off;
            off = after_name(off);
        } else if (tok == kEndNode) {
            --depth;
            off += 4;
        } else if (tok == kProp) {
            off = align4(off + 12 + load_be32(structs_ + off + 4));
        } else if (tok == kNop) {
            off += 4;
        } else {
            return Error::NotFound;
        }
    }
}

BOOT_ONLY Result<Node> Tree::find_path(const char* path) const {
    if (!path || path[0] != '/') return Error::InvalidArgument;
    Node cur = root();
    const char* p = path + 1;
    while (*p) {
        const char* end = p;
        while (*end && *end != '/') ++end;
        usize len = usize(end - p);
        bool has_unit = false;
        for (const char* q = p; q < end; ++q) has_unit |= *q == '@';
        u32 found = kNone;
        for_each_child(cur, [&](Node c) {
            if (found != kNone) return;
            const char* nm = name(c);
            usize i = 0;
            while (i < len && nm[i] == p[i]) ++i;
            if (i == len && (nm[i] == '\0' || (!has_unit && nm[i] == '@'))) found = c.offset;
        });
        if (found == kNone) return Error::NotFound;
        cur = Node{found};
        p = *end ? end + 1 : end;
    }
    return cur;
}

BOOT_ONLY Result<Node> Tree::find_compatible(const char* compat) const {
    auto c = prop(root(), "compatible");
    if (c && c->contains_string(compat)) return root();
    return find_compatible_after(compat, root());
}

BOOT_ONLY Result<Node> Tree::find_compatible_after(const char* compat, Node after) const {
    for (u32 off = next_node_offset(after.offset); off != kNone; off = next_node_offset(off)) {
        auto c = prop(Node{off}, "compatible");
        if (c && c->contains_string(compat)) return Node{off};
    }
    return Error::NotFound;
}

BOOT_ONLY u32 Tree::cells_of(Node n, const char* prop_name, u32 dflt) const {
    auto p = prop(n, prop_name);
    return p && p->len == 4 ? p->cell(0) : dflt;
}

BOOT_ONLY Result<PhysRange> Tree::reg(Node n, u32 index) const {
    auto par = parent(n);
    u32 ac = par ? cells_of(*par, "#address-cells", 2) : 2;
    u32 sc = par ? cells_of(*par, "#size-cells", 1) : 1;
    if (ac == 0 || ac > 2 || sc > 2) return Error::Unsupported;
    Prop r = TRY(prop(n, "reg"));
    u32 stride = ac + sc;
    if ((u64(index) + 1) * stride * 4 > r.len) return Error::NotFound;
    return PhysRange{r.cells_value(index * stride, ac), r.cells_value(index * stride + ac, sc)};
}

BOOT_ONLY PhysRange Tree::memreserve(u32 i) const {
    return PhysRange{load_be64(rsv_ + u64(i) * 16), load_be64(rsv_ + u64(i) * 16 + 8)};
}

} // namespace kernel::fdt
