// What a CPU does for itself when translations of a user address space go stale. The
// paging operations (root_task.cpp) do it on the CPU that changed the tables; with several
// CPUs, each other CPU that may hold the translations does the same in a remote call
// (smp.cpp), unless the arch's flush reached them already.
#pragma once

#include <microkernel/arch.hpp>
#include <microkernel/kernel_state.hpp>

namespace kernel {

/// The user root table this CPU has loaded (zero: none).
[[gnu::always_inline]] inline PhysAddr& loaded_root() { return g_kernel.scheduler.cpu(arch::cpu_index()).loaded_root(); }

/// Drop `va`'s translation of the space `root` tagged `asid`, if this CPU may hold it: a
/// tagged space's stays cached across switches, an untagged one's only while loaded.
[[gnu::always_inline]] inline void local_flush_page(PhysAddr root, u16 asid, u64 va) {
    if (asid || root == loaded_root()) arch::flush_user_page(va, asid);
}

/// Drop every translation of the space: its whole tag, or, untagged, the space itself
/// where it is loaded (a reload flushes tag 0).
[[gnu::always_inline]] inline void local_flush_space(PhysAddr root, u16 asid) {
    if (asid) arch::flush_asid(asid);
    else if (root == loaded_root()) arch::activate_user_space(root, 0);
}

/// The space `root` is about to lose its tables: unloaded if this CPU has it loaded.
[[gnu::always_inline]] inline void local_unload_root(PhysAddr root) {
    PhysAddr& active = loaded_root();
    if (root == active) {
        arch::deactivate_user_space();
        active = PhysAddr{};
    }
}

} // namespace kernel
