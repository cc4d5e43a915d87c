// libFuzzer target (scripts/fuzz host fdt): the devicetree reader on any bytes. A blob
// Tree::open accepts must be walkable through every accessor (names, properties, parents,
// children, reg, the lookups the boot code makes) and collect_boot_info, reading nothing
// outside the blob (ASan: the fuzzer's copy of the input is exactly `size` bytes).
#include <microkernel/fdt.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace kernel::fdt;
    auto opened = Tree::open(data, size);
    if (!opened.ok()) return 0;
    const Tree& tree = opened.value();
    if (tree.total_size() > size) abort();
    int nodes = 0;
    tree.for_each_node([&](Node n) {
        if (++nodes > 100000) abort();
        const char* name = tree.name(n);
        if (!name) abort();
        (void)strlen(name);
        (void)tree.parent(n);
        for (const char* p : {"compatible", "reg", "#address-cells", "#size-cells", "bootargs", "status"}) {
            auto prop = tree.prop(n, p);
            if (!prop.ok()) continue;
            (void)prop.value().cell(0);
            (void)prop.value().cells_value(0, 2);
            if (const char* s = prop.value().string()) (void)strlen(s);
            (void)prop.value().contains_string("virtio,mmio");
        }
        for (unsigned i = 0; i < 4; ++i) (void)tree.reg(n, i);
        int children = 0;
        tree.for_each_child(n, [&](Node) { ++children; });
    });
    tree.for_each_memreserve([](kernel::PhysRange) {});
    for (const char* path : {"/", "/chosen", "/memory", "/cpus", "/soc/uart@10000000", "/reserved-memory"})
        (void)tree.find_path(path);
    for (const char* compat : {"arm,pl011", "ns16550a", "arm,cortex-a15-gic", "riscv,plic0", "arm,armv8-timer"}) {
        auto at = tree.find_compatible(compat);
        if (at.ok()) (void)tree.find_compatible_after(compat, at.value());
    }
    kernel::BootInfo info{};
    (void)collect_boot_info(tree, kernel::PhysAddr{0x40000000}, info);
    return 0;
}
