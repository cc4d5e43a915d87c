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
constexpr u64 kArchSetFs = 0x1002, kArchGetFs = 0x1003;

// A Linux call is answered as any request is (done(): label kDone, the value or -errno in
// the first word): the kernel reads kDone as FaultReply::Resume and writes the value into
// the result register.
static_assert(static_cast<u64>(Reply::kDone) == static_cast<u64>(abi::FaultReply::Resume));

/// readv / writev: each piece in turn, stopping at a short one. A pipe moves one piece a
/// call (the first that is not empty, which may wait), which Linux allows as a short count.
Answer vector_io(ThreadRec& t, u64 fd, u64 iov, u64 count, bool write) {
    if (count > 1024) return done(Errno{sys::kEINVAL});
    OpenFile* f = fd_of(t, fd);
    if (!f) return done(Errno{sys::kEBADF});
    const bool pipe = f->kind == FileKind::PipeRead || f->kind == FileKind::PipeWrite;
    long total = 0;
    for (u64 i = 0; i < count; ++i) {
        u64 v[2];
        if (!copy_in(*t.proc->mm, iov + 16 * i, v, sizeof v)) return done(total ? total : wire(Errno{sys::kEFAULT}));
        if (v[1] == 0) continue;
        Answer a = write ? do_write(t, fd, v[0], v[1]) : do_read(t, fd, v[0], v[1]);
        if (pipe) return a;
        const long n = static_cast<long>(a.w[0]);
        if (n < 0) return done(total ? total : n);
        total += n;
        if (static_cast<u64>(n) < v[1]) break;
    }
    return done(total);
}

constexpr StatLayout kStat{nr::stat_size, nr::stat_mode_at, nr::stat_nlink_at};

/// fstatat(2): the descriptor itself with AT_EMPTY_PATH and an empty path; else the path
/// (opened, stat'ed and closed).
Result<void> stat_at(ThreadRec& t, u64 dirfd, u64 path, u64 buf, u64 flags) {
    constexpr u64 kAtEmptyPath = 0x1000;
    char c = 0;
    if ((flags & kAtEmptyPath) && copy_in(*t.proc->mm, path, &c, 1) && c == 0) return do_fstat(t, dirfd, buf, kStat);
    long fd = TRY(do_open(t, dirfd, path, 0, 0, 0));
    Result<void> e = do_fstat(t, static_cast<u64>(fd), buf, kStat);
    (void)do_close(t, static_cast<u64>(fd));
    return e;
}

/// statx(2): what fstatat says, in struct statx (every basic field; no birth time).
Result<void> do_statx(ThreadRec& t, u64 dirfd, u64 path, u64 flags, u64 mask, u64 buf) {
    constexpr u64 kAtSymlinkNofollow = 0x100, kAtNoAutomount = 0x800, kAtEmptyPath = 0x1000, kSyncType = 0x6000;
    constexpr u64 kStatxReserved = 0x80000000, kBasicStats = 0x7ff;
    if ((flags & ~(kAtSymlinkNofollow | kAtNoAutomount | kAtEmptyPath | kSyncType)) || (flags & kSyncType) == kSyncType ||
        (mask & kStatxReserved))
        return Errno{sys::kEINVAL};
    char c = 0;
    const bool self = (flags & kAtEmptyPath) && copy_in(*t.proc->mm, path, &c, 1) && c == 0;
    long fd = self ? static_cast<long>(dirfd) : TRY(do_open(t, dirfd, path, 0, 0, 0));
    Result<FileStat> got = file_stat(t, static_cast<u64>(fd));
    if (!self) (void)do_close(t, static_cast<u64>(fd));
    const FileStat s = TRY(got);
    unsigned char x[256] = {};
    auto put32 = [&](u64 at, u32 v) { memcpy(x + at, &v, sizeof v); };
    auto put64 = [&](u64 at, u64 v) { memcpy(x + at, &v, sizeof v); };
    const unsigned short mode = static_cast<unsigned short>(s.mode);
    put32(0, kBasicStats); // stx_mask
    put32(4, 4096);        // stx_blksize
    put32(16, static_cast<u32>(s.nlink));
    memcpy(x + 28, &mode, 2);
    put64(32, s.ino);
    put64(40, s.size);
    put64(48, (s.size + 511) / 512);
    for (int i = 0; i < 2; ++i) // stx_atime at 64, stx_mtime at 112 (stx_ctime at 96: as mtime)
        put64(i ? 112 : 64, static_cast<u64>(s.times[i][0])), put32(i ? 120 : 72, static_cast<u32>(s.times[i][1]));
    put64(96, static_cast<u64>(s.times[1][0])), put32(104, static_cast<u32>(s.times[1][1]));
    // Device numbers split as Linux's new_decode_dev does.
    auto major = [](u64 d) { return static_cast<u32>((d >> 8) & 0xfff); };
    auto minor = [](u64 d) { return static_cast<u32>((d & 0xff) | ((d >> 12) & 0xfff00)); };
    put32(128, major(s.rdev)), put32(132, minor(s.rdev)), put32(136, major(s.dev)), put32(140, minor(s.dev));
    return copy_out(*t.proc->mm, buf, x, sizeof x) ? Result<void>{} : Errno{sys::kEFAULT};
}

