#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/endpoint.hpp>
#include <microkernel/syscall/fastpath.hpp>

namespace kernel {

Thread* fastpath_linux(Thread& caller, u32 result_reg, Scheduler::Cpu cpu, Scheduler& scheduler) {
    Capability& cap = caller.fault_endpoint();
    if (cap.empty() || cap.type() != ObjectType::Endpoint || !cap.has(abi::rights::kWrite)) return nullptr;
    return cap.as<Endpoint>().fast_linux_call(caller, cap.badge(), result_reg, cpu, scheduler);
}

} // namespace kernel
