// Flattened devicetree (DTB) reader. `Tree::open` validates the whole blob once (header,
// bounds, token stream, nesting, string offsets); every accessor after that relies on it
// and cannot read out of bounds. Nodes are handles (offsets into the structure block).
#pragma once

#include <microkernel/boot_info.hpp>
#include <base/result.hpp>

namespace kernel::fdt {

struct Node {
    u32 offset = 0; ///< offset of the node's BEGIN_NODE token in the structure block
    constexpr bool operator==(const Node&) const = default;
};

struct Prop {
    const u8* data = nullptr;
    u32 len = 0;
    /// Big-endian cell `i` (32 bits); 0 when out of range.
    u32 cell(u32 i) const;
    /// `cells` big-endian cells starting at cell `first`, as one number (cells <= 2).
    u64 cells_value(u32 first, u32 cells) const;
    /// The property as a NUL-terminated string, or nullptr if it is not one.
    const char* string() const;
    /// True if the property is a string list containing `s`.
    bool contains_string(const char* s) const;
};

class Tree {
  public:
    /// Validate `blob` (at most `max_size` bytes may be read) and open it.
    static Result<Tree> open(const void* blob, usize max_size);

    u32 total_size() const { return total_size_; }
    Node root() const { return Node{0}; }
    const char* name(Node n) const;

    /// Look up by path: "/", "/chosen", "/soc/uart@10000000". A path component without
    /// a unit address matches a node whose name is "component@...".
    Result<Node> find_path(const char* path) const;
    /// The first node after `after` (in document order) whose "compatible" contains
    /// `compat`; start from root() to search everything (root itself is checked).
    Result<Node> find_compatible(const char* compat) const;
    Result<Node> find_compatible_after(const char* compat, Node after) const;
    Result<Prop> prop(Node n, const char* name) const;
    Result<Node> parent(Node n) const;

    /// Entry `index` of the node's "reg", decoded with its parent's #address-cells and
    /// #size-cells.
    Result<PhysRange> reg(Node n, u32 index) const;

    /// Calls f(Node child) for each direct child of `n`.
    template <class F>
    void for_each_child(Node n, F&& f) const {
        u32 off = first_child_offset(n);
        while (off != kNone) {
            f(Node{off});
            off = next_sibling_offset(off);
        }
    }
    /// Calls f(Node) for every node in document order.
    template <class F>
    void for_each_node(F&& f) const {
        for (u32 off = 0; off != kNone; off = next_node_offset(off)) f(Node{off});
    }
    /// Calls f(PhysRange) for each entry of the memory reservation block.
    template <class F>
    void for_each_memreserve(F&& f) const {
        for (u32 i = 0; i < rsv_count_; ++i) f(memreserve(i));
    }

  private:
    static constexpr u32 kNone = 0xffffffffu;
    u32 first_child_offset(Node n) const;
    u32 next_sibling_offset(u32 node_offset) const;
    u32 next_node_offset(u32 node_offset) const;
    u32 skip_node(u32 node_offset) const;        // offset just after the node's END_NODE
    u32 after_name(u32 node_offset) const;       // offset of first token after BEGIN_NODE+name
    u32 token(u32 off) const;
    PhysRange memreserve(u32 i) const;
    u32 cells_of(Node n, const char* prop_name, u32 dflt) const;

    const u8* base_ = nullptr;
    const u8* structs_ = nullptr;
    const char* strings_ = nullptr;
    u32 total_size_ = 0;
    u32 struct_size_ = 0;
    u32 strings_size_ = 0;
    u32 rsv_count_ = 0;
    const u8* rsv_ = nullptr;
};

/// Fill the parts of BootInfo that the devicetree describes the same way on every arch:
/// RAM (/memory nodes), reserved memory (memreserve block, /reserved-memory children),
/// the initrd and command line (/chosen), the timer frequency
/// (/cpus/timebase-frequency, if present), and the blob itself as reserved.
Result<void> collect_boot_info(const Tree& tree, PhysAddr blob_phys, BootInfo& info);

} // namespace kernel::fdt
