// libFuzzer target (scripts/fuzz host multiboot2): GRUB's boot information reader on any
// bytes. What validate accepts, for_each_tag and collect_boot_info read only inside the
// `size` bytes they were given, and every tag they hand out lies inside them.
#include <microkernel/multiboot2.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // (The structure is 8-byte aligned in memory, as GRUB places it.)
    std::vector<uint64_t> copy((size + 7) / 8);
    if (size) memcpy(copy.data(), data, size);
    const auto* mbi = reinterpret_cast<const uint8_t*>(copy.data());
    auto walked = kernel::multiboot2::for_each_tag(mbi, size, [&](const kernel::multiboot2::Tag& t) {
        if (t.size < 8 || t.data < mbi + 8 || t.data - 8 + t.size > mbi + size) abort();
    });
    kernel::BootInfo info{};
    auto collected = kernel::multiboot2::collect_boot_info(mbi, size, kernel::PhysAddr{0x100000}, info);
    if (collected.ok() && !walked.ok()) abort(); // (collect validates the same way)
    return 0;
}
