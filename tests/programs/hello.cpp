// The first user program, started by the kernel as the root task. It checks, from user
// mode, what the kernel promises at its boundary, and reports each check on the kernel's
// debug console: system calls and their errors, message registers and capabilities,
// the TLS register, preemption, and finally a fault, which the kernel must report
// without dying (the root task has no fault handler).
#include <sys/string.hpp>
#include <sys/syscall.hpp>

#include <initializer_list>

namespace {

using abi::u64;
using abi::Syscall;

int g_failures = 0;
char g_buffer[64];   // .bss: the loader must zero it
int g_calls = 1;     // .data: the loader must copy it

void put(const char* s) {
    for (; *s; ++s) {
        SysRegs r{};
        r.nr = u64(Syscall::DebugPutChar);
        r.mr[0] = static_cast<unsigned char>(*s);
        sys_trap(&r);
    }
}

void put_hex(u64 v) {
    char digits[19] = "0x";
    for (int i = 0; i < 16; ++i) digits[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    digits[18] = '\0';
    put(digits);
}

void check(bool ok, const char* what) {
    put("hello: ");
    put(what);
    put(ok ? " ok\n" : " FAILED\n");
    if (!ok) ++g_failures;
}

long long result(const SysRegs& r) { return static_cast<long long>(r.cap); }

// Invoke `method` on the object in `slot` with message words `words`: the first four
// travel in registers, the rest in my IPC buffer (abi::IpcBuffer::mr).
SysRegs invoke(u64 slot, u64 method, std::initializer_list<u64> words = {}) {
    SysRegs r{};
    r.nr = u64(Syscall::Invoke);
    r.cap = slot;
    r.info = abi::MessageInfo{method, static_cast<abi::u32>(words.size()), 0}.encode();
    auto* buffer = reinterpret_cast<abi::IpcBuffer*>(abi::root::kIpcBuffer);
    abi::u32 i = 0;
    for (u64 w : words) {
        if (i < abi::kMsgRegsInRegisters) r.mr[i] = w;
        else buffer->mr[i] = w;
        ++i;
    }
    sys_trap(&r);
    return r;
}

} // namespace

int main(int argc, char** argv) {
    (void)argv;
    put("hello: running in user mode\n");

    const char greeting[] = "hello from user space";
    memcpy(g_buffer, greeting, sizeof greeting);
    check(argc == 0 && g_calls == 1 && memcmp(g_buffer, greeting, sizeof greeting) == 0,
          "program loaded (data, bss, stack)");

    SysRegs y{};
    y.nr = u64(Syscall::Yield);
    sys_trap(&y);
    check(result(y) == 0, "yield returns 0");

    SysRegs bad{};
    bad.nr = 99;
    sys_trap(&bad);
    check(result(bad) == -abi::errc::kOpNotSupp, "unknown system call fails with -EOPNOTSUPP");
    check(result(invoke(200, 1)) == -abi::errc::kBadF, "empty capability slot fails with -EBADF");

    // Identify my own thread capability: the answer comes back in message registers.
    SysRegs id = invoke(abi::root::kCapSpace, u64(abi::CapSpaceMethod::Identify), {abi::root::kThread});
    check(result(id) == 0 && id.mr[0] == u64(abi::ObjectType::Thread), "identify: slot 3 is my thread");

    const u64 tls = 0x7f00cafe0000;
    SysRegs set = invoke(abi::root::kThread, u64(abi::ThreadMethod::SetTls), {tls});
    check(result(set) == 0 && sys_read_tls() == tls, "TLS register set through my thread capability");

    // Spin long enough for timer interrupts to arrive while user code runs: the kernel
    // counts them and resumes this thread each time.
    volatile u64 spin = 0;
    for (u64 i = 0; i < 30000000; ++i) spin = spin + 1;
    check(spin == 30000000, "registers survive preemption");

    // A page of my own: a frame from my untyped, mapped, used, unmapped. After the unmap
    // the translation must be gone at once (regression: no TLB flush after Unmap).
    constexpr u64 kPage = 0x10000000, kFrameSlot = abi::root::kFirstFree;
    namespace rt = abi::rights;
    SysRegs made = invoke(abi::root::kUntyped, u64(abi::UntypedMethod::Retype),
                          {u64(abi::ObjectType::Frame), 0, abi::root::kCapSpace, kFrameSlot, 1});
    SysRegs mapped = invoke(abi::root::kAddressSpace, u64(abi::AddressSpaceMethod::Map),
                            {kFrameSlot, kPage, rt::kRead | rt::kWrite});
    volatile u64* page = reinterpret_cast<volatile u64*>(kPage);
    bool used = false;
    if (result(made) == 0 && result(mapped) == 0) {
        page[0] = 42;
        used = page[0] == 42;
    }
    check(used, "a frame retyped from my untyped, mapped and written");
    SysRegs unmapped = invoke(abi::root::kAddressSpace, u64(abi::AddressSpaceMethod::Unmap), {kPage});
    check(result(unmapped) == 0, "unmap");

    if (g_failures == 0) put("hello: all checks passed\n");
    put("hello: now touching the page I unmapped, at 0x10000000\n");
    u64 value = page[0];
    put("hello: FAILED: the read returned ");
    put_hex(value);
    put("\n");
    return 1;
}
