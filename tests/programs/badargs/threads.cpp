// badargs: register ranges, replies without a caller, thread and semaphore arguments; threads
// with hostile registers, an unmapped IPC buffer or no address space.
#include "badargs.hpp"

namespace badargs {

// register ranges for ReadRegisters/WriteRegisters
void registers() {
    auto read_regs = [](u64 first, u64 count) {
        return err(bad_invoke(kThread, abi::ThreadMethod::ReadRegisters, {first, count}));
    };
    auto write_regs = [](u64 first, u64 count) {
        return err(bad_invoke(kThread, abi::ThreadMethod::WriteRegisters, {first, count, 1, 2, 3}));
    };
    expect(read_regs(abi::kRegCount, 1), e::kRange, "read register 48");
    expect(read_regs(0, abi::kRegCount + 1), e::kRange, "read 49 registers");
    expect(read_regs(0, abi::kMaxMsgWords + 1), e::kRange, "read more registers than a message holds");
    expect(read_regs(kHuge, 2), e::kRange, "read from a huge index");
    expect(read_regs(40, ~u64{0}), e::kRange, "read a huge count (wraps)");
    expect(read_regs(~u64{0}, 2), e::kRange, "read from index 2^64-1 (wraps)");
    expect(read_regs(abi::kRegCount, 0), 0, "read nothing at the end");
    expect(write_regs(abi::kRegCount - 1, 2), e::kRange, "write past the last register");
    expect(write_regs(kHuge, 1), e::kRange, "write at a huge index");
    expect(write_regs(1, ~u64{0}), e::kRange, "write a huge count");
    expect(write_regs(0, 31), e::kRange, "write more registers than a message holds");
    expect(write_regs(0, 5), e::kInval, "write five registers, three values given");
}

// reply without a caller, thread and semaphore arguments
void reply() {
    expect(err(sys::reply(0)), e::kNoEnt, "reply with nothing to reply to");
    expect(err(sys::reply(0, {1, 2, 3, 4, 5, 6})), e::kNoEnt, "long reply with nothing to reply to");
    expect(sys::thread_resume(root::kThread), e::kBusy, "resume myself (running)");
    expect(sys::thread_set_priority(kThread, 256, 1), e::kInval, "priority 256");
    expect(sys::thread_set_priority(kThread, 1, 0), e::kInval, "time slice 0");
    expect(sys::thread_set_priority(kThread, ~u32{0}, 1), e::kInval, "priority 2^32-1");
    expect(err(bad_invoke(kThread, abi::ThreadMethod::SetAffinity, {0})), e::kInval, "empty affinity mask");
    expect(err(bad_invoke(kThread, abi::ThreadMethod::SetAffinity, {kHuge})), e::kInval, "affinity: no such CPU");
    expect(sys::sem_try_wait(kSemaphore), e::kAgain, "try_wait on zero");
    expect(sys::thread_configure(kThread, abi::kNoSlot, abi::kNoSlot, kFrame, 4095, abi::kNoSlot), e::kInval,
           "IPC buffer misaligned");
    expect(sys::thread_configure(kThread, abi::kNoSlot, abi::kNoSlot, kFrame, 4088, abi::kNoSlot), e::kInval,
           "IPC buffer crossing its page");
}

// threads with hostile registers, an unmapped IPC buffer, no address space
void hostile_threads() {
    // An IPC buffer at a VA where nothing is mapped (the kernel reaches the buffer through
    // its frame and does not check the VA, docs/kernel.md), then registers no user
    // program could hold: the thread must fault in user mode, with its handler told.
    {
        sys::Slots slots{kFirstHelperSlot, 256};
        sys::Started t;
        long long started = sys::start_thread(slots, on_cpu0(spin_forever, 0, 0x60000000), t);
        expect(started, 0, "start a thread");
        if (started == 0) {
            expect(sys::thread_suspend(t.thread), 0, "suspend it");
            expect(retype(ObjectType::Frame, 0, kScratch, 1), 0, "a frame never mapped");
            expect(sys::thread_configure(t.thread, abi::kNoSlot, abi::kNoSlot, kScratch, 0x70000000, abi::kNoSlot), 0,
                   "configure an IPC buffer at an unmapped VA");
            // Hostile registers: a kernel IP, a non-canonical SP, all-ones everywhere else.
            u64 ones = ~u64{0};
            expect(err(bad_invoke(t.thread, abi::ThreadMethod::WriteRegisters,
                                   {0, 12, kKernelVa, 0x0000800000000000ull, ones, ones, ones, ones, ones, ones,
                                    ones, ones, ones, ones})),
                   0, "write hostile registers");
            for (u64 first = abi::kRegArchFirst; first < abi::kRegCount; first += 8)
                expect(err(bad_invoke(t.thread, abi::ThreadMethod::WriteRegisters,
                                       {first, first + 8 <= abi::kRegCount ? 8 : abi::kRegCount - first, ones,
                                        ones, ones, ones, ones, ones, ones, ones})),
                       0, "write all-ones arch registers");
            expect(sys::thread_configure(t.thread, abi::kNoSlot, abi::kNoSlot, abi::kNoSlot, 0, kFaultEp), 0,
                   "give it a fault endpoint");
            expect(sys::thread_resume(t.thread), 0, "resume it");
            sys::Reply f = sys::receive(kFaultEp);
            sys::print("badargs: hostile thread faulted in user mode: kind {} at {:#x}, ip {:#x}\n", f.mr[0], f.mr[1],
                       f.mr[2]);
            expect(f.ok() ? 0 : f.error, 0, "its fault reached the handler");
            expect(err(sys::reply(u64(abi::FaultReply::Kill))), 0, "kill it");
            expect(sys::cap_delete(root::kCapSpace, t.thread), 0, "delete it");
        }
        // A thread that was never configured: no address space, no cap space.
        expect(retype(ObjectType::Thread, 0, kVictim, 1), 0, "a bare thread");
        expect(sys::thread_set_affinity(kVictim, pt::kCpu0), 0, "keep it on CPU 0, where the yields below run it");
        expect(sys::thread_resume(kVictim), 0, "resume a thread with nothing configured");
        sys::yield(); // the kernel must refuse to run it and come back here
        expect(sys::thread_resume(kVictim), 0, "it was suspended, so it can be resumed again");
        sys::yield();
        expect(sys::cap_delete(root::kCapSpace, kVictim), 0, "delete it");
    }
}

} // namespace badargs
