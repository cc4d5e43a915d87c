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

// A Linux call is answered as any request is (done(): label kDone, the value or -errno in
// the first word): the kernel reads kDone as FaultReply::Resume and writes the value into
// the result register.
static_assert(static_cast<u64>(Reply::kDone) == static_cast<u64>(abi::FaultReply::Resume));

/// write(2): the console's descriptors write to it; the files are all read-only.
long console_write(ThreadRec& t, u64 fd, u64 buf, u64 n) {
    OpenFile* f = fd_of(t, fd);
    if (!f || !f->console) return -sys::kEBADF;
    Mm& mm = *t.proc->mm;
    char chunk[256];
    for (u64 done = 0; done < n;) {
        u64 k = n - done < sizeof chunk ? n - done : sizeof chunk;
        if (!copy_in(mm, buf + done, chunk, k)) return done ? static_cast<long>(done) : -sys::kEFAULT;
        for (u64 i = 0; i < k; ++i) sys::debug_putc(chunk[i]);
        done += k;
    }
    return static_cast<long>(n);
}

long console_writev(ThreadRec& t, u64 fd, u64 iov, u64 count) {
    Mm& mm = *t.proc->mm;
    if (count > 1024) return -sys::kEINVAL;
    long total = 0;
    for (u64 i = 0; i < count; ++i) {
        u64 v[2];
        if (!copy_in(mm, iov + 16 * i, v, sizeof v)) return total ? total : -sys::kEFAULT;
        long w = console_write(t, fd, v[0], v[1]);
        if (w < 0) return total ? total : w;
        total += w;
    }
    return total;
}

/// struct stat of an open file, in this arch's layout: a character device (the console),
/// a directory or a regular read-only file.
long stat_file(ThreadRec& t, u64 fd, u64 buf) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return -sys::kEBADF;
    unsigned char st[nr::stat_size] = {};
    auto put32 = [&](unsigned long at, u32 v) { memcpy(st + at, &v, sizeof v); };
    auto put64 = [&](unsigned long at, u64 v) { memcpy(st + at, &v, sizeof v); };
    constexpr u32 kIfChr = 0020000, kIfDir = 0040000, kIfReg = 0100000;
    put32(nr::stat_mode_at, f->console ? kIfChr | 0620 : f->dir ? kIfDir | 0555 : kIfReg | 0444);
    put32(nr::stat_nlink_at, 1);
    put64(48, f->size);             // st_size: at 48 in both layouts
    put32(56, 4096);                // st_blksize
    put64(64, (f->size + 511) / 512); // st_blocks
    return copy_out(*t.proc->mm, buf, st, sizeof st) ? 0 : -sys::kEFAULT;
}

long seek(ThreadRec& t, u64 fd, u64 offset, u64 whence) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return -sys::kEBADF;
    if (f->console) return -29; // ESPIPE
    const long base = whence == 0 ? 0 : whence == 1 ? static_cast<long>(f->offset) : whence == 2 ? static_cast<long>(f->size) : -1;
    const long to = base + static_cast<long>(offset);
    if (base < 0 || to < 0) return -sys::kEINVAL;
    f->offset = static_cast<u64>(to);
    return to;
}

