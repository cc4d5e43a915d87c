// procserv's descriptor table (servers/procserv/fdtable.cpp): the lowest free descriptor
// first, growth by doubling up to 4096, then EMFILE; a closed descriptor is the lowest free
// one again. tests/programs/proc/proc_files and proc_scale check the same as users see it.
#include <catch2/catch.hpp>
#include <servers/procserv/fdtable.hpp>

#include <cstdlib>

using namespace procserv;

namespace {
void* zeroed(std::uint64_t bytes) { return std::calloc(1, bytes); }
void release(void* p) { std::free(p); }
OpenFile* file(int n) { return reinterpret_cast<OpenFile*>(static_cast<std::uintptr_t>(0x1000 * n)); }
} // namespace

TEST_CASE("fd table: lowest free first; grows by doubling up to 4096, then EMFILE") {
    FdTable t{};
    REQUIRE(t.reserve(FdTable::kFirst, zeroed, release).ok());
    CHECK(t.size() == 16);
    for (int i = 0; i < 4096; ++i) {
        Result<long> fd = t.lowest_free(zeroed, release);
        REQUIRE(fd.ok());
        REQUIRE(fd.value() == i);
        t.put(static_cast<std::uint64_t>(fd.value()), file(i + 1));
    }
    CHECK(t.size() == 4096);
    CHECK(t.lowest_free(zeroed, release).error().code == 24); // EMFILE
    t.take(700);
    t.take(3);
    CHECK(t.lowest_free(zeroed, release).value() == 3);
    t.put(3, file(1));
    CHECK(t.lowest_free(zeroed, release).value() == 700);
    CHECK(t.at(5) == file(6));
    CHECK(t.at(700) == nullptr);
    CHECK(t.at(5000) == nullptr); // past the table
    t.release(release);
    CHECK(t.size() == 0);
}

TEST_CASE("fd table: a failed growth changes nothing") {
    FdTable t{};
    REQUIRE(t.reserve(2, zeroed, release).ok());
    for (int i = 0; i < 16; ++i) t.put(static_cast<std::uint64_t>(t.lowest_free(zeroed, release).value()), file(1));
    auto no_memory = [](std::uint64_t) -> void* { return nullptr; };
    CHECK(t.lowest_free(no_memory, release).error().code == 12); // ENOMEM
    CHECK(t.size() == 16);
    CHECK(t.at(15) == file(1));
    t.release(release);
}

TEST_CASE("fd table: close-on-exec flags are per descriptor, kept through growth, cleared by put") {
    FdTable t{};
    REQUIRE(t.reserve(FdTable::kFirst, zeroed, release).ok());
    t.put(0, file(1), true);
    t.put(1, file(1));
    CHECK(t.cloexec(0));
    CHECK_FALSE(t.cloexec(1));
    REQUIRE(t.reserve(100, zeroed, release).ok());
    CHECK(t.size() == 128);
    CHECK(t.cloexec(0));
    CHECK(t.at(0) == file(1));
    t.set_cloexec(1, true);
    CHECK(t.cloexec(1));
    t.put(1, file(2)); // a new file there: not close-on-exec unless said
    CHECK_FALSE(t.cloexec(1));
    CHECK_FALSE(t.cloexec(5000)); // past the table
    t.release(release);
}
