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
    SysRegs r = pack_call(nr, slot, label, words, count, caps);
    for (u32 i = abi::kMsgRegsInRegisters; i < count && i < abi::kMaxMsgWords; ++i) g_ipc_buffer->mr[i] = words[i];
    sys_trap_regs(r);
    return unpack_reply(r);
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
