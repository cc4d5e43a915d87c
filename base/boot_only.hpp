// BOOT_ONLY marks a function that runs only while the kernel boots, before the first user
// thread (parsing the firmware's tables, the devicetree, the initrd and the root task's
// ELF; building the kernel's page tables and the root task). The kernel's linker scripts
// place such code in `.init.text`, after `.text`, so that `.text` measures the code that
// serves user mode (docs/performance.md, "Kernel .text"). It stays mapped and executable:
// nothing is freed. The boot suite checks that no code in `.text` calls or jumps into it.
// Only the kernel image defines MK_KERNEL_IMAGE (kernel_image_args, top-level
// meson.build): libsys compiles some of the same files, and the hosted tests all of them.
//
// SMP_ONLY marks a function that runs only once several CPUs run threads (go_smp): the
// remote calls, the lock's wait, the locked system-call path. The linker scripts place it
// in `.smp.text`, after `.text`, so that `.text` stays what a one-CPU kernel runs (and
// compares with seL4's one-CPU build) and the cost of SMP shows on its own line.
#pragma once

#if defined(MK_KERNEL_IMAGE)
#define BOOT_ONLY [[gnu::section(".init.text"), gnu::cold]]
#define SMP_ONLY [[gnu::section(".smp.text")]]
#else
#define BOOT_ONLY
#define SMP_ONLY
#endif
