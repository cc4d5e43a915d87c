// What the compiler expects from a freestanding C++ environment. Compiled only into the
// kernel: hosted test builds use the C library's versions. (memcpy and friends: cstring.cpp.)
#include <microkernel/arch.hpp>
#include <base/format.hpp>

namespace kernel {
extern "C" void (*const __init_array_start[])(), (*const __init_array_end[])();

void run_global_constructors() {
    for (auto* f = __init_array_start; f != __init_array_end; ++f) (*f)();
}
} // namespace kernel

extern "C" {

// A pure virtual call or a failed static-init guard can only be a kernel bug.
void __cxa_pure_virtual() { kernel::panic("pure virtual call"); }

} // extern "C"
