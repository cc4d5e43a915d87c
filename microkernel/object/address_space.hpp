// An address space: a page-table tree for user space, built by the generic walker
// (microkernel/paging.hpp) over the arch's entry format.
//
// Accounting: an address space is created with a fixed budget, paid at retype: 2^n
// table frames (the root included) and 64 * 2^n mapping slots. A map that needs more
// tables than are left fails with NoMemory before touching anything; destroying the
// address space gives the whole budget back.
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

/// The table frames an address space paid for, handed out in order.
class TablePool {
  public:
    TablePool(PhysAddr base, u32 count) : base_(base), count_(count) {}
    Result<PhysAddr> alloc_zeroed(PhysWindow window);
    u32 remaining() const { return count_ - used_; }

  private:
    PhysAddr base_;
    u32 count_;
    u32 used_ = 0;
};

struct PagingOps {
    u64 user_top; ///< user addresses are [0, user_top)
    unsigned (*missing_tables)(PhysAddr root, PhysWindow w, u64 va);
    Result<void> (*map)(PhysAddr root, PhysWindow w, u64 va, PhysAddr pa, PageAttr a, TablePool& p);
    Result<void> (*unmap)(PhysAddr root, PhysWindow w, u64 va);
    Result<void> (*protect)(PhysAddr root, PhysWindow w, u64 va, PageAttr a);
    Result<Translation> (*translate)(PhysAddr root, PhysWindow w, u64 va);
    /// Optional: fill a new root (e.g. share the kernel half on x86_64 and riscv64).
    void (*prepare_root)(PhysAddr root, PhysWindow w);
    /// Optional (the kernel always sets it): a translation of `va` in the address space
    /// with this root and address-space identifier was removed or lost rights; no CPU
    /// may keep using the old one.
    void (*flush_page)(PhysAddr root, u16 asid, u64 va);
    /// Optional (the kernel always sets it): this root is about to be freed; no CPU may
    /// keep it loaded, and its identifier (if any) may be given to another space.
    void (*retire_root)(PhysAddr root, u16 asid);
    /// Optional: an address-space identifier for a new space (0: none, so every switch
    /// to it flushes). The kernel's hands out the arch's ASIDs / PCIDs.
    u16 (*claim_asid)();
};

template <PteFormat F>
constexpr PagingOps paging_ops_for(void (*prepare_root)(PhysAddr, PhysWindow) = nullptr,
                                   void (*flush_page)(PhysAddr, u16, u64) = nullptr,
                                   void (*retire_root)(PhysAddr, u16) = nullptr,
                                   u16 (*claim_asid)() = nullptr) {
    using PT = PageTable<F>;
    return PagingOps{
        .user_top = user_space_end<F>(),
        .missing_tables = [](PhysAddr r, PhysWindow w, u64 va) { return PT(r, w).missing_tables(va); },
        .map = [](PhysAddr r, PhysWindow w, u64 va, PhysAddr pa, PageAttr a, TablePool& p) {
            return PT(r, w).map(va, pa, kPageSize, a, p);
        },
        .unmap = [](PhysAddr r, PhysWindow w, u64 va) { return PT(r, w).unmap(va, kPageSize); },
        .protect = [](PhysAddr r, PhysWindow w, u64 va, PageAttr a) {
            return PT(r, w).protect(va, kPageSize, a);
        },
        .translate = [](PhysAddr r, PhysWindow w, u64 va) { return PT(r, w).translate(va); },
        .prepare_root = prepare_root,
        .flush_page = flush_page,
        .retire_root = retire_root,
        .claim_asid = claim_asid,
    };
}

class AddressSpace : public KernelObject {
  public:
    static constexpr u32 kMinBits = 2, kMaxBits = 8;
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
    u64 user_top() const { return ops_.user_top; }
    u32 tables_left() const { return pool_.remaining(); }
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
    /// Change the rights of the mapping at `va` (within the rights it was mapped with).
    Result<void> protect(u64 va, u32 rights);
    Result<Query> query(u64 va) const;

    /// A mapping capability of this address space is being deleted: remove its PTE.
    void mapping_deleted(Capability& mapping);
    /// Part of destruction: remove every mapping.
    void teardown(Reaper& reaper);

  private:
    Capability* slots() { return reinterpret_cast<Capability*>(this + 1); }
    Capability* find(u64 va);
    u64 home_slot(u64 va) const;
    Result<void> check_va(u64 va) const;
    static PageAttr attr_for(u32 rights);

    PhysWindow window_;
    const PagingOps& ops_;
    PhysAddr root_;
    u16 asid_ = 0;
    TablePool pool_;
    u64 slot_count_;
    u64 mappings_ = 0;
};

} // namespace kernel
