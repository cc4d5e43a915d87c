// Basic types shared by the kernel and user space (base/). Physical and virtual addresses
// are distinct integer types so that one cannot be passed where the other is expected by
// accident.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>

namespace kernel {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i64 = std::int64_t;
using usize = std::size_t;
using uptr = std::uintptr_t;

/// A physical address. Never dereferenced directly: go through a PhysWindow.
struct PhysAddr {
    u64 value = 0;
    constexpr auto operator<=>(const PhysAddr&) const = default;
    constexpr PhysAddr operator+(u64 off) const { return {value + off}; }
};

/// A half-open range of physical memory [base, base + size).
struct PhysRange {
    u64 base = 0;
    u64 size = 0;
    constexpr u64 end() const { return base + size; }
    constexpr bool empty() const { return size == 0; }
    constexpr bool overlaps(const PhysRange& o) const {
        return size && o.size && base < o.end() && o.base < end();
    }
};

constexpr u64 kPageSize = 4096;

/// Size of a user thread's FPU/SIMD save area (64-aligned, in the Thread object); each
/// arch static_asserts that its state fits.
constexpr usize kFpuAreaBytes = 1024;
constexpr u64 align_down(u64 v, u64 a) { return v & ~(a - 1); }
constexpr u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }
constexpr bool is_aligned(u64 v, u64 a) { return (v & (a - 1)) == 0; }

/// Physical memory is reached through a window: the kernel's direct map in the kernel,
/// a plain buffer in host tests. virt = phys + offset.
struct PhysWindow {
    uptr offset = 0;
    template <class T = u8>
    T* at(PhysAddr pa) const { return reinterpret_cast<T*>(pa.value + offset); }
    PhysAddr phys_of(const void* p) const { return {reinterpret_cast<uptr>(p) - offset}; }
};

} // namespace kernel
