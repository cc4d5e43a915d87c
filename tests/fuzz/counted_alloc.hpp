// The allocator the host fuzz targets give procserv's tables: zeroed memory, and a count of
// what is still held, which must be 0 once the table is empty again.
#pragma once

#include <cstdint>
#include <cstdlib>

namespace fuzz {

inline long g_live; ///< allocations not freed yet
inline void* zeroed(std::uint64_t bytes) {
    ++g_live;
    return std::calloc(1, bytes);
}
inline void release(void* p) {
    if (p) --g_live;
    std::free(p);
}

} // namespace fuzz
