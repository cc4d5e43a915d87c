// The ELF loader against real executables linked by the three cross compilers at build
// time (tests/unit/fixtures/elf_program.cpp), and against corrupted copies of them.
#include "fixtures.hpp"
#include <catch2/catch.hpp>
#include <cstring>
#include <base/elf.hpp>
#include <string>

using namespace kernel;

namespace {

constexpr u64 kUserEnd = u64{1} << 38; // the smallest lower half we run on (Sv39)

struct Fixture {
    const char* file;
    elf::Machine machine;
};
const Fixture kFixtures[] = {
    {"program-x86_64.elf", elf::Machine::X86_64},
    {"program-aarch64.elf", elf::Machine::AArch64},
    {"program-riscv64.elf", elf::Machine::RiscV64},
};

template <class T>
T get(const std::vector<unsigned char>& d, size_t off) {
    T v;
    std::memcpy(&v, &d[off], sizeof v);
    return v;
}
template <class T>
void put(std::vector<unsigned char>& d, size_t off, T v) {
    std::memcpy(&d[off], &v, sizeof v);
}

// Offsets of the program headers of type PT_LOAD in the file.
std::vector<size_t> load_headers(const std::vector<unsigned char>& d) {
    std::vector<size_t> out;
    u64 phoff = get<u64>(d, 32);
    for (u16 i = 0; i < get<u16>(d, 56); ++i)
        if (get<u32>(d, phoff + i * 56u) == 1) out.push_back(phoff + i * 56u);
    return out;
}
enum : size_t { kType = 0, kFlags = 4, kOffset = 8, kVaddr = 16, kFilesz = 32, kMemsz = 40, kAlign = 48 };

elf::OpenResult open(const std::vector<unsigned char>& d, elf::Machine m) {
    return elf::Image::open(d.data(), d.size(), m, kUserEnd);
}

// Reads every byte the image claims, so that ASan catches a segment outside the copy.
u64 touch_all(const elf::Image& image) {
    u64 sum = 0;
    image.for_each_segment([&](const elf::Segment& s) {
        for (u64 i = 0; i < s.filesz; ++i) sum += s.data[i];
    });
    return sum;
}

} // namespace

TEST_CASE("elf: reads the executables of the three compilers") {
    for (const Fixture& f : kFixtures) {
        INFO(f.file);
        auto data = read_fixture(f.file);
        REQUIRE(!data.empty());
        auto image = open(data, f.machine);
        REQUIRE(image.ok());
        CHECK(image->entry() == get<u64>(data, 24));
        CHECK(image->segment_count() == load_headers(data).size());

        bool entry_in_code = false, has_bss = false, greeting_readable = false;
        usize seen = 0;
        image->for_each_segment([&](const elf::Segment& s) {
            ++seen;
            CHECK(s.readable);
            CHECK(!(s.writable && s.executable));
            CHECK(s.filesz <= s.memsz);
            CHECK(s.data >= data.data());
            CHECK(s.data + s.filesz <= data.data() + data.size());
            if (s.executable && image->entry() >= s.vaddr && image->entry() < s.vaddr + s.memsz) {
                entry_in_code = true;
                CHECK(std::string(s.rights_name()) == "r-x");
            }
            if (s.writable) {
                CHECK(std::string(s.rights_name()) == "rw-");
                has_bss = has_bss || s.memsz >= s.filesz + 4096; // g_zeroes
            }
            std::string bytes(reinterpret_cast<const char*>(s.data), s.filesz);
            if (!s.writable && bytes.find("elf fixture greeting") != std::string::npos)
                greeting_readable = true;
        });
        CHECK(seen == image->segment_count());
        CHECK(entry_in_code);
        CHECK(has_bss);
        CHECK(greeting_readable);
    }
}

TEST_CASE("elf: user programs have the layout of arch/<arch>/user/user.ld") {
    for (const Fixture& f : kFixtures) {
        std::string name = std::string("user-") + (f.file + std::strlen("program-"));
        INFO(name);
        auto data = read_fixture(name);
        REQUIRE(!data.empty());
        auto image = open(data, f.machine);
        REQUIRE(image.ok());
        CHECK(image->entry() == 0x400000); // crt0's _start comes first
        std::string layout;
        u64 bss = 0;
        image->for_each_segment([&](const elf::Segment& s) {
            layout += std::string(s.rights_name()) + " " + std::to_string(s.vaddr) + ";";
            if (s.writable) bss = s.memsz - s.filesz;
        });
        CHECK(layout == "r-x 4194304;r-- 4198400;rw- 4202496;"); // 0x400000, 0x401000, 0x402000
        CHECK(bss >= 4096);                                       // g_zeroes
    }
}

TEST_CASE("elf: a file for another machine is refused") {
    for (const Fixture& f : kFixtures) {
        auto data = read_fixture(f.file);
        for (const Fixture& other : kFixtures) {
            if (other.machine == f.machine) continue;
            CHECK(open(data, other.machine).error() == elf::Error::WrongMachine);
        }
    }
}

