// Capabilities for processes: each process's shared cap space, the kernel objects it asks
// for, its threads' IPC buffers, and the name service through which servers are found.
//
// A process has no cap space of its own until its first request that needs one. Then
// procserv carves one of 2^kProcessCapSpaceMinBits slots from a process block lent to the
// process (its object memory, at most kObjectBlocks of them), doubles it whenever it is
// full (up to 2^kProcessCapSpaceMaxBits slots, then EMFILE), and configures every thread
// of the process with it as their shared cap space: each thread keeps its own small cap
// space for procserv's endpoint (slots below kThreadCapSpaceSlots), and every address from
// there up names a slot of the shared one (the kernel's Thread::space_for). Objects are
// carved from the same blocks, so revoking them when the process ends destroys every
// object it made and every copy of them, wherever they are: a client holding a dead
// server's endpoint finds an empty slot (EBADF), one blocked on it is woken with EPIPE.
#include "procserv.hpp"

namespace procserv {
namespace {

NameTable g_names;
u64 slots_of(const Caps& c) { return u64{1} << c.bits; }

/// Carve one object of `type` from the process's object memory (its quota: kObjectBlocks)
/// into `slot` of the cap space in procserv's slot `cs`. EEXIST: the slot is taken.
Result<void> carve(Caps& c, OT type, u32 bits, u64 cs, u64 slot) {
    return blocks_carve(c.blocks, type, bits, cs, slot, &c.block_count, kObjectBlocks);
}

/// A cap space twice the size for the process: every capability moves over (keeping its
/// place in the derivation tree, so every copy and revocation works as before), slot
/// kSelfCapSpace names the new space, and every thread uses it. The old space's memory
/// stays carved until the process ends. EMFILE: it has the most slots already; ENOMEM.
Result<void> grow_caps(Process& p) {
    Caps& c = p.caps;
    if (c.bits >= procserv::kProcessCapSpaceMaxBits) return Errno{sys::kEMFILE};
    u64 cs = alloc_slot();
    if (cs == abi::kNoSlot) return kNoMemory;
    if (Result<void> r = carve(c, OT::CapSpace, c.bits + 1, root::kCapSpace, cs); !r.ok()) {
        free_slot(cs);
        return r.error();
    }
    sys::cap_delete(c.cs, procserv::kSelfCapSpace);
    for (u64 s = procserv::kThreadCapSpaceSlots; s < slots_of(c); ++s)
        sys::cap_move(c.cs, s, s, cs); // (an empty slot: an error, nothing moves)
    sys::cap_mint(root::kCapSpace, cs, procserv::kSelfCapSpace, rt::kEdit | rt::kRead, 0, cs);
    for (ThreadRec* t = p.threads; t; t = t->proc_next) configure_shared(*t, cs);
    sys::cap_delete(root::kCapSpace, c.cs);
    free_slot(c.cs);
    c.next = slots_of(c); // the new half is free
    c.cs = cs;
    ++c.bits;
    return {};
}

/// Put a capability in the first free slot of the process cap space from c.next on, with
/// put(slot) (0, or a negated errno: -EEXIST means the slot is taken, try the next); the
/// space doubles when it is full. EMFILE: no slot is free, and it cannot grow.
template <class F>
Result<long> place(Process& p, F&& put) {
    Caps& c = p.caps;
    for (;;) {
        for (u64 tries = kFirstCapSlot; tries < slots_of(c); ++tries) {
            u64 s = c.next;
            c.next = s + 1 < slots_of(c) ? s + 1 : kFirstCapSlot;
            long long e = put(s);
            if (e == 0) return static_cast<long>(s);
            if (e != -sys::kEEXIST) return Errno{static_cast<int>(-e)};
        }
        TRY(grow_caps(p));
    }
}

/// The process's cap space, made at the first request that needs one: every thread of
/// the process gets it as its shared cap space.
Result<void> ensure_caps(Process& p) {
    Caps& c = p.caps;
    if (c.cs) return {};
    u64 cs = alloc_slot();
    if (cs == abi::kNoSlot) return kNoMemory;
    if (Result<void> r = carve(c, OT::CapSpace, procserv::kProcessCapSpaceMinBits, root::kCapSpace, cs); !r.ok()) {
        free_slot(cs);
        return r.error();
    }
    c.cs = cs;
    c.bits = procserv::kProcessCapSpaceMinBits;
    c.next = kFirstCapSlot;
    // Its own slot kSelfCapSpace: the process may arrange its capabilities itself.
    sys::cap_mint(root::kCapSpace, cs, procserv::kSelfCapSpace, rt::kEdit | rt::kRead, 0, cs);
    for (ThreadRec* t = p.threads; t; t = t->proc_next) configure_shared(*t, cs);
    return {};
}

Result<void> read_name(ThreadRec& t, u64 va, char (&name)[procserv::kMaxServiceName + 1]) {
    long n = TRY(copy_string(*t.proc->mm, va, name, sizeof name));
    if (n == 0) return Errno{sys::kEINVAL};
    return {};
}

} // namespace

void configure_shared(ThreadRec& t, u64 cs) {
    sys::thread_configure(t.thread, abi::kNoSlot, abi::kNoSlot, abi::kNoSlot, 0, abi::kNoSlot, cs);
}

namespace {

// Memory objects by id (their first frame's physical address): a capability's Identify
// gives the id, and only a frame of a live object can have it.
constexpr u64 kMemoryBuckets = 256;
Shared* g_memory_by_id[kMemoryBuckets];
u64 memory_bucket(u64 id) { return (id / kPage) % kMemoryBuckets; }

/// A memory object of `size` bytes (pages made when first touched, by any process that
/// maps it), held by its maker until it ends; its capability is a Frame capability to
/// its first page.
Result<long> create_memory(Process& p, u64 size) {
    Caps& c = p.caps;
    if (size == 0) return Errno{sys::kEINVAL};
    if (size > kMemoryQuota || c.memory + page_up(size) > kMemoryQuota) return kNoMemory; // its quota
    size = page_up(size);
    auto* made = heap_new<Caps::Made>();
    Shared* s = made ? shared_create(size) : nullptr;
    if (!s) {
        heap_free(made);
        return kNoMemory;
    }
    made->object = s;
    Result<u64> first = shared_page(*s, 0);
    sys::Answer<abi::CapSpaceIdentify> id;
    if (first.ok()) id = sys::identify(root::kCapSpace, first.value());
    Result<long> slot = first.ok() && id.ok() ? place(p, [&](u64 at) {
        return sys::cap_mint(root::kCapSpace, first.value(), at, rt::kRead | rt::kWrite, 0, c.cs);
    }) : Result<long>(kNoMemory);
    if (!slot.ok()) {
        shared_release(*s);
        heap_free(made);
        return slot.error();
    }
    s->id = id.out.address;
    s->id_next = g_memory_by_id[memory_bucket(s->id)];
    g_memory_by_id[memory_bucket(s->id)] = s;
    made->next = c.made;
    c.made = made;
    c.memory += size;
    return slot;
}

} // namespace

void memory_forget(Shared& s) {
    for (Shared** link = &g_memory_by_id[memory_bucket(s.id)]; *link; link = &(*link)->id_next)
        if (*link == &s) {
            *link = s.id_next;
            break;
        }
    s.id = 0;
}

Result<Shared*> memory_of(ThreadRec& t, u64 slot, bool& writable) {
    Process& p = *t.proc;
    if (!p.caps.cs || slot < procserv::kThreadCapSpaceSlots || slot >= slots_of(p.caps)) return Errno{sys::kEBADF};
    auto id = sys::identify(p.caps.cs, slot);
    if (!id.ok()) return Errno{sys::kEBADF};
    if (id.out.type != static_cast<u64>(OT::Frame)) return Errno{sys::kEINVAL};
    for (Shared* s = g_memory_by_id[memory_bucket(id.out.address)]; s; s = s->id_next)
        if (s->id == id.out.address) {
            writable = id.out.rights & rt::kWrite;
            return s;
        }
    return Errno{sys::kEINVAL}; // a frame, but no memory object's
}

Result<long> cap_create(ThreadRec& t, u64 type, u64 size) {
    OT ot;
    switch (static_cast<CapType>(type)) {
    case CapType::Endpoint: ot = OT::Endpoint; break;
    case CapType::Semaphore: ot = OT::Semaphore; break;
    case CapType::Reply: ot = OT::Reply; break;
    case CapType::Memory: break;
    default: return Errno{sys::kEINVAL};
    }
    Process& p = *t.proc;
    TRY(ensure_caps(p));
    if (static_cast<CapType>(type) == CapType::Memory) return create_memory(p, size);
    Caps& c = p.caps;
    return place(p, [&](u64 slot) -> long long {
        Result<void> r = carve(c, ot, 0, c.cs, slot);
        return r.ok() ? 0 : -r.error().code;
    });
}

Result<long> ipc_buffer(ThreadRec& t) {
    if (t.ipc) return static_cast<long>(t.ipc->va);
    Process& p = *t.proc;
    Caps& c = p.caps;
    IpcBuffer* b = c.spare;
    if (b) {
        c.spare = b->next;
    } else {
        Mm& mm = *p.mm;
        if (mm.ipc_buffers >= (kUserEnd - kIpcArea) / kPage) return kNoMemory;
        b = heap_new<IpcBuffer>();
        if (!b) return kNoMemory;
        b->frame = alloc_slot();
        b->va = kIpcArea + mm.ipc_buffers * kPage;
        Result<void> made = b->frame == abi::kNoSlot ? Result<void>(kNoMemory)
                                                     : carve(c, OT::Frame, 0, root::kCapSpace, b->frame);
        if (made.ok()) made = mm_map(mm, b->frame, b->va, rt::kRead | rt::kWrite);
        if (!made.ok()) {
            if (b->frame != abi::kNoSlot) {
                sys::cap_delete(root::kCapSpace, b->frame);
                free_slot(b->frame);
            }
            heap_free(b);
            return made.error();
        }
        ++mm.ipc_buffers;
    }
    b->next = nullptr;
    t.ipc = b;
    sys::thread_configure(t.thread, abi::kNoSlot, abi::kNoSlot, b->frame, b->va, abi::kNoSlot);
    return static_cast<long>(b->va);
}

Result<void> service_register(ThreadRec& t, u64 name_va, u64 slot) {
    char name[procserv::kMaxServiceName + 1];
    TRY(read_name(t, name_va, name));
    Process& p = *t.proc;
    if (!p.caps.cs || slot < procserv::kThreadCapSpaceSlots || slot >= slots_of(p.caps)) return Errno{sys::kEBADF};
    auto id = sys::identify(p.caps.cs, slot);
    if (!id.ok()) return Errno{sys::kEBADF};
    // Only an endpoint the process can serve on: unbadged (procserv mints each client
    // a badge of its own), with Read (to receive), Write and Grant (which clients get).
    constexpr u64 kServe = rt::kRead | rt::kWrite | rt::kGrant;
    if (id.out.type != static_cast<u64>(OT::Endpoint) || (id.out.rights & kServe) != kServe || id.out.badge != 0)
        return Errno{sys::kEACCES};
    if (g_names.find(name)) return Errno{sys::kEEXIST};
    if (p.caps.services >= kMaxServicesPerProcess) return Errno{sys::kENOSPC};
    u64 copy = alloc_slot();
    if (copy == abi::kNoSlot) return kNoMemory;
    Result<void> r = kernel_answer(sys::cap_copy_to(p.caps.cs, slot, root::kCapSpace, copy));
    if (r.ok()) r = g_names.add(name, p.pid, copy, heap_alloc);
    if (!r.ok()) {
        sys::cap_delete(root::kCapSpace, copy);
        free_slot(copy);
        return r.error();
    }
    ++p.caps.services;
    return {};
}

Result<long> service_lookup(ThreadRec& t, u64 name_va) {
    char name[procserv::kMaxServiceName + 1];
    TRY(read_name(t, name_va, name));
    const NameTable::Entry* e = g_names.find(name);
    if (!e) return Errno{sys::kENOENT};
    Process& p = *t.proc;
    TRY(ensure_caps(p));
    // The client's own copy, badged with its pid: the server knows who calls.
    Result<long> slot = place(p, [&](u64 s) {
        return sys::cap_mint(root::kCapSpace, e->slot, s, rt::kWrite | rt::kGrant, static_cast<u64>(p.pid), p.caps.cs);
    });
    if (!slot.ok() && slot.error().code == sys::kEBADF) return Errno{sys::kENOENT}; // its endpoint is gone
    return slot;
}

Result<void> service_unregister(ThreadRec& t, u64 name_va) {
    char name[procserv::kMaxServiceName + 1];
    TRY(read_name(t, name_va, name));
    u64 slot = TRY(g_names.remove(name, t.proc->pid, heap_free));
    sys::cap_delete(root::kCapSpace, slot);
    free_slot(slot);
    --t.proc->caps.services;
    return {};
}

char g_console_driver[32];

void give_console(Process& p) {
    u64 line = info().console_irq, handler = alloc_slot();
    if (line == ~u64{0} || handler == abi::kNoSlot || !ensure_caps(p).ok() ||
        sys::irq_issue(root::kMachine, static_cast<u32>(line), handler)) {
        if (handler != abi::kNoSlot) free_slot(handler);
        return;
    }
    // Moved into the process's cap space: when the process ends, the handler goes with it
    // and the line is free for the next driver.
    sys::cap_move(root::kCapSpace, handler, procserv::kConsoleIrqSlot, p.caps.cs);
    free_slot(handler);
    sys::cap_mint(root::kCapSpace, root::kConsole, procserv::kConsoleSlot, rt::kRead | rt::kWrite, 0, p.caps.cs);
}

Result<void> caps_exec(Process& p, Mm& fresh) {
    fresh.ipc_buffers = p.mm->ipc_buffers; // (new ones go above them)
    auto keep = [&](IpcBuffer* b) { return b ? mm_map(fresh, b->frame, b->va, rt::kRead | rt::kWrite) : Result<void>{}; };
    for (ThreadRec* t = p.threads; t; t = t->proc_next) TRY(keep(t->ipc));
    for (IpcBuffer* b = p.caps.spare; b; b = b->next) TRY(keep(b));
    return {};
}

void caps_thread_gone(ThreadRec& t) {
    if (!t.ipc) return;
    t.ipc->next = t.proc->caps.spare;
    t.proc->caps.spare = t.ipc;
    t.ipc = nullptr;
}

void caps_release(Process& p) {
    Caps& c = p.caps;
    if (!c.services && !c.blocks.head) return; // (most processes never asked for anything)
    while (Caps::Made* m = c.made) { // its memory objects live on while others map them
        c.made = m->next;
        shared_release(*m->object);
        heap_free(m);
    }
    g_names.remove_owner(p.pid, heap_free, [](u64 slot) {
        sys::cap_delete(root::kCapSpace, slot);
        free_slot(slot);
    });
    // Revoking the blocks destroys every object carved from them (the cap space, the IPC
    // buffers' frames, the objects and all their copies); the slots are free again.
    blocks_release(c.blocks);
    while (IpcBuffer* b = c.spare) {
        c.spare = b->next;
        free_slot(b->frame);
        heap_free(b);
    }
    if (c.cs) free_slot(c.cs);
    c = Caps{};
}

} // namespace procserv
