// Unmodified static Linux programs (tests/linux-abi/, docs/linux-abi.md) booted as the
// first process, each checked against the same binary on this Linux host.
#include "boot_runner.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

namespace {
/// tests/linux-abi/SOURCE built by the arch's Debian gcc -static as `name` in a directory
/// of its own, which goes when the program does.
struct LinuxProgram {
    std::string dir, elf;
    LinuxProgram(const std::string& source, const std::string& name) : dir(temp_dir()) {
        REQUIRE_FALSE(dir.empty());
        elf = dir + "/" + name;
        CommandResult cc = compile_linux_program("tests/linux-abi/" + source, elf);
        INFO("cc: " << cc.output);
        REQUIRE(cc.status == 0);
    }
    ~LinuxProgram() {
        std::remove(elf.c_str());
        rmdir(dir.c_str());
    }
};

/// Builds tests/linux-abi/SOURCE with the arch's Debian gcc -static, boots it as the first
/// process with `args`, and runs the same binary on this Linux host (natively, or under
/// qemu-user) with `host_args`: both must print every line of `lines` and exit with
/// `status`, and procserv must get all its memory back. `foreign_host`: also under
/// qemu-user (false for programs that execve themselves: the host kernel cannot run a
/// foreign binary without binfmt_misc; the x86_64 run is their oracle). `host_tty`: the
/// host run gets a pseudo-terminal of its own (run_on_terminal), as the guest's console is a terminal.
/// `native_lines`: expected in the guest, and on the host only when it runs the program
/// natively (what qemu-user lacks). `options`: scripts/run's own (e.g. --smp 4).
void run_linux_program(const std::string& source, const std::string& args, const std::string& host_args,
                       const std::vector<std::string>& lines, int status, bool foreign_host = true,
                       bool host_tty = false, const std::vector<std::string>& native_lines = {},
                       const std::string& options = "") {
    const std::string name = "glibc-" + source.substr(0, source.find('.'));
    const LinuxProgram program(source, name);
    const std::string& elf = program.elf;
    BootResult r = boot(options + " --exec '" + elf + "'" + (args.empty() ? "" : " " + args), options.empty() ? 90 : 240);
    SHOW(r);
    CHECK(r.contains("procserv: started " + name + " as pid 1"));
    for (const std::string& line : lines) CHECK(r.contains(line));
    for (const std::string& line : native_lines) CHECK(r.contains(line));
    CHECK(memory_returned(r, name));
    CHECK(r.status == status);
    std::string arch = env_or("MK_ARCH", "x86_64");
    if (arch != "x86_64" && !foreign_host) return;
    std::string command = (arch == "x86_64" ? "" : "qemu-" + arch + " ") + "'" + elf + "' " + host_args;
    CommandResult host = host_tty ? run_on_terminal(command, {}) : run_command(command);
    INFO("on Linux: exit status " << host.status << "; output:\n" << host.output);
    CHECK(host.status == status);
    for (const std::string& line : lines) CHECK(host.output.find(line) != std::string::npos);
    if (arch == "x86_64")
        for (const std::string& line : native_lines) CHECK(host.output.find(line) != std::string::npos);
}
} // namespace

/// hello.c: Debian's static glibc, argv, malloc. `options`: scripts/run's (e.g. --smp 4).
static void hello_program(const std::string& options = "") {
    run_linux_program("hello.c", "seven", "seven",
                      {"hello from glibc: 2 arguments: ", " seven\n", "malloc'd 1 MiB, pid "}, 7, true, false, {},
                      options);
}

TEST_CASE("Linux programs: Debian's static glibc hello runs unmodified, as it does on Linux") { hello_program(); }

/// threads.c: glibc's pthreads (64 threads, a mutex, joins), fork + wait4, waitid. `options`:
/// scripts/run's (these programs also run with --smp 4, below).
static void threads_program(const std::string& options = "") {
    run_linux_program("threads.c", "", "",
                      {"64 threads joined: counter 2080000, sum of their results 2080\n",
                       "fork: the child exited with 5; the parent's counter is still 2080000\n",
                       "waitid WNOWAIT: 0, the child 1, CLD_EXITED 1, status 7; then reaped: 0, the child 1\n",
                       "waitid with no child: -1 (ECHILD 1)\n", "waitid WNOHANG while it runs: 0, si_pid 0; killed: 0, "
                       "CLD_KILLED 1, signal 9\n", "waitid without WEXITED: -1 (EINVAL 1)\n"},
                      0, true, false, {}, options);
}

TEST_CASE("Linux programs: glibc's pthreads (64 threads, a mutex, joins), fork + wait4, waitid, as on Linux") {
    threads_program();
}

