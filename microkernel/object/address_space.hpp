// An address space: a page-table tree for user space, built by the generic walker
// (microkernel/paging.hpp) over the arch's entry format.
//
// Accounting: an address space is created with a budget paid at retype: 2^n table frames
// (the root included) and 64 * 2^n mapping slots, for 48 * 2^n mappings (a hash table 3/4
// full at most). It grows by MapBudget objects, carved from untyped memory like any other
// object and handed over with grow(): each brings 2^m table frames and 512 * 2^m mapping
// slots (384 * 2^m mappings). A map that needs more tables or slots
// than are left fails with NoMemory before touching anything; destroying the address
// space gives everything back. If the memory of a budget it grew by is taken back
// (its untyped revoked), the address space loses every mapping and starts again from
// what it still has: no table or slot of a budget can outlive the budget.
//
// Each mapping holds a capability: mapping a frame derives a child of the frame
// capability into one of the address space's mapping slots (marked with this address
// space and the VA). So a mapped frame lives as long as it is mapped, and deleting or
// revoking the frame capability removes the mapping through the derivation tree: user
// space can never reach a page after it has been returned.
//
// The object layer is not a template: the arch's walker is reached through PagingOps,
// function pointers made by paging_ops_for<arch::Pte>() (or a test's format).
#pragma once

#include <microkernel/object/cap_space.hpp>
#include <microkernel/paging.hpp>

namespace kernel {

class Reaper;

/// Table frames and mapping slots: those an address space was created with, or those of
/// a MapBudget it grew by. Table frames are handed out in order and come back only with
/// the whole store. The slots are an open-addressed hash table keyed by page number with
/// linear probing, at most 3/4 full so that runs stay short; a freed slot pulls the later
/// entries of its run back (no tombstones), so every lookup ends at the first empty slot.
struct MapStore {
    PhysAddr tables;
    u32 table_count = 0;
    u32 tables_used = 0;
    Capability* slots = nullptr;
    u64 slot_count = 0;
    u64 slots_used = 0;

    /// A store over `table_count` frames from `tables` and `slot_count` slots at `slots`
    /// (constructed here, empty).
    static MapStore make(PhysAddr tables, u64 table_count, Capability* slots, u64 slot_count);
    u32 tables_left() const { return table_count - tables_used; }
    /// Mappings it can still take.
    u64 room() const { return slot_count / 4 * 3 - slots_used; }
    static constexpr u64 mappings_for(u64 slots) { return slots / 4 * 3; }
    u64 home(u64 va) const;
    u64 after(u64 i) const { return i + 1 == slot_count ? 0 : i + 1; }
    bool contains(const Capability& c) const { return &c >= slots && &c < slots + slot_count; }
};

/// The walker's view of an address space's stores: table frames from each in turn.
class TablePool {
  public:
    TablePool(MapStore* const* stores, u32 count) : stores_(stores), count_(count) {}
    Result<PhysAddr> alloc_zeroed(PhysWindow window);
    u32 remaining() const;

  private:
    MapStore* const* stores_;
    u32 count_;
};

class AddressSpace;

struct PagingOps {
    u64 user_top; ///< user addresses are [0, user_top)
    unsigned (*missing_tables)(PhysAddr root, PhysWindow w, u64 va);
    Result<void> (*map)(PhysAddr root, PhysWindow w, u64 va, PhysAddr pa, PageAttr a, TablePool& p);
    Result<void> (*unmap)(PhysAddr root, PhysWindow w, u64 va);
    /// Take write / execute access from every page mapped in [va, end): pages changed.
    u64 (*restrict)(PhysAddr root, PhysWindow w, u64 va, u64 end, bool drop_write, bool drop_exec);
    Result<Translation> (*translate)(PhysAddr root, PhysWindow w, u64 va);
    /// Optional: fill a new root (e.g. share the kernel half on x86_64 and riscv64).
    void (*prepare_root)(PhysAddr root, PhysWindow w);
    // The three below find in `space` its root, its address-space identifier and the
    // CPUs that may hold its translations (AddressSpace::cpus).
    /// Optional (the kernel always sets it): a translation of `va` in the address space
    /// was removed or lost rights; no CPU may keep using the old one.
    void (*flush_page)(const AddressSpace& space, u64 va);
    /// Optional (the kernel always sets it): many translations of the space may have lost
    /// rights; no CPU may keep using any of them (flush_page for each would do too).
    void (*flush_space)(const AddressSpace& space);
    /// Optional (the kernel always sets it): the space's root is about to be freed (or
    /// emptied); no CPU may keep it loaded, and its identifier (if any) may be given to
    /// another space.
    void (*retire_root)(const AddressSpace& space);
    /// Optional: an address-space identifier for a new space (0: none, so every switch
    /// to it flushes). The kernel's hands out the arch's ASIDs / PCIDs.
    u16 (*claim_asid)();
};

template <PteFormat F>
constexpr PagingOps paging_ops_for(void (*prepare_root)(PhysAddr, PhysWindow) = nullptr,
                                   void (*flush_page)(const AddressSpace&, u64) = nullptr,
                                   void (*retire_root)(const AddressSpace&) = nullptr,
                                   u16 (*claim_asid)() = nullptr,
                                   void (*flush_space)(const AddressSpace&) = nullptr) {
    using PT = PageTable<F>;
    return PagingOps{
        .user_top = user_space_end<F>(),
        .missing_tables = [](PhysAddr r, PhysWindow w, u64 va) { return PT(r, w).missing_tables(va); },
        .map = [](PhysAddr r, PhysWindow w, u64 va, PhysAddr pa, PageAttr a, TablePool& p) {
            return PT(r, w).map(va, pa, kPageSize, a, p);
        },
        .unmap = [](PhysAddr r, PhysWindow w, u64 va) { return PT(r, w).unmap_page(va); },
        .restrict = [](PhysAddr r, PhysWindow w, u64 va, u64 end, bool drop_write, bool drop_exec) {
            return PT(r, w).restrict(va, end, drop_write, drop_exec);
        },
        .translate = [](PhysAddr r, PhysWindow w, u64 va) { return PT(r, w).translate(va); },
        .prepare_root = prepare_root,
        .flush_page = flush_page,
        .flush_space = flush_space,
        .retire_root = retire_root,
        .claim_asid = claim_asid,
    };
}

/// Table frames and mapping slots an address space can grow by (AddressSpace.Grow).
/// It has exactly one capability (as an untyped): the one grow() moves into the space.
class MapBudget : public KernelObject {
  public:
    static constexpr u32 kMaxBits = 8;
    static constexpr u64 tables_for(u32 bits) { return u64{1} << bits; }
    static constexpr u64 slots_for(u32 bits) { return u64{512} << bits; }
    static constexpr u64 header_bytes(u32 bits) {
        return sizeof(MapBudget) + slots_for(bits) * sizeof(Capability);
    }

