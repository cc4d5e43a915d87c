// Untyped memory: a physical range objects are carved from (seL4's retype). Carving
// advances a watermark; every object records its untyped and its cost (alignment padding
// included), and when the last object carved from an untyped is destroyed the watermark
// goes back to the start. So space comes back exactly, and an untyped can be reused for
// objects of other types once it is empty, but space in the middle is not reused while
// later objects live (give each short-lived group its own child untyped).
#pragma once

#include <microkernel/object/object.hpp>
#include <base/result.hpp>

namespace kernel {
struct PagingOps;
}

namespace kernel {

class Untyped : public KernelObject {
  public:
    /// Smallest untyped, and the largest child untyped one retype may make.
    static constexpr u32 kMinBits = 12, kMaxBits = 47;
    /// Most objects one retype creates.
    static constexpr u32 kMaxCount = 64;

    /// Turn [base, base + size) into an untyped whose header sits at `base`. `base` and
    /// `size` are page aligned, size >= 4 KiB. Used at boot and by retype. `paging` is
    /// the arch's walker for address spaces carved from it (and its children); without
    /// it, retyping an AddressSpace is Unsupported.
    static Result<Untyped*> create(PhysWindow window, PhysAddr base, u64 size,
                                   const PagingOps* paging = nullptr);

    PhysAddr base() const { return base_; }
    u64 size() const { return size_; }
    /// Bytes that can still be carved.
    u64 free_bytes() const { return size_ - watermark_; }
    /// Bytes charged to live objects.
    u64 used_bytes() const { return used_; }
    /// Live objects carved from this untyped.
    u32 children() const { return children_; }

    /// Can `count` objects of `type` (with `size_bits` for cap spaces and untyped) be
    /// carved now? InvalidArgument for a bad type/size/count, NoMemory if they do not fit.
    Result<void> check_retype(ObjectType type, u32 size_bits, u32 count) const;
    /// Carve and construct `count` objects into `out`; check_retype must have allowed it.
    void carve(ObjectType type, u32 size_bits, u32 count, KernelObject** out);
    /// Carve one object (boot code and tests).
    KernelObject& carve(ObjectType type, u32 size_bits) {
        KernelObject* object;
        carve(type, size_bits, 1, &object);
        return *object;
    }
    /// Give back what `object` cost (the reaper calls this after destroying it).
    void release(KernelObject& object);

  private:
    Untyped(PhysWindow window, PhysAddr base, u64 size, const PagingOps* paging);
    Result<void> check_params(ObjectType type, u32 size_bits) const;
    /// Bytes of an object's header (for untyped: the whole range).
    static u64 object_size(ObjectType type, u32 size_bits);
    /// Pages an object owns besides its header (frames, address-space tables).
    static u64 pages_of(ObjectType type, u32 size_bits);
    static u64 object_alignment(ObjectType type);
    /// Where `count` objects carved at offset `from` end.
    u64 end_of(ObjectType type, u32 size_bits, u32 count, u64 from) const;
    u64 first_free() const;

    PhysWindow window_;
    const PagingOps* paging_;
    PhysAddr base_;
    u64 size_;
    u64 watermark_; ///< offset of the first byte never carved since the last reset
    u64 used_ = 0;
    u32 children_ = 0;
};

class Capability;
class CapSpace;

/// The Retype method: carve `count` objects of `type` from the untyped `untyped_cap`
/// names (which needs the Retype right) into the empty slots [first, first + count) of
/// `dest`. Each new capability has all rights and is a child of `untyped_cap`.
Result<void> retype(Capability& untyped_cap, ObjectType type, u32 size_bits, CapSpace& dest,
                    u64 first, u32 count);

} // namespace kernel
