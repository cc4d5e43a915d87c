// procserv: the process server and the system's root task. It owns every process and
// thread and builds them only through capability calls to the kernel; programs reach it
// through libsys (sys/proc.hpp) with the protocol of sys/procserv_abi.hpp.
// docs/procserv.md describes the design. The files, by family:
//   procserv.cpp  the request loop and its dispatcher, page faults, start-up
//   thread.cpp    threads: create, start, end, join, the records ended threads leave
//   process.cpp   processes: spawn, clone, the end of a process or a group, waitpid
//   wait.cpp      calls that wait (kept replies) and futexes
//   caps.cpp      processes' cap spaces, the objects they ask for, IPC buffers, the
//                 name service
//   fs.cpp        the initrd's read-only filesystem, cwd/umask, descriptor tables
//   memory.cpp    cap slots, blocks, stores of frames, address spaces (regions, pages,
//                 copy-on-write), shared objects, client memory through a window page
//   mman.cpp      mmap, munmap, mprotect, madvise, brk
//   linux.cpp     the Linux front end: Linux programs' system calls
//   regions.cpp   the pure bookkeeping of regions and pages   } pure logic, unit-tested
//   path.cpp      Linux's path walk                             } on the host
//   fdtable.cpp   descriptor tables                             }
//   names.cpp     the name service's table                      }
//   result.hpp    errors: Result<T> with a Linux errno
//
// Memory. The kernel's untyped memory is lent in blocks carved as they are needed: 4 KiB
// thread blocks (a thread, its 8-slot cap space, its join semaphore and its Reply object
// fit in one) and 1 MiB process blocks (an address space's store of frames, a shared
// object). The kernel reuses an untyped's memory only when everything carved from it is
// gone, so each block belongs to one owner, and revoking the block's capability ends
// everything carved from it at once: that is how every byte comes back. procserv's own
// records (threads, processes, address spaces, page maps, descriptor tables ...) live in
// its heap, which grows by process blocks: there is no table to fill, only per-process
// limits (procserv.hpp).
//
// Blocking. procserv never waits for a client. A call that must wait (waitpid,
// futex_wait) has its reply kept in the caller's own kernel Reply object (made with the
// thread) and is answered when the wait is over: one Call per request. thread_join waits
// on the joined thread's join semaphore, signalled once when it ends.
#include "procserv.hpp"


