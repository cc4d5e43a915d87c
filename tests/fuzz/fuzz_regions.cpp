// libFuzzer target (scripts/fuzz host regions): procserv's regions of an address space
// (servers/procserv/regions.cpp, RegionSet), driven by random inserts, removes, protects,
// lookups and searches for free space over 128 pages, against a model that keeps one
// protection per page. After every step the set must be sorted, made of page-aligned
// non-empty regions that do not overlap, with no two neighbours that could be one, and
// say of every page what the model says; a step refused for want of room (16 entries)
// must change nothing.
#include "regions.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

using procserv::Region;
using procserv::RegionSet;
using procserv::u64;

constexpr u64 kBase = 0x100000, kPages = 128, kP = procserv::kPageSize;
constexpr unsigned kCapacity = 16;

struct Model {
    int page[kPages]; ///< -1: not mapped; else the protection, plus 8 when shared
};

int of(const Region& r) { return static_cast<int>(r.prot) + (r.shared ? 8 : 0); }

void check(const RegionSet& s, const Model& m) {
    for (unsigned i = 0; i < s.count(); ++i) {
        const Region& r = s.at(i);
        if (r.start % kP || r.end % kP || r.start >= r.end) abort();
        if (i && s.at(i - 1).end > r.start) abort();                       // sorted, no overlap
        if (i && s.at(i - 1).end == r.start && s.at(i - 1).mergeable(r)) abort(); // merged
    }
    for (u64 p = 0; p < kPages; ++p) {
        const Region* r = s.find(kBase + p * kP + p % kP);
        if ((r != nullptr) != (m.page[p] >= 0)) abort();
        if (r && of(*r) != m.page[p]) abort();
    }
}

bool same(const RegionSet& s, const Region* copy, unsigned n) {
    if (s.count() != n) return false;
    for (unsigned i = 0; i < n; ++i)
        if (s.at(i).start != copy[i].start || s.at(i).end != copy[i].end || s.at(i).prot != copy[i].prot) return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Region storage[kCapacity];
    RegionSet s{};
    s.set_storage(storage, kCapacity);
    Model m;
    for (int& p : m.page) p = -1;
    if (size > 512) size = 512; // 128 steps reach every shape 16 regions can take
    for (size_t i = 0; i + 4 <= size; i += 4) {
        const unsigned op = data[i] % 5, prot = (data[i] >> 3) & 7;
        const bool shared = data[i] & 0x80;
        u64 a = data[i + 1] % kPages, b = data[i + 2] % (kPages + 1);
        if (a > b) {
            const u64 t = a;
            a = b, b = t;
        }
        const u64 start = kBase + a * kP, end = kBase + b * kP;
        bool mapped_any = false, mapped_all = true;
        for (u64 p = a; p < b; ++p) mapped_any |= m.page[p] >= 0, mapped_all &= m.page[p] >= 0;
        Region before[kCapacity];
        const unsigned n = s.count();
        memcpy(before, storage, sizeof before);
        switch (op) {
        case 0: { // insert where nothing is
            if (a == b) break;
            if (s.overlaps(start, end) != mapped_any) abort();
            if (mapped_any) break;
            Region r{};
            r.start = start, r.end = end, r.prot = prot, r.shared = shared;
            if (s.insert(r).ok())
                for (u64 p = a; p < b; ++p) m.page[p] = of(r);
            else if (!same(s, before, n)) abort();
            break;
        }
        case 1: { // remove: every piece handed out lies in the range
            if (a == b) break;
            u64 seen = 0;
            auto pieces = [&](const Region& r) {
                if (r.start < start || r.end > end || r.start >= r.end) abort();
                seen += (r.end - r.start) / kP;
            };
            if (s.remove(start, end, pieces).ok()) {
                u64 had = 0;
                for (u64 p = a; p < b; ++p) had += m.page[p] >= 0, m.page[p] = -1;
                if (seen != had) abort();
            } else if (!same(s, before, n) || seen) {
                abort();
            }
            break;
        }
        case 2: { // protect what is covered
            if (a == b) break;
            if (s.covered(start, end) != mapped_all) abort();
            if (!mapped_all) break;
            if (s.protect(start, end, prot).ok())
                for (u64 p = a; p < b; ++p) m.page[p] = static_cast<int>(prot) + (m.page[p] & 8);
            else if (!same(s, before, n)) abort();
            break;
        }
        case 3: { // the highest free range of (b - a + 1) pages in [base, base + 128 pages)
            const u64 len = (b - a + 1) * kP, got = s.find_free(len, kBase, kBase + kPages * kP);
            u64 best = 0; // the model's answer
            for (u64 p = kPages - (b - a + 1) + 1; p-- > 0;) {
                bool free = p + (b - a + 1) <= kPages;
                for (u64 q = p; free && q < p + (b - a + 1); ++q) free = m.page[q] < 0;
                if (free) {
                    best = kBase + p * kP;
                    break;
                }
            }
            if (got != best) abort();
            break;
        }
        default: // a lookup anywhere, in or out of the range
            (void)s.find(start + data[i + 3]);
            (void)s.find(data[i + 3] * 0x1000001ul);
            break;
        }
        check(s, m);
    }
    return 0;
}
