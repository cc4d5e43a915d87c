// Multiboot (version 1) boot information reader: what QEMU's own -kernel loader gives an
// x86 kernel. Unlike multiboot2 the structure points elsewhere in memory, so every
// pointer is checked against the end of what the window reaches.
#pragma once

#include <microkernel/boot_info.hpp>
#include <base/result.hpp>

namespace kernel::multiboot1 {

constexpr u32 kBootloaderMagic = 0x2badb002; ///< in eax at the kernel's entry

/// Fill BootInfo from the structure at physical `mbi`: RAM (memory map, or the basic
/// lower/upper sizes), command line (without the image name the loader puts first),
/// the first module as the initrd, the loader's name as info.firmware; reserves the
/// structure, the map, the module list, the modules and their strings. Any pointer at
/// or beyond `limit` (the end of what `window` reaches) is an error.
Result<void> collect_boot_info(PhysAddr mbi, PhysWindow window, u64 limit, BootInfo& info);

} // namespace kernel::multiboot1
