// Memory accounting: every object is paid for from an untyped, a request that does not
// fit fails without effect, and destroying everything gives back exactly what it took.
#include "kernel_world.hpp"
#include "toy_pte.hpp"
#include <cstring>

using namespace kernel;

namespace {
constexpr PagingOps kToyOps = paging_ops_for<ToyPte>();
}

TEST_CASE("untyped: create rejects misaligned or tiny ranges") {
    FakeMemory mem(0x20000000, 1 << 16);
    CHECK(Untyped::create(mem.window(), PhysAddr{mem.base + 8}, 0x4000).error() == Error::InvalidArgument);
    CHECK(Untyped::create(mem.window(), PhysAddr{mem.base}, 0x4100).error() == Error::InvalidArgument);
    CHECK(Untyped::create(mem.window(), PhysAddr{mem.base}, 0x800).error() == Error::InvalidArgument);
    auto u = Untyped::create(mem.window(), PhysAddr{mem.base}, 0x4000);
    REQUIRE(u.ok());
    CHECK((*u)->size() == 0x4000);
    CHECK((*u)->free_bytes() < 0x4000); // the header lives in the range
    CHECK((*u)->children() == 0);
}

TEST_CASE("untyped: retype validates type, size, count, right and slots before acting") {
    KernelWorld w;
    w.endpoint(5);
    u64 free0 = w.untyped->free_bytes();
    auto retype_into = [&](ObjectType t, u32 bits, u64 first, u32 count) {
        return retype(w.ut_cap(), t, bits, *w.cs, first, count);
    };
    CHECK(retype_into(static_cast<ObjectType>(99), 0, 2, 1).error() == Error::InvalidArgument);
    CHECK(retype_into(ObjectType::Endpoint, 3, 2, 1).error() == Error::InvalidArgument);
    CHECK(retype_into(ObjectType::CapSpace, 0, 2, 1).error() == Error::InvalidArgument);
    CHECK(retype_into(ObjectType::CapSpace, 21, 2, 1).error() == Error::InvalidArgument);
    CHECK(retype_into(ObjectType::Untyped, 11, 2, 1).error() == Error::InvalidArgument);
    CHECK(retype_into(ObjectType::Endpoint, 0, 2, 0).error() == Error::InvalidArgument);
    CHECK(retype_into(ObjectType::Endpoint, 0, 2, 65).error() == Error::InvalidArgument);
    CHECK(retype_into(ObjectType::Endpoint, 0, 62, 3).error() == Error::OutOfRange);
    CHECK(retype_into(ObjectType::Endpoint, 0, ~u64{0}, 2).error() == Error::OutOfRange);
    CHECK(retype_into(ObjectType::Endpoint, 0, 0, 2).error() == Error::Exists); // slot 0 taken
    CHECK(retype_into(ObjectType::Untyped, 20, 2, 1).error() == Error::NoMemory); // 1 MiB + header
    CHECK(retype_into(ObjectType::AddressSpace, 0, 2, 1).error() == Error::Unsupported);
    // Retype through a capability that is not an untyped.
    CHECK(retype(w.cs->slot(5), ObjectType::Endpoint, 0, *w.cs, 6, 1).error() == Error::WrongType);
    CHECK(retype(w.cs->slot(9), ObjectType::Endpoint, 0, *w.cs, 6, 1).error() == Error::BadCapability);
    // None of the failures took anything.
    CHECK(w.untyped->free_bytes() == free0);
    CHECK(w.untyped->children() == 2);
    for (u64 i = 2; i < 64; ++i) CHECK(w.cs->slot(i).empty() == (i != 5));
    // The last object that fits, exactly.
    REQUIRE(retype_into(ObjectType::Untyped, 17, 2, 1).ok()); // 128 KiB
    Untyped& half = w.cs->slot(2).as<Untyped>();
    auto from_half = [&](ObjectType t, u32 bits, u64 first, u32 count) {
        return retype(w.cs->slot(2), t, bits, *w.cs, first, count);
    };
    u64 frames_that_fit = half.free_bytes() / (Frame::kSize + 64);
    CHECK(from_half(ObjectType::Frame, 0, 10, 64).error() == Error::NoMemory);
    CHECK(half.children() == 0);
    REQUIRE(from_half(ObjectType::Frame, 0, 10, static_cast<u32>(frames_that_fit - 1)).ok());
    CHECK(from_half(ObjectType::Endpoint, 0, 9, 1).ok()); // the page lost to the header
    CHECK(half.free_bytes() < Frame::kSize + 64);
}

