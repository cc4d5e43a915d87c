#include <microkernel/object/semaphore.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {

Result<void> invoke_semaphore(SyscallContext& ctx, Capability& cap, const Message& msg) {
    auto& sem = cap.as<Semaphore>();
    switch (msg.label()) {
    case label_of<abi::SemaphoreSignal>:
        TRY(sem.signal(ctx.scheduler));
        ctx.done();
        return {};
    case label_of<abi::SemaphoreWait>:
        sem.wait(ctx.caller, ctx.scheduler); // writes the result, now or when signalled
        return {};
    case label_of<abi::SemaphoreTryWait>:
        TRY(sem.try_wait());
        ctx.done();
        return {};
    }
    return Error::Unsupported;
}

} // namespace kernel
