#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/endpoint.hpp>
#include <microkernel/syscall/fastpath.hpp>

namespace kernel {

bool fastpath_ipc(Thread& caller, bool is_call, u32 cpu, Scheduler& scheduler) {
    // (what check_message would accept, narrowed to registers and no capabilities)
    auto info = abi::MessageInfo::decode(caller.reg(abi::kRegInfo));
    if (info.caps || info.length > abi::kMsgRegsInRegisters) return false;
    // CapSpace::lookup without its error values: any failure is the slowpath's to report.
    u64 slot = caller.reg(abi::kRegCap);
    CapSpace* space = caller.space_for(slot);
    if (!space || slot >= space->slot_count()) return false;
    Capability& cap = space->slot(slot);
    if (cap.empty() || cap.type() != ObjectType::Endpoint) return false;
    auto& ep = cap.as<Endpoint>();
    if (is_call)
        return cap.has(abi::rights::kWrite) &&
               ep.fast_call(caller, {cap.badge(), cap.has(abi::rights::kGrant)}, cpu, scheduler);
    return cap.has(abi::rights::kRead) && ep.fast_reply_receive(caller, cpu, scheduler);
}

bool fastpath_linux(Thread& caller, u32 result_reg, u32 cpu, Scheduler& scheduler) {
    Capability& cap = caller.fault_endpoint();
    if (cap.empty() || cap.type() != ObjectType::Endpoint || !cap.has(abi::rights::kWrite)) return false;
    return cap.as<Endpoint>().fast_linux_call(caller, cap.badge(), result_reg, cpu, scheduler);
}

} // namespace kernel