TEST_CASE("untyped: frames are page aligned, zeroed, and their header is separate") {
    KernelWorld w;
    // Dirty the memory a frame will take, to see retype clean it.
    std::memset(w.mem.buffer + 0x8000, 0x5a, 0x10000);
    REQUIRE(retype(w.ut_cap(), ObjectType::Frame, 0, *w.cs, 2, 4).ok());
    for (u64 s = 2; s < 6; ++s) {
        Frame& f = w.cs->slot(s).as<Frame>();
        CHECK(is_aligned(f.page().value, kPageSize));
        auto* page = w.mem.window().at(f.page());
        bool zero = true;
        for (u64 i = 0; i < Frame::kSize; ++i) zero &= page[i] == 0;
        CHECK(zero);
        auto* header = reinterpret_cast<unsigned char*>(&f);
        CHECK((header + 64 <= page || header >= page + Frame::kSize)); // not inside the page
    }
}

TEST_CASE("untyped: creating and destroying every kind of object returns space exactly") {
    KernelWorld w(4 << 20, 2, &kToyOps);
    const u64 free0 = w.untyped->free_bytes();
    const u64 used0 = w.untyped->used_bytes();
    const u32 children0 = w.untyped->children();

    // A child untyped, with objects of its own; revoking it must reset it.
    REQUIRE(retype(w.ut_cap(), ObjectType::Untyped, 16, *w.cs, 2, 1).ok());
    Untyped& child = w.cs->slot(2).as<Untyped>();
    const u64 child_free0 = child.free_bytes();

    for (int round = 0; round < 20; ++round) {
        // One of each kind, several of some, from both untypeds.
        REQUIRE(retype(w.ut_cap(), ObjectType::Thread, 0, *w.cs, 10, 4).ok());
        REQUIRE(retype(w.ut_cap(), ObjectType::Endpoint, 0, *w.cs, 14, 3).ok());
        REQUIRE(retype(w.ut_cap(), ObjectType::Semaphore, 0, *w.cs, 17, 3).ok());
        REQUIRE(retype(w.ut_cap(), ObjectType::Frame, 0, *w.cs, 20, 5).ok());
        REQUIRE(retype(w.ut_cap(), ObjectType::CapSpace, 4, *w.cs, 25, 2).ok());
        REQUIRE(retype(w.ut_cap(), ObjectType::AddressSpace, 2, *w.cs, 27, 1).ok());
        REQUIRE(retype(w.cs->slot(2), ObjectType::Endpoint, 0, *w.cs, 30, 8).ok());
        REQUIRE(retype(w.cs->slot(2), ObjectType::Frame, 0, *w.cs, 38, 3).ok());
        CHECK(child.children() == 11);
        CHECK(child.free_bytes() < child_free0);
        // Copies and links between them: a thread holding a cap space, capabilities
        // stored inside the cap spaces.
        Thread& t = w.cs->slot(10).as<Thread>();
        t.set_cap_space(w.cs->slot(25), w.reaper);
        REQUIRE(w.cs->copy(14, w.cs->slot(26).as<CapSpace>(), 3).ok());
        REQUIRE(w.cs->move(31, w.cs->slot(25).as<CapSpace>(), 0).ok());
        REQUIRE(w.cs->copy(17, *w.cs, 50).ok());
        auto& as = w.cs->slot(27).as<AddressSpace>();
        REQUIRE(as.map(w.cs->slot(20), 0x1000, abi::rights::kRead).ok());
        REQUIRE(as.map(w.cs->slot(21), 0x2000, abi::rights::kRead).ok());
        t.set_address_space(w.cs->slot(27), w.reaper);

        // Destroy: the child untyped by revoke, the rest by deleting capabilities
        // (in an order where holders go before what they hold and the other way round).
        REQUIRE(w.cs->revoke(2, w.reaper).ok());
        CHECK(child.children() == 0);
        CHECK(child.free_bytes() == child_free0);
        CHECK(child.used_bytes() == 0);
        for (u64 s : {25, 26, 20, 27, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 50, 20, 21, 22, 23, 24}) {
            if (!w.cs->slot(s).empty()) w.remove(s);
        }
        for (u64 s = 3; s < 64; ++s) REQUIRE(w.cs->slot(s).empty());
        CHECK(w.untyped->children() == children0 + 1); // + the child untyped
    }
    w.remove(2);
    CHECK(w.untyped->children() == children0);
    CHECK(w.untyped->used_bytes() == used0);
    CHECK(w.untyped->free_bytes() <= free0); // carved in order: reset only when empty

    // Deleting the last capability to the root cap space destroys it, which deletes the
    // untyped's only capability, which revokes what is left: the untyped is empty again.
    Untyped* root = w.untyped;
    REQUIRE(retype(w.ut_cap(), ObjectType::Endpoint, 0, *w.cs, 3, 1).ok());
    w.remove(KernelWorld::kSelfSlot);
    CHECK(root->children() == 0);
    CHECK(root->used_bytes() == 0);
    CHECK(root->free_bytes() == w.pristine_free);
}

