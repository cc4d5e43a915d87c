// The Linux front end (issue 12, begun): the system calls of unmodified static Linux
// programs, over the same processes, threads and memory as the native protocol.
//
// A program whose ELF lacks libsys's mark (crt0's "microkernel" note) is a Linux program:
// spawn_program gives it the stack Linux gives (argc, argv, envp, the auxv glibc and musl
// read) and puts its thread in the kernel's Linux-ABI mode, so that each syscall
// instruction arrives here as a LinuxSyscall fault message (number, six arguments, ip, sp)
// and the answer's first word becomes its result register. The numbers are the arch's
// (arch/<arch>/include/arch/linux_numbers.hpp). What is here is what a static glibc
// program needs to start, print, allocate and exit; every other call is -ENOSYS, said
// once per number on the console.
#include "procserv.hpp"

#include <arch/linux_numbers.hpp>

namespace procserv {
namespace {

namespace nr = arch::linux_nr;
constexpr long kENOTTY = 25;
constexpr u64 kArchSetFs = 0x1002, kArchGetFs = 0x1003;

Answer result(long v) {
    Answer x;
    x.label = static_cast<u64>(abi::FaultReply::Resume);
    x.w[0] = static_cast<u64>(v);
    return x;
}
template <class T>
Answer result(const Result<T>& r) {
    return result(wire(r));
}

/// write(2) to the console (descriptors 1 and 2: stdout and stderr).
long console_write(Mm& mm, u64 fd, u64 buf, u64 n) {
    if (fd != 1 && fd != 2) return -sys::kEBADF;
    char chunk[256];
    for (u64 done = 0; done < n;) {
        u64 k = n - done < sizeof chunk ? n - done : sizeof chunk;
        if (!copy_in(mm, buf + done, chunk, k)) return done ? static_cast<long>(done) : -sys::kEFAULT;
        for (u64 i = 0; i < k; ++i) sys::debug_putc(chunk[i]);
        done += k;
    }
    return static_cast<long>(n);
}

long console_writev(Mm& mm, u64 fd, u64 iov, u64 count) {
    if (count > 1024) return -sys::kEINVAL;
    long total = 0;
    for (u64 i = 0; i < count; ++i) {
        u64 v[2];
        if (!copy_in(mm, iov + 16 * i, v, sizeof v)) return total ? total : -sys::kEFAULT;
        long w = console_write(mm, fd, v[0], v[1]);
        if (w < 0) return total ? total : w;
        total += w;
    }
    return total;
}

/// A number not served yet: -ENOSYS, and one line on the console the first time.
long not_yet(u64 number) {
    static unsigned char said[1024 / 8];
    if (number < 1024 && !(said[number / 8] & (1u << (number % 8)))) {
        said[number / 8] |= static_cast<unsigned char>(1u << (number % 8));
        sys::print("procserv: Linux system call {} is not served (ENOSYS)\n", number);
    }
    return -sys::kENOSYS;
}

} // namespace

Answer linux_syscall(ThreadRec& t, const sys::Reply& r) {
    // The number and the first three arguments came in registers, the rest in procserv's
    // IPC buffer (abi::kLinuxSyscallWords).
    const abi::IpcBuffer& b = *sys::ipc_buffer();
    const long n = static_cast<long>(r.mr[0]);
    const u64 a0 = r.mr[1], a1 = r.mr[2], a2 = r.mr[3], a3 = b.mr[4], a4 = b.mr[5], a5 = b.mr[6];
    Process& p = *t.proc;
    Mm& mm = *p.mm;
    if (n == nr::write) return result(console_write(mm, a0, a1, a2));
    if (n == nr::writev) return result(console_writev(mm, a0, a1, a2));
    if (n == nr::exit) {
        end_thread(t, static_cast<int>(a0));
        return no_reply();
    }
    if (n == nr::exit_group) {
        kill_group(p, static_cast<int>((a0 & 0xff) << 8), &t);
        end_thread(t, static_cast<int>(a0));
        return no_reply();
    }
    if (n == nr::brk) return result(do_brk(t, a0));
    if (n == nr::mmap)
        return result(do_mmap(t, static_cast<int>(a4), a0, a1, static_cast<u32>(a2), static_cast<u32>(a3), a5));
    if (n == nr::munmap) return result(do_munmap(t, a0, a1));
    if (n == nr::mprotect) return result(do_mprotect(t, a0, a1, a2));
    if (n == nr::madvise) return result(do_madvise(t, a0, a1, a2));
    if (n == nr::getpid) return result(p.pid);
    if (n == nr::gettid) return result(t.tid);
    if (n == nr::getppid) return result(p.parent ? p.parent->pid : 0);
    if (n == nr::set_tid_address) {
        t.clear_tid = a0;
        return result(t.tid);
    }
    if (n == nr::arch_prctl) { // x86_64's TLS base (aarch64 and riscv64 write their register)
        if (a0 == kArchSetFs) return result(sys::thread_set_tls(t.thread, a1) ? -sys::kEINVAL : 0);
        return result(a0 == kArchGetFs ? not_yet(static_cast<u64>(n)) : -sys::kEINVAL);
    }
    if (n == nr::ioctl) return result(a0 <= 2 ? -kENOTTY : -sys::kEBADF); // no terminal yet
    if (n == nr::clone) {
        const u64 args[6] = {a0, a1, a2, a3, a4, a5};
        return result(clone_thread(t, a0, a1, a2, args[nr::clone_ctid_arg], args[nr::clone_tls_arg], false,
                                   nr::result_register));
    }
    if (n == nr::fork) return result(clone_thread(t, sys::SIGCHLD, 0, 0, 0, 0, false, nr::result_register));
    if (n == nr::wait4) { // (pid, status, options, rusage): no resource usage is kept
        Answer x = waitpid(t, static_cast<long>(a0), a2, a1);
        x.label = static_cast<u64>(abi::FaultReply::Resume); // (kDone is Resume: the same 0)
        return x;
    }
    if (n == nr::futex) {
        constexpr u64 kWait = 0, kWake = 1, kWaitBitset = 9, kWakeBitset = 10, kPrivate = 128, kRealtime = 256;
        const u64 op = a1 & ~(kPrivate | kRealtime);
        // Every futex is keyed by what it is (an address space's or a shared object's word),
        // so private and shared ones are the same here. Timeouts are not kept yet (a3).
        if (op == kWait || (op == kWaitBitset && static_cast<u32>(a5) == ~0u)) return futex_wait(t, a0, static_cast<u32>(a2));
        if (op == kWake || (op == kWakeBitset && static_cast<u32>(a5) == ~0u))
            return result(futex_wake(t, a0, a2 > 0x7fffffff ? 0x7fffffff : a2));
        return result(not_yet(static_cast<u64>(n)));
    }
    if (n == nr::sched_yield) return result(0); // (its call was the yield: others ran meanwhile)
    return result(not_yet(static_cast<u64>(n)));
}

} // namespace procserv
