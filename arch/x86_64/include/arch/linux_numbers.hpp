// Linux's system-call numbers on x86_64 (arch/x86/entry/syscalls/syscall_64.tbl), for
// procserv's Linux front end (servers/procserv/linux.cpp). A call this arch does not have
// is -1, which no system call number is.
#pragma once

namespace arch::linux_nr {
constexpr long read = 0, write = 1, close = 3, fstat = 5, mmap = 9, mprotect = 10, munmap = 11, brk = 12,
               rt_sigaction = 13, rt_sigprocmask = 14, ioctl = 16, writev = 20, madvise = 28, getpid = 39,
               exit = 60, uname = 63, readlink = 89, getppid = 110, arch_prctl = 158, gettid = 186,
               set_tid_address = 218, exit_group = 231, newfstatat = 262, readlinkat = 267,
               set_robust_list = 273, prlimit64 = 302, getrandom = 318, rseq = 334, clone = 56, fork = 57,
               statx = 332, mremap = 25, msync = 26,
               vfork = 58, wait4 = 61, futex = 202, sched_yield = 24, clone3 = 435,
               openat = 257, lseek = 8,
               // files
               open = 2, stat = 4, lstat = 6, pread64 = 17, pwrite64 = 18, readv = 19, access = 21, pipe = 22,
               dup = 32, dup2 = 33, fcntl = 72, ftruncate = 77, getcwd = 79, chdir = 80, fchdir = 81,
               rename = 82, mkdir = 83, rmdir = 84, creat = 85, unlink = 87, umask = 95, getdents64 = 217,
               mkdirat = 258, unlinkat = 263, renameat = 264, faccessat = 269, dup3 = 292, pipe2 = 293,
               chmod = 90, fchmod = 91, fchmodat = 268,
               utimensat = 280,
               renameat2 = 316, faccessat2 = 439,
               // programs
               waitid = 247,
               execve = 59,
               setpgid = 109, getpgid = 121, getpgrp = 111, getsid = 124, setsid = 112,
               // signals
               rt_sigreturn = 15, rt_sigpending = 127, kill = 62, tgkill = 234, tkill = 200, rt_sigsuspend = 130,
               sigaltstack = 131,
               pause = 34, ppoll = 271, poll = 7, select = 23, pselect6 = 270,
               // time
               clock_gettime = 228, clock_getres = 229, getrusage = 98, times = 100, gettimeofday = 96, time = 201, nanosleep = 35,
               clock_nanosleep = 230, clock_settime = 227,
               alarm = 37, setitimer = 38, getitimer = 36,
               // identity and limits
               getuid = 102, getgid = 104, geteuid = 107, getegid = 108, getrlimit = 97,
               sched_getaffinity = 204, sched_setaffinity = 203, getcpu = 309;
/// struct stat (x86_64's own layout, 144 bytes): where st_mode and st_nlink are.
constexpr unsigned long stat_size = 144, stat_mode_at = 24, stat_nlink_at = 16;
/// open(2)'s O_DIRECTORY here (the native API uses x86_64's values).
constexpr unsigned long o_directory = 0200000;
/// Where clone(2) takes the child's tid address and the TLS: (flags, stack, ptid, ctid, tls).
constexpr int clone_ctid_arg = 3, clone_tls_arg = 4;
/// The register (portable index) a Linux call's result goes in: rax, the number's.
constexpr unsigned result_register = 2;
/// struct sigaction has sa_restorer here (handler, flags, restorer, mask).
constexpr bool sigaction_has_restorer = true;
/// uname(2)'s machine.
constexpr const char* machine = "x86_64";
} // namespace arch::linux_nr
