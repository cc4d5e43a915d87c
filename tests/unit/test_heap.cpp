// libsys' heap, built for the host with malloc/free/calloc renamed (meson.build), so that
// it does not replace the C library's.
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#define malloc libsys_malloc
#define free libsys_free
#define calloc libsys_calloc
#include <sys/heap.hpp>
#undef malloc
#undef free
#undef calloc

TEST_CASE("heap: alignment, exhaustion, and every byte back after freeing") {
    alignas(16) static unsigned char arena[64 * 1024];
    sys::Heap h;
    h.init(arena + 3, sizeof arena - 3); // rounded inwards to 16
    const std::size_t all = h.free_bytes();
    CHECK(all == h.capacity());
    CHECK(h.alloc(0) == nullptr);
    CHECK(h.alloc(all) == nullptr); // the header does not fit too

    std::mt19937 rng(42);
    std::map<std::uintptr_t, std::size_t> live; // address -> size
    for (int round = 0; round < 4000; ++round) {
        if (live.empty() || rng() % 3) {
            std::size_t n = 1 + rng() % 700;
            auto* p = static_cast<unsigned char*>(h.alloc(n));
            if (!p) continue; // full: fine
            auto a = reinterpret_cast<std::uintptr_t>(p);
            REQUIRE(a % 16 == 0);
            REQUIRE(a >= reinterpret_cast<std::uintptr_t>(arena));
            REQUIRE(a + n <= reinterpret_cast<std::uintptr_t>(arena) + sizeof arena);
            auto after = live.lower_bound(a);
            if (after != live.end()) REQUIRE(a + n <= after->first); // no overlap
            if (after != live.begin()) REQUIRE(std::prev(after)->first + std::prev(after)->second <= a);
            for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(round);
            live[a] = n;
        } else {
            auto it = std::next(live.begin(), long(rng() % live.size()));
            REQUIRE(h.release(reinterpret_cast<void*>(it->first)));
            live.erase(it);
        }
    }
    for (auto& [a, n] : live) REQUIRE(h.release(reinterpret_cast<void*>(a)));
    CHECK(h.free_bytes() == all);
    void* whole = h.alloc(all - 16); // coalesced back into one block
    CHECK(whole != nullptr);
}

TEST_CASE("heap: bad frees are refused and change nothing") {
    alignas(16) static unsigned char arena[4096];
    sys::Heap h;
    h.init(arena, sizeof arena);
    void* p = h.alloc(100);
    REQUIRE(p);
    std::size_t before = h.free_bytes();
    CHECK_FALSE(h.release(nullptr));
    CHECK_FALSE(h.release(static_cast<char*>(p) + 8));  // misaligned
    alignas(16) static unsigned char elsewhere[64];
    CHECK_FALSE(h.release(elsewhere + 16)); // outside the heap
    CHECK(h.free_bytes() == before);
    CHECK(h.release(p));
    CHECK_FALSE(h.release(p)); // double free
    CHECK(h.free_bytes() == h.capacity());
}

TEST_CASE("heap: malloc, calloc and free on the default heap") {
    auto* z = static_cast<unsigned char*>(libsys_calloc(10, 10));
    REQUIRE(z);
    for (int i = 0; i < 100; ++i) CHECK(z[i] == 0);
    CHECK(libsys_calloc(SIZE_MAX / 2, 4) == nullptr); // the product would overflow
    void* m = libsys_malloc(sys::kDefaultHeapBytes); // more than the arena holds
    CHECK(m == nullptr);
    libsys_free(z);
    CHECK(sys::default_heap().free_bytes() == sys::default_heap().capacity());
}

TEST_CASE("heap: extend grows it at its end only; the new room merges with a free tail") {
    alignas(16) static unsigned char arena[16 * 1024];
    sys::Heap h;
    REQUIRE(h.extend(arena, 4096)); // an empty heap: as init
    CHECK(h.capacity() == 4096);
    void* a = h.alloc(4000);
    REQUIRE(a);
    CHECK(h.alloc(4000) == nullptr);
    CHECK_FALSE(h.extend(arena + 8192, 4096)); // not at the end: refused
    CHECK(h.capacity() == 4096);
    REQUIRE(h.extend(arena + 4096, 4096));
    CHECK(h.capacity() == 8192);
    void* b = h.alloc(4000);
    REQUIRE(b);
    CHECK(b > a);
    REQUIRE(h.release(b));
    REQUIRE(h.extend(arena + 8192, 8192)); // merges with the free block before it
    void* c = h.alloc(12000);
    REQUIRE(c);
    CHECK(c == b);
    REQUIRE(h.release(c));
    REQUIRE(h.release(a));
    CHECK(h.free_bytes() == h.capacity());
    CHECK(h.alloc(16 * 1024 - 16) != nullptr); // one block again
}
