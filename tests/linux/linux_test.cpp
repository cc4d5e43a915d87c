// Runs each semantics program of the process API, built for the Linux host
// (tests/linux/meson.build), and expects it to pass against the real kernel: exit status
// 0, no failed check, and its final "N passed, 0 failed" line.
//
// Each program gets a fresh root directory holding the initrd's plain files, named by
// PROC_ROOT and made its cwd (the guest starts programs at "/").
#include "summary_line.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/wait.h>

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    REQUIRE(v != nullptr);
    return v;
}

struct Run {
    std::string output;
    int status = -1;
};

Run run_shell(const std::string& command) {
    Run r;
    FILE* p = popen(command.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    r.status = pclose(p);
    return r;
}

void passes_on_linux(const std::string& program) {
    const std::string bin = env("PROC_BIN"), initrd = env("PROC_INITRD");
    const std::string root = bin + "/root-" + program;
    REQUIRE(run_shell("rm -rf '" + root + "' && mkdir -p '" + root + "' && cp -R '" + initrd +
                      "/.' '" + root + "/' 2>&1").status == 0);
    // No core files from the children that die of faults on purpose; descriptors as the
    // process server gives them (4096, and 0, 1, 2 are open here already).
    Run r = run_shell("cd '" + root + "' && ulimit -c 0 && ulimit -n 4099 && PROC_ROOT='" + root +
                      "' timeout 60 '" + bin + "/" + program + "' 2>&1");
    INFO(r.output);
    CHECK(WIFEXITED(r.status));
    CHECK(WEXITSTATUS(r.status) == 0);
    CHECK(r.output.find("FAILED") == std::string::npos);
    CHECK(all_passed(r.output, program));
}

} // namespace

TEST_CASE("linux: proc_clone passes on Linux") { passes_on_linux("proc_clone"); }
TEST_CASE("linux: proc_fs passes on Linux") { passes_on_linux("proc_fs"); }
TEST_CASE("linux: proc_files passes on Linux") { passes_on_linux("proc_files"); }
TEST_CASE("linux: proc_thread passes on Linux") { passes_on_linux("proc_thread"); }
TEST_CASE("linux: proc_exit passes on Linux") { passes_on_linux("proc_exit"); }
TEST_CASE("linux: proc_wait passes on Linux") { passes_on_linux("proc_wait"); }
TEST_CASE("linux: proc_res passes on Linux") { passes_on_linux("proc_res"); }
TEST_CASE("linux: proc_signal passes on Linux") { passes_on_linux("proc_signal"); }
TEST_CASE("linux: proc_mem passes on Linux") { passes_on_linux("proc_mem"); }
TEST_CASE("linux: proc_scale passes on Linux") { passes_on_linux("proc_scale"); }
