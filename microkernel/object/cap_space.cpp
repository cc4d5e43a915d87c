#include <microkernel/object/address_space.hpp>
#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/reaper.hpp>

namespace kernel {

Result<void> Capability::check(ObjectType type, u32 rights) const {
    if (empty()) return Error::BadCapability;
    if (object_->type() != type) return Error::WrongType;
    if (!has(rights)) return Error::AccessDenied;
    return {};
}

void cap_install_root(Capability& slot, KernelObject& object, u32 rights) {
    slot.object_ = &object;
    slot.rights_ = rights;
    slot.badge_ = 0;
    slot.depth_ = 0;
    slot.prev_ = slot.next_ = nullptr;
    Capability::ref(object);
}

void cap_derive(Capability& parent, Capability& dest, u32 rights, u64 badge) {
    cap_insert_child(parent, dest, *parent.object_, rights, badge);
}

void cap_insert_child(Capability& parent, Capability& dest, KernelObject& object, u32 rights,
                      u64 badge) {
    // Inserting right after the parent, one level deeper, keeps the list in preorder:
    // the new node is the parent's first child, and the parent's other descendants
    // follow it at depths greater than the parent's.
    dest.object_ = &object;
    dest.rights_ = rights;
    dest.badge_ = badge;
    dest.depth_ = parent.depth_ + 1;
    dest.mapped_in_ = nullptr;
    dest.mapped_va_ = 0;
    dest.prev_ = &parent;
    dest.next_ = parent.next_;
    if (parent.next_) parent.next_->prev_ = &dest;
    parent.next_ = &dest;
    Capability::ref(*dest.object_);
}

void cap_move(Capability& src, Capability& dest) {
    dest.object_ = src.object_;
    dest.rights_ = src.rights_;
    dest.badge_ = src.badge_;
    dest.depth_ = src.depth_;
    dest.mapped_in_ = src.mapped_in_;
    dest.mapped_va_ = src.mapped_va_;
    dest.prev_ = src.prev_;
    dest.next_ = src.next_;
    if (dest.prev_) dest.prev_->next_ = &dest;
    if (dest.next_) dest.next_->prev_ = &dest;
    src.object_ = nullptr;
    src.mapped_in_ = nullptr;
    src.prev_ = src.next_ = nullptr;
}

void cap_unlink(Capability& cap, Reaper& reaper, bool fix_depth) {
    // A mapping goes with its capability, before the frame can be destroyed.
    auto* space = static_cast<AddressSpace*>(cap.mapped_in_);
    if (space) space->mapping_deleted(cap);
    cap.mapped_in_ = nullptr;
    cap.mapped_va_ = 0;
    if (fix_depth) {
        // The children move up to our parent: each descendant loses one level.
        for (Capability* d = cap.next_; d && d->depth_ > cap.depth_; d = d->next_) --d->depth_;
    }
    if (cap.prev_) cap.prev_->next_ = cap.next_;
    if (cap.next_) cap.next_->prev_ = cap.prev_;
    KernelObject* object = cap.object_;
    cap.object_ = nullptr;
    cap.prev_ = cap.next_ = nullptr;
    cap.rights_ = 0;
    cap.badge_ = 0;
    cap.depth_ = 0;
    if (Capability::unref(*object)) reaper.retire(*object);
    if (space) space->slot_emptied(cap); // its hash run closes up
}

void cap_revoke(Capability& cap, Reaper& reaper) {
    // Descendants are exactly the following nodes deeper than `cap`. Every one of them
    // goes, so nobody needs its depth fixed.
    while (cap.next_ && cap.next_->depth_ > cap.depth_) cap_unlink(*cap.next_, reaper, false);
}

void cap_delete(Capability& cap, Reaper& reaper) {
    // Everything carved from an untyped is named only by capabilities derived from
    // the untyped's capabilities; deleting the last of those revokes them first, so no
    // object outlives the memory it lives in.
    if (cap.is_final() && cap.type() == ObjectType::Untyped) cap_revoke(cap, reaper);
    cap_unlink(cap, reaper, true);
}

CapSpace::CapSpace(u32 size_bits)
    : KernelObject(ObjectType::CapSpace), slots_count_(u64{1} << size_bits) {
    for (u64 i = 0; i < slots_count_; ++i) new (&slots()[i]) Capability();
}

Result<Capability*> CapSpace::lookup_any(u64 index) {
    if (index >= slots_count_) return Error::OutOfRange;
    Capability* c = &slots()[index];
    if (c->empty()) return Error::BadCapability;
    return c;
}

Result<Capability*> CapSpace::lookup(u64 index, ObjectType type, u32 rights) {
    Capability* c = TRY(lookup_any(index));
    TRY(c->check(type, rights));
    return c;
}

Result<Capability*> CapSpace::lookup_empty(u64 index) {
    if (index >= slots_count_) return Error::OutOfRange;
    Capability* c = &slots()[index];
    if (!c->empty()) return Error::Exists;
    return c;
}

Result<void> CapSpace::copy(u64 src, CapSpace& dest_space, u64 dest) {
    Capability* s = TRY(lookup_any(src));
    Capability* d = TRY(dest_space.lookup_empty(dest));
    if (!s->derivable()) return Error::Unsupported;
    cap_derive(*s, *d, s->rights(), s->badge());
    return {};
}

Result<void> CapSpace::mint(u64 src, CapSpace& dest_space, u64 dest, u32 rights, u64 badge) {
    Capability* s = TRY(lookup_any(src));
    Capability* d = TRY(dest_space.lookup_empty(dest));
    if (!s->derivable()) return Error::Unsupported;
    if (rights & ~abi::rights::kAll) return Error::InvalidArgument;
    if ((rights & s->rights()) != rights) return Error::AccessDenied; // may only lose rights
    if (badge != 0) {
        if (s->type() != ObjectType::Endpoint) return Error::InvalidArgument;
        if (s->badge() != 0) return Error::InvalidArgument; // a badge, once set, is final
    }
    cap_derive(*s, *d, rights, badge ? badge : s->badge());
    return {};
}

Result<void> CapSpace::move(u64 src, CapSpace& dest_space, u64 dest) {
    Capability* s = TRY(lookup_any(src));
    Capability* d = TRY(dest_space.lookup_empty(dest));
    cap_move(*s, *d);
    return {};
}

Result<void> CapSpace::remove(u64 index, Reaper& reaper) {
    Capability* c = TRY(lookup_any(index));
    cap_delete(*c, reaper);
    reaper.drain();
    return {};
}

Result<void> CapSpace::revoke(u64 index, Reaper& reaper) {
    Capability* c = TRY(lookup_any(index));
    cap_revoke(*c, reaper);
    reaper.drain();
    return {};
}

void CapSpace::clear(Reaper& reaper) {
    for (u64 i = 0; i < slots_count_; ++i)
        if (!slots()[i].empty()) cap_delete(slots()[i], reaper);
}

} // namespace kernel
