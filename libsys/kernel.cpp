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

namespace {
/// A Read method's `count` words: the first four in the reply's registers, the rest in
/// this thread's IPC buffer.
long long read_words(const Reply& r, u32 count, u64* values) {
    if (r.error) return r.error;
    for (u32 i = 0; i < count; ++i) values[i] = i < abi::kMsgRegsInRegisters ? r.mr[i] : g_ipc_buffer->mr[i];
    return 0;
}

/// A Read method (first, count): its whole reply, whose words go on past its Out.
template <class M>
Reply read_method(u64 t, u64 first, u32 count) {
    static_assert(abi::kWords<M> == 2 && M::method.more_out);
    const u64 words[] = {first, count};
    return syscall(abi::Syscall::Invoke, t, M::method.label, words, 2);
}
} // namespace

long long thread_read_registers(u64 t, u64 first, u32 count, u64* values) {
    return read_words(read_method<abi::ThreadReadRegisters>(t, first, count), count, values);
}
long long thread_write_registers(u64 t, u64 first, u32 count, const u64* values) {
    return invoke(t, abi::ThreadWriteRegisters{.first = first, .count = count}, values, count).error;
}
long long thread_read_fpu(u64 t, u64 first, u32 count, u64* values) {
    return read_words(read_method<abi::ThreadReadFpu>(t, first, count), count, values);
}
long long thread_write_fpu(u64 t, u64 first, u32 count, const u64* values) {
    return invoke(t, abi::ThreadWriteFpu{.first = first, .count = count}, values, count).error;
}

long long console_write(u64 console, const char* bytes, u64 count) {
    u64 words[abi::kMaxMsgWords - 1] = {};
    if (count > 8 * (abi::kMaxMsgWords - 1)) count = 8 * (abi::kMaxMsgWords - 1);
    for (u64 i = 0; i < count; ++i) words[i / 8] |= u64{static_cast<unsigned char>(bytes[i])} << (8 * (i % 8));
    return invoke(console, abi::ConsoleWrite{.count = count}, words, static_cast<u32>((count + 7) / 8)).error;
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
