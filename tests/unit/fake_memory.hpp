// Host stand-in for physical memory: a page-aligned buffer that pretends to start at
// physical address `base`, reached through a PhysWindow exactly as the kernel reaches RAM.
#pragma once

#include <cstdlib>
#include <cstring>
#include <base/types.hpp>

struct FakeMemory {
    kernel::u64 base;
    kernel::u64 size;
    unsigned char* buffer;
    FakeMemory(kernel::u64 phys_base, kernel::u64 bytes)
        : base(phys_base), size(bytes),
          buffer(static_cast<unsigned char*>(std::aligned_alloc(4096, bytes))) {
        std::memset(buffer, 0xa5, bytes); // garbage, so missing initialisation shows
    }
    ~FakeMemory() { std::free(buffer); }
    FakeMemory(const FakeMemory&) = delete;
    FakeMemory& operator=(const FakeMemory&) = delete;
    kernel::PhysWindow window() const {
        return kernel::PhysWindow{reinterpret_cast<kernel::uptr>(buffer) - base};
    }
    kernel::PhysRange range() const { return {base, size}; }
};
