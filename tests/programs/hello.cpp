// The first user program, started by the kernel as the root task. It checks, from user
// mode, what the kernel promises at its boundary, and reports each check on the kernel's
// debug console: system calls and their errors, message registers and capabilities,
// the TLS register, preemption, its own memory management, and finally a fault, which
// the kernel must report without dying (the root task has no fault handler).
#include "root_task.hpp"

#include <sys/kernel.hpp>
#include <sys/string.hpp>

namespace {

using abi::u64;
namespace root = abi::root;
namespace rt = abi::rights;

char g_buffer[64];   // .bss: the loader must zero it
int g_calls = 1;     // .data: the loader must copy it

using pt::check;

} // namespace

int main(int argc, char** argv) {
    pt::start_root_task("hello");
    (void)argv;
    sys::print("hello: running in user mode\n");

    const char greeting[] = "hello from user space";
    memcpy(g_buffer, greeting, sizeof greeting);
    check(argc == 0 && g_calls == 1 && memcmp(g_buffer, greeting, sizeof greeting) == 0,
          "program loaded (data, bss, stack)");

    check(sys::syscall(abi::Syscall::Yield, 0, 0, {}).error == 0, "yield returns 0");
    check(sys::syscall(static_cast<abi::Syscall>(99), 0, 0, {}).error == -abi::errc::kOpNotSupp,
          "unknown system call fails with -EOPNOTSUPP");
    check(sys::invoke(200, abi::SemaphoreSignal{}).error == -abi::errc::kBadF, "empty capability slot fails with -EBADF");

    // Identify my own thread capability: the answer comes back in message registers.
    auto id = sys::identify(root::kCapSpace, root::kThread);
    check(id.ok() && id.out.type == u64(abi::ObjectType::Thread), "identify: slot 3 is my thread");

    const u64 tls = 0x7f00cafe0000;
    check(sys::thread_set_tls(root::kThread, tls) == 0 && sys_read_tls() == tls,
          "TLS register set through my thread capability");

    // Spin long enough for timer interrupts to arrive while user code runs: the kernel
    // counts them and resumes this thread each time.
    volatile u64 spin = 0;
    for (u64 i = 0; i < 30000000; ++i) spin = spin + 1;
    check(spin == 30000000, "registers survive preemption");

    // A page of my own: a frame from my untyped, mapped, used, unmapped. After the unmap
    // the translation must be gone at once (regression: no TLB flush after Unmap).
    constexpr u64 kPage = 0x10000000, kFrameSlot = root::kFirstFree;
    auto* page = reinterpret_cast<volatile u64*>(kPage);
    bool used = sys::retype(root::kUntyped, abi::ObjectType::Frame, 0, root::kCapSpace, kFrameSlot) == 0 &&
                sys::map(root::kAddressSpace, kFrameSlot, kPage, rt::kRead | rt::kWrite) == 0;
    if (used) {
        page[0] = 42;
        used = page[0] == 42;
    }
    check(used, "a frame retyped from my untyped, mapped and written");
    check(sys::unmap(root::kAddressSpace, kPage) == 0, "unmap");

    pt::finish();
    sys::print("hello: now touching the page I unmapped, at {:#x}\n", kPage);
    u64 value = page[0];
    sys::print("hello: FAILED: the read returned {:#x}\n", value);
    return 1;
}
