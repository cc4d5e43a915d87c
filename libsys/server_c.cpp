// The C binding of capabilities and servers (the end of include/sys/proc.h): each function
// calls its C++ twin (server.cpp, kernel.hpp); the values are checked against the C++ ones.
#include <sys/server.hpp>

namespace {
constexpr long long cpp_endpoint = static_cast<long long>(sys::CapType::Endpoint),
                    cpp_semaphore = static_cast<long long>(sys::CapType::Semaphore),
                    cpp_reply = static_cast<long long>(sys::CapType::Reply),
                    cpp_memory = static_cast<long long>(sys::CapType::Memory);
} // namespace

#include <sys/proc.h>

static_assert(CAP_ENDPOINT == cpp_endpoint && CAP_SEMAPHORE == cpp_semaphore && CAP_REPLY == cpp_reply &&
              CAP_MEMORY == cpp_memory, "proc.h's CAP_* differ from sys::CapType");

namespace {
using abi::u64;

/// The message in, the answer out: what every C IPC call does around its system call.
long exchange(abi::Syscall nr, long endpoint, ipc_message* m) {
    u64 words[abi::kMsgRegsInRegisters] = {};
    u64 n = m->length < abi::kMsgRegsInRegisters ? m->length : abi::kMsgRegsInRegisters;
    for (u64 i = 0; i < n; ++i) words[i] = m->w[i];
    sys::Reply r = sys::syscall(nr, static_cast<u64>(endpoint), m->label, words, static_cast<abi::u32>(n));
    if (!r.ok()) return static_cast<long>(r.error);
    m->label = r.label;
    m->length = r.length < abi::kMsgRegsInRegisters ? r.length : abi::kMsgRegsInRegisters;
    for (u64 i = 0; i < abi::kMsgRegsInRegisters; ++i) m->w[i] = r.mr[i];
    m->badge = r.badge;
    return 0;
}
} // namespace

extern "C" {

long cap_create(int type, unsigned long bytes) { return sys::cap_create(static_cast<sys::CapType>(type), bytes); }
long cap_delete(long slot) { return sys::cap_delete(static_cast<u64>(slot)); }
long service_register(const char* name, long endpoint) { return sys::service_register(name, static_cast<u64>(endpoint)); }
long service_lookup(const char* name) { return sys::service_lookup(name); }
long service_unregister(const char* name) { return sys::service_unregister(name); }
long mmap_memory(long slot, void* addr, size_t length, int prot, int flags) {
    return sys::mmap_memory(static_cast<u64>(slot), addr, length, prot, flags);
}
long ipc_call(long endpoint, ipc_message* m) { return exchange(abi::Syscall::Call, endpoint, m); }
long ipc_receive(long endpoint, ipc_message* m) {
    m->length = 0;
    return exchange(abi::Syscall::Receive, endpoint, m);
}
long ipc_reply_receive(long endpoint, ipc_message* m) { return exchange(abi::Syscall::ReplyReceive, endpoint, m); }
long sem_signal(long semaphore) { return static_cast<long>(sys::sem_signal(static_cast<u64>(semaphore))); }
long sem_wait(long semaphore) { return static_cast<long>(sys::sem_wait(static_cast<u64>(semaphore))); }

} // extern "C"