/// getrlimit / prlimit64 of the caller's own process: the limits procserv keeps (none
/// can be changed: EPERM).
Result<void> rlimit(ThreadRec& t, u64 pid, u64 resource, u64 new_va, u64 old_va) {
    constexpr u64 kInfinity = ~u64{0};
    if (pid != 0 && pid != static_cast<u64>(t.proc->pid)) return Errno{sys::kESRCH};
    if (resource >= 16) return Errno{sys::kEINVAL};
    if (new_va) return Errno{sys::kEPERM};
    u64 lim[2] = {kInfinity, kInfinity};
    if (resource == 3) lim[0] = kStackSize;                      // RLIMIT_STACK (soft: as mapped)
    if (resource == 6) lim[0] = lim[1] = kMaxThreadsPerProcess; // RLIMIT_NPROC
    if (resource == 7) lim[0] = lim[1] = FdTable::kMax;         // RLIMIT_NOFILE
    if (old_va && !copy_out(*t.proc->mm, old_va, lim, sizeof lim)) return Errno{sys::kEFAULT};
    return {};
}

/// sched_getaffinity(2) / sched_setaffinity(2) (thread.cpp's thread_affinity), with
/// Linux's mask of 8 bytes in the program's memory.
Result<long> affinity(ThreadRec& t, bool set, u64 tid, u64 len, u64 mask_va) {
    u64 mask = 0;
    if (!set) {
        if (len < sizeof mask || len % sizeof mask) return Errno{sys::kEINVAL};
        mask = TRY(thread_affinity(t, tid, 0));
        if (!copy_out(*t.proc->mm, mask_va, &mask, sizeof mask)) return Errno{sys::kEFAULT};
        return static_cast<long>(sizeof mask);
    }
    if (!copy_in(*t.proc->mm, mask_va, &mask, len < sizeof mask ? len : sizeof mask)) return Errno{sys::kEFAULT};
    TRY(thread_affinity(t, tid, mask, true));
    return 0;
}

/// getcpu(2): the CPU the thread made the call on (Thread.ReadCpuTime says where it last
/// ran: it waits for this answer there), NUMA node 0; either address may be null.
Result<long> getcpu(ThreadRec& t, u64 cpu_va, u64 node_va) {
    u64 ns = 0;
    u32 cpu = 0;
    TRY(kernel_answer(sys::thread_cpu(t.thread, ns, cpu)));
    const u32 node = 0;
    if (cpu_va && !copy_out(*t.proc->mm, cpu_va, &cpu, sizeof cpu)) return Errno{sys::kEFAULT};
    if (node_va && !copy_out(*t.proc->mm, node_va, &node, sizeof node)) return Errno{sys::kEFAULT};
    return 0;
}

/// uname(2): what answers is procserv's Linux front end, on this arch.
Result<void> uname(ThreadRec& t, u64 buf) {
    char u[6][65] = {"Linux", "microkernel", "6.1.0-procserv", "#1 (procserv's Linux front end)", "", "(none)"};
    memcpy(u[4], nr::machine, strlen(nr::machine) + 1);
    return copy_out(*t.proc->mm, buf, u, sizeof u) ? Result<void>{} : Errno{sys::kEFAULT};
}

