#include <microkernel/object/cap_space.hpp>
#include <microkernel/object/endpoint.hpp>
#include <microkernel/syscall/fastpath.hpp>

namespace kernel {

bool fastpath_ipc(Thread& caller, bool is_call, u32 cpu, Scheduler& scheduler) {
    // (what check_message would accept, narrowed to registers and no capabilities)
    auto info = abi::MessageInfo::decode(caller.reg(abi::kRegInfo));
    if (info.caps || info.length > abi::kMsgRegsInRegisters) return false;
    u64 slot = caller.reg(abi::kRegCap);
    CapSpace* space = caller.space_for(slot);
    if (!space) return false;
    auto cap = space->lookup(slot, ObjectType::Endpoint, is_call ? abi::rights::kWrite : abi::rights::kRead);
    if (!cap) return false;
    auto& ep = (*cap)->as<Endpoint>();
    if (is_call) return ep.fast_call(caller, {(*cap)->badge(), (*cap)->has(abi::rights::kGrant)}, cpu, scheduler);
    return ep.fast_reply_receive(caller, cpu, scheduler);
}

} // namespace kernel
