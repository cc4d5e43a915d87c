#include "abi_table.hpp"

#include <abi/methods.hpp>
#include <fstream>
#include <sstream>
#include <sys/procserv_requests.hpp>
#include <type_traits>

namespace {

constexpr const char* kBegin = "<!-- method table: printed by scripts/abi-table from abi/methods.hpp; do not edit -->\n";
constexpr const char* kEnd = "<!-- end of method table -->\n";
constexpr const char* kSyscallsBegin =
    "<!-- system-call table: printed by scripts/abi-table from abi/methods.hpp; do not edit -->\n";
constexpr const char* kSyscallsEnd = "<!-- end of system-call table -->\n";
constexpr const char* kRequestsBegin =
    "<!-- request table: printed by scripts/abi-table from sys/procserv_requests.hpp; do not edit -->\n";
constexpr const char* kRequestsEnd = "<!-- end of request table -->\n";

const char* type_name(abi::ObjectType t) {
    using T = abi::ObjectType;
    switch (t) {
    case T::Untyped: return "Untyped";
    case T::CapSpace: return "CapSpace";
    case T::Thread: return "Thread";
    case T::Endpoint: return "Endpoint";
    case T::Semaphore: return "Semaphore";
    case T::Frame: return "Frame";
    case T::AddressSpace: return "AddressSpace";
    case T::Console: return "Console";
    case T::Machine: return "Machine";
    case T::IrqHandler: return "IrqHandler";
    case T::Reply: return "Reply";
    case T::MapBudget: return "MapBudget";
    }
    return "?";
}

/// The name of the per-object right (abi::rights::kObject0) on an object of type `t`.
const char* object_right(abi::ObjectType t) {
    using T = abi::ObjectType;
    switch (t) {
    case T::Untyped: return "Retype";
    case T::CapSpace: return "Edit";
    case T::Frame: return "Execute";
    case T::AddressSpace: return "Map";
    default: return "Control";
    }
}

std::string rights_text(abi::ObjectType t, abi::u32 r) {
    std::string s;
    auto add = [&](abi::u32 bit, const char* name) {
        if (!(r & bit)) return;
        if (!s.empty()) s += "+";
        s += name;
    };
    add(abi::rights::kRead, "Read");
    add(abi::rights::kWrite, "Write");
    add(abi::rights::kGrant, "Grant");
    add(abi::rights::kObject0, object_right(t));
    return s;
}

std::string hex(abi::u64 v) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    do {
        s.insert(s.begin(), digits[v & 15]);
        v >>= 4;
    } while (v);
    return "0x" + s;
}

std::string param_text(const abi::ParamInfo& p) {
    std::string s = "`" + std::string(p.name) + "`";
    using K = abi::Kind;
    switch (p.kind) {
    case K::Word: break;
    case K::Word32: s += " (32-bit)"; break;
    case K::Int32: s += " (int)"; break;
    case K::Cap:
    case K::CapOrNone:
        s += ": ";
        s += type_name(p.type);
        if (p.rights) s += " (" + rights_text(p.type, p.rights) + ")";
        if (p.kind == K::CapOrNone) s += " or kNoSlot";
        break;
    case K::Slot: s += ": slot"; break;
    case K::EmptySlot: s += ": empty slot"; break;
    case K::Address: s += ": address"; break;
    case K::Flags:
        // (the only flags are rights: a mapping's, or any capability's)
        if (p.limit == abi::rights::kAll) s += ": rights";
        else if ((p.limit & ~abi::rights::kAll) == 0) s += ": rights within " + rights_text(abi::ObjectType::Frame, p.limit);
        else s += ": bits of " + hex(p.limit);
        break;
    case K::Limit: s += " <= " + std::to_string(p.limit); break;
    }
    return s;
}

template <class S>
std::string words_text(unsigned required, const char* more) {
    std::string s;
    unsigned i = 0;
    S words{};
    abi::for_each_word(words, [&]<class P>(const P&) {
        if (i) s += ", ";
        if (i == required) s += "[";
        s += param_text(P::info);
        if constexpr (procserv::is_in_label<P>) s += " (in the label, above bit 16)";
        ++i;
    });
    if (i > required) s += "]";
    if (more) s += std::string(i ? ", " : "") + "`" + more + "`...";
    return s.empty() ? "-" : s;
}

} // namespace

std::string abi_method_table() {
    std::string t = "| object | method (label) | right | arguments | answer | what it does |\n"
                    "|---|---|---|---|---|---|\n";
    abi::Methods::each([&]<class M>() {
        const abi::MethodInfo& m = M::method;
        t += std::string("| ") + type_name(m.object) + " | " + m.name + " (" + std::to_string(m.label) +
             ") | " + rights_text(m.object, m.right) + " | " + words_text<M>(m.required, m.more) + " | " +
             words_text<typename M::Out>(abi::kWords<typename M::Out>, m.more_out) + " | " + m.doc +
             " |\n";
    });
    return t;
}

std::string read_page(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string abi_syscall_table() {
    std::string t = "| nr | name | capability in `kRegCap` | what it does |\n"
                    "|---|---|---|---|\n";
    for (const abi::SyscallInfo& s : abi::kSyscalls) {
        std::string cap = s.object == abi::ObjectType{}
                              ? "-"
                              : std::string(type_name(s.object)) + " (" + rights_text(s.object, s.right) + ")";
        if (s.nr == abi::Syscall::Invoke) cap = "any (the method's right)";
        t += "| " + std::to_string(static_cast<abi::u64>(s.nr)) + " | `" + s.name + "` | " + cap + " | " + s.doc +
             " |\n";
    }
    return t;
}

std::string procserv_request_table() {
    std::string t = "| request (label) | libsys | arguments | answer | what it does |\n"
                    "|---|---|---|---|---|\n";
    procserv::Requests::each([&]<class M>() {
        const procserv::RequestInfo& r = M::request;
        t += std::string("| ") + r.op_name + " (" + hex(static_cast<abi::u64>(r.op)) + ") | " + r.call + " | " +
             words_text<M>(abi::kWords<M>, nullptr) + " | " +
             words_text<typename M::Out>(abi::kWords<typename M::Out>, nullptr) + " | " + r.doc + " |\n";
    });
    return t;
}

namespace {
std::string with_table(const std::string& page, const std::string& table, const char* begin_marker,
                       const char* end_marker) {
    auto begin = page.find(begin_marker);
    auto end = page.find(end_marker);
    if (begin == std::string::npos || end == std::string::npos || end < begin) return {};
    begin += std::string(begin_marker).size();
    return page.substr(0, begin) + table + page.substr(end);
}
} // namespace

std::string with_abi_method_table(const std::string& page, const std::string& table) {
    return with_table(page, table, kBegin, kEnd);
}
std::string with_abi_syscall_table(const std::string& page, const std::string& table) {
    return with_table(page, table, kSyscallsBegin, kSyscallsEnd);
}
std::string with_procserv_request_table(const std::string& page, const std::string& table) {
    return with_table(page, table, kRequestsBegin, kRequestsEnd);
}
