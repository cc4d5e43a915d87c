// docs/abi.md's method table, printed from abi::Methods (abi/methods.hpp). The unit test
// "docs/abi.md's method table is the one abi/methods.hpp prints" compares the page with
// it; scripts/abi-table writes it into the page.
#pragma once

#include <string>

/// The markdown table: a row per method, in abi::Methods' order.
std::string abi_method_table();

/// `page` with the text between the generated-table markers replaced by `table`; empty
/// if the page has no markers.
std::string with_abi_method_table(const std::string& page, const std::string& table);