    /// `tables` is the first of tables_for(bits) contiguous frames.
    MapBudget(u32 bits, PhysAddr tables);
    /// Part of destruction: the address space it was given to (if any) loses it.
    void teardown(Reaper& reaper);

  private:
    friend class AddressSpace;
    MapStore store_;
    AddressSpace* owner_ = nullptr;
};

class AddressSpace : public KernelObject {
  public:
    static constexpr u32 kMinBits = 2, kMaxBits = 8;
    static constexpr u32 kMaxBudgets = 31; ///< MapBudgets one space can grow by
    static constexpr u64 tables_for(u32 bits) { return u64{1} << bits; }
    static constexpr u64 slots_for(u32 bits) { return u64{64} << bits; }
    static constexpr u64 header_bytes(u32 bits) {
        return sizeof(AddressSpace) + slots_for(bits) * sizeof(Capability);
    }

    /// `tables` is the first of tables_for(bits) zeroed, contiguous frames.
    AddressSpace(u32 bits, PhysAddr tables, PhysWindow window, const PagingOps& ops);

    PhysAddr root() const { return root_; }
    /// The arch's identifier for this space's translations (0: none).
    u16 asid() const { return asid_; }
    /// With several CPUs running threads: the CPU whose bit is `cpu_bit` (bit n: CPU n)
    /// loads this space (its bit stays until the space is retired: a tagged space's
    /// translations outlive a switch). Shootdowns go only to the CPUs marked.
    void loaded_on(u64 cpu_bit) { cpus_ |= cpu_bit; }
    u64 cpus() const { return cpus_; }
    u64 user_top() const { return ops_.user_top; }
    u32 tables_left() const { return pool().remaining(); }
    /// Mappings that can still be made (slots left, ignoring tables).
    u64 slots_left() const;
    u64 mapping_count() const { return mappings_; }

    struct Query {
        PhysAddr pa;
        u32 rights; ///< abi::rights kRead | kWrite | kExecute
    };

    /// Map the frame `frame` names at `va` with `rights` (Read, optionally Write and
    /// Execute; never more than the frame capability has).
    Result<void> map(Capability& frame, u64 va, u32 rights);
    /// Remove the mapping at `va`.
    Result<void> unmap(u64 va, Reaper& reaper);
    /// Lower the rights of every page mapped in [va, va + size) to at most `rights` (pages
    /// not mapped are skipped; no right is ever added: a map adds them): how many pages
    /// lost one.
    Result<u64> protect(u64 va, u64 size, u32 rights);
    Result<Query> query(u64 va) const;
    /// Take over the budget `budget` names (its only capability moves into the space).
    Result<void> grow(Capability& budget);

    /// A mapping capability of this address space is being deleted: remove its PTE.
    void mapping_deleted(Capability& mapping);
    /// The mapping slot `slot` was emptied: close the gap in its probe run.
    void slot_emptied(Capability& slot);
    /// Part of destruction: remove every mapping, give the budgets back.
    void teardown(Reaper& reaper);
    /// Part of a budget's destruction: remove every mapping and start again without it.
    void budget_lost(MapBudget& budget, Reaper& reaper);

  private:
    TablePool pool() const { return TablePool(stores_, store_count_); }
    Capability* find(u64 va);
    Capability* free_slot(u64 va);
    MapStore* store_of(const Capability& slot);
    void delete_mappings(Reaper& reaper);
    Result<void> check_va(u64 va) const;
    static PageAttr attr_for(u32 rights);

    PhysWindow window_;
    const PagingOps& ops_;
    PhysAddr root_;
    u16 asid_ = 0;
    u64 cpus_ = 0; ///< CPUs that may hold its translations (loaded_on)
    bool deleting_all_ = false; ///< slots are being emptied in order: no gap closing
    u64 mappings_ = 0;
    MapStore own_;
    MapStore* stores_[1 + kMaxBudgets]; ///< own_ first, then each budget's
    u32 store_count_ = 1;
    MapBudget* budgets_[kMaxBudgets] = {};
    Capability budget_caps_[kMaxBudgets]; ///< the budgets' capabilities, moved in by grow()
    // The own store's slots follow the object (header_bytes).
};

} // namespace kernel
