// A minimal page-table entry format whose bits are easy to read, for tests of the
// generic walker and of address spaces.
#pragma once

#include <microkernel/paging.hpp>

namespace kernel {

// bit 0 present, bit 1 table, bit 2 write, bit 3 exec, bit 4 user, bit 5 device
struct ToyPte {
    static constexpr unsigned kLevels = 4;
    static constexpr u64 table(PhysAddr pa) { return pa.value | 3; }
    static constexpr u64 leaf(PhysAddr pa, PageAttr a, unsigned) {
        return pa.value | 1 | (a.write ? 4 : 0) | (a.exec ? 8 : 0) | (a.user ? 16 : 0) |
               (a.type == MemType::Device ? 32 : 0);
    }
    static constexpr bool is_present(u64 e) { return e & 1; }
    static constexpr bool is_table(u64 e, unsigned) { return e & 2; }
    static constexpr PhysAddr address(u64 e, unsigned) { return {e & ~u64(0xfff)}; }
    static constexpr PageAttr attr(u64 e, unsigned) {
        return PageAttr{.write = bool(e & 4), .exec = bool(e & 8), .user = bool(e & 16),
                        .type = (e & 32) ? MemType::Device : MemType::Normal};
    }
    static constexpr u64 restrict(u64 e, unsigned, bool drop_write, bool drop_exec) {
        return e & ~((drop_write ? u64{4} : 0) | (drop_exec ? u64{8} : 0));
    }
    static constexpr bool leaf_allowed(unsigned level) { return level <= 1; }
};
static_assert(PteFormat<ToyPte>);

} // namespace kernel