/// openat(2) relative to the cwd (AT_FDCWD) or with an absolute path: the native open,
/// with this arch's O_DIRECTORY.
Result<long> open_at(ThreadRec& t, u64 dirfd, u64 path, u64 flags) {
    constexpr u64 kAtFdcwd = static_cast<u64>(-100);
    char first = 0;
    if (dirfd != kAtFdcwd && (!copy_in(*t.proc->mm, path, &first, 1) || first != '/')) return Errno{sys::kEBADF};
    u64 native = (flags & 3) | ((flags & nr::o_directory) ? static_cast<u64>(sys::O_DIRECTORY) : 0);
    return do_open(t, path, native);
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

Result<void> linux_std_files(Files& files) {
    OpenFile* f = heap_new<OpenFile>();
    if (!f) return kNoMemory;
    f->console = true;
    f->refs = 3;
    for (u64 fd = 0; fd < 3; ++fd) files.fds.put(fd, f);
    return {};
}

Answer linux_syscall(ThreadRec& t, const sys::Reply& r) {
    // The number and the first three arguments came in registers, the rest in procserv's
    // IPC buffer (abi::kLinuxSyscallWords).
    const abi::IpcBuffer& b = *sys::ipc_buffer();
    const long n = static_cast<long>(r.mr[0]);
    const u64 a0 = r.mr[1], a1 = r.mr[2], a2 = r.mr[3], a3 = b.mr[4], a4 = b.mr[5], a5 = b.mr[6];
    Process& p = *t.proc;
    Mm& mm = *p.mm;
    if (n == nr::write) return done(console_write(t, a0, a1, a2));
    if (n == nr::writev) return done(console_writev(t, a0, a1, a2));
    if (n == nr::read) {
        OpenFile* f = fd_of(t, a0);
        if (f && f->console) return done(0); // no input for Linux programs yet: end of file
        return done(do_read(t, a0, a1, a2));
    }
    if (n == nr::openat) return done(open_at(t, a0, a1, a2));
    if (n == nr::close) return done(do_close(t, a0));
    if (n == nr::lseek) return done(seek(t, a0, a1, a2));
    if (n == nr::fstat) return done(stat_file(t, a0, a1));
    if (n == nr::newfstatat) { // fstat through AT_EMPTY_PATH; a path: open, stat, close
        constexpr u64 kAtEmptyPath = 0x1000;
        char c = 0;
        if ((a3 & kAtEmptyPath) && copy_in(mm, a1, &c, 1) && c == 0) return done(stat_file(t, a0, a2));
        Result<long> fd = open_at(t, a0, a1, 0);
        if (!fd.ok()) return done(fd);
        long e = stat_file(t, static_cast<u64>(fd.value()), a2);
        (void)do_close(t, static_cast<u64>(fd.value()));
        return done(e);
    }
    if (n == nr::exit) {
        end_thread(t, static_cast<int>(a0));
        return no_reply();
    }
    if (n == nr::exit_group) {
        kill_group(p, static_cast<int>((a0 & 0xff) << 8), &t);
        end_thread(t, static_cast<int>(a0));
        return no_reply();
    }
    if (n == nr::brk) return done(do_brk(t, a0));
    if (n == nr::mmap)
        return done(do_mmap(t, static_cast<int>(a4), a0, a1, static_cast<u32>(a2), static_cast<u32>(a3), a5));
    if (n == nr::munmap) return done(do_munmap(t, a0, a1));
    if (n == nr::mprotect) return done(do_mprotect(t, a0, a1, a2));
    if (n == nr::madvise) return done(do_madvise(t, a0, a1, a2));
    if (n == nr::getpid) return done(p.pid);
    if (n == nr::gettid) return done(t.tid);
    if (n == nr::getppid) return done(p.parent ? p.parent->pid : 0);
    if (n == nr::set_tid_address) {
        t.clear_tid = a0;
        return done(t.tid);
    }
    if (n == nr::arch_prctl) { // x86_64's TLS base (aarch64 and riscv64 write their register)
        if (a0 == kArchSetFs) return done(sys::thread_set_tls(t.thread, a1) ? -sys::kEINVAL : 0);
        return done(a0 == kArchGetFs ? not_yet(static_cast<u64>(n)) : -sys::kEINVAL);
    }
    if (n == nr::ioctl) return done(fd_of(t, a0) ? -kENOTTY : -sys::kEBADF); // no terminal yet
    if (n == nr::clone) {
        const u64 args[6] = {a0, a1, a2, a3, a4, a5};
        return done(clone_thread(t, a0, a1, a2, args[nr::clone_ctid_arg], args[nr::clone_tls_arg], false,
                                   nr::result_register));
    }
    if (n == nr::fork) return done(clone_thread(t, sys::SIGCHLD, 0, 0, 0, 0, false, nr::result_register));
    if (n == nr::wait4) return waitpid(t, static_cast<long>(a0), a2, a1); // (rusage is not kept)
    if (n == nr::futex) {
        constexpr u64 kWait = 0, kWake = 1, kWaitBitset = 9, kWakeBitset = 10, kPrivate = 128, kRealtime = 256;
        const u64 op = a1 & ~(kPrivate | kRealtime);
        // Every futex is keyed by what it is (an address space's or a shared object's word),
        // so private and shared ones are the same here. Timeouts are not kept yet (a3).
        if (op == kWait || (op == kWaitBitset && static_cast<u32>(a5) == ~0u)) return futex_wait(t, a0, static_cast<u32>(a2));
        if (op == kWake || (op == kWakeBitset && static_cast<u32>(a5) == ~0u))
            return done(futex_wake(t, a0, a2 > 0x7fffffff ? 0x7fffffff : a2));
        return done(not_yet(static_cast<u64>(n)));
    }
    if (n == nr::sched_yield) return done(0); // (its call was the yield: others ran meanwhile)
    return done(not_yet(static_cast<u64>(n)));
}

} // namespace procserv