/// stress.c: 64 MiB of malloc, mutex, condition variable and barrier stress, exit_group
/// while threads block, pthread_exit from main.
static void stress_program(const std::string& options = "") {
    run_linux_program("stress.c", "", "",
                      {"malloc of 64 MiB, every page written and read back: 1\n",
                       "mutex: 8 threads x 20000 increments: 160000\n",
                       "condition variables: 4 producers, 4 consumers, 4000 items taken, sum 8002000\n",
                       "barrier: 8 threads in lockstep for 200 rounds: 1\n",
                       "exit_group from a thread while three others block: exited 1, status 7\n",
                       "a thread outlived main's pthread_exit and ends the process\n"},
                      5, true, false, {}, options);
}

TEST_CASE("Linux programs: 64 MiB of malloc, mutex, condition variable and barrier stress, exit_group while threads block, pthread_exit from main") {
    stress_program();
}

TEST_CASE("Linux programs with four CPUs: sched_setaffinity pins a thread to each CPU, a fork inherits the mask, FUTEX_WAKE_OP is atomic, a sleep ends while procserv is busy, exit_group ends threads spinning on every CPU") {
    run_linux_program("affinity.c", "", "",
                      {"sched_getaffinity: the CPUs from 0 on 1\n",
                       "a thread pinned to each CPU runs there (sched_getcpu and getcpu say so) and reads its mask back: 1\n",
                       "threads started without a mask, one per CPU, run on every CPU at once: 1\n",
                       "a 50 ms sleep ends while three threads per CPU keep making system calls: 1\n",
                       "getcpu into a bad address: -1 (EFAULT 1)\n",
                       "a fork's child inherits its parent's mask: 1\n",
                       "FUTEX_WAKE_OP's adds and another CPU's atomic adds to one word all count: 1\n",
                       "an empty mask: -1 (EINVAL 1)\n",
                       "a mask of no existing CPU: -1 (EINVAL 1)\n", "a mask at a bad address: -1 (EFAULT 1)\n",
                       "reading into a bad address: -1 (EFAULT 1)\n", "reading into 4 bytes: -1 (EINVAL 1)\n",
                       "no such thread: -1 (ESRCH 1)\n",
                       "exit_group while a thread spins on each CPU: exited 1, status 9\n"},
                      0, true, false, {}, "--smp 4");
}

TEST_CASE("x86_64 without FSGSBASE: the FS and GS bases go through their MSRs at every entry and exit (glibc's threads, each with its TLS)") {
    if (env_or("MK_ARCH", "x86_64") != "x86_64") return; // (an x86_64 matter: the other arches pass at once)
    struct Cpu { // the CPU scripts/run gives QEMU, for this test only
        Cpu() { setenv("MK_X86_CPU", "qemu64", 1); }
        ~Cpu() { unsetenv("MK_X86_CPU"); }
    } cpu;
    BootResult r = boot("--append init=hello");
    CHECK(r.contains("x86_64: no FSGSBASE: the FS and GS bases go through their MSRs"));
    run_linux_program("threads.c", "", "", {"64 threads joined: counter 2080000, sum of their results 2080\n",
                                            "fork: the child exited with 5; the parent's counter is still 2080000\n"},
                      0);
}

/// clone.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void clone_program(const std::string& options = "") {
    run_linux_program("clone.c", "", "",
                      {"CLONE_VM: the child exits 3, its write is seen 1\n",
                       "no CLONE_VM: the child exits 4, its write is its own 1\n",
                       "CLONE_FS: the child's chdir moves the parent too 1 (exit 0)\n",
                       "no CLONE_FS: the parent stays 1 (exit 0)\n",
                       "CLONE_FILES: the child's descriptor is the parent's 1 (exit 0)\n",
                       "no CLONE_FILES: it is not the parent's 1 (EBADF 1, exit 0)\n",
                       "a thread: parent's tid word 1, its own gettid 1, cleared and woken at its end 1\n",
                       "CLONE_THREAD without CLONE_SIGHAND: -1 (EINVAL 1); CLONE_SIGHAND without CLONE_VM: -1 "
                       "(EINVAL 1)\n"},
                      0, false, false, {}, options); // (qemu-user refuses CLONE_VM without the thread flags: x86_64 is the oracle)
}

TEST_CASE("Linux programs: glibc's clone with CLONE_VM, CLONE_FS, CLONE_FILES, the thread flags, and the flag rules") {
    clone_program();
}

/// clone3.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void clone3_program(const std::string& options = "") {
    run_linux_program("clone3.c", "", "",
                      {"clone3 as a fork: the child exited with 6\n",
                       "clone3 with a signal in flags: -1 (EINVAL 1)\n", "clone3 with a size below 64: -1 (EINVAL 1)\n",
                       "clone3 with a nonzero field past what is known: -1 (E2BIG 1)\n"},
                      0, false, false, {}, options); // (qemu-user 7.2 has no clone3: the x86_64 run is the oracle)
}

TEST_CASE("Linux programs: raw clone3 as a fork, and its errors") {
    clone3_program();
}