namespace procserv {

int g_next_tid = 1;
int g_first_pid = 0, g_first_status = -1; // the first program: its end powers off
kernel::cpio::Archive* g_initrd = nullptr;
alignas(kernel::cpio::Archive) unsigned char g_initrd_storage[sizeof(kernel::cpio::Archive)];

namespace {

// ---- requests --------------------------------------------------------------------------
// Each request of the table (sys/procserv_requests.hpp) as its struct, to its family's
// handler (thread.cpp, process.cpp, wait.cpp, fs.cpp, mman.cpp, caps.cpp, signal.cpp).
namespace req = procserv::req;
using procserv::Message;

Answer serve(ThreadRec& t, const req::Exit& a) { // the whole int is the join code
    end_thread(t, static_cast<int>(a.status));
    return no_reply();
}
Answer serve(ThreadRec& t, const req::ExitGroup& a) { // its low 8 bits the status
    kill_group(*t.proc, static_cast<int>((a.status & 0xff) << 8), &t);
    end_thread(t, static_cast<int>(a.status));
    return no_reply();
}
Answer serve(ThreadRec& t, const req::Clone& a) { return done(do_clone(t, a)); }
Answer serve(ThreadRec& t, const req::ThreadCreate& a) { return thread_create(t, a); }
Answer serve(ThreadRec& t, const req::Join& a) { return join(t, static_cast<int>(a.tid), a.retval); }
Answer serve(ThreadRec& t, const req::GetIds&) {
    const Process& p = *t.proc;
    return done(p.pid, static_cast<u64>(t.tid), static_cast<u64>(p.parent ? p.parent->pid : 0));
}
Answer serve(ThreadRec& t, const req::Chdir& a) { return done(do_chdir(t, a.path)); }
Answer serve(ThreadRec& t, const req::Getcwd& a) { return done(do_getcwd(t, a.buf, a.size)); }
Answer serve(ThreadRec& t, const req::Umask& a) { return done(do_umask(t, a.mask)); }
Answer serve(ThreadRec& t, const req::Open& a) {
    return done(do_open(t, kAtFdcwd, a.path, a.flags, 0666, sys::O_DIRECTORY));
}
Answer serve(ThreadRec& t, const req::Read& a) {
    return do_read(t, a.fd, a.buf, a.count);
}
Answer serve(ThreadRec& t, const req::Close& a) { return done(do_close(t, a.fd)); }
Answer serve(ThreadRec& t, const req::Dup& a) { return done(do_dup(t, a.fd)); }
Answer serve(ThreadRec& t, const req::Waitpid& a) {
    return waitpid(t, static_cast<int>(a.pid), a.options, a.status);
}
Answer serve(ThreadRec& t, const req::Spawn& a) { return done(do_spawn(t, a.path, a.argv)); }
Answer serve(ThreadRec& t, const req::FutexWait& a) { return futex_wait(t, a.addr, a.val); }
Answer serve(ThreadRec& t, const req::FutexWake& a) {
    return done(futex_wake(t, a.addr, a.n));
}
Answer serve(ThreadRec& t, const req::Write& a) {
    char buf[256];
    const u64 n = a.count < sizeof buf ? u64{a.count} : sizeof buf;
    if (!copy_in(*t.proc->mm, a.buf, buf, n)) return done(Errno{sys::kEFAULT});
    for (u64 i = 0; i < n; ++i) sys::debug_putc(buf[i]);
    return done(static_cast<long>(n));
}
Answer serve(ThreadRec&, const req::Stats&) {
    return done(static_cast<long>(pool_free_bytes()), static_cast<u64>(g_live_threads),
                static_cast<u64>(g_live_procs));
}
Answer serve(ThreadRec& t, const req::Mmap& a) {
    return done(do_mmap(t, static_cast<int>(a.fd.word32()), a.addr, a.length, static_cast<u32>(a.prot_flags),
                        static_cast<u32>(a.prot_flags >> 32), a.offset));
}
Answer serve(ThreadRec& t, const req::Munmap& a) { return done(do_munmap(t, a.addr, a.length)); }
Answer serve(ThreadRec& t, const req::Mprotect& a) {
    return done(do_mprotect(t, a.addr, a.length, a.prot));
}
Answer serve(ThreadRec& t, const req::Madvise& a) {
    return done(do_madvise(t, a.addr, a.length, a.advice));
}
Answer serve(ThreadRec& t, const req::Brk& a) { return done(do_brk(t, a.addr)); }
Answer serve(ThreadRec& t, const req::CapCreate& a) { return done(cap_create(t, a.type, a.bytes)); }
Answer serve(ThreadRec& t, const req::IpcBuffer&) { return done(ipc_buffer(t)); }
Answer serve(ThreadRec& t, const req::ServiceRegister& a) {
    return done(service_register(t, a.name, a.endpoint));
}
Answer serve(ThreadRec& t, const req::ServiceLookup& a) { return done(service_lookup(t, a.name)); }
Answer serve(ThreadRec& t, const req::ServiceUnregister& a) {
    return done(service_unregister(t, a.name));
}
Answer serve(ThreadRec& t, const req::MmapMemory& a) {
    return done(do_mmap_memory(t, a.slot, a.addr, a.length, static_cast<u32>(a.prot_flags),
                               static_cast<u32>(a.prot_flags >> 32)));
}
Answer serve(ThreadRec& t, const req::Kill& a) {
    return do_kill(t, static_cast<int>(a.pid), static_cast<int>(a.sig));
}
Answer serve(ThreadRec& t, const req::SchedAffinity& a) { // (-1 and the like find nobody)
    Result<u64> mask = thread_affinity(t, a.tid, a.mask, a.mask != 0);
    return mask.ok() ? done(0, mask.value()) : done(mask.error());
}

/// Each request's handler by Op, reading the request as its struct; the native signal
/// calls go to signal.cpp's one entry, which reads theirs.
using Handler = Answer (*)(ThreadRec&, const Message&);
constexpr auto kHandlers = [] {
    struct {
        Handler at[procserv::kOpCount];
    } h{};
    procserv::Requests::each([&]<class M>() {
        h.at[static_cast<u64>(M::request.op) - procserv::kFirstOp] = [](ThreadRec& t, const Message& m) {
            if constexpr (M::request.op >= procserv::Op::Sigaction && M::request.op <= procserv::Op::Sigpending)
                return native_signal_call(t, m);
            else
                return serve(t, procserv::arguments<M>(m));
        };
    });
    return h;
}();

/// One request: refused as the table says (ENOSYS: no such operation; EINVAL: a word
/// outside its kind), or served by its handler.
Answer handle(ThreadRec& t, const Message& m) {
    if (const int e = procserv::check(m)) return done(Errno{e});
    return kHandlers.at[procserv::op_of(m.label) - procserv::kFirstOp](t, m);
}

/// A request as it arrived: words the caller did not send read as 0.
Message request_of(const sys::Reply& r) {
    Message m{r.label};
    for (u32 i = 0; i < abi::kMsgRegsInRegisters && i < r.length; ++i) m.word[i] = r.mr[i];
    return m;
}

/// A fault of thread t. A page fault on a zero page not yet backed gets its frame and the
/// thread resumes. So does one on a page that is there now (another thread of the space
/// backed it in the meantime), once: the same page faulting again without another fault
/// in between is a real one. Anything else ends the process with SIGSEGV or SIGILL.
Answer on_fault(ThreadRec& t, const sys::Reply& r) {
    if (r.label == static_cast<u64>(abi::FaultKind::LinuxSyscall)) return linux_syscall(t, r);
    bool page_fault = r.mr[0] == static_cast<u64>(abi::FaultKind::PageFault);
    u64 page = r.mr[1] & ~(kPage - 1);
    using A = abi::FaultAccess;
    auto access = static_cast<A>(r.mr[3]);
    int sig = r.mr[0] == static_cast<u64>(abi::FaultKind::IllegalInstruction) ? sys::SIGILL : sys::SIGSEGV;
    const char* what = sig == sys::SIGILL ? "illegal instruction" : "bad memory access";
    if (page_fault) {
        u32 need = access == A::Write ? kProtWrite : access == A::Execute ? kProtExec : kProtRead;
        Touch got = mm_touch(*t.proc->mm, r.mr[1], need);
        // A page that is there already (another thread of the space backed it meanwhile)
        // resumes once: the same page faulting again with nothing between is a real fault.
        if (got == Touch::Ok || (got == Touch::Present && page != t.last_fault)) {
            t.last_fault = page;
            Answer x;
            x.label = static_cast<u64>(abi::FaultReply::Resume);
            return x;
        }
        if (got == Touch::Bus) sig = sys::SIGBUS, what = "access beyond the end of the mapped file";
        if (got == Touch::NoMem) sig = sys::SIGKILL, what = "page fault with no memory left";
    }
    // A Linux program's handler for the signal runs instead (SEGV_MAPERR 1 / SEGV_ACCERR 2,
    // BUS_ADRERR 2, ILL_ILLOPC 1).
    const int code = sig == sys::SIGSEGV ? (t.proc->mm->regions.find(r.mr[1]) ? 2 : 1) : sig == sys::SIGBUS ? 2 : 1;
    if (sig != sys::SIGKILL && deliver_fault(t, sig, code, r.mr[1])) return resume_as_is();
    const char* how = !page_fault ? "" : access == A::Write ? "write, " : access == A::Execute ? "execute, " : "read, ";
    sys::print("procserv: pid {} ({}) tid {}: {} at {:#x} ({}ip {:#x}); killed by signal {}\n", t.proc->pid,
               static_cast<const char*>(t.proc->exe), t.tid, what, r.mr[1], how, r.mr[2], sig);
    kill_group(*t.proc, sig, nullptr);
    return no_reply();
}

} // namespace
} // namespace procserv

