// procserv's name service table (servers/procserv/names.cpp): registering, finding and
// removing service names, and what a process's end takes away.
#include <catch2/catch.hpp>

#include <servers/procserv/names.hpp>

#include <cstdlib>
#include <string>
#include <vector>

using procserv::NameTable;

namespace {
void* zalloc(NameTable::u64 n) { return std::calloc(1, n); }
void* no_memory(NameTable::u64) { return nullptr; }
int code(const procserv::Result<void>& r) { return r.ok() ? 0 : r.error().code; }
} // namespace

TEST_CASE("names: register, find, and the errors of each call") {
    NameTable t{};
    CHECK(code(t.add("echo", 3, 100, zalloc)) == 0);
    CHECK(code(t.add("echo", 4, 101, zalloc)) == 17); // EEXIST, whoever asks
    CHECK(code(t.add("", 4, 101, zalloc)) == 22);     // EINVAL
    std::string longest(NameTable::kMaxName, 'x');
    CHECK(code(t.add(longest.c_str(), 4, 102, zalloc)) == 0);
    CHECK(code(t.add((longest + "y").c_str(), 4, 103, zalloc)) == 22);
    CHECK(code(t.add("kv", 4, 104, no_memory)) == 12); // ENOMEM, nothing added
    CHECK(t.find("kv") == nullptr);
    REQUIRE(t.find("echo") != nullptr);
    CHECK(t.find("echo")->owner == 3);
    CHECK(t.find("echo")->slot == 100);
    CHECK(t.find("ech") == nullptr);
    CHECK(t.find("echo2") == nullptr);
    CHECK(t.count() == 2);

    auto removed = t.remove("echo", 4, std::free);
    REQUIRE_FALSE(removed.ok());
    CHECK(removed.error().code == 13); // EACCES: not its owner's
    removed = t.remove("echo", 3, std::free);
    REQUIRE(removed.ok());
    CHECK(removed.value() == 100);
    CHECK(t.find("echo") == nullptr);
    CHECK(t.remove("echo", 3, std::free).error().code == 2); // ENOENT
    CHECK(code(t.add("echo", 4, 105, zalloc)) == 0);          // free again
    t.remove_owner(4, std::free, [](NameTable::u64) {});
    CHECK(t.count() == 0);
}

TEST_CASE("names: a process's end removes its names, and only its names, among many") {
    NameTable t{};
    for (int i = 0; i < 1000; ++i)
        REQUIRE(code(t.add(("service-" + std::to_string(i)).c_str(), i % 3, static_cast<NameTable::u64>(i), zalloc)) == 0);
    std::vector<NameTable::u64> gone;
    t.remove_owner(1, std::free, [&](NameTable::u64 slot) { gone.push_back(slot); });
    CHECK(gone.size() == 333);
    for (auto s : gone) CHECK(s % 3 == 1);
    CHECK(t.count() == 667);
    for (int i = 0; i < 1000; ++i) {
        const NameTable::Entry* e = t.find(("service-" + std::to_string(i)).c_str());
        CHECK((e != nullptr) == (i % 3 != 1));
    }
    t.remove_owner(0, std::free, [](NameTable::u64) {});
    t.remove_owner(2, std::free, [](NameTable::u64) {});
    CHECK(t.count() == 0);
}