/// files.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void files_program(const std::string& options = "") {
    run_linux_program("files.c", "", "tests/programs/initrd/hello.txt",
                      {"read 23 of 23 bytes (a regular file: 1): Hello from the initrd.\n",
                       "lseek to 6, read 4: 'from'; the end at 23, read there: 0\n",
                       "close: 0, again: -1 (EBADF 1)\n", "open of a missing file: -1 (ENOENT 1)\n",
                       "open of a file as a directory: -1 (ENOTDIR 1)\n", "stderr works too\n"},
                      0, true, false, {}, options);
}

TEST_CASE("Linux programs: stdio on the console; open, fstat, read, lseek, close of an initrd file; their errors") {
    files_program();
}

/// tmpfs.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void tmpfs_program(const std::string& options = "") {
    run_linux_program("tmpfs.c", "", "",
                      {"a private mapping of a /tmp file at 4096: its bytes 1; a write to it stays its own (the file has "
                       "'b'), a fork child sees it 1; of a write-only descriptor: -1 (EACCES 1)\n",
                       "/tmp is a directory: 1\n", "getcwd is it: 1\n", "lseek: 0, read 18: hello, tmpfs\nmore\n",
                       "fstat: size 18, regular 1, mode 644, links 1\n",
                       "pwrite at 100: 3; pread of the hole: 10, zeros 1; size 103; the offset is still 0\n",
                       "ftruncate to 5: 0; read 5: 'hello'\n", "dup shares the offset: 2\n",
                       "FD_CLOEXEC: 0, set: 1; F_DUPFD_CLOEXEC from 10: >= 10 1, cloexec 1; O_RDWR 1; O_APPEND set 1\n",
                       "stdout.txt holds: this went into a file\n", "its mode: 600\n",
                       ". holds: . .. stdout.txt sub\n", "sub holds: . .. b c.txt\n",
                       "access(\"nope\", F_OK): -1 (ENOENT 1)\n", "open(\"nope\", O_RDONLY): -1 (ENOENT 1)\n",
                       "mkdir(\"sub\", 0700): -1 (EEXIST 1)\n",
                       "open(\"sub/b\", O_CREAT | O_EXCL | O_WRONLY, 0644): -1 (EEXIST 1)\n",
                       "rmdir(\"sub\"): -1 (ENOTEMPTY 1)\n", "unlink(\"sub\"): -1 (EISDIR 1)\n",
                       "rmdir(\"stdout.txt\"): -1 (ENOTDIR 1)\n",
                       "open(\"sub/b/x\", O_CREAT | O_WRONLY, 0644): -1 (ENOTDIR 1)\n",
                       "rename(\"sub\", \"sub/inner\"): -1 (EINVAL 1)\n", "open(\".\", O_WRONLY): -1 (EISDIR 1)\n",
                       "read(out + 100, buf, 1): -1 (EBADF 1)\n", "dup2(out, -1): -1 (EBADF 1)\n",
                       "unlink stdout.txt while open: 0; still reads 9 bytes, links 0\n",
                       "/dev/null: write 4, read 0\n", "cleanup: 0 0 0 0 0\n", "the directory is gone: 1\n"},
                      0, true, false, {}, options);
}

TEST_CASE("Linux programs: a writable /tmp (files, directories, readdir, rename, unlink while open, a private mapping), dup/dup2/fcntl, /dev/null; their errors") {
    tmpfs_program();
}

TEST_CASE("Linux programs: files left in /tmp when the program ends are named in procserv's last line, their memory not counted free") {
    const LinuxProgram program("leftover.c", "glibc-leftover");
    BootResult r = boot("--exec '" + program.elf + "' /tmp/kept", 90);
    SHOW(r);
    CHECK(r.contains("left /tmp/kept/data: 5000 bytes\n"));
    CHECK(r.contains("KiB free again (still in /tmp and /dev/shm: 2 files and directories, 8 KiB of data); "
                     "powering off, status 0\n"));
    CHECK_FALSE(memory_returned(r, "glibc-leftover")); // the two pages, the names and the nodes
    CHECK(r.status == 0);
    const std::string dir = temp_dir(); // the oracle: the same binary on this host
    std::string arch = env_or("MK_ARCH", "x86_64");
    CommandResult host = run_command((arch == "x86_64" ? "" : "qemu-" + arch + " ") + "'" + program.elf + "' '" +
                                     dir + "/kept'");
    INFO("on Linux: exit status " << host.status << "; output:\n" << host.output);
    CHECK(host.status == 0);
    CHECK(host.output.find("left " + dir + "/kept/data: 5000 bytes\n") != std::string::npos);
    std::remove((dir + "/kept/data").c_str());
    rmdir((dir + "/kept").c_str());
    rmdir(dir.c_str());
}