TEST_CASE("elf: every truncation is an error or stays inside the copy") {
    for (const Fixture& f : kFixtures) {
        INFO(f.file);
        auto data = read_fixture(f.file);
        u64 file_end = 0; // where the last segment's file bytes end
        for (size_t ph : load_headers(data))
            file_end = std::max(file_end, get<u64>(data, ph + kOffset) + get<u64>(data, ph + kFilesz));
        for (size_t n = 1; n < data.size(); ++n) { // n = 0 would be a null pointer
            std::vector<unsigned char> copy(data.begin(), data.begin() + long(n));
            auto image = elf::Image::open(copy.data(), copy.size(), f.machine, kUserEnd);
            if (n < 64) CHECK(image.error() == elf::Error::TruncatedHeader);
            else if (n < file_end) CHECK(!image.ok());
            // beyond the segments only section headers are cut, which a loader ignores
            if (image.ok()) touch_all(image.value());
        }
    }
}

TEST_CASE("elf: corrupt ELF headers give their own error") {
    auto data = read_fixture("program-riscv64.elf");
    const auto m = elf::Machine::RiscV64;
    auto with = [&](auto edit) { auto copy = data; edit(copy); return open(copy, m).error(); };
    using E = elf::Error;
    CHECK(elf::Image::open(nullptr, 100, m, kUserEnd).error() == E::NullData);
    CHECK(with([](auto& d) { d[1] = 'X'; }) == E::BadMagic);
    CHECK(with([](auto& d) { d[4] = 1; }) == E::NotElf64);
    CHECK(with([](auto& d) { d[5] = 2; }) == E::NotLittleEndian);
    CHECK(with([](auto& d) { d[6] = 0; }) == E::BadVersion);
    CHECK(with([](auto& d) { put<u32>(d, 20, 2); }) == E::BadVersion);
    CHECK(with([](auto& d) { put<u16>(d, 16, 3); }) == E::NotExecutable); // ET_DYN
    CHECK(with([](auto& d) { put<u16>(d, 16, 1); }) == E::NotExecutable); // ET_REL
    CHECK(with([](auto& d) { put<u16>(d, 52, 52); }) == E::BadHeaderSize);
    CHECK(with([](auto& d) { put<u16>(d, 54, 32); }) == E::BadProgramHeaderSize);
    CHECK(with([](auto& d) { put<u16>(d, 56, 0); }) == E::TooManyProgramHeaders);
    CHECK(with([](auto& d) { put<u16>(d, 56, 0xffff); }) == E::TooManyProgramHeaders);
    CHECK(with([](auto& d) { put<u64>(d, 32, ~u64{0} - 8); }) == E::ProgramHeadersOutside);
    CHECK(with([](auto& d) { put<u64>(d, 32, d.size() - 56); }) == E::ProgramHeadersOutside);
    CHECK(with([](auto& d) { put<u64>(d, 24, 0); }) == E::EntryNotExecutable);
    CHECK(with([](auto& d) { put<u64>(d, 24, ~u64{0}); }) == E::EntryNotExecutable);
}

