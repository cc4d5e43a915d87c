// Capabilities, IPC and servers for programs procserv started (docs/procserv.md,
// "Capabilities and servers"; README, "Write your first server").
//
// A process asks procserv for kernel objects (cap_create) and finds servers by name
// (service_lookup); it then talks to them directly through the kernel, procserv not on
// the path: Endpoint::call on the client's side, a Server's request loop on the other.
// Every function returns a value >= 0 or a negated Linux errno.
#pragma once

#include <cstddef>
#include <sys/arch_trap.hpp>
#include <sys/kernel.hpp>
#include <sys/proc.hpp>
#include <sys/procserv_abi.hpp>

namespace sys {

using CapType = procserv::CapType;

// ---- from procserv ---------------------------------------------------------------------
/// A new endpoint, semaphore or Reply object, carved from the process's own memory; the
/// slot of its capability (all rights) in the process's cap space. ENOMEM: the process has
/// used its quota (or the machine's memory is gone); EMFILE: its cap space is full.
/// CapType::Memory: `bytes` (rounded up to pages) of memory to share, zeros, its pages
/// made when first touched; the capability is a Frame capability (Read, Write) that
/// mmap_memory maps, in this process or any it is passed to. The object lives while its
/// maker lives or any process maps it. EINVAL: 0 bytes; ENOMEM: beyond the process's
/// 64 MiB of memory objects.
long cap_create(CapType type, abi::u64 bytes = 0);
/// Map the memory object a capability names (MAP_SHARED: every process that maps it
/// sees the same bytes) with Linux's mmap rules for `addr`, `prot` and `flags` (0,
/// MAP_FIXED or MAP_FIXED_NOREPLACE); `length` 0 maps all of it. The mapping's address.
/// EBADF: no capability there; EINVAL: not a memory object's, longer than the object, bad
/// prot or flags; EACCES: PROT_WRITE through a capability without Write.
long mmap_memory(abi::u64 slot, void* addr, std::size_t length, int prot, int flags = 0);
/// This thread's IPC buffer (made at its first call; the same address afterwards), needed
/// for messages longer than four words and for capability transfer. It also becomes
/// libsys's buffer for such messages (sys::ipc_buffer()); a thread other than the one
/// that asked last passes its own to the calls that take one.
abi::IpcBuffer* ipc_buffer_setup();
/// Offer the endpoint in `endpoint_slot` (unbadged, with Read, Write and Grant: as
/// cap_create makes it) under `name` (1..63 bytes). EEXIST: the name is taken; EACCES: not
/// such an endpoint; EBADF: no capability there; ENOSPC: the process has 64 names already;
/// EINVAL: empty name; ENAMETOOLONG; EFAULT. The name goes when the process ends.
long service_register(const char* name, abi::u64 endpoint_slot);
/// A capability to the endpoint registered as `name`, badged with the caller's pid (the
/// server sees it as Request::badge), with Write and Grant: its slot. ENOENT: no such
/// service (or it has ended); EMFILE; ENOMEM; EFAULT.
long service_lookup(const char* name);
/// Withdraw a name this process registered. ENOENT; EACCES: another process's name.
long service_unregister(const char* name);

// ---- the process's cap space, through its own capability (slot kSelfCapSpace) -----------
/// Delete the capability in `slot` (the object goes with its last capability).
long cap_delete(abi::u64 slot);
/// A copy of the capability in `src` in a free slot, with `rights` (a subset of its own)
/// and, for an unbadged endpoint, `badge` (0: none): the new slot.
long cap_mint(abi::u64 src, abi::u32 rights, abi::u64 badge);
/// A free slot of the process's cap space (the highest: procserv fills them from the
/// lowest), e.g. for capabilities a message brings. EMFILE: none.
long cap_free_slot();
/// The type (abi::ObjectType), rights and badge of the capability in `slot`.
long cap_identify(abi::u64 slot, abi::ObjectType& type, abi::u32& rights, abi::u64& badge);

// ---- typed IPC ---------------------------------------------------------------------------
/// A message: a label and up to four words (in registers; longer messages and
/// capabilities travel in the IPC buffer).
struct Message {
    abi::u64 label = 0;
    abi::u32 length = 0;
    abi::u64 w[abi::kMsgRegsInRegisters] = {};
};

/// syscall() inline for a message in registers only (at most four words, no
/// capabilities): the common case of Endpoint::call and of a Server's request loop.
inline Reply syscall_in_registers(abi::Syscall nr, abi::u64 slot, abi::u64 label, const abi::u64* words,
                                  abi::u32 count) {
    SysRegs r = pack_call(nr, slot, label, words, count);
    sys_trap_regs(r);
    return unpack_reply(r);
}

/// An endpoint capability of this process.
class Endpoint {
  public:
    constexpr explicit Endpoint(abi::u64 slot = abi::kNoSlot) : slot_(slot) {}
    abi::u64 slot() const { return slot_; }
    /// Send and wait for the reply (Write). EPIPE: the server went away meanwhile; EBADF:
    /// the capability is gone (the server ended before).
    Reply call(abi::u64 label, std::initializer_list<abi::u64> words = {}) const {
        if (words.size() <= abi::kMsgRegsInRegisters)
            return syscall_in_registers(abi::Syscall::Call, slot_, label, words.begin(),
                                        static_cast<abi::u32>(words.size()));
        return sys::call(slot_, label, words);
    }
    /// The same carrying `count` capabilities (slots in `buffer->send_caps`, Grant needed);
    /// the reply's capabilities arrive from `buffer->receive_slot` on.
    Reply call_with_caps(abi::IpcBuffer* buffer, abi::u64 label, std::initializer_list<abi::u64> words,
                         abi::u32 count) const;
    /// Send without waiting for an answer (blocks until a receiver takes it).
    Reply send(abi::u64 label, std::initializer_list<abi::u64> words = {}) const {
        return sys::send(slot_, label, words);
    }
    /// Wait for a message (Read); Reply::badge says who sent it.
    Reply receive() const { return sys::receive(slot_); }