/// mapshared.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void mapshared_program(const std::string& options = "") {
    run_linux_program("mapshared.c", "", "",
                      {"write 5: 5, ftruncate: 0; the mapping holds 'hello': 1\n",
                       "a store shows in pread: 1 X; a pwrite shows in the mapping: 1 W\n",
                       "the child exited 0; its results are in the parent's mapping: 42 C\n",
                       "a read past the end of the file: signal 7 (SIGBUS 1)\n",
                       "read-only descriptor: PROT_WRITE -1 (EACCES 1), PROT_READ reads 'hello' 1, mprotect to write -1 "
                       "(EACCES 1), to read 0\n",
                       "ftruncate to 3 and back: 0 0; 'hel' kept 1, zeros after it 1 1\n",
                       "unlink 0, close 0: the mapping still holds MN; msync 0, MS_SYNC|MS_ASYNC -1 (EINVAL 1)\n",
                       "shm_open 1, ftruncate 0; the child added 10: 11; shm_unlink 0\n"},
                      0, true, false, {}, options);
}

TEST_CASE("Linux programs: MAP_SHARED of /tmp and /dev/shm files: one set of bytes for mappings, read, write and a fork's child; SIGBUS past the end; read-only rights; msync") {
    mapshared_program();
}

/// sigfpu.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void sigfpu_program(const std::string& options = "") {
    run_linux_program("sigfpu.c", "", "",
                      {"16 faults, each handler clobbering FP registers and the rounding mode: the same result 1, still "
                       "round to nearest 1\n"},
                      0, true, false, {}, options);
}

TEST_CASE("Linux programs: a signal handler leaves the FP/SIMD registers and rounding mode of the code it interrupts as they were (the frame carries them)") {
    sigfpu_program();
}

/// pipes.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void pipes_program(const std::string& options = "") {
    run_linux_program("pipes.c", "", "",
                      {"read 200000 bytes through a pipe, checksum 4635803727602808992; then 0 (end of file); the "
                       "child exited with 0\n",
                       "a write with no reader: killed by signal 13 (SIGPIPE 13)\n",
                       "a waiting writer whose reader goes: killed by signal 13\n",
                       "the parent read: hello from the child's stdout\n",
                       "an empty non-blocking pipe: -1 (EAGAIN 1); a 70000-byte write: 65536, FIONREAD 65536, then -1 "
                       "(EAGAIN 1); close-on-exec 1\n",
                       "the waiting thread read 7 bytes\n"},
                      0, true, false, {}, options);
}

TEST_CASE("Linux programs: pipes between processes and threads: 200,000 bytes, end of file, SIGPIPE, stdout through a pipe, O_NONBLOCK") {
    pipes_program();
}

/// exec.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void exec_program(const std::string& options = "") {
    run_linux_program("exec.c", "", "",
                      {"after fork: argc 6, 2 environment strings (MK_TEST=yes), AT_PAGESZ 4096, AT_EXECFN is the path 1\n",
                       "after fork: kept descriptor open 1, close-on-exec one closed 1\n",
                       "fork + execve: exit status 42\n",
                       "after vfork: argc 6, 2 environment strings (MK_TEST=yes), AT_PAGESZ 4096, AT_EXECFN is the path 1\n",
                       "vfork + execve: exit status 7\n",
                       "posix_spawn: argc 6, 1 environment strings (MK_TEST=spawned), AT_PAGESZ 4096, AT_EXECFN is the path 1\n",
                       "posix_spawn: 0, exit status 9\n", "from two threads: argc 6, 2 environment strings",
                       "execve with another thread: exit status 3\n", "execve of a missing file: -1 (ENOENT 1)\n",
                       "execve of a directory: -1 (EACCES 1)\n", "execve of a file without x: -1 (EACCES 1)\n",
                       "execve of a file that is no program: -1 (ENOEXEC 1)\n",
                       "execve with a bad argv: -1 (EFAULT 1)\n"},
                      0, false, false, {}, options);
}

TEST_CASE("Linux programs: execve after fork, vfork and posix_spawn, from two threads; argv, envp, auxv, close-on-exec; its errors") {
    exec_program();
}

/// time.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void time_program(const std::string& options = "") {
    run_linux_program("time.c", "", "",
                      {"monotonic moves forward: 1; clock_getres: 0, at most 10 ms 1\n",
                       "gettimeofday: 0; time() agrees: 1\n", "the real time is after 2020: 1\n",
                       "nanosleep(50 ms): 0, slept at least 50 ms 1, less than 2 s 1\n",
                       "clock_nanosleep to an absolute time 40 ms away: 0, at least 40 ms 1\n",
                       "usleep(20000): at least 20 ms 1\n",
                       "pthread_cond_timedwait with nobody signalling: ETIMEDOUT 1, after at least 60 ms 1\n",
                       "pthread_cond_timedwait signalled after 30 ms: 0, flag 1\n", "sem_timedwait: -1 (ETIMEDOUT 1)\n",
                       "alarm(0) after alarm(5): 5 seconds were left\n",
                       "setitimer every 20 ms: SIGALRM 3 times, after at least 70 ms 1; then off 1\n",
                       "nanosleep(2 s) with SIGALRM after 100 ms: -1 (EINTR 1), rem between 1 and 2 s 1\n",
                       "nanosleep with tv_nsec 10^9: -1 (EINVAL 1)\n", "nanosleep of a negative time: -1 (EINVAL 1)\n",
                       "clock_gettime of no such clock: -1 (EINVAL 1)\n",
                       "CPU time: a thread spinning 300 ms used at least 150 ms 1; the sleeping main thread less than "
                       "100 ms 1; the process at least 150 ms by clock() 1, getrusage 1, times 1; resolution at most 10 "
                       "ms 1\n",
                       "a reaped child's 200 ms: wait4's rusage at least 100 ms 1, RUSAGE_CHILDREN 1, tms_cutime 1; "
                       "getrusage(7): -1 (EINVAL 1)\n"},
                      0, true, false, {}, options);
}

