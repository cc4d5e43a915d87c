// libFuzzer target (scripts/fuzz host elf): the program loader's ELF reader on any bytes,
// for each arch. A file it accepts hands out segments that lie in the file and in the
// user range it was given, with filesz <= memsz, and an entry inside an executable one.
#include <base/elf.hpp>

#include <cstdint>
#include <cstdlib>
#include <initializer_list>

namespace {
constexpr uint64_t kUserEnd = 0x0000800000000000;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using kernel::elf::Machine;
    for (Machine m : {Machine::X86_64, Machine::AArch64, Machine::RiscV64}) {
        auto image = kernel::elf::Image::open(data, size, m, kUserEnd);
        if (!image.ok()) {
            (void)kernel::elf::error_name(image.error());
            continue;
        }
        bool entry_found = false;
        size_t segments = 0;
        image->for_each_segment([&](const kernel::elf::Segment& s) {
            ++segments;
            if (s.filesz > s.memsz || s.vaddr < 4096 || s.memsz > kUserEnd || s.vaddr > kUserEnd - s.memsz) abort();
            if (s.filesz && (s.data < data || s.data > data + size || s.filesz > size_t(data + size - s.data))) abort();
            if (s.executable && image->entry() >= s.vaddr && image->entry() - s.vaddr < s.memsz) entry_found = true;
            (void)s.rights_name();
        });
        if (!entry_found || segments != image->segment_count()) abort();
        (void)image->has_note("libsys", 1);
        (void)image->phdr_address();
    }
    return 0;
}