using namespace procserv;

int main() {
    const auto& in = info();
    if (in.magic != root::kInfoMagic) {
        sys::print("procserv: no RootInfo\n");
        return 1;
    }
    g_slot_count = u64{1} << in.cap_space_bits;
    g_cpus = in.cpus ? in.cpus : 1;
    for (u64 s = 0; s < root::kFirstFree + 2; ++s) mark_slot(s, true);
    for (u64 s = root::kFirstFrame; s < root::kFirstFrame + in.program_frames; ++s) mark_slot(s, true);
    for (u64 s = root::kFirstBootSlot; s < in.first_free_slot; ++s) mark_slot(s, true);
    g_initrd = new (g_initrd_storage) kernel::cpio::Archive(
        kernel::cpio::Archive::open(reinterpret_cast<const void*>(in.initrd_va), in.initrd_size).value());
    if (sys::retype(root::kUntyped, OT::Endpoint, 0, root::kCapSpace, kEndpointSlot) != 0) {
        sys::print("procserv: cannot make its endpoint\n");
        return 1;
    }
    make_pools();
    // /tmp and /dev/shm may each hold half of the memory (as Linux's tmpfs by default).
    if (!fs_init(pool_free_bytes() / 2).ok()) {
        sys::print("procserv: cannot make /tmp\n");
        return 1;
    }
    const u64 start_free = pool_free_bytes();
    // CLOCK_REALTIME: the real-time clock the kernel read at boot (to the second), on.
    if (in.rtc_seconds) g_realtime_base = in.rtc_seconds * 1'000'000'000 - now_ns();
    sys::print("procserv: {} MiB of memory to lend, carved into blocks as needed\n", start_free >> 20);

    // The first program: `exec=NAME ARGS...` ending the kernel command line (scripts/run
    // --exec), else init. The words after NAME are its argv[1..].
    char words[8][64] = {"init"};
    const char* argv[8] = {words[0]};
    int argc = 1;
    const char* cmd = in.cmdline;
    // `console=NAME`: the program that drives the console when it is started.
    for (const char* c = cmd; *c; ++c)
        if ((c == cmd || c[-1] == ' ') && memcmp(c, "console=", 8) == 0) {
            c += 8;
            for (u64 n = 0; *c && *c != ' ' && n + 1 < sizeof g_console_driver; ++n) g_console_driver[n] = *c++;
            break;
        }
    console_init(g_console_driver[0] != 0);
    for (const char* c = cmd; *c; ++c)
        if ((c == cmd || c[-1] == ' ') && memcmp(c, "exec=", 5) == 0) {
            c += 5;
            for (argc = 0; argc < 8;) {
                u64 n = 0;
                while (*c && *c != ' ' && n + 1 < sizeof words[argc]) words[argc][n++] = *c++;
                words[argc][n] = 0;
                if (n) argv[argc] = words[argc], ++argc;
                while (*c && *c != ' ') ++c; // (the rest of a word too long for its buffer)
                while (*c == ' ') ++c;
                if (!*c) break;
            }
            break;
        }
    const char* first = words[0];
    long pid = wire(spawn_program(first, argv, argc, nullptr));
    if (pid < 0) {
        sys::print("procserv: cannot start '{}': error {}\n", static_cast<const char*>(first), pid);
        sys::power_off(root::kMachine, 127);
    }
    g_first_pid = static_cast<int>(pid);
    sys::print("procserv: started {} as pid {}\n", static_cast<const char*>(first), pid);

    Answer a = no_reply();
    bool fired = false;
    for (;;) {
        arm_timer(fired); // the receive gives up at the earliest sleeper's deadline
        sys::Reply r = a.reply ? sys::reply_receive(kEndpointSlot, a.label, {a.w[0], a.w[1], a.w[2], a.w[3]})
                               : sys::receive(kEndpointSlot);
        a = no_reply();
        fired = r.error == -abi::errc::kTimedOut;
        if (fired) expire_sleepers();
        if (!r.ok()) continue;
        ThreadRec* t = thread_of_badge(r.badge);
        if (!t) { // a request from a thread that is gone (no answer), or procserv's own
            if (r.badge == 0 && r.label == kConsoleInput) console_input(r.mr[0]), a = done(0);
            continue;
        }
        if (r.badge & procserv::kFaultBadge) a = on_fault(*t, r);
        else if ((a = handle(*t, request_of(r))).reply && signals_ready(*t)) a = deliver_signals(*t, a);
        // The first program ended: the machine powers off with its status.
        if (g_first_status >= 0) {
            int st = g_first_status;
            int code = sys::wifexited(st) ? sys::wexitstatus(st) : 128 + sys::wtermsig(st);
            sys::print("procserv: {} ended with status {}; {} of {} KiB free again{}; powering off, status {}\n",
                       static_cast<const char*>(first), code, pool_free_bytes() >> 10, start_free >> 10,
                       fs_held_note(), code);
            sys::power_off(root::kMachine, static_cast<u64>(code));
        }
    }
}