TEST_CASE("Linux programs: clocks (real time from the RTC, CPU time), sleeps on the timer (nanosleep, clock_nanosleep, usleep; EINTR with rem), futex timeouts (cond and sem timed waits), alarm and setitimer, getrusage and times") {
    time_program();
}

/// calls.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void calls_program(const std::string& options = "") {
    run_linux_program("calls.c", "", "",
                      {"getrandom: 64 and 64 bytes, not all zero 1, the two differ 1\n",
                       "getrandom errors: unknown flag -1 (EINVAL 1), RANDOM|INSECURE -1 (EINVAL 1), bad buffer -1 "
                       "(EFAULT 1); 0 bytes: 0; 100000 bytes: 100000\n",
                       "statx: 0 (wrote 5), the basic stats 1, regular 1, mode 640, size 5, links 1, inode, device and "
                       "mtime as fstat's 1\n",
                       "statx of the descriptor (AT_EMPTY_PATH): 0, size 5\n", "statx of /tmp: 0, a directory 1\n",
                       "statx errors: missing -1 (ENOENT 1), unknown flag -1 (EINVAL 1), reserved mask -1 (EINVAL 1), "
                       "bad buffer -1 (EFAULT 1)\n",
                       "sigaltstack at the start: 0, disabled 1\n",
                       "sigaltstack errors: too small -1 (ENOMEM 1), unknown flag -1 (EINVAL 1)\n",
                       "set: 0; an SA_ONSTACK handler runs on it 1, sees SS_ONSTACK 1, cannot change it there (EPERM) "
                       "1, finds it in uc_stack 1; a handler without SA_ONSTACK runs on it 0\n",
                       "after the handlers: flags 0, the same stack 1\n", "SS_DISABLE: 0, flags 2\n",
                       "a thread's stack overflow: it started without an alternate stack 1, SIGSEGV handled on its "
                       "own 1\n",
                       "mremap shrinks in place 1, keeps the bytes 1, frees the rest 1\n",
                       "mremap grows in place 1, keeps the bytes 1, zeros above 1\n",
                       "blocked: -1 (ENOMEM 1); with MREMAP_MAYMOVE it moves 1, keeps the bytes 1, zeros above 1, the "
                       "old place free 1, the blocker kept 1\n",
                       "MREMAP_FIXED: there 1, the bytes 1, what was around it kept 1\n",
                       "MREMAP_DONTUNMAP: moved 1, the bytes 1, the old range still mapped and empty 1\n",
                       "a fork child moves copy-on-write pages: exit 0; the parent's are as they were 1\n",
                       "realloc of 1 MiB to 8 MiB keeps the bytes 1\n",
                       "select: 2; the empty pipe 0, the one with a byte 1, a write end 1\n",
                       "a timeout of 20 ms: 0, the set emptied 1\n",
                       "pselect waiting for a child's write: 1, ready 1\n",
                       "select errors: a closed descriptor -1 (EBADF 1), nfds -1 -1 (EINVAL 1), a bad timeout -1 "
                       "(EINVAL 1)\n",
                       "system call 5 (x86_64 fstat, else setxattr) as on Linux (wrote 5): alone 1 = 1, another thread "
                       "ready 1 = 1\n"},
                      0, true, false,
                      // (qemu-user 7.2 refuses SS_AUTODISARM and gives another errno for a new size
                      // of 0: the x86_64 run is their oracle)
                      {"SS_AUTODISARM: 0; disarmed in the handler 1; after it: flags 0x80000000\n",
                       "mremap errors: unaligned -1 (EINVAL 1), unknown flag -1 (EINVAL 1), MREMAP_FIXED alone -1 "
                       "(EINVAL 1), new size 0 -1 (EINVAL 1), overlapping -1 (EINVAL 1), nothing mapped -1 (EFAULT 1), "
                       "across two mappings -1 (EFAULT 1)\n"}, options);
}

TEST_CASE("Linux programs: getrandom, statx, sigaltstack (SA_ONSTACK, SS_AUTODISARM, a thread's stack overflow), mremap, select") {
    calls_program();
}

