// libFuzzer target (scripts/fuzz host multiboot1): QEMU's -kernel boot information reader
// on any bytes, taken as the whole of physical memory: the structure at physical address
// 0, every pointer in it into the same bytes. It must read nothing at or past `size`.
#include <microkernel/multiboot1.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint64_t> memory((size + 7) / 8);
    if (size) memcpy(memory.data(), data, size);
    const kernel::PhysWindow window{reinterpret_cast<uintptr_t>(memory.data())};
    kernel::BootInfo info{};
    (void)kernel::multiboot1::collect_boot_info(kernel::PhysAddr{0}, window, size, info);
    return 0;
}