TEST_CASE("elf: corrupt segments give their own error") {
    for (const Fixture& f : kFixtures) {
        INFO(f.file);
        auto data = read_fixture(f.file);
        auto loads = load_headers(data);
        REQUIRE(loads.size() >= 2);
        size_t code = 0, rw = 0;
        for (size_t ph : loads) {
            if (get<u32>(data, ph + kFlags) & 1) code = ph;
            if (get<u32>(data, ph + kFlags) & 2) rw = ph;
        }
        REQUIRE(code);
        REQUIRE(rw);
        auto with = [&](auto edit) { auto copy = data; edit(copy); return open(copy, f.machine).error(); };
        using E = elf::Error;
        const u64 huge = ~u64{0} - 0xfff;
        CHECK(with([&](auto& d) { put<u64>(d, code + kOffset, huge); }) == E::SegmentOutsideFile);
        CHECK(with([&](auto& d) { put<u64>(d, code + kFilesz, huge); }) == E::SegmentOutsideFile);
        CHECK(with([&](auto& d) { put<u64>(d, code + kFilesz, d.size() + 1); }) == E::SegmentOutsideFile);
        CHECK(with([&](auto& d) { put<u64>(d, rw + kMemsz, 0x10); put<u64>(d, rw + kFilesz, 0x20); }) ==
              E::FileSizeAboveMemSize);
        CHECK(with([&](auto& d) { put<u64>(d, code + kMemsz, huge); }) == E::SegmentOutsideUser);
        CHECK(with([&](auto& d) { put<u64>(d, rw + kVaddr, huge + get<u64>(d, rw + kVaddr) % 4096); }) ==
              E::SegmentOutsideUser); // vaddr + memsz wraps around
        CHECK(with([&](auto& d) { put<u64>(d, rw + kVaddr, kUserEnd + get<u64>(d, rw + kVaddr) % 4096); }) ==
              E::SegmentOutsideUser);
        CHECK(with([&](auto& d) { put<u64>(d, rw + kVaddr, get<u64>(d, rw + kVaddr) % 4096); }) ==
              E::SegmentOutsideUser); // page 0 stays unmapped
        CHECK(with([&](auto& d) { put<u64>(d, rw + kAlign, 0x1001); }) == E::BadAlignment);
        CHECK(with([&](auto& d) { put<u64>(d, rw + kAlign, 0); }) == E::BadAlignment);
        CHECK(with([&](auto& d) { put<u64>(d, rw + kVaddr, get<u64>(d, rw + kVaddr) + 1); }) ==
              E::BadAlignment);
        CHECK(with([&](auto& d) { put<u32>(d, rw + kFlags, 7); }) == E::WritableAndExecutable);
        CHECK(with([&](auto& d) { put<u32>(d, code + kType, 3); }) == E::NeedsInterpreter);
        CHECK(with([&](auto& d) { put<u32>(d, rw + kType, 2); }) == E::NeedsInterpreter);
        CHECK(with([&](auto& d) { put<u32>(d, code + kFlags, 4); }) == E::EntryNotExecutable);
        CHECK(with([&](auto& d) { put<u64>(d, 24, get<u64>(d, rw + kVaddr)); }) == E::EntryNotExecutable);
        CHECK(with([&](auto& d) { for (size_t ph : loads) put<u32>(d, ph + kType, 0); }) ==
              E::NoLoadableSegment);
        auto all_empty = [&](auto& d) {
            for (size_t ph : loads) put<u64>(d, ph + kMemsz, 0), put<u64>(d, ph + kFilesz, 0);
        };
        CHECK(with(all_empty) == E::NoLoadableSegment);
        // The data segment moved onto the code's page (same offset within the page).
        u64 code_page = get<u64>(data, code + kVaddr) & ~u64{0xfff};
        auto onto_code_page = [&](auto& d) {
            put<u64>(d, rw + kVaddr, code_page + get<u64>(d, rw + kOffset) % 4096);
        };
        CHECK(with(onto_code_page) == E::SegmentsOverlap);
        // Both segments the same: overlap, whatever the order in the file.
        CHECK(with([&](auto& d) { std::memcpy(&d[rw], &d[code], 56); }) == E::SegmentsOverlap);
    }
}

TEST_CASE("elf: errors have names and map to kernel errors") {
    for (int e = 0; e <= int(elf::Error::EntryNotExecutable); ++e) {
        CHECK(std::string(elf::error_name(elf::Error(e))) != "?");
        (void)elf::to_kernel_error(elf::Error(e));
    }
    CHECK(elf::to_kernel_error(elf::Error::WrongMachine) == Error::Unsupported);
    CHECK(elf::to_kernel_error(elf::Error::SegmentOutsideFile) == Error::Truncated);
}

TEST_CASE("elf: single-byte corruption of the headers never crashes") {
    for (const Fixture& f : kFixtures) {
        auto data = read_fixture(f.file);
        size_t headers_end = get<u64>(data, 32) + get<u16>(data, 56) * 56u;
        for (size_t i = 0; i < headers_end; ++i) {
            for (unsigned char v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
                auto copy = data;
                copy[i] = v;
                auto image = open(copy, f.machine);
                if (image.ok()) touch_all(image.value());
            }
        }
    }
    SUCCEED("no crash, no sanitizer report");
}

TEST_CASE("elf: a static glibc program opens; its notes and program headers are found") {
    struct Linux {
        const char* file;
        elf::Machine machine;
    };
    for (Linux l : {Linux{"linux-hello-x86_64.elf", elf::Machine::X86_64},
                    Linux{"linux-hello-aarch64.elf", elf::Machine::AArch64},
                    Linux{"linux-hello-riscv64.elf", elf::Machine::RiscV64}}) {
        INFO(l.file);
        std::vector<unsigned char> d = read_fixture(l.file);
        REQUIRE_FALSE(d.empty());
        auto image = open(d, l.machine);
        REQUIRE(image.ok());
        CHECK(image->has_note("GNU", 1)); // NT_GNU_ABI_TAG: glibc's
        CHECK_FALSE(image->has_note("GNU", 99));
        CHECK_FALSE(image->has_note("microkernel", 1)); // libsys's mark
        // AT_PHDR: the headers sit in the first loadable segment, at its start + e_phoff.
        u64 first = 0;
        image->for_each_segment([&](const elf::Segment& s) { first = first ? first : s.vaddr; });
        CHECK(image->phdr_address() == first + get<u64>(d, 32));
        CHECK(image->phdr_count() == get<u16>(d, 56));
    }
    // A program linked with user.ld keeps no notes: it is not marked native by itself
    // (libsys adds the mark), nor does it look like glibc's.
    std::vector<unsigned char> u = read_fixture("user-x86_64.elf");
    REQUIRE_FALSE(u.empty());
    auto image = open(u, elf::Machine::X86_64);
    REQUIRE(image.ok());
    CHECK_FALSE(image->has_note("GNU", 1));
}