/// signals.c: see the test case below. `options`: scripts/run's (also run with --smp 4).
static void signals_program(const std::string& options = "") {
    run_linux_program("signals.c", "", "",
                      {"kill(self, SIGUSR1): handler ran 1 times, signo 10, SI_USER 1, from me 1\n",
                       "raise(SIGUSR2): handler ran 2 times, signo 12, SI_TKILL 1\n",
                       "blocked: handler ran 0 more, pending 1; unblocked: it ran 1\n",
                       "ignored: still alive, count 3\n",
                       "SIGSEGV handler: fault address 0x10, and back by siglongjmp\n",
                       "a second fault (the mask restored by siglongjmp): address 0x18\n",
                       "a read interrupted by a handled signal: EINTR, exit 3\n",
                       "SA_RESTART: the read restarted and got its byte: exit 4\n", "SIGTERM's default: killed by 15\n",
                       "abort(): killed by 6 (SIGABRT 6)\n", "SIGKILL with everything blocked: killed by 9\n",
                       "SIGCHLD handler ran: 1\n", "child: the first SIGUSR2 ran its handler\n",
                       "SA_RESETHAND: then killed by 12\n",
                       "sigsuspend: -1 (EINTR 1), the handler ran 1, SIGUSR1 blocked again 1\n",
                       "kill with signal 99: -1 (EINVAL 1)\n", "kill of no such process: -1 (ESRCH 1)\n",
                       "sigaction(SIGKILL): -1 (EINVAL 1)\n", "kill(self, 0): 0\n",
                       "tkill(0): -1 (EINVAL 1), tgkill(0, pid): -1 (EINVAL 1)\n"},
                      0, true, false, {}, options);
}

TEST_CASE("Linux programs: signals: handlers with siginfo, masks, sigpending, a SIGSEGV handler that siglongjmps, EINTR, default actions, SIGCHLD, sigsuspend") {
    signals_program();
}

/// futex.c and robust.c: futex CMP_REQUEUE, REQUEUE and WAKE_OP; robust mutexes.
static void futex_programs(const std::string& options = "") {
    run_linux_program("futex.c", "", "",
                      {"FUTEX_CMP_REQUEUE moved 2 waiters; with a stale value: -1 (EAGAIN 1)\n",
                       "woken at the new word: 1 then 1; both threads done 1\n",
                       "FUTEX_WAKE_OP: 0 woken, the second word is now 5\n",
                       "FUTEX_WAKE_OP with OR 2: 0 woken, the word is now 7\n",
                       "FUTEX_REQUEUE to an unaligned word: -1 (EINVAL 1)\n"},
                      0, true, false, {}, options);
    run_linux_program("robust.c", "", "",
                      {"a robust mutex whose owner ended: EOWNERDEAD 1, consistent again 1, unlocked 1\n",
                       "a robust mutex whose owner process ended: EOWNERDEAD 1\n"},
                      0, false, false, {}, options); // (qemu-user has no robust lists: the x86_64 run is the oracle)
}

TEST_CASE("Linux programs: futex CMP_REQUEUE, REQUEUE and WAKE_OP; robust mutexes (set_robust_list)") {
    futex_programs();
}

/// fpu.c: FP/SIMD state is each thread's own across preemption, faults and system calls.
static void fpu_program(const std::string& options = "") {
    run_linux_program("fpu.c", "", "",
                      {"main: round to nearest 1, exception traps 0\n",
                       "a new thread: round to nearest 0, exception traps 0\n", // (it inherits FE_UPWARD)
                       "FP threads beside each other: the same results as alone 1 1, main's 1\n",
                       "rounding kept per thread: upward 1, downward 1; main's still to nearest 1\n"},
                      0, true, false, {}, options);
}

TEST_CASE("Linux programs: FP/SIMD state is each thread's own (lazy FPU) across preemption, faults and system calls; clone copies it, as Linux's does") {
    fpu_program();
}

// Issue 14: the same programs with four CPUs, over which the kernel spreads their threads
// (cross-CPU wake-ups, futexes, joins, exit_group, lazy FPU state moving between CPUs).
TEST_CASE("Linux programs with four CPUs: pthreads, fork and waitid, stress, futexes and robust mutexes, FP/SIMD state, as on one CPU") {
    threads_program("--smp 4");
    stress_program("--smp 4");
    futex_programs("--smp 4");
    fpu_program("--smp 4");
}

// Issue 14: more of the programs with four CPUs (clone's thread flags and tid words, pipes
// between processes and threads, execve from two threads, signals between processes,
// MAP_SHARED seen by a fork's child on another CPU).
TEST_CASE("Linux programs with four CPUs: clone, pipes, execve, signals and shared mappings, as on one CPU") {
    clone_program("--smp 4");
    pipes_program("--smp 4");
    exec_program("--smp 4");
    signals_program("--smp 4");
    mapshared_program("--smp 4");
}

TEST_CASE("Linux programs with four CPUs: clone3, files, /tmp, FP/SIMD state in handlers, clocks and timers, getrandom/statx/sigaltstack/mremap/select, as on one CPU") {
    clone3_program("--smp 4");
    files_program("--smp 4");
    tmpfs_program("--smp 4");
    sigfpu_program("--smp 4");
    time_program("--smp 4");
    calls_program("--smp 4");
}

