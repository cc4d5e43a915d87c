// scripts/abi-table's printer: writes abi/methods.hpp's method table into the page given
// (docs/abi.md), between its markers, or prints the table alone without an argument.
#include "abi_table.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

int main(int argc, char** argv) {
    const std::string table = abi_method_table();
    if (argc < 2) {
        std::fputs(table.c_str(), stdout);
        return 0;
    }
    std::ifstream in(argv[1]);
    std::stringstream page;
    page << in.rdbuf();
    const std::string out = with_abi_method_table(page.str(), table);
    if (out.empty()) {
        std::fprintf(stderr, "abi-table: %s has no method table markers\n", argv[1]);
        return 1;
    }
    if (out != page.str()) std::ofstream(argv[1]) << out;
    return 0;
}
