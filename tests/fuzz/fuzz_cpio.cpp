// libFuzzer target (scripts/fuzz host cpio): the initrd's cpio reader on any bytes.
// Every entry it hands out must lie inside the archive, and find() must agree with the walk.
#include <base/cpio.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto archive = kernel::cpio::Archive::open(data, size);
    if (!archive.ok()) return 0;
    const uint8_t* end = data + size;
    size_t seen = 0;
    archive.value().for_each([&](const kernel::cpio::Entry& e) {
        const auto* name = reinterpret_cast<const uint8_t*>(e.name);
        if (name < data || name >= end || e.data < data || e.data > end || e.size > size_t(end - e.data)) abort();
        if (!memchr(e.name, 0, size_t(end - name))) abort(); // NUL-terminated inside the archive
        auto found = archive.value().find(e.name);
        if (!found.ok()) abort();
        ++seen;
    });
    if (seen != archive.value().entry_count()) abort();
    return 0;
}
