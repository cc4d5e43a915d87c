// What the root task is given besides memory, checked from user mode: RootInfo, the
// initrd's frames, the console capability, and IRQ control. It claims the console's
// interrupt line, binds a semaphore, and reads three bytes typed into the console (the
// boot test types them once this program says it waits), each delivered by an
// interrupt; then it powers the machine off with status 42 through the Machine
// capability.
#include "root_task.hpp"

#include <sys/kernel.hpp>
#include <sys/string.hpp>

namespace {

using abi::u64;
namespace root = abi::root;
namespace e = abi::errc;
using abi::MachineMethod;

constexpr u64 kHandler = 20, kSemaphore = 21, kSecondHandler = 22;


using pt::check;

} // namespace

int main() {
    pt::start_root_task("irqtest");
    const auto& info = *reinterpret_cast<const root::Info*>(root::kInfo);
    check(info.magic == root::kInfoMagic, "RootInfo is mapped");
    u64 total = 0;
    for (u64 i = 0; i < info.untyped_count; ++i) total += info.untyped_bytes[i];
    sys::print("irqtest: {} untyped capabilities, {} KiB, first slot {}; initrd {} bytes in {} frames\n",
               info.untyped_count, total >> 10, info.untyped_first, info.initrd_size, info.initrd_frames);
    check(info.untyped_count > 0 && total > (64u << 20), "all free memory is given as untyped");
    bool typed = true;
    for (u64 i = 0; i < info.untyped_count; ++i)
        typed &= sys::identify(root::kCapSpace, info.untyped_first + i).out.type ==
                 static_cast<u64>(abi::ObjectType::Untyped);
    check(typed, "the untyped slots hold untyped capabilities");
    const char* initrd = reinterpret_cast<const char*>(info.initrd_va);
    check(memcmp(initrd, "070701", 6) == 0, "the initrd is mapped (cpio newc magic)");
    check(sys::identify(root::kCapSpace, info.initrd_first_frame).out.type ==
              static_cast<u64>(abi::ObjectType::Frame),
          "the initrd's frames are capabilities");
    check(sys::map(root::kAddressSpace, info.initrd_first_frame, 0x50000000, abi::rights::kRead | abi::rights::kWrite) ==
              -e::kAcces,
          "the initrd cannot be mapped writable");
    check(sys::console_write(root::kConsole, "irqtest: console cap ok\n", 24) == 0, "console write");
    check(sys::invoke(root::kConsole, abi::ConsoleWrite{.count = 1000}).error == -e::kInval,
          "console write of too many bytes fails with -EINVAL");

    check(sys::invoke(root::kMachine, abi::MachineIssueIrqHandler{.line = 100000, .dest = kHandler}).error == -e::kInval,
          "no such line: -EINVAL");
    check(sys::invoke(root::kMachine, abi::MachinePowerOff{.status = 256}).error == -e::kInval,
          "power off with status 256: -EINVAL");
    u64 line = info.console_irq;
    if (line == ~u64{0}) {
        sys::print("irqtest: this arch gives the console no interrupt line\n");
        return 1;
    }
    check(sys::invoke(root::kMachine, abi::MachineIssueIrqHandler{.line = line, .dest = kHandler}).error == 0,
          "IRQ handler for the console line");
    check(sys::invoke(root::kMachine, abi::MachineIssueIrqHandler{.line = line, .dest = kSecondHandler}).error == -e::kBusy,
          "a second handler for the same line: -EBUSY");
    check(sys::invoke(kHandler, abi::IrqHandlerAck{}).error == -e::kBusy,
          "ack before a semaphore is bound: -EBUSY");
    check(sys::retype(root::kUntyped, abi::ObjectType::Semaphore, 0, root::kCapSpace, kSemaphore) == 0 &&
              sys::invoke(kHandler, abi::IrqHandlerSetSemaphore{.semaphore = kSemaphore}).error == 0,
          "semaphore bound to the line");
    // Whatever arrived before binding was never signalled: drain it.
    while (sys::console_read(root::kConsole) >= 0) {}

    sys::print("irqtest: waiting for 3 bytes on line {}\n", line);
    char got[4] = {};
    u64 n = 0, interrupts = 0;
    while (n < 3) {
        if (sys::sem_wait(kSemaphore) != 0) break;
        ++interrupts;
        for (;;) {
            long long byte = sys::console_read(root::kConsole);
            if (byte < 0) break;
            if (n < 3) got[n++] = static_cast<char>(byte);
        }
        sys::irq_ack(kHandler);
    }
    sys::print("irqtest: got '{}' through {} interrupts\n", static_cast<const char*>(got), interrupts);
    check(n == 3, "three bytes arrived by interrupt");
    check(sys::cap_delete(root::kCapSpace, kHandler) == 0 &&
              sys::invoke(root::kMachine, abi::MachineIssueIrqHandler{.line = line, .dest = kHandler}).error == 0,
          "deleting the handler frees the line for a new one");
    pt::finish();
    sys::print("irqtest: powering off with status 42\n");
    sys::power_off(root::kMachine, 42);
    return 2; // not reached
}
