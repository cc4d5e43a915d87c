#include <microkernel/object/address_space.hpp>
#include <microkernel/object/frame.hpp>
#include <microkernel/object/reaper.hpp>

namespace kernel {

namespace r = abi::rights;

// A slot's home is a Fibonacci hash of the page number, so that regions at aligned
// addresses (0x20000000, 0x40000000, ...) do not all start at the same slot. Slot counts
// are powers of two.
u64 MapStore::home(u64 va) const {
    const u32 bits = static_cast<u32>(__builtin_ctzll(slot_count));
    return bits ? ((va / kPageSize) * 0x9e3779b97f4a7c15ull) >> (64 - bits) : 0;
}

Result<PhysAddr> TablePool::alloc_zeroed(PhysWindow window) {
    for (u32 i = 0; i < count_; ++i) {
        MapStore& s = *stores_[i];
        if (s.tables_used == s.table_count) continue;
        PhysAddr frame = s.tables + u64{s.tables_used++} * kPageSize;
        __builtin_memset(window.at(frame), 0, kPageSize);
        return frame;
    }
    return Error::NoMemory;
}

u32 TablePool::remaining() const {
    u32 n = 0;
    for (u32 i = 0; i < count_; ++i) n += stores_[i]->tables_left();
    return n;
}

MapStore MapStore::make(PhysAddr tables, u64 table_count, Capability* slots, u64 slot_count) {
    for (u64 i = 0; i < slot_count; ++i) new (&slots[i]) Capability();
    return MapStore{.tables = tables,
                    .table_count = static_cast<u32>(table_count),
                    .slots = slots,
                    .slot_count = slot_count};
}

MapBudget::MapBudget(u32 bits, PhysAddr tables)
    : KernelObject(ObjectType::MapBudget),
      store_(MapStore::make(tables, tables_for(bits), reinterpret_cast<Capability*>(this + 1), slots_for(bits))) {}

void MapBudget::teardown(Reaper& reaper) {
    if (owner_) owner_->budget_lost(*this, reaper);
}

AddressSpace::AddressSpace(u32 bits, PhysAddr tables, PhysWindow window, const PagingOps& ops)
    : KernelObject(ObjectType::AddressSpace), window_(window), ops_(ops), root_(tables),
      own_(MapStore::make(tables, tables_for(bits), reinterpret_cast<Capability*>(this + 1), slots_for(bits))) {
    stores_[0] = &own_;
    root_ = pool().alloc_zeroed(window).value(); // the first table of the budget
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

u64 AddressSpace::slots_left() const {
    u64 n = 0;
    for (u32 i = 0; i < store_count_; ++i) n += stores_[i]->room();
    return n;
}

// A mapping is in one of the stores, in the run of full slots that starts at its home.
Capability* AddressSpace::find(u64 va) {
    for (u32 s = 0; s < store_count_; ++s) {
        MapStore& st = *stores_[s];
        u64 i = st.home(va);
        for (u64 k = 0; k < st.slot_count && !st.slots[i].empty(); ++k, i = st.after(i))
            if (st.slots[i].mapped_va_ == va) return &st.slots[i];
    }
    return nullptr;
}

// A new mapping goes to the first store with room.
Capability* AddressSpace::free_slot(u64 va) {
    for (u32 s = 0; s < store_count_; ++s) {
        MapStore& st = *stores_[s];
        if (!st.room()) continue;
        u64 i = st.home(va);
        while (!st.slots[i].empty()) i = st.after(i);
        ++st.slots_used;
        return &st.slots[i];
    }
    return nullptr;
}

MapStore* AddressSpace::store_of(const Capability& slot) {
    for (u32 s = 0; s < store_count_; ++s)
        if (stores_[s]->contains(slot)) return stores_[s];
    return nullptr;
}

Result<void> AddressSpace::map(Capability& frame, u64 va, u32 rights) {
    TRY(frame.check(ObjectType::Frame, 0));
    TRY(check_va(va));
    constexpr u32 kMappable = r::kRead | r::kWrite | r::kExecute;
    if ((rights & ~kMappable) || !(rights & r::kRead)) return Error::InvalidArgument;
    if (!frame.has(rights)) return Error::AccessDenied;
    if (ops_.translate(root_, window_, va).ok()) return Error::Exists;
    TablePool tables = pool();
    if (slots_left() == 0 || ops_.missing_tables(root_, window_, va) > tables.remaining())
        return Error::NoMemory;
    // Validated: the walker cannot fail now (aligned, unmapped, enough tables and slots).
    (void)ops_.map(root_, window_, va, frame.as<Frame>().page(), attr_for(rights), tables);
    Capability* slot = free_slot(va);
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

Result<u64> AddressSpace::protect(u64 va, u64 size, u32 rights) {
    if (!is_aligned(va, kPageSize) || !is_aligned(size, kPageSize) || size == 0) return Error::InvalidArgument;
    if (va >= ops_.user_top || ops_.user_top - va < size) return Error::OutOfRange;
    if (!(rights & r::kRead) || (rights & ~(r::kRead | r::kWrite | r::kExecute))) return Error::InvalidArgument;
    const u64 changed = ops_.restrict(root_, window_, va, va + size, !(rights & r::kWrite), !(rights & r::kExecute));
    if (changed && ops_.flush_space) ops_.flush_space(*this);
    return changed;
}

Result<AddressSpace::Query> AddressSpace::query(u64 va) const {
    if (va >= ops_.user_top) return Error::OutOfRange;
    Translation t = TRY(ops_.translate(root_, window_, va));
    u32 rights = r::kRead | (t.attr.write ? r::kWrite : 0) | (t.attr.exec ? r::kExecute : 0);
    return Query{t.pa, rights};
}

Result<void> AddressSpace::grow(Capability& budget) {
    TRY(budget.check(ObjectType::MapBudget, 0));
    MapBudget& b = budget.as<MapBudget>();
    if (b.owner_) return Error::Exists; // cannot happen: its only capability moved in
    if (store_count_ == 1 + kMaxBudgets) return Error::OutOfRange;
    u32 i = 0;
    while (budgets_[i]) ++i; // a free place exists: one per budget beside own_
    cap_move(budget, budget_caps_[i]);
    budgets_[i] = &b;
    b.owner_ = this;
    stores_[store_count_++] = &b.store_;
    return {};
}

void AddressSpace::mapping_deleted(Capability& mapping) {
    // Every way a mapping ends (unmap, deleting or revoking the frame capability,
    // destroying the address space) comes through here, so this is the one place that
    // must make CPUs forget the translation before the frame can be reused.
    (void)ops_.unmap(root_, window_, mapping.mapped_va_);
    if (ops_.flush_page) ops_.flush_page(*this, mapping.mapped_va_);
    --mappings_;
}

// Deletion in linear probing: walk the run after the hole; an entry whose home is not
// cyclically within (hole, entry] could not be found past the hole any more, so it
// moves into it (keeping its place in the derivation tree) and leaves a new hole.
void AddressSpace::slot_emptied(Capability& slot) {
    if (deleting_all_) return;
    MapStore* st = store_of(slot);
    if (!st) return; // not a mapping slot (cannot happen)
    --st->slots_used;
    u64 hole = static_cast<u64>(&slot - st->slots);
    for (u64 j = st->after(hole); !st->slots[j].empty(); j = st->after(j)) {
        u64 home = st->home(st->slots[j].mapped_va_);
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays) continue;
        cap_move(st->slots[j], st->slots[hole]);
        hole = j;
    }
}

void AddressSpace::delete_mappings(Reaper& reaper) {
    deleting_all_ = true;
    for (u32 s = 0; s < store_count_; ++s) {
        MapStore& st = *stores_[s];
        for (u64 i = 0; i < st.slot_count; ++i)
            if (!st.slots[i].empty()) cap_delete(st.slots[i], reaper);
        st.slots_used = 0;
    }
    deleting_all_ = false;
}

void AddressSpace::teardown(Reaper& reaper) {
    // The tables are freed after this: no CPU may still walk them.
    if (ops_.retire_root) ops_.retire_root(*this);
    cpus_ = 0;
    delete_mappings(reaper);
    // The budgets go with the space (their memory returns to their untypeds). A budget
    // whose capability is already gone (its untyped is being revoked with this space)
    // must not come back to a space that no longer exists.
    for (u32 i = 0; i < kMaxBudgets; ++i) {
        if (budgets_[i]) budgets_[i]->owner_ = nullptr;
        budgets_[i] = nullptr;
        if (!budget_caps_[i].empty()) cap_delete(budget_caps_[i], reaper);
    }
    store_count_ = 1;
}

void AddressSpace::budget_lost(MapBudget& budget, Reaper& reaper) {
    // Its tables may be anywhere in the tree and its slots may hold any mapping: the space
    // starts again, empty, from the stores it still has.
    if (ops_.retire_root) ops_.retire_root(*this);
    cpus_ = 0;
    delete_mappings(reaper);
    u32 kept = 0;
    for (u32 s = 0; s < store_count_; ++s)
        if (stores_[s] != &budget.store_) stores_[kept++] = stores_[s];
    store_count_ = kept;
    for (u32 i = 0; i < kMaxBudgets; ++i)
        if (budgets_[i] == &budget) budgets_[i] = nullptr;
    budget.owner_ = nullptr;
    for (u32 s = 0; s < store_count_; ++s) stores_[s]->tables_used = 0;
    own_.tables_used = 1; // the root (the first table of the space's own budget)
    // Only the user half of the root is ours; the kernel half stays as prepare_root made it.
    __builtin_memset(window_.at(root_), 0, kEntriesPerTable / 2 * sizeof(u64));
    if (ops_.claim_asid) asid_ = ops_.claim_asid();
}

} // namespace kernel
