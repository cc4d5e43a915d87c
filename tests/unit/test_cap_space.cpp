// Capability spaces: lookup errors, copy/mint/move rules, the derivation tree (revoke
// reaches every copy wherever it lives), and "the last capability destroys the object".
#include "kernel_world.hpp"

using namespace kernel;
namespace r = abi::rights;

TEST_CASE("caps: lookup checks range, emptiness, type and rights") {
    KernelWorld w;
    w.endpoint(2);
    CHECK(w.cs->lookup(64, ObjectType::Endpoint, 0).error() == Error::OutOfRange);
    CHECK(w.cs->lookup(~u64{0}, ObjectType::Endpoint, 0).error() == Error::OutOfRange);
    CHECK(w.cs->lookup(3, ObjectType::Endpoint, 0).error() == Error::BadCapability);
    CHECK(w.cs->lookup(2, ObjectType::Semaphore, 0).error() == Error::WrongType);
    REQUIRE(w.cs->mint(2, *w.cs, 3, r::kRead, 0).ok());
    CHECK(w.cs->lookup(3, ObjectType::Endpoint, r::kRead).ok());
    CHECK(w.cs->lookup(3, ObjectType::Endpoint, r::kWrite).error() == Error::AccessDenied);
    CHECK(w.cs->lookup(2, ObjectType::Endpoint, r::kRead | r::kWrite | r::kGrant).ok());
    CHECK(w.cs->lookup_empty(2).error() == Error::Exists);
    CHECK(w.cs->lookup_empty(64).error() == Error::OutOfRange);
    CHECK(to_errno(Error::WrongType) == abi::errc::kNoTty);
}

TEST_CASE("caps: mint only removes rights, badges only unbadged endpoints") {
    KernelWorld w;
    w.endpoint(2);
    w.semaphore(3);
    REQUIRE(w.cs->mint(2, *w.cs, 4, r::kWrite, 0).ok());
    CHECK(w.cs->mint(4, *w.cs, 5, r::kWrite | r::kGrant, 0).error() == Error::AccessDenied);
    CHECK(w.cs->mint(2, *w.cs, 5, 1u << 20, 0).error() == Error::InvalidArgument);
    CHECK(w.cs->mint(3, *w.cs, 5, r::kWrite, 42).error() == Error::InvalidArgument); // not an endpoint
    REQUIRE(w.cs->mint(2, *w.cs, 5, r::kWrite, 42).ok());
    CHECK(w.cs->slot(5).badge() == 42);
    CHECK(w.cs->mint(5, *w.cs, 6, r::kWrite, 43).error() == Error::InvalidArgument); // no re-badging
    REQUIRE(w.cs->mint(5, *w.cs, 6, r::kWrite, 0).ok()); // the badge stays
    CHECK(w.cs->slot(6).badge() == 42);
    REQUIRE(w.cs->copy(5, *w.cs, 7).ok());
    CHECK(w.cs->slot(7).badge() == 42);
    CHECK(w.cs->slot(7).rights() == r::kWrite);
    // Errors changed nothing: the failed destinations are still empty.
    CHECK(w.cs->lookup_empty(8).ok());
    CHECK(w.cs->slot(2).as<Endpoint>().cap_count() == 5);
}

TEST_CASE("caps: copy and move into occupied or missing slots fail without effect") {
    KernelWorld w;
    w.endpoint(2);
    w.endpoint(3);
    CHECK(w.cs->copy(2, *w.cs, 3).error() == Error::Exists);
    CHECK(w.cs->copy(9, *w.cs, 10).error() == Error::BadCapability);
    CHECK(w.cs->move(2, *w.cs, 99).error() == Error::OutOfRange);
    CHECK(w.cs->move(2, *w.cs, 3).error() == Error::Exists);
    REQUIRE(w.cs->move(2, *w.cs, 10).ok());
    CHECK(w.cs->slot(2).empty());
    CHECK(w.cs->slot(10).type() == ObjectType::Endpoint);
    CHECK(w.cs->slot(10).as<Endpoint>().cap_count() == 1);
    CHECK(w.cs->remove(2, w.reaper).error() == Error::BadCapability);
    CHECK(w.cs->revoke(70, w.reaper).error() == Error::OutOfRange);
}