/// getrandom(2): GRND_NONBLOCK, GRND_RANDOM and GRND_INSECURE are accepted (there is one
/// source, and it never blocks); at most 32 MiB - 1 bytes a call, as Linux.
Answer getrandom(ThreadRec& t, u64 buf, u64 len, u64 flags) {
    constexpr u64 kNonblock = 1, kRandom = 2, kInsecure = 4;
    if ((flags & ~(kNonblock | kRandom | kInsecure)) || (flags & (kRandom | kInsecure)) == (kRandom | kInsecure))
        return done(Errno{sys::kEINVAL});
    if (len > 33554431) len = 33554431;
    unsigned char bytes[256];
    u64 done_bytes = 0;
    while (done_bytes < len) {
        const u64 n = len - done_bytes < sizeof bytes ? len - done_bytes : sizeof bytes;
        random_fill(bytes, n);
        if (!copy_out(*t.proc->mm, buf + done_bytes, bytes, n)) break;
        done_bytes += n;
    }
    if (done_bytes == 0 && len) return done(Errno{sys::kEFAULT});
    return done(static_cast<long>(done_bytes));
}

// ---- time (time.cpp) ----
constexpr u64 kClockRealtime = 0, kClockMonotonic = 1, kClockMonotonicRaw = 4, kClockRealtimeCoarse = 5,
              kClockMonotonicCoarse = 6, kClockBoottime = 7, kClockTai = 11;
constexpr u64 kTickNs = abi::kTickNs; // the kernel's timer tick: sleeps end on one, CPU time counts in them

constexpr u64 kClockProcessCputime = 2, kClockThreadCputime = 3;

/// A clock's reading now for thread t: EINVAL for clocks not kept (another thread's or
/// process's CPU-time clock, pthread_getcpuclockid's).
Result<u64> clock_now(ThreadRec& t, u64 clock) {
    switch (clock) {
    case kClockProcessCputime: return process_cpu_ns(*t.proc);
    case kClockThreadCputime: return thread_cpu_ns(t);
    case kClockRealtime:
    case kClockRealtimeCoarse:
    case kClockTai: return g_realtime_base + now_ns();
    case kClockMonotonic:
    case kClockMonotonicRaw:
    case kClockMonotonicCoarse:
    case kClockBoottime: return now_ns();
    default: return Errno{sys::kEINVAL};
    }
}

Result<void> put_time(Mm& mm, u64 va, u64 ns, u64 divisor) { // a timespec (1) or timeval (1000)
    long t[2] = {static_cast<long>(ns / kNsPerSecond), static_cast<long>(ns % kNsPerSecond / divisor)};
    return copy_out(mm, va, t, sizeof t) ? Result<void>{} : Errno{sys::kEFAULT};
}

/// nanosleep / clock_nanosleep: the caller waits (its reply kept) until the deadline; a
/// relative sleep that a signal ends early writes what was left at `rem` (signal.cpp).
Answer sleep(ThreadRec& t, u64 clock, bool absolute, u64 req, u64 rem) {
    if (clock != kClockRealtime && clock != kClockMonotonic && clock != kClockBoottime && clock != kClockTai)
        return done(Errno{clock == 2 || clock == 3 ? sys::kEOPNOTSUPP : sys::kEINVAL});
    Result<u64> ns = timespec_ns(*t.proc->mm, req);
    if (!ns.ok()) return done(ns.error());
    const u64 now = now_ns(), base = clock == kClockRealtime || clock == kClockTai ? g_realtime_base : 0;
    u64 deadline = absolute ? (ns.value() > base ? ns.value() - base : 0) : now + ns.value();
    if (deadline <= now) return done(0);
    if (!keep_reply(t, Wait::Sleep)) return done(Errno{sys::kENOMEM});
    sleep_until(t, deadline);
    t.sleep_rem = absolute ? 0 : rem;
    return no_reply();
}

/// The process's real-time timer as struct itimerval {interval, value} (timevals).
void get_itimer(const Process& p, long (&out)[4]) {
    const u64 now = now_ns(), left = p.alarm_at > now ? p.alarm_at - now : p.alarm_at ? 1000 : 0;
    out[0] = static_cast<long>(p.alarm_interval / kNsPerSecond), out[1] = static_cast<long>(p.alarm_interval % kNsPerSecond / 1000);
    out[2] = static_cast<long>(left / kNsPerSecond), out[3] = static_cast<long>((left % kNsPerSecond + 999) / 1000);
    if (out[3] == 1000000) ++out[2], out[3] = 0;
}

