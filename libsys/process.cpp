#include <sys/arch_abi.hpp>
#include <sys/process.hpp>
#include <sys/string.hpp>

namespace sys {
namespace {

namespace rt = abi::rights;

constexpr u64 kProgramBase = 0x400000;   // user.ld
constexpr u32 kAddressSpaceBits = 4;     // 16 table frames: program, stack and buffer fit

#define TRY_SYS(expr)                      \
    do {                                   \
        long long e_ = (expr);             \
        if (e_ != 0) return e_;            \
    } while (0)

long long take(Slots& slots, u64& slot) {
    if (slots.next >= slots.end) return -abi::errc::kRange;
    slot = slots.next++;
    return 0;
}

/// A new zeroed frame in a slot of its own.
long long new_frame(Slots& slots, const Environment& env, u64& slot) {
    TRY_SYS(take(slots, slot));
    return retype(env.untyped, abi::ObjectType::Frame, 0, env.cap_space, slot);
}

/// The stack pages of `region` in `as`; returns the initial stack pointer.
long long map_stack(Slots& slots, const Environment& env, u64 as, u64 region, u64& sp) {
    for (u64 i = 1; i <= kThreadStackPages; ++i) {
        u64 frame;
        TRY_SYS(new_frame(slots, env, frame));
        TRY_SYS(map(as, frame, region + i * kPageSize, rt::kRead | rt::kWrite));
    }
    sp = region + (1 + kThreadStackPages) * kPageSize - sys::arch_abi::kEntryStackBias;
    return 0;
}

/// Configure, set priority and affinity, then start at entry(arg). The argument travels in the
/// portable kRegCap slot, which is the first argument register on every arch (rdi, x0,
/// a0; docs/abi.md).
long long configure_and_start(u64 thread, u64 as, u64 buffer_frame, u64 buffer_va, u64 sp,
                              const ThreadOptions& o, const Environment& env) {
    TRY_SYS(thread_configure(thread, env.cap_space, as, buffer_frame, buffer_va, o.fault_endpoint));
    if (o.priority) TRY_SYS(thread_set_priority(thread, o.priority, o.time_slice));
    if (o.affinity) TRY_SYS(thread_set_affinity(thread, o.affinity));
    u64 ip = reinterpret_cast<u64>(o.entry);
    const u64 regs[] = {ip, sp, 0, o.arg};
    TRY_SYS(thread_write_registers(thread, abi::kRegIp, 4, regs));
    return thread_resume(thread);
}

} // namespace

Program root_program() {
    Program p{kProgramBase, 0, abi::root::kFirstFrame};
    while (query(abi::root::kAddressSpace, kProgramBase + p.pages * kPageSize).ok())
        ++p.pages;
    return p;
}

long long start_thread(Slots& slots, const ThreadOptions& o, Started& out, const Environment& env) {
    TRY_SYS(take(slots, out.thread));
    TRY_SYS(retype(env.untyped, abi::ObjectType::Thread, 0, env.cap_space, out.thread));
    out.address_space = env.address_space;
    u64 sp, buffer;
    TRY_SYS(map_stack(slots, env, env.address_space, o.region, sp));
    TRY_SYS(new_frame(slots, env, buffer));
    u64 buffer_va = reinterpret_cast<u64>(ipc_buffer_of(o.region));
    TRY_SYS(map(env.address_space, buffer, buffer_va, rt::kRead | rt::kWrite));
    return configure_and_start(out.thread, env.address_space, buffer, buffer_va, sp, o, env);
}

long long start_process(Slots& slots, const Program& program, const ThreadOptions& o, Started& out,
                        u64 copy_window, const Environment& env) {
    TRY_SYS(take(slots, out.address_space));
    TRY_SYS(retype(env.untyped, abi::ObjectType::AddressSpace, kAddressSpaceBits, env.cap_space,
                   out.address_space));
    TRY_SYS(take(slots, out.thread));
    TRY_SYS(retype(env.untyped, abi::ObjectType::Thread, 0, env.cap_space, out.thread));
    const u64 as = out.address_space;

    for (u64 i = 0; i < program.pages; ++i) {
        u64 va = program.base + i * kPageSize;
        auto q = query(env.address_space, va);
        if (!q.ok()) return q.error;
        u32 rights = static_cast<u32>(q.out.rights);
        u64 frame;
        if (rights & rt::kWrite) {
            // Private copy: a fresh frame, filled through a temporary mapping of ours.
            TRY_SYS(new_frame(slots, env, frame));
            TRY_SYS(map(env.address_space, frame, copy_window, rt::kRead | rt::kWrite));
            memcpy(reinterpret_cast<void*>(copy_window), reinterpret_cast<const void*>(va), kPageSize);
            TRY_SYS(unmap(env.address_space, copy_window));
        } else {
            // Shared, read-only: a capability of its own to map the same frame again.
            TRY_SYS(take(slots, frame));
            TRY_SYS(cap_copy(env.cap_space, program.first_frame + i, frame));
        }
        TRY_SYS(map(as, frame, va, rights));
    }

    u64 sp, buffer;
    TRY_SYS(map_stack(slots, env, as, o.region, sp));
    TRY_SYS(new_frame(slots, env, buffer));
    TRY_SYS(map(as, buffer, abi::root::kIpcBuffer, rt::kRead | rt::kWrite));
    return configure_and_start(out.thread, as, buffer, abi::root::kIpcBuffer, sp, o, env);
}

} // namespace sys

#undef TRY_SYS
