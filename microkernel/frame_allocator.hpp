// Physical frame allocator: one bit per 4 KiB frame over the span of RAM. The bitmap
// itself lives in free RAM and is reserved. Frames outside RAM or inside a reserved range
// are never handed out.
#pragma once

#include <microkernel/boot_info.hpp>
#include <base/result.hpp>

namespace kernel {

class FrameAllocator {
  public:
    /// Build over `ram` minus `reserved` (ranges are rounded inwards for RAM, outwards for
    /// reservations). The bitmap is placed in the first free RAM large enough; `window`
    /// is how to reach it.
    Result<void> init(const PhysRange* ram, usize ram_count, const PhysRange* reserved,
                      usize reserved_count, PhysWindow window);

    Result<PhysAddr> alloc();
    /// `count` contiguous frames aligned to `align` bytes (a power of two >= 4 KiB).
    Result<PhysAddr> alloc_contiguous(usize count, u64 align);
    /// The lowest run of free frames, all of it (the root task's untyped memory);
    /// NoMemory when nothing is free.
    Result<PhysRange> take_run();
    /// One frame filled with zeros through `window`.
    Result<PhysAddr> alloc_zeroed(PhysWindow window);
    /// Return a frame. Freeing a frame that is not allocated, or not RAM, is an error.
    Result<void> free(PhysAddr frame);

    usize free_frames() const { return free_; }
    usize managed_frames() const { return managed_; }
    PhysRange bitmap_range() const { return bitmap_range_; }

  private:
    static bool test(const u64* bits, u64 i) { return (bits[i / 64] >> (i % 64)) & 1; }
    static void assign(u64* bits, u64 i, bool v);
    void mark_range(u64* bits, PhysRange r, bool value, bool round_out);
    Result<u64> place_bitmap(const PhysRange* ram, usize ram_count, const PhysRange* reserved,
                             usize reserved_count, u64 bytes) const;

    u64* free_bits_ = nullptr;    ///< bit set = frame free
    u64* managed_bits_ = nullptr; ///< bit set = frame is RAM the allocator may hand out
    u64 base_ = 0;          ///< physical address of frame 0
    u64 frames_ = 0;        ///< frames covered by the bitmap
    usize free_ = 0;
    usize managed_ = 0;     ///< frames that were free after init
    u64 next_ = 0;          ///< next-fit cursor
    PhysRange bitmap_range_{};
};

} // namespace kernel
