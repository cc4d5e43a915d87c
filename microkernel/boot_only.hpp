// BOOT_ONLY marks a function that runs only while the kernel boots, before the first user
// thread (parsing the firmware's tables, the devicetree, the initrd and the root task's
// ELF; building the kernel's page tables and the root task). The kernel's linker scripts
// place such code in `.init.text`, after `.text`, so that `.text` measures the code that
// serves user mode (docs/performance.md, "Kernel .text"). It stays mapped and executable:
// nothing is freed. The boot suite checks that no code in `.text` calls or jumps into it.
// Only the kernel image defines MK_KERNEL_IMAGE (kernel_image_args, top-level
// meson.build): libsys compiles some of the same files, and the hosted tests all of them.
#pragma once

#if defined(MK_KERNEL_IMAGE)
#define BOOT_ONLY [[gnu::section(".init.text"), gnu::cold]]
#else
#define BOOT_ONLY
#endif