/// A vfork's caller: it waits (its reply kept) until the child execs or ends.
Answer vfork_wait(ThreadRec& t, Result<long> tid) {
    if (!tid.ok()) return done(tid);
    ThreadRec* child = find_thread(tid.value());
    if (!child || !keep_reply(t, Wait::Vfork)) { // (the child is not waited for then)
        if (child) child->vfork_parent = 0;
        return done(tid);
    }
    return no_reply();
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
    OpenFile* f = new_file(FileKind::Console, 2); // (O_RDWR)
    if (!f) return kNoMemory;
    f->refs = 3;
    for (u64 fd = 0; fd < 3; ++fd) files.fds.put(fd, f);
    return {};
}

namespace {
Answer serve(ThreadRec& t, const sys::Reply& r) {
    // The number and the first three arguments came in registers, the rest in procserv's
    // IPC buffer (abi::kLinuxSyscallWords).
    const abi::IpcBuffer& b = *sys::ipc_buffer();
    const long n = static_cast<long>(r.mr[0]);
    const u64 a0 = r.mr[1], a1 = r.mr[2], a2 = r.mr[3], a3 = b.mr[4], a4 = b.mr[5], a5 = b.mr[6];
    Process& p = *t.proc;
    Mm& mm = *p.mm;
    switch (n) { // (the numbers are distinct, also the negative ones of calls the arch lacks)
    // ---- signals (signal.cpp) ----
    case nr::select: case nr::pselect6: {
        // select: a struct timeval; pselect6: a struct timespec and {sigset pointer, size}.
        const u64 sets[3] = {a1, a2, a3};
        u64 deadline = 0;
        if (a4) {
            long tv[2];
            if (!copy_in(mm, a4, tv, sizeof tv)) return done(Errno{sys::kEFAULT});
            const long unit = n == nr::select ? 1000 : 1, limit = n == nr::select ? 1000000 : 1000000000;
            if (tv[0] < 0 || tv[1] < 0 || tv[1] >= limit) return done(Errno{sys::kEINVAL});
            const u64 ns = static_cast<u64>(tv[0]) * 1'000'000'000 + static_cast<u64>(tv[1] * unit);
            deadline = ns ? now_ns() + ns : 0;
        }
        if (n == nr::pselect6 && a5) {
            u64 arg[2], mask = 0;
            if (!copy_in(mm, a5, arg, sizeof arg)) return done(Errno{sys::kEFAULT});
            if (arg[0]) {
                if (arg[1] != 8) return done(Errno{sys::kEINVAL});
                if (!copy_in(mm, arg[0], &mask, sizeof mask)) return done(Errno{sys::kEFAULT});
                call_mask(t, mask);
            }
        }
        return select_wait(t, a0, sets, deadline, !a4);
    }
    case nr::poll: { // (x86_64's; the others have ppoll only) timeout in ms, negative: none
        const long ms = static_cast<long>(static_cast<int>(a2));
        return poll_wait(t, a0, a1, ms > 0 ? now_ns() + static_cast<u64>(ms) * 1'000'000 : 0, ms < 0);
    }
    case nr::rt_sigaction: case nr::rt_sigprocmask: case nr::rt_sigpending: case nr::rt_sigreturn: case nr::kill:
    case nr::tgkill: case nr::tkill: case nr::rt_sigsuspend: case nr::pause: case nr::ppoll: case nr::sigaltstack: {
        const u64 args[7] = {a0, a1, a2, a3, a4, a5, b.mr[8]}; // (and the caller's sp)
        return signal_call(t, n, args);
    }
    // ---- files (fs.cpp, pipe.cpp) ----
    case nr::read: return do_read(t, a0, a1, a2);
    case nr::write: return do_write(t, a0, a1, a2);
    case nr::pread64: case nr::pwrite64: {
        if (static_cast<long>(a3) < 0) return done(Errno{sys::kEINVAL});
        return n == nr::pread64 ? do_read(t, a0, a1, a2, static_cast<long>(a3)) : do_write(t, a0, a1, a2, static_cast<long>(a3));
    }
    case nr::readv: case nr::writev: return vector_io(t, a0, a1, a2, n == nr::writev);
    case nr::openat: return done(do_open(t, a0, a1, a2, a3, nr::o_directory));
    case nr::open: return done(do_open(t, kAtFdcwd, a0, a1, a2, nr::o_directory));
    case nr::creat: return done(do_open(t, kAtFdcwd, a0, 01 | kOCreat | kOTrunc, a1, nr::o_directory));
    case nr::close: return done(do_close(t, a0));
    case nr::lseek: return done(do_lseek(t, a0, a1, a2));
    case nr::fstat: return done(do_fstat(t, a0, a1, kStat));
    case nr::newfstatat: return done(stat_at(t, a0, a1, a2, a3));
    case nr::statx: return done(do_statx(t, a0, a1, a2, a3, a4));
    case nr::stat: case nr::lstat: return done(stat_at(t, kAtFdcwd, a0, a1, 0));
    case nr::getdents64: return done(do_getdents(t, a0, a1, a2));
    case nr::ftruncate: return done(do_ftruncate(t, a0, a1));
    case nr::dup: return done(do_dup(t, a0));
    case nr::dup2: return done(do_dup_to(t, a0, a1, false, false));
    case nr::dup3: {
        if (a2 & ~u64{kOCloexec}) return done(Errno{sys::kEINVAL});
        return done(do_dup_to(t, a0, a1, a2 & kOCloexec, true));
    }
    case nr::fcntl: return done(do_fcntl(t, a0, a1, a2));
    case nr::pipe: case nr::pipe2: return done(do_pipe(t, a0, n == nr::pipe2 ? a1 : 0));
    case nr::getcwd: return done(do_getcwd(t, a0, a1));
    case nr::chdir: return done(do_chdir(t, a0));
    case nr::fchdir: return done(do_fchdir(t, a0));
    case nr::umask: return done(do_umask(t, a0));
    case nr::mkdirat: return done(do_mkdir(t, a0, a1, a2));
    case nr::mkdir: return done(do_mkdir(t, kAtFdcwd, a0, a1));
    case nr::unlinkat: {
        constexpr u64 kAtRemovedir = 0x200;
        if (a2 & ~kAtRemovedir) return done(Errno{sys::kEINVAL});
        return done(do_unlink(t, a0, a1, (a2 & kAtRemovedir) != 0));
    }
    case nr::unlink: case nr::rmdir: return done(do_unlink(t, kAtFdcwd, a0, n == nr::rmdir));
    case nr::renameat2:
        if (a4 != 0) return done(Errno{sys::kEINVAL}); // (no RENAME_NOREPLACE, EXCHANGE yet)
        [[fallthrough]];
    case nr::renameat: return done(do_rename(t, a0, a1, a2, a3));
    case nr::rename: return done(do_rename(t, kAtFdcwd, a0, kAtFdcwd, a1));
    case nr::readlinkat: return done(do_readlink(t, a0, a1, a2, a3));
    case nr::readlink: return done(do_readlink(t, kAtFdcwd, a0, a1, a2));
    case nr::utimensat: return done(do_utimens(t, a0, a1, a2)); // (no path: a0 itself)
    case nr::fchmodat: return done(do_chmod(t, a0, a1, a2));
    case nr::chmod: return done(do_chmod(t, kAtFdcwd, a0, a1));
    case nr::fchmod: return done(do_chmod(t, a0, 0, a1));
    case nr::faccessat: case nr::faccessat2: return done(do_access(t, a0, a1, a2));
    case nr::access: return done(do_access(t, kAtFdcwd, a0, a1));
    case nr::ioctl: {
        constexpr u64 kFionread = 0x541b;
        OpenFile* f = fd_of(t, a0);
        if (!f) return done(Errno{sys::kEBADF});
        if (a1 == kFionread && (f->kind == FileKind::PipeRead || f->kind == FileKind::Console)) {
            int ready = static_cast<int>(f->kind == FileKind::PipeRead ? pipe_ready(f->pipe) : console_available());
            return done(copy_out(mm, a2, &ready, sizeof ready) ? 0 : wire(Errno{sys::kEFAULT}));
        }
        if (f->kind == FileKind::Console) return done(console_ioctl(p, a1, a2));
        return done(Errno{sys::kENOTTY});
    }

    // ---- processes and threads (process.cpp, thread.cpp, wait.cpp) ----
    case nr::exit: {
        end_thread(t, static_cast<int>(a0));
        return no_reply();
    }
    case nr::exit_group: {
        kill_group(p, static_cast<int>((a0 & 0xff) << 8), &t);
        end_thread(t, static_cast<int>(a0));
        return no_reply();
    }
    case nr::brk: return done(do_brk(t, a0));
    case nr::mmap:
        return done(do_mmap(t, static_cast<int>(a4), a0, a1, static_cast<u32>(a2), static_cast<u32>(a3), a5));
    case nr::munmap: return done(do_munmap(t, a0, a1));
    case nr::mremap: return done(do_mremap(t, a0, a1, a2, a3, a4));
    case nr::mprotect: return done(do_mprotect(t, a0, a1, a2));
    case nr::madvise: return done(do_madvise(t, a0, a1, a2));
    case nr::msync: return done(do_msync(t, a0, a1, a2));
    case nr::getpid: return done(p.pid);
    case nr::gettid: return done(t.tid);
    case nr::getppid: return done(p.parent ? p.parent->pid : 0);
    case nr::set_robust_list: {
        if (a1 != 24) return done(Errno{sys::kEINVAL}); // sizeof(struct robust_list_head)
        t.robust_list = a0;
        return done(0);
    }
    case nr::set_tid_address: {
        t.clear_tid = a0;
        return done(t.tid);
    }
    case nr::arch_prctl: { // x86_64's TLS base (aarch64 and riscv64 write their register)
        if (a0 == kArchSetFs) return done(sys::thread_set_tls(t.thread, a1) ? -sys::kEINVAL : 0);
        return done(a0 == kArchGetFs ? not_yet(static_cast<u64>(n)) : -sys::kEINVAL);
    }
    case nr::clone: {
        const u64 args[6] = {a0, a1, a2, a3, a4, a5};
        Result<long> tid = clone_thread(t, a0, a1, a2, args[nr::clone_ctid_arg], args[nr::clone_tls_arg], false,
                                        nr::result_register);
        return (a0 & sys::CLONE_VFORK) ? vfork_wait(t, tid) : done(tid);
    }
    case nr::clone3: { // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal,
                           // stack, stack_size, tls, set_tid, set_tid_size, cgroup
        u64 args[11] = {};
        if (a1 < 64 || a1 > 4096) return done(Errno{a1 < 64 ? sys::kEINVAL : sys::kE2BIG});
        if (!copy_in(mm, a0, args, a1 < sizeof args ? a1 : sizeof args)) return done(Errno{sys::kEFAULT});
        for (u64 at = sizeof args; at < a1; at += 8) { // a newer caller's fields: zero, or E2BIG
            u64 more = 0;
            if (!copy_in(mm, a0 + at, &more, a1 - at < 8 ? a1 - at : 8)) return done(Errno{sys::kEFAULT});
            if (more) return done(Errno{sys::kE2BIG});
        }
        const u64 flags = args[0], signal = args[4], stack = args[5], size = args[6];
        // No chosen tids, no cgroups (and no CLONE_PIDFD: clone_thread refuses the flag, and
        // pidfd is read only with it); the exit signal has its own field.
        if ((flags & sys::kCloneSignalMask) || args[8] || args[9] || args[10] || signal > 64 ||
            (!stack) != (!size))
            return done(Errno{sys::kEINVAL});
        Result<long> tid = clone_thread(t, flags | signal, stack ? stack + size : 0, args[3], args[2], args[7], false,
                                        nr::result_register);
        return (flags & sys::CLONE_VFORK) ? vfork_wait(t, tid) : done(tid);
    }
    case nr::fork: return done(clone_thread(t, sys::SIGCHLD, 0, 0, 0, 0, false, nr::result_register));
    case nr::vfork:
        return vfork_wait(t, clone_thread(t, sys::CLONE_VM | sys::CLONE_VFORK | sys::SIGCHLD, 0, 0, 0, 0,
                                                          false, nr::result_register));
    case nr::execve: return do_execve(t, a0, a1, a2);
    case nr::wait4: { // (rusage: zeros now, the child's user time when it is reported)
        if (a3 && !copy_out(mm, a3, g_zero_page, 144)) return done(Errno{sys::kEFAULT});
        return waitpid(t, static_cast<int>(a0), a2, a1, true, a3);
    }
    case nr::waitid: {
        if (a4 && !copy_out(mm, a4, g_zero_page, 144)) return done(Errno{sys::kEFAULT});
        return waitid(t, a0, a1, a2, a3, a4);
    }
    case nr::setpgid: return done(do_setpgid(t, static_cast<int>(a0), static_cast<int>(a1)));
    case nr::getpgid: return done(do_getpgid(t, static_cast<int>(a0), false));
    case nr::getpgrp: return done(do_getpgid(t, 0, false));
    case nr::getsid: return done(do_getpgid(t, static_cast<int>(a0), true));
    case nr::setsid: return done(do_setsid(t));
    case nr::futex: {
        constexpr u64 kWait = 0, kWake = 1, kWaitBitset = 9, kWakeBitset = 10, kPrivate = 128, kRealtime = 256;
        const u64 op = a1 & ~(kPrivate | kRealtime);
        // Every futex is keyed by what it is (an address space's or a shared object's word),
        // so private and shared ones are the same here. The timeout (a3) is relative for
        // WAIT, absolute for WAIT_BITSET (CLOCK_MONOTONIC, or CLOCK_REALTIME with its flag).
        if (op == kWait || (op == kWaitBitset && static_cast<u32>(a5) == ~0u)) {
            u64 deadline = 0;
            if (a3) {
                Result<u64> ns = timespec_ns(mm, a3);
                if (!ns.ok()) return done(ns.error());
                const u64 now = now_ns(), base = (a1 & kRealtime) ? g_realtime_base : 0;
                deadline = op == kWait ? now + ns.value() : ns.value() > base ? ns.value() - base : 0;
                if (deadline <= now) { // over already: as Linux, the value is checked first
                    u32 word = 0;
                    if (a0 % 4 || !copy_in(mm, a0, &word, sizeof word)) return done(Errno{a0 % 4 ? sys::kEINVAL : sys::kEFAULT});
                    return done(Errno{word != static_cast<u32>(a2) ? sys::kEAGAIN : 110 /* ETIMEDOUT */});
                }
            }
            return futex_wait(t, a0, static_cast<u32>(a2), deadline);
        }
        if (op == kWake || (op == kWakeBitset && static_cast<u32>(a5) == ~0u))
            return done(futex_wake(t, a0, a2 > 0x7fffffff ? 0x7fffffff : a2));
        constexpr u64 kRequeue = 3, kCmpRequeue = 4, kWakeOp = 5;
        auto count = [](u64 v) { return static_cast<u64>(static_cast<int>(v) < 0 ? 0 : static_cast<int>(v)); };
        if (op == kRequeue || op == kCmpRequeue) // (n2 travels in the timeout's place)
            return done(futex_requeue(t, a0, count(a2), a4, count(a3), op == kCmpRequeue, static_cast<u32>(a5)));
        if (op == kWakeOp) return done(futex_wake_op(t, a0, count(a2), a4, count(a3), static_cast<u32>(a5)));
        return done(not_yet(static_cast<u64>(n)));
    }
    case nr::sched_yield:
        return done(0); // (its call was the yield: others ran meanwhile)

    // ---- time ----
    case nr::clock_gettime: {
        Result<u64> ns = clock_now(t, a0);
        return done(ns.ok() ? put_time(mm, a1, ns.value(), 1) : Result<void>(ns.error()));
    }
    case nr::clock_getres: {
        Result<u64> ns = clock_now(t, a0);
        const bool coarse = a0 == kClockRealtimeCoarse || a0 == kClockMonotonicCoarse || a0 == kClockProcessCputime ||
                            a0 == kClockThreadCputime; // (CPU time counts in ticks)
        if (!ns.ok() || !a1) return done(ns.ok() ? Result<void>{} : Result<void>(ns.error()));
        return done(put_time(mm, a1, coarse ? kTickNs : 1, 1));
    }
    case nr::clock_settime: { // (everyone is root) only the real-time clock moves
        if (a0 != kClockRealtime) return done(Errno{sys::kEINVAL});
        Result<u64> ns = timespec_ns(mm, a1);
        if (!ns.ok()) return done(ns.error());
        g_realtime_base = ns.value() - now_ns();
        return done(0);
    }
    case nr::getrusage: { // (who, usage): the user time; system time, faults and the rest are 0
        constexpr long kSelf = 0, kChildren = -1, kThread = 1;
        const long who = static_cast<long>(a0);
        if (who != kSelf && who != kChildren && who != kThread) return done(Errno{sys::kEINVAL});
        const Process& p = *t.proc;
        const u64 ns = who == kSelf ? process_cpu_ns(p) : who == kChildren ? p.cpu_children_ns : thread_cpu_ns(t);
        if (!copy_out(mm, a1, g_zero_page, 144)) return done(Errno{sys::kEFAULT}); // struct rusage
        return done(put_time(mm, a1, ns, 1000));                                    // ru_utime first
    }
    case nr::times: { // (buf): user times in clock ticks (100 a second: the kernel's tick); the ticks since boot
        const Process& p = *t.proc;
        const long tms[4] = {static_cast<long>(process_cpu_ns(p) / kTickNs), 0, static_cast<long>(p.cpu_children_ns / kTickNs), 0};
        if (a0 && !copy_out(mm, a0, tms, sizeof tms)) return done(Errno{sys::kEFAULT});
        return done(static_cast<long>(now_ns() / kTickNs));
    }
    case nr::gettimeofday: {
        if (a1) { // the time zone: UTC
            const int tz[2] = {0, 0};
            if (!copy_out(mm, a1, tz, sizeof tz)) return done(Errno{sys::kEFAULT});
        }
        return done(a0 ? put_time(mm, a0, g_realtime_base + now_ns(), 1000) : Result<void>{});
    }
    case nr::time: {
        const long seconds = static_cast<long>((g_realtime_base + now_ns()) / kNsPerSecond);
        if (a0 && !copy_out(mm, a0, &seconds, sizeof seconds)) return done(Errno{sys::kEFAULT});
        return done(seconds);
    }
    case nr::getitimer: case nr::setitimer: { // ITIMER_REAL only (no CPU time is counted yet)
        if (a0 != 0) return done(Errno{sys::kEINVAL});
        long old[4];
        get_itimer(p, old);
        const u64 out = n == nr::getitimer ? a1 : a2;
        if (n == nr::setitimer && a1) {
            long fresh[4];
            if (!copy_in(mm, a1, fresh, sizeof fresh)) return done(Errno{sys::kEFAULT});
            for (int i = 0; i < 4; ++i) {
                if (fresh[i] < 0 || (i % 2 && fresh[i] > 999999)) return done(Errno{sys::kEINVAL});
                if (i % 2 == 0 && fresh[i] > 0xffffffffL) fresh[i] = 0xffffffffL; // (136 years: "never")
            }
            const u64 interval = static_cast<u64>(fresh[0]) * kNsPerSecond + static_cast<u64>(fresh[1]) * 1000;
            const u64 value = static_cast<u64>(fresh[2]) * kNsPerSecond + static_cast<u64>(fresh[3]) * 1000;
            set_alarm(p, value ? now_ns() + value : 0, interval);
        }
        if (out && !copy_out(mm, out, old, sizeof old)) return done(Errno{sys::kEFAULT});
        return done(0);
    }
    case nr::alarm: { // the seconds that were left (rounded up), and a new alarm (0: none)
        long old[4];
        get_itimer(p, old);
        set_alarm(p, a0 ? now_ns() + (a0 & 0xffffffffu) * kNsPerSecond : 0, 0);
        return done(old[2] + (old[3] ? 1 : 0));
    }
    case nr::nanosleep: return sleep(t, kClockMonotonic, false, a0, a1);
    case nr::clock_nanosleep: {
        constexpr u64 kTimerAbstime = 1;
        if (a1 & ~kTimerAbstime) return done(Errno{sys::kEINVAL});
        return sleep(t, a0, a1 & kTimerAbstime, a2, a3);
    }

    // ---- identity and limits ----
    case nr::getuid: case nr::geteuid: case nr::getgid: case nr::getegid:
        return done(0); // root
    case nr::uname: return done(uname(t, a0));
    case nr::getrandom: return getrandom(t, a0, a1, a2);
    case nr::prlimit64: return done(rlimit(t, a0, a1, a2, a3));
    case nr::getrlimit: return done(rlimit(t, 0, a0, 0, a1));
    case nr::sched_getaffinity: case nr::sched_setaffinity: return done(affinity(t, n == nr::sched_setaffinity, a0, a1, a2));
    case nr::getcpu: return done(getcpu(t, a0, a1));
    default: return done(not_yet(static_cast<u64>(n)));
    }
}
} // namespace

Answer linux_syscall(ThreadRec& t, const sys::Reply& r) {
    Answer x = serve(t, r);
    // (no reply: the thread waits, or it has ended and its record may be gone). Most
    // answers find nothing to deliver: that is seen here, without a call.
    if (!x.reply || !signals_ready(t)) return x;
    return deliver_signals(t, x);
}

} // namespace procserv