TEST_CASE("caps: an untyped capability can be moved but never copied") {
    KernelWorld w;
    CHECK(w.cs->copy(KernelWorld::kUntypedSlot, *w.cs, 5).error() == Error::Unsupported);
    CHECK(w.cs->mint(KernelWorld::kUntypedSlot, *w.cs, 5, r::kRead, 0).error() == Error::Unsupported);
    REQUIRE(w.cs->move(KernelWorld::kUntypedSlot, *w.cs, 5).ok());
    CHECK(w.cs->slot(5).type() == ObjectType::Untyped);
    CHECK(w.cs->slot(5).depth() == 0);
}

TEST_CASE("caps: revoke deletes every derived capability, in any cap space, transitively") {
    KernelWorld w;
    Endpoint& ep = w.endpoint(2);
    CapSpace& other = w.make<CapSpace>(ObjectType::CapSpace, 3, 4);
    REQUIRE(w.cs->copy(2, *w.cs, 4).ok());        // child of 2
    REQUIRE(w.cs->mint(4, other, 0, r::kWrite, 7).ok()); // grandchild, elsewhere
    REQUIRE(other.copy(0, other, 1).ok());         // great-grandchild
    REQUIRE(w.cs->copy(2, *w.cs, 5).ok());         // second child of 2
    REQUIRE(other.move(1, *w.cs, 6).ok());         // moved: keeps its place in the tree
    CHECK(ep.cap_count() == 5);
    CHECK(w.cs->slot(6).depth() == w.cs->slot(2).depth() + 3);

    REQUIRE(w.cs->revoke(4, w.reaper).ok()); // only 4's subtree
    CHECK(other.slot(0).empty());
    CHECK(w.cs->slot(6).empty());
    CHECK(ep.cap_count() == 3);
    REQUIRE(w.cs->revoke(2, w.reaper).ok());
    CHECK(w.cs->slot(4).empty());
    CHECK(w.cs->slot(5).empty());
    CHECK(ep.cap_count() == 1);
    CHECK(w.reaper.destroyed() == 0); // the original still names it
}

TEST_CASE("caps: deleting a capability in the middle hands its children to its parent") {
    KernelWorld w;
    Endpoint& ep = w.endpoint(2);
    REQUIRE(w.cs->copy(2, *w.cs, 3).ok());
    REQUIRE(w.cs->copy(3, *w.cs, 4).ok());
    u32 d = w.cs->slot(2).depth();
    CHECK(w.cs->slot(4).depth() == d + 2);
    w.remove(3);
    CHECK(w.cs->slot(4).depth() == d + 1);
    REQUIRE(w.cs->revoke(2, w.reaper).ok()); // still a descendant of 2
    CHECK(w.cs->slot(4).empty());
    CHECK(ep.cap_count() == 1);
}

TEST_CASE("caps: the last capability destroys the object and returns its memory") {
    KernelWorld w;
    u64 free0 = w.untyped->free_bytes(), used0 = w.untyped->used_bytes();
    w.endpoint(2);
    REQUIRE(w.cs->copy(2, *w.cs, 3).ok());
    CHECK(w.untyped->used_bytes() > used0);
    w.remove(2); // the original: its copy keeps the object alive
    CHECK(w.reaper.destroyed() == 0);
    CHECK(w.untyped->used_bytes() > used0);
    w.remove(3);
    CHECK(w.reaper.destroyed() == 1);
    CHECK(w.untyped->used_bytes() == used0);
    CHECK(w.untyped->free_bytes() < free0); // the root cap space still lives: no reset yet
}

TEST_CASE("caps: destroying a cap space destroys what only it named, nested to any depth") {
    KernelWorld w;
    // A chain of cap spaces, each holding the only capability to the next, and an
    // endpoint at the end: one delete takes them all, without recursion.
    constexpr int kDepth = 50;
    REQUIRE(retype(w.ut_cap(), ObjectType::CapSpace, 1, *w.cs, 2, 1).ok());
    CapSpace* last = &w.cs->slot(2).as<CapSpace>();
    for (int i = 0; i < kDepth; ++i) {
        REQUIRE(retype(w.ut_cap(), ObjectType::CapSpace, 1, *w.cs, 3, 1).ok());
        REQUIRE(w.cs->move(3, *last, 0).ok());
        last = &last->slot(0).as<CapSpace>();
    }
    REQUIRE(retype(w.ut_cap(), ObjectType::Endpoint, 0, *w.cs, 3, 1).ok());
    REQUIRE(w.cs->move(3, *last, 1).ok());
    u64 used_before = w.untyped->used_bytes();
    w.remove(2);
    CHECK(w.reaper.destroyed() == kDepth + 2);
    CHECK(w.untyped->used_bytes() < used_before);
    CHECK(w.untyped->children() == 1); // only the root cap space is left
}
