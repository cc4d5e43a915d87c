// Capabilities and capability spaces.
//
// A Capability names one kernel object with rights and, for endpoints, a badge. Every
// capability is also a node of the derivation tree (seL4's "mapping database"): one
// doubly-linked list in preorder, each node carrying its depth. The descendants of a node
// are exactly the nodes that follow it with a greater depth, so revoke is a walk forward
// and never misses a copy, wherever (in which cap space or thread) that copy lives.
//
// Operations come in two layers. CapSpace's methods take slot indices, validate
// everything and return an Error without touching state; the free functions below them
// (cap_derive, cap_move, cap_delete, cap_revoke) act and cannot fail.
#pragma once

#include <microkernel/object/object.hpp>
#include <base/result.hpp>

namespace kernel {

class Reaper;

class Capability {
  public:
    Capability() = default;
    Capability(const Capability&) = delete;
    Capability& operator=(const Capability&) = delete;

    bool empty() const { return object_ == nullptr; }
    KernelObject* object() const { return object_; }
    ObjectType type() const { return object_->type(); }
    u32 rights() const { return rights_; }
    bool has(u32 rights) const { return (rights_ & rights) == rights; }
    u64 badge() const { return badge_; }
    u32 depth() const { return depth_; }
    /// The next node of the derivation list (for tests and walks).
    const Capability* mdb_next() const { return next_; }
    /// May copies be made? Not of an untyped: it has exactly one capability, so that
    /// every capability to something carved from it descends from that one (it can
    /// still be moved). Nor of a map budget: its one capability moves into the address
    /// space it is given to.
    bool derivable() const {
        return object_->type() != ObjectType::Untyped && object_->type() != ObjectType::MapBudget;
    }
    /// Is this the only capability naming its object?
    bool is_final() const { return object_->caps_ == 1; }
    template <class T>
    T& as() const { return *static_cast<T*>(object_); }

    /// For a mapping capability (kept inside an address space): where it maps.
    KernelObject* mapped_in() const { return mapped_in_; }
    u64 mapped_va() const { return mapped_va_; }

    /// Check type and rights of a non-empty capability.
    Result<void> check(ObjectType type, u32 rights) const;

  private:
    friend void cap_install_root(Capability&, KernelObject&, u32);
    friend void cap_derive(Capability&, Capability&, u32, u64);
    friend void cap_insert_child(Capability&, Capability&, KernelObject&, u32, u64);
    friend void cap_move(Capability&, Capability&);
    friend void cap_delete(Capability&, Reaper&);
    friend void cap_revoke(Capability&, Reaper&);
    friend void cap_unlink(Capability&, Reaper&, bool);
    friend class AddressSpace;

    KernelObject* object_ = nullptr;
    u64 badge_ = 0;
    u32 rights_ = 0;
    u32 depth_ = 0;
    Capability* prev_ = nullptr;
    Capability* next_ = nullptr;
    KernelObject* mapped_in_ = nullptr; ///< the address space this frame capability maps in
    u64 mapped_va_ = 0;
    // (Padding to 64 bytes: a slot's address is then its index shifted, where 56 took a
    // multiply or three instructions on every capability lookup, the IPC fastpath's too;
    // and each slot is one cache line.)
    [[maybe_unused]] u64 pad_ = 0;

    static void ref(KernelObject& o) { ++o.caps_; }
    static bool unref(KernelObject& o) { return --o.caps_ == 0; }
};

/// Put the first capability to a boot-time or freshly created object in an empty slot,
/// as the root of its own derivation tree.
void cap_install_root(Capability& slot, KernelObject& object, u32 rights);
static_assert(sizeof(Capability) == 64, "a slot is one cache line, its index shifted by 6 its offset");
/// Make `dest` (empty) a child of `parent` naming `object` (retype: the parent is the
/// untyped's capability, the object what was carved from it).
void cap_insert_child(Capability& parent, Capability& dest, KernelObject& object, u32 rights,
                      u64 badge);
/// Make `dest` (empty) a child of `parent` naming the same object.
void cap_derive(Capability& parent, Capability& dest, u32 rights, u64 badge);
/// Move a capability to an empty slot; it keeps its place in the derivation tree.
void cap_move(Capability& src, Capability& dest);
/// Delete one capability; its children move up to its parent. Deleting the final
/// capability of an object queues the object on `reaper`. The final capability of an
/// untyped is revoked first, so nothing carved from it outlives it.
void cap_delete(Capability& cap, Reaper& reaper);
/// Delete every descendant of `cap`, transitively; `cap` itself stays.
void cap_revoke(Capability& cap, Reaper& reaper);
/// Take `cap` out of the tree and empty it (internal to cap_delete and cap_revoke).
void cap_unlink(Capability& cap, Reaper& reaper, bool fix_depth);

/// A capability space: a flat table of 2^n slots, indexed by slot number.
class CapSpace : public KernelObject {
  public:
    explicit CapSpace(u32 size_bits);
    static constexpr u32 kMinBits = 1, kMaxBits = 20;
    static constexpr u64 bytes_for(u32 size_bits) {
        return sizeof(CapSpace) + (u64{1} << size_bits) * sizeof(Capability);
    }

    u64 slot_count() const { return slots_count_; }
    /// The raw slot (for kernel-internal use); `index` must be < slot_count().
    Capability& slot(u64 index) { return slots()[index]; }

    /// A non-empty slot holding `type` with at least `rights`.
    Result<Capability*> lookup(u64 index, ObjectType type, u32 rights);
    /// A non-empty slot of any type.
    Result<Capability*> lookup_any(u64 index);
    /// An empty slot to put a capability in.
    Result<Capability*> lookup_empty(u64 index);

    /// Copy with the same rights and badge, as a child of the source.
    Result<void> copy(u64 src, CapSpace& dest_space, u64 dest);
    /// Derive with `rights` (a subset of the source's) and, for an unbadged endpoint
    /// capability, a badge (0 = none).
    Result<void> mint(u64 src, CapSpace& dest_space, u64 dest, u32 rights, u64 badge);
    Result<void> move(u64 src, CapSpace& dest_space, u64 dest);
    /// Delete the capability in `index`; destroys the object if it was the last one.
    Result<void> remove(u64 index, Reaper& reaper);
    /// Delete every capability derived from the one in `index`.
    Result<void> revoke(u64 index, Reaper& reaper);

    /// Delete every capability in the table (part of destroying the cap space).
    void clear(Reaper& reaper);

  private:
    Capability* slots() { return reinterpret_cast<Capability*>(this + 1); }
    u64 slots_count_;
};

} // namespace kernel
