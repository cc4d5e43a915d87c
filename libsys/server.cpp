// Capabilities, IPC and servers (sys/server.hpp): the procserv requests, the process's
// own cap space through its capability in slot kSelfCapSpace, and the Server's kept replies.
#include <sys/procserv_call.hpp>
#include <sys/server.hpp>

namespace sys {
namespace {

namespace req = procserv::req;

/// Request M's result: mr0, or the call's own error.
template <class M>
long request(const M& request) {
    Reply r = ask(request);
    return r.ok() ? static_cast<long>(r.mr[0]) : static_cast<long>(r.error);
}
u64 ptr(const void* p) { return reinterpret_cast<u64>(p); }
constexpr u64 kSelf = procserv::kSelfCapSpace;

/// How many slots the process's cap space has now (it grows): a slot past the end is ERANGE.
u64 slot_count() {
    u64 n = u64{1} << procserv::kProcessCapSpaceMinBits;
    while (n < (u64{1} << procserv::kProcessCapSpaceMaxBits) &&
           identify(kSelf, 2 * n - 1).error != -kERANGE)
        n *= 2;
    return n;
}

} // namespace

long cap_create(CapType type, u64 bytes) { return request(req::CapCreate{static_cast<u64>(type), bytes}); }

long mmap_memory(u64 slot, void* addr, std::size_t length, int prot, int flags) {
    u64 pf = static_cast<u64>(static_cast<u32>(prot)) | static_cast<u64>(static_cast<u32>(flags)) << 32;
    return request(req::MmapMemory{slot, ptr(addr), length, pf});
}

abi::IpcBuffer* ipc_buffer_setup() {
    long va = request(req::IpcBuffer{});
    if (va < 0) return nullptr;
    auto* b = reinterpret_cast<abi::IpcBuffer*>(va);
    set_ipc_buffer(b);
    return b;
}

long service_register(const char* name, u64 endpoint_slot) {
    return request(req::ServiceRegister{ptr(name), endpoint_slot});
}
long service_lookup(const char* name) { return request(req::ServiceLookup{ptr(name)}); }
long service_unregister(const char* name) { return request(req::ServiceUnregister{ptr(name)}); }

long cap_delete(u64 slot) { return static_cast<long>(sys::cap_delete(kSelf, slot)); }

long cap_identify(u64 slot, abi::ObjectType& type, u32& rights, u64& badge) {
    auto r = identify(kSelf, slot);
    if (!r.ok()) return static_cast<long>(r.error);
    type = static_cast<abi::ObjectType>(r.out.type.value);
    rights = static_cast<u32>(r.out.rights);
    badge = r.out.badge;
    return 0;
}

long cap_free_slot() {
    for (u64 s = slot_count() - 1; s >= procserv::kFirstCapSlot; --s)
        if (identify(kSelf, s).error == -kEBADF) return static_cast<long>(s);
    return -kEMFILE;
}

long cap_mint(u64 src, u32 rights, u64 badge) {
    long dest = cap_free_slot();
    if (dest < 0) return dest;
    // Four words (the destination space is the same one): no IPC buffer needed.
    long long e = sys::cap_mint(kSelf, src, static_cast<u64>(dest), rights, badge, abi::kNoSlot);
    return e ? static_cast<long>(e) : dest;
}

Reply Endpoint::call_with_caps(abi::IpcBuffer* buffer, u64 label, std::initializer_list<u64> words,
                               u32 count) const {
    abi::IpcBuffer* previous = sys::ipc_buffer();
    set_ipc_buffer(buffer);
    Reply out = syscall(abi::Syscall::Call, slot_, label, words.begin(), static_cast<u32>(words.size()), count);
    set_ipc_buffer(previous);
    return out;
}

long Server::keep() {
    int i = 0;
    while (i < kMaxKept && kept_busy_[i]) ++i;
    if (i == kMaxKept) return -kENOSPC;
    if (!kept_slot_[i]) {
        long s = cap_create(CapType::Reply);
        if (s < 0) return s;
        kept_slot_[i] = static_cast<u64>(s);
    }
    long long e = reply_keep(kept_slot_[i]);
    if (e) return static_cast<long>(e);
    kept_busy_[i] = true;
    return i;
}

long Server::answer(long kept, const Message& m) {
    if (kept < 0 || kept >= kMaxKept || !kept_busy_[kept]) return -kEINVAL;
    kept_busy_[kept] = false;
    return static_cast<long>(reply_send(kept_slot_[kept], m.label, m.w[0], m.w[1], m.w[2]));
}

} // namespace sys
