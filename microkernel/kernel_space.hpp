// The kernel's own address space: image sections with their rights, a direct map of RAM,
// the MMIO windows the arch asked for. Built with the portable walker over arch::Pte.
#pragma once

#include <microkernel/arch.hpp>

namespace kernel {

/// Build the kernel page tables; returns the root's physical address.
Result<PhysAddr> build_kernel_space(const BootInfo& info, FrameAllocator& frames, PhysWindow window);

} // namespace kernel
