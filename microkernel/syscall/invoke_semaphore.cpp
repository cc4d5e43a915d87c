#include <microkernel/object/semaphore.hpp>
#include <microkernel/syscall/dispatch.hpp>

namespace kernel {

Result<void> invoke_semaphore(SyscallContext& ctx, Capability& cap, const Message& msg) {
    using M = abi::SemaphoreMethod;
    auto& sem = cap.as<Semaphore>();
    switch (static_cast<M>(msg.label())) {
    case M::Signal:
        TRY(cap.check(ObjectType::Semaphore, abi::rights::kWrite));
        TRY(sem.signal(ctx.scheduler));
        ctx.done();
        return {};
    case M::Wait:
        TRY(cap.check(ObjectType::Semaphore, abi::rights::kRead));
        sem.wait(ctx.caller, ctx.scheduler); // writes the result, now or when signalled
        return {};
    case M::TryWait:
        TRY(cap.check(ObjectType::Semaphore, abi::rights::kRead));
        TRY(sem.try_wait());
        ctx.done();
        return {};
    }
    return Error::Unsupported;
}

} // namespace kernel
