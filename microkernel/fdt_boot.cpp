// Boot information from the devicetree, the same on every devicetree arch.
#include <base/bytes.hpp>
#include <base/boot_only.hpp>
#include <microkernel/fdt.hpp>

namespace kernel::fdt {
namespace {

BOOT_ONLY bool node_enabled(const Tree& t, Node n) {
    auto st = t.prop(n, "status");
    if (!st || !st->string()) return true;
    return str_equal(st->string(), "okay") || str_equal(st->string(), "ok");
}

// A /chosen number that firmware writes either as one or as two cells.
BOOT_ONLY Result<u64> number(const Tree& t, Node n, const char* name) {
    Prop p = TRY(t.prop(n, name));
    if (p.len == 4) return u64(p.cell(0));
    if (p.len == 8) return p.cells_value(0, 2);
    return Error::Malformed;
}

BOOT_ONLY void add_regs(const Tree& t, Node n, FixedList<PhysRange, 64>& out, BootInfo& info) {
    for (u32 i = 0;; ++i) {
        auto r = t.reg(n, i);
        if (!r) return;
        if (r->size && !out.push(*r)) info.truncated = true;
    }
}

} // namespace

BOOT_ONLY Result<void> collect_boot_info(const Tree& t, PhysAddr blob_phys, BootInfo& info) {
    t.for_each_node([&](Node n) {
        auto dt = t.prop(n, "device_type");
        if (dt && dt->string() && str_equal(dt->string(), "memory") && node_enabled(t, n))
            add_regs(t, n, info.ram, info);
    });
    if (info.ram.count == 0) return Error::NotFound;

    t.for_each_memreserve([&](PhysRange r) {
        if (r.size && !info.reserved.push(r)) info.truncated = true;
    });
    if (auto rm = t.find_path("/reserved-memory"))
        t.for_each_child(*rm, [&](Node c) { add_regs(t, c, info.reserved, info); });

    if (auto chosen = t.find_path("/chosen")) {
        auto start = number(t, *chosen, "linux,initrd-start");
        auto end = number(t, *chosen, "linux,initrd-end");
        if (start && end) {
            if (*end < *start) return Error::Malformed;
            info.initrd = PhysRange{*start, *end - *start};
            if (!info.initrd.empty() && !info.reserved.push(info.initrd)) info.truncated = true;
        }
        if (auto args = t.prop(*chosen, "bootargs"))
            copy_bounded(info.cmdline, sizeof info.cmdline, reinterpret_cast<const char*>(args->data),
                         args->len);
    }
    if (auto cpus = t.find_path("/cpus")) {
        if (auto hz = number(t, *cpus, "timebase-frequency")) info.timer_hz = *hz;
        // Each enabled cpu node's reg is its arch id, in #address-cells cells (1 or 2).
        auto cells = t.prop(*cpus, "#address-cells");
        u32 n = cells && cells->len == 4 ? cells->cell(0) : 1;
        if (n == 1 || n == 2)
            t.for_each_child(*cpus, [&](Node c) {
                auto dt = t.prop(c, "device_type");
                auto reg = t.prop(c, "reg");
                if (!dt || !dt->string() || !str_equal(dt->string(), "cpu") || !node_enabled(t, c)) return;
                if (!reg || reg->len < 4 * n) return;
                ++info.cpus_listed;
                (void)info.cpus.push(reg->cells_value(0, n)); // (the first 256: report_cpus says so)
            });
    }

    if (!info.reserved.push(PhysRange{blob_phys.value, t.total_size()})) info.truncated = true;
    return {};
}

} // namespace kernel::fdt