/// tty.c: the console as a terminal. `options`: scripts/run's.
static void tty_program(const std::string& options = "") {
    run_linux_program("tty.c", "", "",
                      {"isatty: stdin 1, stdout 1, stderr 1\n",
                       "tcgetattr: 0; canonical 1, echo 1, output processing 1\n",
                       "tcsetattr without ECHO and ICANON: 0; read back: echo 0, canonical 0\n", "TIOCGWINSZ: 0\n",
                       "the foreground process group is mine: 1\n",
                       "a pipe: isatty 0 (ENOTTY 1); /dev/null: isatty 0 (ENOTTY 1)\n",
                       "written to /dev/tty\n/dev/tty: opened 1, isatty 1, wrote 20\n",
                       "/dev/zero: read 64, all zero 1, write 1, char device 1:5; /dev/urandom: read 64, not all "
                       "zero 1, char device 1:9\n"},
                      0, true, true, {}, options);
}

TEST_CASE("Linux programs: the console is a terminal (isatty, tcgetattr/tcsetattr, window size, foreground group, /dev/tty); pipes and /dev/null are not; /dev/zero, /dev/urandom") {
    tty_program();
}

namespace {
/// Debian's busybox-static for this arch (scripts/busybox fetches it): its path, or empty
/// where Debian 12 has no package (riscv64).
std::string fetch_busybox(const std::string& arch) {
    CommandResult fetched = run_command("scripts/busybox " + arch);
    if (fetched.status == 3) return {};
    INFO("scripts/busybox: " << fetched.output);
    REQUIRE(fetched.status == 0);
    std::string busybox = fetched.output.substr(0, fetched.output.find_last_not_of("\n") + 1);
    return busybox.substr(busybox.rfind('\n') + 1);
}
} // namespace

/// busybox.sh under Debian's busybox-static. `options`: scripts/run's.
static void busybox_script(const std::string& options = "") {
    const std::string arch = env_or("MK_ARCH", "x86_64");
    const std::string busybox = fetch_busybox(arch);
    if (busybox.empty()) {
        SUCCEED("Debian 12 has no busybox-static for " + arch);
        return;
    }
    const std::string script = env_or("MK_ROOT", ".") + "/tests/linux-abi/busybox.sh";
    const std::vector<std::string> lines = {
        "hello from busybox sh\none\ntwo\n2\na.txt\nsub\nz\ny\nx\nsubshell status 3\nfalse status 1\nsum 10\n"
        "substituted SUB\nsub is a directory\nnope is not there\ncat of a missing file: 1\n1\none\ntwo\nONE\ntwo\n"
        "1 2 3 4 5 \n2 sub/z\ncleaned up\ngone\n"};
    BootResult r = boot(options + " --file '" + script + "' --exec '" + busybox + "' sh /busybox.sh",
                        options.empty() ? 90 : 240);
    SHOW(r);
    // (procserv's lines, "not served" ones among them, may come between the script's)
    std::string out;
    for (size_t at = 0; at < r.output.size();) {
        size_t end = r.output.find('\n', at);
        std::string line = r.output.substr(at, end == std::string::npos ? std::string::npos : end + 1 - at);
        if (line.rfind("procserv:", 0) != 0) out += line;
        at = end == std::string::npos ? r.output.size() : end + 1;
    }
    for (const std::string& line : lines) CHECK(out.find(line) != std::string::npos);
    CHECK(memory_returned(r, "busybox"));
    CHECK(r.status == 4);
    if (arch == "x86_64") { // the oracle: the same binary and script on this Linux host
        CommandResult host = run_command("env -i PATH=/nonexistent '" + busybox + "' sh '" + script + "'");
        INFO("on Linux: " << host.output);
        CHECK(host.status == 4);
        for (const std::string& line : lines) CHECK(host.output.find(line) != std::string::npos);
    }
}

TEST_CASE("Linux programs: Debian's own busybox-static runs a shell script (pipes, redirections, applets by execve of /proc/self/exe), as on Linux") {
    busybox_script();
}

// Issue 14: the shell's pipelines and forks spread over four CPUs (each applet a process
// of its own, by execve of /proc/self/exe).
TEST_CASE("Linux programs with four CPUs: busybox-static runs the same shell script, as on one CPU") {
    busybox_script("--smp 4");
}

namespace {
/// Boots `elf` (args after it) typing `steps`, and checks `lines`, `status` and that all
/// memory came back; then the same on this Linux host, on a terminal of its own, typed
/// the same way (`host_command` runs the program there). `options`: scripts/run's.
void run_typed(const std::string& elf, const std::string& args, const std::string& name,
               const std::vector<TypingStep>& steps, const std::string& host_command,
               const std::vector<std::string>& lines, int status, const std::string& options = "") {
    BootResult r = boot_typing(options + " --exec '" + elf + "'" + (args.empty() ? "" : " " + args), steps,
                               options.empty() ? 90 : 240);
    SHOW(r);
    for (const std::string& line : lines) CHECK(r.contains(line));
    CHECK(memory_returned(r, name));
    CHECK(r.status == status);
    CommandResult host = run_on_terminal(host_command, steps);
    INFO("on Linux: exit status " << host.status << "; output:\n" << host.output);
    CHECK(host.status == status);
    for (const std::string& line : lines) CHECK(host.output.find(line) != std::string::npos);
}
} // namespace

