// Linux's generic system-call table (include/uapi/asm-generic/unistd.h), which aarch64 and
// riscv64 share, with the generic struct stat layout and clone(2) argument order: included
// by those arches' <arch/linux_numbers.hpp> for procserv's Linux front end. A call the
// generic table does not have has a negative number of its own, which no system call
// number is (so that procserv's dispatch can switch on them).
#pragma once

namespace linux_generic {
constexpr long read = 63, write = 64, close = 57, fstat = 80, mmap = 222, mprotect = 226, munmap = 215, brk = 214,
               rt_sigaction = 134, rt_sigprocmask = 135, ioctl = 29, writev = 66, madvise = 233, getpid = 172,
               exit = 93, uname = 160, readlink = -1, getppid = 173, arch_prctl = -2, gettid = 178,
               set_tid_address = 96, exit_group = 94, newfstatat = 79, readlinkat = 78,
               set_robust_list = 99, prlimit64 = 261, getrandom = 278, rseq = 293, clone = 220, fork = -3,
               statx = 291, mremap = 216, msync = 227,
               vfork = -4, wait4 = 260, futex = 98, sched_yield = 124, clone3 = 435,
               openat = 56, lseek = 62,
               // files (the generic table has only the *at forms)
               open = -5, stat = -6, lstat = -7, pread64 = 67, pwrite64 = 68, readv = 65, access = -8, pipe = -9,
               dup = 23, dup2 = -10, fcntl = 25, ftruncate = 46, getcwd = 17, chdir = 49, fchdir = 50,
               rename = -11, mkdir = -12, rmdir = -13, creat = -14, unlink = -15, umask = 166, getdents64 = 61,
               mkdirat = 34, unlinkat = 35, renameat = 38, faccessat = 48, dup3 = 24, pipe2 = 59,
               chmod = -16, fchmod = 52, fchmodat = 53,
               utimensat = 88,
               renameat2 = 276, faccessat2 = 439,
               // programs
               waitid = 95,
               execve = 221,
               setpgid = 154, getpgid = 155, getpgrp = -17, getsid = 156, setsid = 157,
               // signals
               rt_sigreturn = 139, rt_sigpending = 136, kill = 129, tgkill = 131, tkill = 130, rt_sigsuspend = 133,
               sigaltstack = 132,
               pause = -18, ppoll = 73, poll = -21, select = -22, pselect6 = 72,
               // time
               clock_gettime = 113, clock_getres = 114, getrusage = 165, times = 153, gettimeofday = 169, time = -19, nanosleep = 101,
               clock_nanosleep = 115, clock_settime = 112,
               alarm = -20, setitimer = 103, getitimer = 102,
               // identity and limits
               getuid = 174, getgid = 176, geteuid = 175, getegid = 177, getrlimit = 163,
               sched_getaffinity = 123, sched_setaffinity = 122, getcpu = 168;
/// struct stat (the generic layout, 128 bytes): where st_mode and st_nlink are.
constexpr unsigned long stat_size = 128, stat_mode_at = 16, stat_nlink_at = 20;
/// Where clone(2) takes the child's tid address and the TLS: (flags, stack, ptid, tls, ctid).
constexpr int clone_ctid_arg = 4, clone_tls_arg = 3;
/// The register (portable index) a Linux call's result goes in: x0 / a0, the first argument's.
constexpr unsigned result_register = 3;
} // namespace linux_generic
