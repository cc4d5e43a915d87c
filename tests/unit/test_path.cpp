// procserv's path walk (servers/procserv/path.cpp) over a small filesystem: names are
// normalised as Linux does, every name walked through must be a directory, and the last
// one need not exist. tests/programs/proc/proc_fs checks the same against Linux.
#include <catch2/catch.hpp>
#include <servers/procserv/path.hpp>

#include <set>
#include <string>

using namespace procserv;

namespace {
// "/etc" and "/etc/init.d" are directories; "/etc/motd" and "/hello.txt" files.
Kind kind_of(const char* abs, void*) {
    static const std::set<std::string> dirs{"/", "/etc", "/etc/init.d"};
    static const std::set<std::string> files{"/etc/motd", "/hello.txt"};
    if (dirs.count(abs)) return Kind::Dir;
    if (files.count(abs)) return Kind::File;
    return Kind::None;
}

struct Walked {
    int error; // 0 or the errno
    std::string name;
};

Walked walk(const char* cwd, const char* path, std::uint64_t max = 128) {
    char out[256] = {};
    Result<void> r = walk_path(cwd, path, out, max, kind_of, nullptr);
    return {r.ok() ? 0 : r.error().code, r.ok() ? out : ""};
}
} // namespace

TEST_CASE("path: names are normalised; '.' and '..' as Linux takes them") {
    CHECK(walk("/", "etc/motd").name == "/etc/motd");
    CHECK(walk("/etc", "motd").name == "/etc/motd");
    CHECK(walk("/etc", "/hello.txt").name == "/hello.txt");
    CHECK(walk("/etc", "..").name == "/");
    CHECK(walk("/", "..").name == "/");             // above the root is the root
    CHECK(walk("/", "../../etc").name == "/etc");
    CHECK(walk("/etc", "./init.d/.").name == "/etc/init.d");
    CHECK(walk("/", "//etc///motd").name == "/etc/motd");
    CHECK(walk("/etc/init.d", "../../hello.txt").name == "/hello.txt");
    CHECK(walk("/", "etc/").name == "/etc");
    CHECK(walk("/", "").name == "/");
}

TEST_CASE("path: every name walked through must be a directory; the last need not exist") {
    CHECK(walk("/", "nothing").name == "/nothing"); // the last name: anything
    CHECK(walk("/", "nothing/x").error == 2);        // ENOENT
    CHECK(walk("/", "hello.txt/x").error == 20);     // ENOTDIR
    CHECK(walk("/", "hello.txt/").error == 20);      // a trailing slash: it must be a directory
    CHECK(walk("/", "hello.txt/..").error == 20);    // Linux does not cancel "file/.."
    CHECK(walk("/", "etc/motd/").error == 20);
    CHECK(walk("/", "nothing/..").error == 2);
}

TEST_CASE("path: a name that does not fit is ENAMETOOLONG, never cut short") {
    CHECK(walk("/", "etc/motd", 10).name == "/etc/motd"); // 9 bytes and the NUL
    CHECK(walk("/", "etc/motd", 9).error == 36);
    CHECK(walk("/etc/init.d", "x", 12).error == 36);      // the cwd alone fills it
    CHECK(walk("/", "", 1).error == 36);
}
