// Root task for the hostile-arguments boot test (init=badargs): every system call and
// method gets arguments a buggy or malicious program could pass, and each must fail with
// the errno docs/abi.md lists, without crashing or hanging the kernel. The cases, one
// family each (badargs.hpp), print one line each; a mismatch prints what came back.
#include "../root_task.hpp"
#include "badargs.hpp"

namespace badargs {
namespace {

/// Objects to aim at, and copies with fewer rights.
void setup() {
    bool made = retype(ObjectType::Endpoint, 0, kEndpoint, 1) == 0 &&
                retype(ObjectType::Semaphore, 0, kSemaphore, 1) == 0 &&
                retype(ObjectType::Thread, 0, kThread, 1) == 0 && retype(ObjectType::Frame, 0, kFrame, 1) == 0 &&
                retype(ObjectType::AddressSpace, 2, kAddressSpace, 1) == 0 &&
                retype(ObjectType::Endpoint, 0, kFaultEp, 1) == 0;
    made = made && sys::cap_mint(root::kCapSpace, root::kCapSpace, kReadOnlyCs, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kThread, kReadOnlyThread, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, root::kAddressSpace, kReadOnlyAs, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kFrame, kReadOnlyFrame, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kEndpoint, kReadOnlyEp, rt::kRead, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kEndpoint, kWriteOnlyEp, rt::kWrite, 0, root::kCapSpace) == 0 &&
           sys::cap_mint(root::kCapSpace, kSemaphore, kWriteOnlySem, rt::kWrite, 0, root::kCapSpace) == 0;
    expect(made ? 0 : -1, 0, "setup");
}

struct Case {
    const char* name;
    void (*run)();
};
const Case kCases[] = {
    {"objects and reduced-rights copies made", setup},
    {"empty, out-of-range and huge capability slots", slots},
    {"wrong object types and unknown methods, every family", types},
    {"missing rights (read-only and write-only copies)", rights},
    {"mapping: kernel addresses, misaligned, occupied, bad rights", mapping},
    {"message lengths above kMaxMsgWords, missing arguments, bad syscall numbers", lengths},
    {"register ranges for ReadRegisters/WriteRegisters", registers},
    {"retype with absurd sizes, counts and slots", retype_args},
    {"reply without a caller, thread and semaphore arguments", reply},
    {"threads with hostile registers, an unmapped IPC buffer, no address space", hostile_threads},
    {"capability transfer: bad send slots, bad receive slots, no Grant", transfer},
    {"destroying objects in use: endpoint with a waiter, own thread, address space, IPC buffer", destroy},
};

} // namespace
} // namespace badargs

int main() {
    using namespace badargs;
    pt::start_root_task("badargs");
    pt::stay_on_cpu0();
    sys::print("badargs: running\n");
    g_slot_count = u64{1} << reinterpret_cast<const abi::root::Info*>(abi::root::kInfo)->cap_space_bits;
    g_last_slot = g_slot_count - 1;
    for (const Case& c : kCases) {
        g_case_failures = 0;
        c.run();
        pt::check(g_case_failures == 0, c.name);
    }
    pt::finish();

    // The last one: revoke my untyped, which destroys everything carved from it, this
    // thread, its cap space and address space included, in the middle of the call.
    sys::print("badargs: revoking my untyped, which destroys me\n");
    long long r = sys::cap_revoke(root::kCapSpace, root::kUntyped);
    sys::print("badargs: FAILED: still running after revoking my untyped ({})\n", r);
    for (;;) sys::thread_suspend(root::kThread); // nothing left: the kernel powers off
}

