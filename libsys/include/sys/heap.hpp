// A heap for user programs: first-fit over an address-ordered free list, coalescing on
// free. Every block is 16-aligned and carries a 16-byte header holding its size, so
// free() can check what it is given. Not thread-safe: one heap per thread, or a lock
// around it, once programs have threads that share one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sys {

class Heap {
  public:
    static constexpr std::size_t kAlign = 16;

    /// Manage [base, base + size); both are rounded inwards to kAlign.
    void init(void* base, std::size_t size);

    /// `size` bytes aligned to kAlign, or nullptr when nothing large enough is free.
    void* alloc(std::size_t size);
    /// Return a block from alloc(). A pointer that is not one (outside the heap,
    /// misaligned, or already free) is refused: false, and nothing changes.
    bool release(void* p);
    /// Grow by [end, end + size), which must start where the heap ends now (end() after
    /// init(), or any address for a heap never initialised); size is rounded down to
    /// kAlign. False, and nothing changes, if it does not.
    bool extend(void* end, std::size_t size);
    void* end() const { return reinterpret_cast<void*>(end_); }

    std::size_t free_bytes() const { return free_bytes_; }
    /// The bytes a block from alloc() takes, its header included (what release gives back).
    static std::size_t footprint(const void* p) {
        return reinterpret_cast<const Block*>(static_cast<const char*>(p) - kHeader)->size & ~kUsed;
    }
    std::size_t capacity() const { return end_ - begin_; }

  private:
    struct Block {
        std::size_t size; ///< whole block, header included; low bit set while in use
        Block* next;      ///< next free block by address (free blocks only)
    };
    static constexpr std::size_t kHeader = 16;
    static constexpr std::size_t kUsed = 1;

    std::uintptr_t begin_ = 0, end_ = 0;
    Block* free_list_ = nullptr;
    std::size_t free_bytes_ = 0;
};

/// The program's default heap: an arena in .bss (kDefaultHeapBytes), set up on first use.
constexpr std::size_t kDefaultHeapBytes = 256 * 1024;
Heap& default_heap();

} // namespace sys

extern "C" {
void* malloc(std::size_t size);
void free(void* p);
void* calloc(std::size_t count, std::size_t size);
}