  private:
    abi::u64 slot_;
};

/// A semaphore capability: Signal (Write), Wait and TryWait (Read).
class Semaphore {
  public:
    constexpr explicit Semaphore(abi::u64 slot = abi::kNoSlot) : slot_(slot) {}
    abi::u64 slot() const { return slot_; }
    long signal() const { return static_cast<long>(sem_signal(slot_)); }
    long wait() const { return static_cast<long>(sem_wait(slot_)); }
    long try_wait() const { return static_cast<long>(sem_try_wait(slot_)); }

  private:
    abi::u64 slot_;
};

// ---- servers -----------------------------------------------------------------------------
/// A request as a server's handler sees it.
struct Request {
    abi::u64 label;
    abi::u64 badge; ///< the client's: its pid for a capability from service_lookup
    abi::u32 length;
    abi::u32 caps;  ///< capabilities that came with it
    abi::u64 w[abi::kMsgRegsInRegisters];
};

/// A handler's answer: a reply now, or none (the request's reply was kept, Server::keep).
struct Response {
    bool reply = true;
    Message message;
    /// Reply with `label` and words.
    static Response with(abi::u64 label, std::initializer_list<abi::u64> words = {}) {
        Response r;
        r.message.label = label;
        for (abi::u64 w : words)
            if (r.message.length < abi::kMsgRegsInRegisters) r.message.w[r.message.length++] = w;
        return r;
    }
    /// The convention of libsys's servers: label 0 and one word, a result >= 0 or -errno.
    static Response result(long value) { return with(0, {static_cast<abi::u64>(value)}); }
    static Response later() {
        Response r;
        r.reply = false;
        return r;
    }
};

/// A server on one endpoint: receive a request, hand it to the handler for its label,
/// reply, receive the next (one ReplyReceive per request). A handler that cannot answer
/// yet keeps the reply (keep()) and answers it later, from any handler (answer()).
class Server {
  public:
    static constexpr int kMaxKept = 64; ///< replies kept at once (ENOSPC beyond)

    explicit Server(Endpoint endpoint) : endpoint_(endpoint) {}
    Endpoint endpoint() const { return endpoint_; }

    /// Keep the reply to the request being handled: a handle for answer() (>= 0), or
    /// -errno (ENOSPC, ENOMEM: the request should be answered now instead).
    long keep();
    /// Answer a kept request with `message`. EPIPE: its client has gone meanwhile.
    long answer(long kept, const Message& message);
    long answer(long kept, long value) { return answer(kept, Response::result(value).message); }

    /// Serve until the endpoint fails (it was destroyed: the error is returned).
    /// `handle(const Request&)` returns a Response.
    template <class F>
    long run(F&& handle) {
        Response out = Response::later();
        for (;;) {
            // (a Message holds at most four words: always in registers)
            Reply in = out.reply ? syscall_in_registers(abi::Syscall::ReplyReceive, endpoint_.slot(),
                                                        out.message.label, out.message.w, out.message.length)
                                 : endpoint_.receive();
            if (!in.ok()) {
                if (in.error == -kEPIPE || in.error == -kEBADF) return static_cast<long>(in.error);
                out = Response::later(); // (a reply that could not be sent: its client went)
                continue;
            }
            Request r{in.label, in.badge, in.length, in.caps, {in.mr[0], in.mr[1], in.mr[2], in.mr[3]}};
            out = handle(r);
        }
    }

    /// One handler per label: the server is this table.
    template <class State>
    struct Handler {
        abi::u64 label;
        Response (*fn)(State& state, Server& server, const Request& request);
    };
    /// run() over a table of handlers; a label none handles is answered -ENOSYS.
    template <class State, std::size_t N>
    long serve(State& state, const Handler<State> (&table)[N]) {
        return run([&](const Request& r) {
            for (const Handler<State>& h : table)
                if (h.label == r.label) return h.fn(state, *this, r);
            return Response::result(-kENOSYS);
        });
    }

  private:
    Endpoint endpoint_;
    abi::u64 kept_slot_[kMaxKept] = {}; ///< Reply objects (0: not made yet)
    bool kept_busy_[kMaxKept] = {};
};

} // namespace sys