TEST_CASE("untyped: revoking an untyped tears down objects caught in the middle of IPC") {
    KernelWorld w(2 << 20);
    REQUIRE(retype(w.ut_cap(), ObjectType::Untyped, 17, *w.cs, 2, 1).ok());
    Untyped& child = w.cs->slot(2).as<Untyped>();
    const u64 child_free0 = child.free_bytes();
    for (int round = 0; round < 8; ++round) {
        REQUIRE(retype(w.cs->slot(2), ObjectType::Thread, 0, *w.cs, 10, 5).ok());
        REQUIRE(retype(w.cs->slot(2), ObjectType::Endpoint, 0, *w.cs, 15, 1).ok());
        REQUIRE(retype(w.cs->slot(2), ObjectType::Semaphore, 0, *w.cs, 16, 1).ok());
        REQUIRE(retype(w.cs->slot(2), ObjectType::CapSpace, 2, *w.cs, 17, 1).ok());
        Thread* t[5];
        for (int i = 0; i < 5; ++i) {
            t[i] = &w.cs->slot(10 + i).as<Thread>();
            t[i]->set_cap_space(w.cs->slot(17), w.reaper);
            t[i]->set_fault_endpoint(w.cs->slot(15), w.reaper);
            REQUIRE(t[i]->resume(w.sched).ok());
        }
        auto& ep = w.cs->slot(15).as<Endpoint>();
        auto& sem = w.cs->slot(16).as<Semaphore>();
        ep.receive(*t[0], w.sched);
        ep.call(*t[1], {}, w.sched);      // t1 waits for t0's reply
        sem.wait(*t[2], w.sched);         // t2 waits on the semaphore
        ep.send(*t[3], {}, w.sched);      // t3 queued on the endpoint
        REQUIRE(w.sched.schedule(0) != nullptr); // someone runs
        (void)t[4];
        // The order of destruction inside the revoke is the derivation order; whatever
        // it is, nobody may be left pointing at freed memory (ASan watches).
        REQUIRE(w.cs->revoke(2, w.reaper).ok());
        CHECK(child.children() == 0);
        CHECK(child.used_bytes() == 0);
        CHECK(child.free_bytes() == child_free0);
        for (u32 cpu = 0; cpu < 2; ++cpu) {
            CHECK(w.sched.current(cpu) == nullptr);
            CHECK(w.sched.ready_count(cpu) == 0);
        }
    }
}
