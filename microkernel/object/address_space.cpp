#include <microkernel/object/address_space.hpp>
#include <microkernel/object/frame.hpp>
#include <microkernel/object/reaper.hpp>

namespace kernel {

namespace r = abi::rights;

Result<PhysAddr> TablePool::alloc_zeroed(PhysWindow window) {
    if (used_ == count_) return Error::NoMemory;
    PhysAddr frame = base_ + u64{used_++} * kPageSize;
    __builtin_memset(window.at(frame), 0, kPageSize);
    return frame;
}

AddressSpace::AddressSpace(u32 bits, PhysAddr tables, PhysWindow window, const PagingOps& ops)
    : KernelObject(ObjectType::AddressSpace), window_(window), ops_(ops), root_(tables),
      pool_(tables, static_cast<u32>(tables_for(bits))), slot_count_(slots_for(bits)) {
    for (u64 i = 0; i < slot_count_; ++i) new (&slots()[i]) Capability();
    root_ = pool_.alloc_zeroed(window).value(); // the first table of the budget
    if (ops_.prepare_root) ops_.prepare_root(root_, window_);
    if (ops_.claim_asid) asid_ = ops_.claim_asid();
}

PageAttr AddressSpace::attr_for(u32 rights) {
    return PageAttr{.write = (rights & r::kWrite) != 0, .exec = (rights & r::kExecute) != 0,
                    .user = true, .global = false};
}

Result<void> AddressSpace::check_va(u64 va) const {
    if (!is_aligned(va, kPageSize)) return Error::InvalidArgument;
    if (va >= ops_.user_top || ops_.user_top - va < kPageSize) return Error::OutOfRange;
    return {};
}

// A mapping's slot is found by scanning from the page number's home slot onwards, with
// wrap-around: a mapping is stored in the first free slot from its home, so lookups and
// free-slot searches usually end at once, even in a root task's space of thousands of
// mappings. (An absent address still costs a full scan: only error paths ask for one.)
// The home is a Fibonacci hash of the page number, so that regions at aligned addresses
// (0x20000000, 0x40000000, ...) do not all start at the same slot.
u64 AddressSpace::home_slot(u64 va) const {
    const u32 bits = static_cast<u32>(__builtin_ctzll(slot_count_)); // slot_count_ is 64 << n
    return ((va / kPageSize) * 0x9e3779b97f4a7c15ull) >> (64 - bits);
}

Capability* AddressSpace::find(u64 va) {
    for (u64 k = 0, i = home_slot(va); k < slot_count_; ++k, i = i + 1 == slot_count_ ? 0 : i + 1)
        if (!slots()[i].empty() && slots()[i].mapped_va_ == va) return &slots()[i];
    return nullptr;
}

Result<void> AddressSpace::map(Capability& frame, u64 va, u32 rights) {
    TRY(frame.check(ObjectType::Frame, 0));
    TRY(check_va(va));
    constexpr u32 kMappable = r::kRead | r::kWrite | r::kExecute;
    if ((rights & ~kMappable) || !(rights & r::kRead)) return Error::InvalidArgument;
    if (!frame.has(rights)) return Error::AccessDenied;
    if (ops_.translate(root_, window_, va).ok()) return Error::Exists;
    Capability* slot = nullptr;
    for (u64 k = 0, i = home_slot(va); k < slot_count_ && !slot; ++k, i = i + 1 == slot_count_ ? 0 : i + 1)
        if (slots()[i].empty()) slot = &slots()[i];
    if (!slot) return Error::NoMemory;
    if (ops_.missing_tables(root_, window_, va) > pool_.remaining()) return Error::NoMemory;
    // Validated: the walker cannot fail now (aligned, unmapped, enough tables).
    (void)ops_.map(root_, window_, va, frame.as<Frame>().page(), attr_for(rights), pool_);
    cap_derive(frame, *slot, rights, 0);
    slot->mapped_in_ = this;
    slot->mapped_va_ = va;
    ++mappings_;
    return {};
}

Result<void> AddressSpace::unmap(u64 va, Reaper& reaper) {
    TRY(check_va(va));
    Capability* mapping = find(va);
    if (!mapping) return Error::NotFound;
    cap_delete(*mapping, reaper); // mapping_deleted() removes the entry
    reaper.drain();
    return {};
}

Result<void> AddressSpace::protect(u64 va, u32 rights) {
    TRY(check_va(va));
    Capability* mapping = find(va);
    if (!mapping) return Error::NotFound;
    if (!(rights & r::kRead) || (rights & ~(r::kRead | r::kWrite | r::kExecute)))
        return Error::InvalidArgument;
    if (!mapping->has(rights)) return Error::AccessDenied; // never beyond the frame's rights
    (void)ops_.protect(root_, window_, va, attr_for(rights));
    if (ops_.flush_page) ops_.flush_page(root_, asid_, va); // rights may have shrunk
    return {};
}

Result<AddressSpace::Query> AddressSpace::query(u64 va) const {
    if (va >= ops_.user_top) return Error::OutOfRange;
    Translation t = TRY(ops_.translate(root_, window_, va));
    u32 rights = r::kRead | (t.attr.write ? r::kWrite : 0) | (t.attr.exec ? r::kExecute : 0);
    return Query{t.pa, rights};
}

void AddressSpace::mapping_deleted(Capability& mapping) {
    // Every way a mapping ends (unmap, deleting or revoking the frame capability,
    // destroying the address space) comes through here, so this is the one place that
    // must make CPUs forget the translation before the frame can be reused.
    (void)ops_.unmap(root_, window_, mapping.mapped_va_);
    if (ops_.flush_page) ops_.flush_page(root_, asid_, mapping.mapped_va_);
    --mappings_;
}

void AddressSpace::teardown(Reaper& reaper) {
    // The tables are freed after this: no CPU may still walk them.
    if (ops_.retire_root) ops_.retire_root(root_, asid_);
    for (u64 i = 0; i < slot_count_; ++i)
        if (!slots()[i].empty()) cap_delete(slots()[i], reaper);
}

} // namespace kernel
