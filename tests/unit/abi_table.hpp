// docs/abi.md's method table, printed from abi::Methods (abi/methods.hpp), and
// docs/procserv.md's request table, printed from procserv::Requests
// (sys/procserv_requests.hpp). Unit tests compare the pages with them; scripts/abi-table
// writes them into the pages.
#pragma once

#include <string>

/// The whole of the file at `path` (empty if it cannot be read).
std::string read_page(const std::string& path);

/// The markdown table: a row per method, in abi::Methods' order.
std::string abi_method_table();

/// `page` with the text between the generated-table markers replaced by `table`; empty
/// if the page has no markers.
std::string with_abi_method_table(const std::string& page, const std::string& table);

/// docs/abi.md's system-call table: a row per abi::Syscall (abi::kSyscalls).
std::string abi_syscall_table();

/// `page` with its system-call table replaced by `table`; empty if the page has no markers.
std::string with_abi_syscall_table(const std::string& page, const std::string& table);

/// The markdown table of procserv's requests: a row per request, in Op order.
std::string procserv_request_table();

/// `page` with its request table replaced by `table`; empty if the page has no markers.
std::string with_procserv_request_table(const std::string& page, const std::string& table);
