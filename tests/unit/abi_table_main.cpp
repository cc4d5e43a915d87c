// scripts/abi-table's printer: writes abi/methods.hpp's system-call and method tables into
// docs/abi.md and sys/procserv_requests.hpp's request table into docs/procserv.md, between
// their markers (`abi_table ABI_PAGE PROCSERV_PAGE`), or prints the tables without
// arguments.
#include "abi_table.hpp"

#include <cstdio>
#include <fstream>
#include <string>

namespace {
int rewrite(const char* path, std::string (*with)(const std::string&, const std::string&), const std::string& table) {
    const std::string page = read_page(path);
    const std::string out = with(page, table);
    if (out.empty()) {
        std::fprintf(stderr, "abi-table: %s has no table markers\n", path);
        return 1;
    }
    if (out != page) std::ofstream(path) << out;
    return 0;
}
} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fputs(abi_syscall_table().c_str(), stdout);
        std::fputs("\n", stdout);
        std::fputs(abi_method_table().c_str(), stdout);
        std::fputs("\n", stdout);
        std::fputs(procserv_request_table().c_str(), stdout);
        return 0;
    }
    return rewrite(argv[1], with_abi_syscall_table, abi_syscall_table()) |
           rewrite(argv[1], with_abi_method_table, abi_method_table()) |
           rewrite(argv[2], with_procserv_request_table, procserv_request_table());
}