/// input.c typed at: the line discipline, poll. `options`: scripts/run's.
static void input_program(const std::string& options = "") {
    const LinuxProgram program("input.c", "glibc-input");
    const std::string& elf = program.elf;
    const std::string arch = env_or("MK_ARCH", "x86_64");
    run_typed(elf, "", "glibc-input",
              {{"input: ready\n", "hello\nabx\x7f" "c\n\x03more\n\x04"},
               {"waiting for a line\n", "k\n"},
               {"raw: ready\n", "q\x1b\x7f"}},
              (arch == "x86_64" ? "" : "qemu-" + arch + " ") + elf,
              {"poll of an empty pipe: 1, read end 0, write end 0x4\n", "with a byte in it: 1, read end 0x1\n",
               "emptied, the writer gone: 1, read end 0x10\n", "a timeout of 30 ms: 0 after at least 30 ms 1\n",
               "waiting for a child's write: 1, read end 0x1\n",
               "ppoll with a zero timeout: 1; a closed descriptor: 1, 0x20 (POLLNVAL); a bad array: -1 (EFAULT 1)\n",
               "hello\na line: 5 'hello'\n", "abx\b \bc\nan edited line: 3 'abc'\n",
               "^Cinterrupted: -1 (EINTR 1), SIGINT handled 1\n", "after it: 4 'more'\n", "end of file: 0 ''\n",
               "poll of the console with nothing typed: 0; waiting for a line\n",
               "poll of the console: 1, 0x1\n", "the line: 1 'k'\n", "raw: 3 bytes: 71 1b 7f\n"},
              0, options);
}

TEST_CASE("Linux programs: typed input through the line discipline (lines, editing, ^C, end of file, raw mode); poll of the console and of pipes") {
    input_program();
}

/// busybox sh typed at on the console. `options`: scripts/run's.
static void busybox_interactive(const std::string& options = "") {
    const std::string arch = env_or("MK_ARCH", "x86_64");
    const std::string busybox = fetch_busybox(arch);
    if (busybox.empty()) {
        SUCCEED("Debian 12 has no busybox-static for " + arch);
        return;
    }
    run_typed(busybox, "sh", "busybox",
              {{"/ # ", "echo typed-$((6*7))\n"},
               {"/ # ", "cd /tmp && echo hi > f && cat f && rm f\n"},
               {"/tmp # ", "abc\x7f\x7f\x7f" "echo edited | tr a-z A-Z\n"},
               {"/tmp # ", "echo sleeping; sleep 9\n"},
               {"sleeping\n", "\x03"},
               {"/tmp # ", "echo status $?\n"},
               {"/tmp # ", "exit 5\n"}},
              // (on the host too in /, the guest's root's prompt, whoever runs the test)
              "env -u HOME -C / 'PS1=\\w # ' " + (arch == "x86_64" ? "" : "qemu-" + arch + " ") + busybox + " sh",
              {"typed-42\n", "hi\n", "EDITED\n", "status 130\n"}, 5, options);
}

TEST_CASE("Linux programs: Debian's busybox-static as an interactive shell on the console (line editing, pipes, ^C to the foreground job)") {
    busybox_interactive();
}

TEST_CASE("Linux programs with four CPUs: glibc's hello, the console as a terminal, typed input, busybox (a script and an interactive shell), as on one CPU") {
    hello_program("--smp 4");
    tty_program("--smp 4");
    input_program("--smp 4");
    busybox_script("--smp 4");
    busybox_interactive("--smp 4");
}

TEST_CASE("fuzz: Linux system calls with random arguments from several processes (scripts/fuzz ARCH --linux) give procserv's memory back") {
    // tests/linux-abi/fuzz.c: 6,000 random system calls from three glibc processes at a
    // time (and their fork children); not run on the host (it makes numbers no Linux has).
    const LinuxProgram program("fuzz.c", "linuxfuzz");
    BootResult r = boot("--exec '" + program.elf + "' seed=7 calls=6000 procs=3 epoch=1500", 120);
    SHOW(r);
    CHECK(r.status == 0);
    CHECK(r.contains("linuxfuzz: seed 7, 6000 calls, 3 processes, epoch 1500"));
    for (const char* call : {"openat", "pipe2", "mmap", "mremap", "fork", "wait4", "rt_sigaction", "futex", "(no such call)"})
        CHECK(r.contains(std::string("linuxfuzz:   ") + call + ": "));
    CHECK(r.contains("linuxfuzz: done"));
    CHECK(memory_returned(r, "linuxfuzz"));
}
