#include <microkernel/frame_allocator.hpp>
#include <base/boot_only.hpp>

namespace kernel {
namespace {

// RAM is rounded inwards (a partial page is not usable), reservations outwards.
BOOT_ONLY PhysRange round_in(PhysRange r) {
    u64 b = align_up(r.base, kPageSize), e = align_down(r.end(), kPageSize);
    return e > b ? PhysRange{b, e - b} : PhysRange{};
}
BOOT_ONLY PhysRange round_out(PhysRange r) {
    u64 b = align_down(r.base, kPageSize), e = align_up(r.end(), kPageSize);
    return PhysRange{b, e - b};
}

} // namespace

BOOT_ONLY void FrameAllocator::assign(u64* bits, u64 i, bool v) {
    if (v) bits[i / 64] |= u64{1} << (i % 64);
    else bits[i / 64] &= ~(u64{1} << (i % 64));
}

BOOT_ONLY void FrameAllocator::mark_range(u64* bits, PhysRange r, bool value, bool out) {
    r = out ? round_out(r) : round_in(r);
    u64 lo = r.base < base_ ? base_ : r.base;
    u64 hi = r.end() > base_ + frames_ * kPageSize ? base_ + frames_ * kPageSize : r.end();
    for (u64 pa = lo; pa < hi; pa += kPageSize) assign(bits, (pa - base_) / kPageSize, value);
}

Result<u64> FrameAllocator::place_bitmap(const PhysRange* ram, usize ram_count,
                                         const PhysRange* reserved, usize reserved_count,
                                         u64 bytes) const {
    for (usize i = 0; i < ram_count; ++i) {
        PhysRange r = round_in(ram[i]);
        u64 at = r.base;
        // Slide past every reservation the candidate overlaps until it fits or runs out.
        for (bool moved = true; moved && at + bytes <= r.end();) {
            moved = false;
            for (usize k = 0; k < reserved_count; ++k) {
                PhysRange res = round_out(reserved[k]);
                if (res.overlaps(PhysRange{at, bytes})) {
                    at = res.end();
                    moved = true;
                }
            }
        }
        if (at >= r.base && at + bytes <= r.end()) return at;
    }
    return Error::NoMemory;
}

Result<void> FrameAllocator::init(const PhysRange* ram, usize ram_count, const PhysRange* reserved,
                                  usize reserved_count, PhysWindow window) {
    u64 lo = ~u64{0}, hi = 0;
    for (usize i = 0; i < ram_count; ++i) {
        PhysRange r = round_in(ram[i]);
        if (r.empty()) continue;
        if (r.end() < r.base) return Error::InvalidArgument;
        lo = r.base < lo ? r.base : lo;
        hi = r.end() > hi ? r.end() : hi;
    }
    if (hi <= lo) return Error::NotFound;
    base_ = lo;
    frames_ = (hi - lo) / kPageSize;
    u64 words = (frames_ + 63) / 64;
    u64 bytes = align_up(2 * words * sizeof(u64), kPageSize);
    u64 at = TRY(place_bitmap(ram, ram_count, reserved, reserved_count, bytes));

    bitmap_range_ = PhysRange{at, bytes};
    free_bits_ = window.at<u64>(PhysAddr{at});
    managed_bits_ = free_bits_ + words;
    for (u64 i = 0; i < 2 * words; ++i) free_bits_[i] = 0;

    for (usize i = 0; i < ram_count; ++i) mark_range(managed_bits_, ram[i], true, false);
    for (usize k = 0; k < reserved_count; ++k) mark_range(managed_bits_, reserved[k], false, true);
    mark_range(managed_bits_, bitmap_range_, false, true);
    free_ = 0;
    for (u64 w = 0; w < words; ++w) {
        free_bits_[w] = managed_bits_[w];
        free_ += usize(__builtin_popcountll(managed_bits_[w]));
    }
    managed_ = free_;
    next_ = 0;
    return {};
}

BOOT_ONLY Result<PhysAddr> FrameAllocator::alloc() {
    if (free_ == 0) return Error::NoMemory;
    u64 words = (frames_ + 63) / 64;
    for (u64 n = 0; n < words; ++n) {
        u64 w = (next_ / 64 + n) % words;
        if (free_bits_[w]) {
            u64 i = w * 64 + u64(__builtin_ctzll(free_bits_[w]));
            assign(free_bits_, i, false);
            --free_;
            next_ = i;
            return PhysAddr{base_ + i * kPageSize};
        }
    }
    return Error::NoMemory;
}

BOOT_ONLY Result<PhysAddr> FrameAllocator::alloc_contiguous(usize count, u64 align) {
    if (count == 0 || align < kPageSize || (align & (align - 1))) return Error::InvalidArgument;
    if (count > free_) return Error::NoMemory;
    u64 step = align / kPageSize;
    u64 first = (align_up(base_, align) - base_) / kPageSize;
    for (u64 start = first; start + count <= frames_; start += step) {
        u64 k = 0;
        while (k < count && test(free_bits_, start + k)) ++k;
        if (k == count) {
            for (k = 0; k < count; ++k) assign(free_bits_, start + k, false);
            free_ -= count;
            return PhysAddr{base_ + start * kPageSize};
        }
    }
    return Error::NoMemory;
}

BOOT_ONLY Result<PhysRange> FrameAllocator::take_run() {
    u64 start = 0;
    while (start < frames_ && !test(free_bits_, start)) ++start;
    if (start == frames_) return Error::NoMemory;
    u64 end = start;
    while (end < frames_ && test(free_bits_, end)) assign(free_bits_, end++, false);
    free_ -= end - start;
    return PhysRange{base_ + start * kPageSize, (end - start) * kPageSize};
}

BOOT_ONLY Result<PhysAddr> FrameAllocator::alloc_zeroed(PhysWindow window) {
    PhysAddr pa = TRY(alloc());
    u64* p = window.at<u64>(pa);
    for (usize i = 0; i < kPageSize / sizeof(u64); ++i) p[i] = 0;
    return pa;
}

BOOT_ONLY Result<void> FrameAllocator::free(PhysAddr frame) {
    u64 pa = frame.value;
    if (!is_aligned(pa, kPageSize) || pa < base_ || pa >= base_ + frames_ * kPageSize)
        return Error::InvalidArgument;
    u64 i = (pa - base_) / kPageSize;
    if (!test(managed_bits_, i) || test(free_bits_, i)) return Error::InvalidArgument;
    assign(free_bits_, i, true);
    ++free_;
    return {};
}

} // namespace kernel
