// Just enough ACPI to find the interrupt controllers: RSDP -> RSDT/XSDT -> MADT. Every
// table is checked (bounds against the early direct map, length, checksum) before use.
#include "hw.hpp"
#include "x86_64.hpp"

#include <microkernel/arch.hpp>

namespace arch::x86_64 {
namespace {

constexpr u32 kSdtHeaderSize = 36;
constexpr u32 kMaxTableSize = 1 << 20; // sanity bound on a table's claimed length
constexpr u8 kMadtLocalApic = 0;   ///< a CPU: processor id, APIC id, flags
constexpr u8 kMadtIoApic = 1;
constexpr u8 kMadtSourceOverride = 2;
constexpr u8 kMadtLapicOverride = 5;
constexpr u8 kMadtLocalX2Apic = 9; ///< a CPU whose APIC id needs 32 bits
constexpr u32 kMadtCpuEnabled = 1, kMadtCpuOnlineCapable = 2; ///< a CPU entry's flags

// ACPI tables are byte-packed and may be unaligned: read fields byte by byte.
u32 le32(const u8* p) { return u32{p[0]} | u32{p[1]} << 8 | u32{p[2]} << 16 | u32{p[3]} << 24; }
u64 le64(const u8* p) { return le32(p) | u64{le32(p + 4)} << 32; }

bool checksum_ok(const u8* p, usize n) {
    u8 sum = 0;
    for (usize i = 0; i < n; ++i) sum = static_cast<u8>(sum + p[i]);
    return sum == 0;
}

/// Physical [pa, pa + n) through the early direct map, or nullptr if not all mapped.
const u8* phys(u64 pa, u64 n) {
    if (pa >= kEarlyDirectMapLimit || n > kEarlyDirectMapLimit - pa) return nullptr;
    return reinterpret_cast<const u8*>(kDirectMapBase + pa);
}

bool same(const u8* p, const char* sig, usize n) {
    for (usize i = 0; i < n; ++i)
        if (p[i] != static_cast<u8>(sig[i])) return false;
    return true;
}

/// A validated system description table with signature `sig`, or nullptr.
const u8* table_at(u64 pa, const char* sig) {
    const u8* h = phys(pa, kSdtHeaderSize);
    if (!h || !same(h, sig, 4)) return nullptr;
    u32 len = le32(h + 4);
    if (len < kSdtHeaderSize || len > kMaxTableSize || !phys(pa, len)) return nullptr;
    return checksum_ok(h, len) ? h : nullptr;
}

bool rsdp_ok(const u8* r, usize size) {
    if (size < 20 || !same(r, "RSD PTR ", 8) || !checksum_ok(r, 20)) return false;
    if (r[15] < 2) return true;
    u32 len = le32(r + 20);
    return size >= 36 && len >= 36 && len <= size && checksum_ok(r, len);
}

/// ACPI 1.0: the RSDP is on a 16-byte boundary in the first KiB of the EBDA or in the
/// BIOS ROM area 0xe0000..0xfffff.
const u8* scan_rsdp() {
    const u8* bda = phys(0x40e, 2);
    u64 ebda = u64{static_cast<u16>(bda[0] | bda[1] << 8)} << 4;
    const u64 areas[2][2] = {{ebda, 1024}, {0xe0000, 0x20000}};
    for (const auto& area : areas) {
        const u8* p = area[0] ? phys(area[0], area[1]) : nullptr;
        if (!p) continue;
        for (u64 off = 0; off + 36 <= area[1]; off += 16)
            if (rsdp_ok(p + off, area[1] - off)) return p + off;
    }
    return nullptr;
}

const u8* find_madt(const u8* rsdp) {
    bool xsdt = rsdp[15] >= 2 && le64(rsdp + 24) != 0;
    const u8* root = xsdt ? table_at(le64(rsdp + 24), "XSDT") : table_at(le32(rsdp + 16), "RSDT");
    if (!root) return nullptr;
    u32 entry_size = xsdt ? 8 : 4;
    u32 count = (le32(root + 4) - kSdtHeaderSize) / entry_size;
    for (u32 i = 0; i < count; ++i) {
        const u8* e = root + kSdtHeaderSize + i * entry_size;
        if (const u8* madt = table_at(xsdt ? le64(e) : le32(e), "APIC")) return madt;
    }
    return nullptr;
}

} // namespace

ApicInfo find_apics(const u8* rsdp, usize rsdp_size) {
    ApicInfo info;
    if (!rsdp || !rsdp_ok(rsdp, rsdp_size)) rsdp = scan_rsdp();
    const u8* madt = rsdp ? find_madt(rsdp) : nullptr;
    if (!madt) {
        info.ioapic[info.ioapic_count++] = {0xfec00000, 0}; // the usual PC address
        return info;
    }
    u32 len = le32(madt + 4);
    if (len < kSdtHeaderSize + 8) return info;
    info.from_madt = true;
    info.lapic = le32(madt + kSdtHeaderSize);
    // Entries: type, length, payload; each one must fit in the table.
    for (u32 off = kSdtHeaderSize + 8; off + 2 <= len;) {
        const u8* e = madt + off;
        u8 type = e[0], elen = e[1];
        if (elen < 2 || off + elen > len) break;
        if (type == kMadtIoApic && elen >= 12 && info.ioapic_count < 4)
            info.ioapic[info.ioapic_count++] = {le32(e + 4), le32(e + 8)};
        else if (type == kMadtSourceOverride && elen >= 10 && e[2] == 0 && e[3] < 16 &&
                 info.override_count < 16) // bus 0 is ISA, the only one defined
            info.overrides[info.override_count++] = {e[3], le32(e + 4),
                                                     static_cast<u16>(e[8] | e[9] << 8)};
        else if (type == kMadtLapicOverride && elen >= 12)
            info.lapic = le64(e + 4);
        else if (type == kMadtLocalApic && elen >= 8 && (le32(e + 4) & (kMadtCpuEnabled | kMadtCpuOnlineCapable)))
            ++info.cpus_listed, (void)info.cpus.push(e[3]); // (the first 256: the kernel says so)
        else if (type == kMadtLocalX2Apic && elen >= 16 && (le32(e + 8) & (kMadtCpuEnabled | kMadtCpuOnlineCapable)))
            ++info.cpus_listed, (void)info.cpus.push(le32(e + 4));
        off += elen;
    }
    return info;
}

} // namespace arch::x86_64
