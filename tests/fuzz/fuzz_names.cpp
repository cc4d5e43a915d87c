// libFuzzer target (scripts/fuzz host names): the name service's table (servers/procserv/
// names.cpp), whose names come from any process (ServiceRegister, ServiceLookup,
// ServiceUnregister), against a map. Each step registers, looks up or removes a name of
// 0 to 70 bytes from the input (any bytes, cut at a NUL as a C string is) for one of four
// owners, or removes every name of an owner (its end). Every answer must be the map's: the
// same errno (EINVAL for an empty or too long name, EEXIST, ENOENT, EACCES for another
// owner's), the same owner and slot found, the same count; at the end every entry is freed.
#include "counted_alloc.hpp"
#include "names.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace {

using procserv::NameTable;
using u64 = std::uint64_t;

using fuzz::g_live;
using fuzz::release;
using fuzz::zeroed;
int code(const procserv::Result<void>& r) { return r.ok() ? 0 : r.error().code; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    g_live = 0;
    NameTable t{};
    std::map<std::string, std::pair<int, u64>> model;
    size_t i = 0;
    u64 next_slot = 100;
    while (i + 2 <= size) {
        const uint8_t op = data[i] % 4, owner = 1 + data[i + 1] % 4;
        i += 2;
        const size_t len = i < size ? data[i++] % 71 : 0; // the name: len bytes, or fewer at its NUL
        std::string raw(reinterpret_cast<const char*>(data + i), len <= size - i ? len : size - i);
        i += raw.size();
        const std::string name(raw.c_str());
        const auto it = model.find(name);
        switch (op) {
        case 0: { // register
            const u64 slot = next_slot++;
            const int want = name.empty() || name.size() > NameTable::kMaxName ? 22 : it != model.end() ? 17 : 0;
            if (code(t.add(name.c_str(), owner, slot, zeroed)) != want) abort();
            if (!want) model[name] = {owner, slot};
            break;
        }
        case 1: { // look up
            const NameTable::Entry* e = t.find(name.c_str());
            if ((e != nullptr) != (it != model.end())) abort();
            if (e && (e->owner != it->second.first || e->slot != it->second.second || name != e->name)) abort();
            break;
        }
        case 2: { // unregister as `owner`
            auto r = t.remove(name.c_str(), owner, release);
            const int want = it == model.end() ? 2 : it->second.first != owner ? 13 : 0;
            if ((r.ok() ? 0 : r.error().code) != want) abort();
            if (!want) {
                if (r.value() != it->second.second) abort();
                model.erase(it);
            }
            break;
        }
        default: { // the owner's end
            u64 gone = 0;
            t.remove_owner(owner, release, [&](u64 slot) {
                bool found = false;
                for (auto m = model.begin(); m != model.end(); ++m)
                    if (m->second.second == slot && m->second.first == owner) {
                        model.erase(m), found = true;
                        break;
                    }
                if (!found) abort();
                ++gone;
            });
            for (const auto& m : model)
                if (m.second.first == owner) abort();
            break;
        }
        }
        if (t.count() != model.size()) abort();
    }
    for (int owner = 1; owner <= 4; ++owner) t.remove_owner(owner, release, [](u64) {});
    if (t.count() != 0 || g_live != 0) abort();
    return 0;
}
