#include <sys/arch_trap.hpp>
#include <sys/kernel.hpp>

namespace sys {
namespace {
abi::IpcBuffer* g_ipc_buffer = reinterpret_cast<abi::IpcBuffer*>(abi::root::kIpcBuffer);
} // namespace

abi::IpcBuffer* ipc_buffer() { return g_ipc_buffer; }
void set_ipc_buffer(abi::IpcBuffer* buffer) { g_ipc_buffer = buffer; }

Reply syscall(abi::Syscall nr, u64 slot, u64 label, std::initializer_list<u64> words) {
    return syscall(nr, slot, label, words.begin(), static_cast<u32>(words.size()));
}

Reply syscall(abi::Syscall nr, u64 slot, u64 label, const u64* words, u32 count, u32 caps) {
    SysRegs r{};
    r.nr = static_cast<u64>(nr);
    r.cap = slot;
    r.info = abi::MessageInfo{label, count, caps}.encode();
    for (u32 i = 0; i < count; ++i) {
        if (i < abi::kMsgRegsInRegisters) r.mr[i] = words[i];
        else if (i < abi::kMaxMsgWords) g_ipc_buffer->mr[i] = words[i];
    }
    sys_trap_regs(r);
    abi::MessageInfo info = abi::MessageInfo::decode(r.info);
    Reply out;
    out.error = static_cast<long long>(r.cap);
    out.label = info.label;
    out.length = info.length;
    out.caps = info.caps;
    for (u32 k = 0; k < abi::kMsgRegsInRegisters; ++k) out.mr[k] = r.mr[k];
    out.badge = r.badge;
    return out;
}

void debug_putc(char c) {
    SysRegs r{};
    r.nr = static_cast<u64>(abi::Syscall::DebugPutChar);
    r.mr[0] = static_cast<unsigned char>(c);
    sys_trap_regs(r);
}

void debug_puts(const char* s) {
    while (*s) debug_putc(*s++);
}

} // namespace sys
