#include <microkernel/object/address_space.hpp>
#include <microkernel/object/endpoint.hpp>
#include <microkernel/object/frame.hpp>
#include <microkernel/object/reply.hpp>
#include <microkernel/object/semaphore.hpp>
#include <microkernel/object/untyped.hpp>

namespace kernel {
namespace {

constexpr u64 kObjectAlign = 64; // a cache line: objects never share one

constexpr u64 object_bytes(u64 bytes) { return align_up(bytes, kObjectAlign); }

} // namespace

Untyped::Untyped(PhysWindow window, PhysAddr base, u64 size, const PagingOps* paging)
    : KernelObject(ObjectType::Untyped), window_(window), paging_(paging), base_(base), size_(size),
      watermark_(first_free()) {}

u64 Untyped::first_free() const { return object_bytes(sizeof(Untyped)); }

Result<Untyped*> Untyped::create(PhysWindow window, PhysAddr base, u64 size,
                                 const PagingOps* paging) {
    if (!is_aligned(base.value, kPageSize) || !is_aligned(size, kPageSize) ||
        size < (u64{1} << kMinBits) || base.value + size < base.value)
        return Error::InvalidArgument;
    return new (window.at(base)) Untyped(window, base, size, paging);
}

Result<void> Untyped::check_params(ObjectType type, u32 size_bits) const {
    switch (type) {
    case ObjectType::Untyped:
        if (size_bits < kMinBits || size_bits > kMaxBits) return Error::InvalidArgument;
        return {};
    case ObjectType::CapSpace:
        if (size_bits < CapSpace::kMinBits || size_bits > CapSpace::kMaxBits)
            return Error::InvalidArgument;
        return {};
    case ObjectType::Thread:
    case ObjectType::Endpoint:
    case ObjectType::Semaphore:
    case ObjectType::Reply:
    case ObjectType::Frame:
        if (size_bits != 0) return Error::InvalidArgument;
        return {};
    case ObjectType::AddressSpace:
        if (!paging_) return Error::Unsupported;
        if (size_bits < AddressSpace::kMinBits || size_bits > AddressSpace::kMaxBits)
            return Error::InvalidArgument;
        return {};
    case ObjectType::MapBudget:
        if (size_bits > MapBudget::kMaxBits) return Error::InvalidArgument;
        return {};
    case ObjectType::Console:
    case ObjectType::Machine:
    case ObjectType::IrqHandler: return Error::InvalidArgument; // the kernel's own, never carved
    }
    return Error::InvalidArgument; // a number that is no ObjectType
}

u64 Untyped::object_size(ObjectType type, u32 size_bits) {
    switch (type) {
    case ObjectType::Untyped: return u64{1} << size_bits;
    case ObjectType::CapSpace: return object_bytes(CapSpace::bytes_for(size_bits));
    case ObjectType::Thread: return object_bytes(sizeof(Thread));
    case ObjectType::Endpoint: return object_bytes(sizeof(Endpoint));
    case ObjectType::Semaphore: return object_bytes(sizeof(Semaphore));
    case ObjectType::Reply: return object_bytes(sizeof(Reply));
    case ObjectType::Frame: return object_bytes(sizeof(Frame));
    case ObjectType::AddressSpace: return object_bytes(AddressSpace::header_bytes(size_bits));
    case ObjectType::MapBudget: return object_bytes(MapBudget::header_bytes(size_bits));
    case ObjectType::Console:
    case ObjectType::Machine:
    case ObjectType::IrqHandler: break;
    }
    return 0;
}

u64 Untyped::pages_of(ObjectType type, u32 size_bits) {
    if (type == ObjectType::Frame) return 1;
    if (type == ObjectType::AddressSpace) return AddressSpace::tables_for(size_bits);
    if (type == ObjectType::MapBudget) return MapBudget::tables_for(size_bits);
    return 0;
}

u64 Untyped::object_alignment(ObjectType type) {
    return type == ObjectType::Untyped ? kPageSize : kObjectAlign;
}

// Offsets are relative to base_, which is page aligned, so aligning an offset aligns the
// physical address. Objects that own pages (frames, address spaces) are laid out as a
// batch: all pages first (page aligned, no gaps), then all headers, so a frame costs
// 4 KiB + 64 bytes, not 8 KiB.
u64 Untyped::end_of(ObjectType type, u32 size_bits, u32 count, u64 from) const {
    u64 pages = pages_of(type, size_bits);
    if (pages)
        return align_up(from, kPageSize) + count * (pages * kPageSize + object_size(type, size_bits));
    return align_up(from, object_alignment(type)) + count * object_size(type, size_bits);
}

Result<void> Untyped::check_retype(ObjectType type, u32 size_bits, u32 count) const {
    TRY(check_params(type, size_bits));
    if (count == 0 || count > kMaxCount) return Error::InvalidArgument;
    // No wrap-around: watermark_ <= size_ < 2^64 - base, count <= 64, sizes <= 2^47.
    if (end_of(type, size_bits, count, watermark_) > size_) return Error::NoMemory;
    return {};
}

void Untyped::carve(ObjectType type, u32 size_bits, u32 count, KernelObject** out) {
    const u64 start = watermark_;
    const u64 end = end_of(type, size_bits, count, start);
    const u64 size = object_size(type, size_bits);
    const u64 page_bytes = pages_of(type, size_bits) * kPageSize;
    const u64 first = align_up(start, page_bytes ? kPageSize : object_alignment(type));
    for (u32 i = 0; i < count; ++i) {
        u64 offset = first + count * page_bytes + i * size; // header
        PhysAddr pages = base_ + first + i * page_bytes;
        PhysAddr at = base_ + offset;
        void* mem = window_.at(at);
        KernelObject* object = nullptr;
        switch (type) {
        case ObjectType::Untyped:
            object = Untyped::create(window_, at, size, paging_).value();
            break;
        case ObjectType::CapSpace: object = new (mem) CapSpace(size_bits); break;
        case ObjectType::Thread: object = new (mem) Thread(); break;
        case ObjectType::Endpoint: object = new (mem) Endpoint(); break;
        case ObjectType::Semaphore: object = new (mem) Semaphore(); break;
        case ObjectType::Reply: object = new (mem) Reply(); break;
        case ObjectType::Frame:
            __builtin_memset(window_.at(pages), 0, Frame::kSize); // nothing of a past owner
            object = new (mem) Frame(pages);
            break;
        case ObjectType::AddressSpace:
            object = new (mem) AddressSpace(size_bits, pages, window_, *paging_);
            break;
        case ObjectType::MapBudget: object = new (mem) MapBudget(size_bits, pages); break;
        case ObjectType::Console:
        case ObjectType::Machine:
        case ObjectType::IrqHandler: __builtin_trap(); // check_params refused them
        }
        object->source_ = this;
        // Each object pays its own bytes; the first also pays the alignment gap, so the
        // costs add up to exactly how far the watermark moves.
        object->cost_ = (end - first) / count + (i == 0 ? first - start : 0);
        ++children_;
        out[i] = object;
    }
    used_ += end - start;
    watermark_ = end;
}

void Untyped::release(KernelObject& object) {
    used_ -= object.cost_;
    --children_;
    // Memory is carved in order and not tracked piece by piece; it all comes back when
    // the last object carved from this untyped is gone.
    if (children_ == 0) watermark_ = first_free();
}

Result<void> retype(Capability& untyped_cap, ObjectType type, u32 size_bits, CapSpace& dest,
                    u64 first, u32 count) {
    TRY(untyped_cap.check(ObjectType::Untyped, abi::rights::kRetype));
    Untyped& untyped = untyped_cap.as<Untyped>();
    TRY(untyped.check_retype(type, size_bits, count));
    if (first >= dest.slot_count() || count > dest.slot_count() - first) return Error::OutOfRange;
    for (u64 i = first; i < first + count; ++i) TRY(dest.lookup_empty(i));
    // Validated: from here on nothing can fail.
    KernelObject* objects[Untyped::kMaxCount];
    untyped.carve(type, size_bits, count, objects);
    for (u32 i = 0; i < count; ++i)
        cap_insert_child(untyped_cap, dest.slot(first + i), *objects[i], abi::rights::kAll, 0);
    return {};
}

} // namespace kernel
