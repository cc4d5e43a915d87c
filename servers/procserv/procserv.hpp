// procserv's shared state, and what each of its files offers the others (procserv.cpp's
// head comment lists the files and explains the design).
#pragma once

#include "fdtable.hpp"
#include "names.hpp"
#include "ramfs.hpp"
#include "regions.hpp"

#include <base/cpio.hpp>
#include <base/elf.hpp>
#include <sys/kernel.hpp>
#include <sys/proc.hpp>
#include <sys/procserv_requests.hpp>
#include <sys/string.hpp>

namespace procserv {

using abi::u32;

constexpr Errno kNoMemory{sys::kENOMEM};
/// A kernel call's answer (0 or a negated errno) as a Result.
inline Result<void> kernel_answer(long long e) {
    if (e) return Errno{static_cast<int>(-e)};
    return {};
}
using OT = abi::ObjectType;
namespace root = abi::root;
namespace rt = abi::rights;

constexpr u64 kPage = 4096;
constexpr u64 kUserEnd = u64{1} << 38; // the smallest user half of the three arches (Sv39)
constexpr u64 kEndpointSlot = root::kFirstFree; // procserv's endpoint
constexpr u64 kScratch = root::kFirstFree + 1;  // transient capabilities
constexpr u64 kWindow = 0x20000000;             // where procserv maps client pages (two) ...
constexpr u64 kCopyWindow = kWindow + 2 * kPage; // ... and those it copies through (with_page: four)
// A process's layout: its program from 0x400000 (the ELF says), the break right after it,
// mmap's area below the stack (top down, from kMmapTop), the stack's 8 MiB below
// kStackTop. Nothing below kMmapMin (Linux's mmap_min_addr), nothing above kUserEnd.
constexpr u64 kStackTop = root::kStackTop, kStackSize = 8 << 20;
constexpr u64 kMmapMin = 0x10000, kMmapTop = kStackTop - kStackSize - (64 << 20);
constexpr u32 kAsBits = 3;      // 8 tables, 384 mappings per space at first (small: a fork is cheap) ...
constexpr u32 kBudgetBits = 4;  // ... then map budgets of up to 16 tables, 6144 mappings
// Limits, each checked where it applies (as Linux's rlimits): beyond them the call is
// EAGAIN (threads, processes) or EMFILE (descriptors), for that process only. Records
// live in procserv's heap, which grows with memory: there are no tables to fill.
/// A process's threads: its live ones plus its ended ones whose code nobody has claimed
/// (as RLIMIT_NPROC, per process): no process can take the memory another needs.
constexpr int kMaxThreadsPerProcess = 4096;
constexpr long kMaxProcesses = 8192; ///< alive or waiting to be reaped (one user: RLIMIT_NPROC)
// (4096 descriptors per table: FdTable::kMax, fdtable.hpp)
constexpr u64 kThreadBlockBits = 12, kProcBlockBits = 20;
/// A process's kernel objects (its cap space, the endpoints, semaphores and Reply objects
/// it asked for, its threads' IPC buffers) are carved from at most this many process
/// blocks of its own: ENOMEM beyond, for that process only.
constexpr u32 kObjectBlocks = 4;
constexpr int kMaxServicesPerProcess = 64; ///< names one process may register (ENOSPC beyond)
/// Memory objects (cap_create(Memory)) one process may make, in bytes (ENOMEM beyond).
constexpr u64 kMemoryQuota = u64{64} << 20;
/// Threads' IPC buffers go in the top 64 MiB of the user half, which mmap never gives out.
constexpr u64 kIpcArea = kUserEnd - (u64{64} << 20);
constexpr u64 kMapEnd = kIpcArea; ///< the end of what mmap, brk and programs may use

inline const root::Info& info() { return *reinterpret_cast<const root::Info*>(root::kInfo); }

struct Store;
/// What procserv keeps per slot of a frame or a block (memory.cpp, slot_info()).
struct SlotInfo {
    u32 frame_next; // a frame: the next of its store's free (or fresh) list; 0 ends it
    u32 block_next; // a block: the next of its pool's free list or of its owner's list
    Store* store;   // a frame: the store it belongs to
    unsigned short refs; // a frame: how many pages map it
};
SlotInfo& slot_info(u64 slot);

// Blocks of untyped memory, all of one size: each is lent to one thread or one store at
// a time and revoked whole when its owner ends. They are carved from the kernel's
// untypeds when first needed (so start-up takes the same time whatever the RAM, and all
// of it can be used), and kept on a free list once given back.
struct Pool {
    u64 bits;
    u64 free_head;  // the free blocks: a list through SlotInfo::block_next
    u64 free_count;
    u64 cursor;     // the untyped it carves from now
};
extern Pool g_thread_blocks, g_proc_blocks;
/// A block of the pool's size, or abi::kNoSlot when memory is exhausted. `info`: its
/// SlotInfo is made ready (for blocks that will be given back or listed).
u64 pool_take(Pool& p, bool info = true);
void pool_give(Pool& p, u64 block);

/// Process blocks lent to one owner (an address space, a shared object): everything
/// carved from them goes when they are revoked. As many as the owner needs: a list
/// through SlotInfo::block_next (a block lent out is on no pool's free list), newest first;
/// slot 0 (procserv's own untyped, never a block) ends it.
struct Blocks {
    u64 head; // 0: none
};

/// Where an address space's frames come from: its own blocks. A frame may be mapped by
/// several address spaces after a fork (copy-on-write), so it counts its pages, and the
/// store goes back to the pools only when no address space allocates from it and none
/// of its frames is mapped any more. Frames whose last page went are kept for reuse.
struct Store {
    u64 users;     // the address space allocating from it, plus every frame of it in use
    Blocks blocks; // pay for that address space's own object and the frames
    u64 fresh_head; // frames carved in a batch and never used (zeros): a list through
                    // SlotInfo::frame_next, as free_head's
    u64 carved;     // frames carved for it so far
    u64 free_head; // frames not in use: a list through SlotInfo::frame_next; slot 0 (procserv's
                   // own untyped, never a frame) ends it
};

/// A thread's IPC buffer: a frame of its process's object memory, mapped at `va` (in the
/// IPC area, above everything mmap can reach); kept by the process for its next thread
/// once the thread ends.
struct IpcBuffer {
    u64 frame, va;
    IpcBuffer* next; // in its process's list of spare buffers
};

/// A process's capabilities (caps.cpp): its shared cap space, made at its first request
/// for one, and the memory its objects and its threads' IPC buffers are carved from.
struct Caps {
    u64 cs;           // procserv's slot of the process cap space; 0 until it has one
    u32 bits;         // it has 2^bits slots
    u64 next;         // where the search for a free slot starts
    Blocks blocks;    // process blocks its objects are carved from (its quota: kObjectBlocks)
    u32 block_count;
    int services;     // names it registered (at most kMaxServicesPerProcess)
    u64 memory;       // bytes of the memory objects it made (at most kMemoryQuota)
    struct Made { Shared* object; Made* next; }* made; // those objects, which it holds
    IpcBuffer* spare; // IPC buffers of its ended threads
};

struct Mm { // an address space and the memory in it
    int refs;
    u64 as;                 // slot
    Store* store;           // pays for it and its frames
    RegionSet regions;      // what may be touched, and how
    PageMap pages;          // what has been touched: its frames (storage in the heap)
    u32 budgets;            // map budgets the address space grew by
    u64 brk_start, brk;     // the program break: brk() moves it within [brk_start, ...)
    u64 ipc_buffers;        // IPC buffers placed in it so far (the next one's page in the area)
};

/// MAP_SHARED memory: its own frames, mapped into every address space that maps it (a
/// fork's child too), released when the last one unmaps it or ends. Anonymous, or the
/// pages of a RAM file that a program mapped shared (filemap.cpp: the file holds a
/// reference too).
struct Shared {
    int refs;     // address spaces with a region of it, and the process that made it as a
                  // memory capability (cap_create(Memory)) until it ends
    u64 size;     // bytes: no mapping of it reaches further
    u64 id;       // a memory capability's: its first frame's physical address (0: none)
    Shared* id_next; // in its id's hash chain (caps.cpp)
    u64 mark;     // visited by the walk with this mark (memory.cpp, new_mark)
    Shared* next; // in a walk's list
    Blocks blocks;
    PageMap pages; // keyed by offset in the object: the frames made so far (storage in the heap)
    RamNode* file; // the RAM file whose pages these are (null: anonymous, or the file ended)
    bool of_file;  // a file's pages (once the file ended, `size` is its size, page aligned)
    u64 charged;   // bytes of its pages counted in the file system's use (filemap.cpp)
};

constexpr u64 kPathMax = 128; ///< bytes of a path with its NUL (ENAMETOOLONG beyond)

struct Fs { // a thread's fs state: shared under CLONE_FS
    int refs;
    char cwd[128];
    unsigned umask;
};

// What an open file is (fs.cpp's head comment has the namespace).
enum class FileKind : unsigned char {
    Initrd,    // a file of the initrd (read-only): data, size
    Dir,       // a directory outside the RAM filesystems (the initrd's, /dev): path
    Console,   // a Linux program's stdin, stdout and stderr
    Null,      // /dev/null
    Zero,      // /dev/zero
    Random,    // /dev/random, /dev/urandom (getrandom's bytes)
    Ram,       // a file or directory of a RAM filesystem: fs, node (and path for a directory)
    PipeRead,  // the ends of a pipe (pipe.cpp)
    PipeWrite,
};
struct Pipe;
/// A device of /dev (null, zero, random, urandom; tty and console are the console).
constexpr bool is_device(FileKind k) {
    return k == FileKind::Null || k == FileKind::Zero || k == FileKind::Random || k == FileKind::Console;
}

// Open flags as Linux has them on every arch (the native API's are the same); only
// O_DIRECTORY differs between arches (arch/linux_numbers.hpp).
constexpr u32 kOAccess = 3, kOCreat = 0100, kOExcl = 0200, kOTrunc = 01000, kOAppend = 02000,
              kONonblock = 04000, kOCloexec = 02000000;

struct OpenFile {
    int refs;
    FileKind kind;
    u32 flags;      // the access mode, O_APPEND and O_NONBLOCK
    u64 offset;     // (a directory: entries listed so far)
    const unsigned char* data; // Initrd
    u64 size;                  // Initrd
    RamFs* fs;                 // Ram
    RamNode* node;             // Ram
    Pipe* pipe;                // PipeRead, PipeWrite
    char* path;                // Dir, and Ram directories: the absolute name (getdents, fchdir)
    bool readable() const { return (flags & kOAccess) != 1; }
    bool writable() const { return (flags & kOAccess) != 0; }
    bool is_dir() const { return kind == FileKind::Dir || (kind == FileKind::Ram && node->dir); }
};

struct Files { // a descriptor table: shared under CLONE_FILES
    int refs;
    FdTable fds; // its entries in the heap
};

struct Process;

// What a thread whose reply procserv keeps waits for; joins wait on the join semaphore
// instead.
enum class Wait : unsigned char { None, Waitpid, Futex, Pipe, Vfork, Sleep, Pause, Console, Poll };

/// The signal actions of a Linux program's threads (rt_sigaction): shared under
/// CLONE_SIGHAND, copied by fork, reset by execve (signal.cpp).
struct SigActions {
    int refs;
    struct Action {
        u64 handler; // 0: SIG_DFL, 1: SIG_IGN, else the handler's address
        u64 flags;   // SA_* (Linux's values)
        u64 restorer;
        u64 mask;    // blocked while the handler runs
    } act[65];       // by signal number, 1..64
};

struct Ended;

struct ThreadRec {
    int tid;
    Process* proc;
    u64 block, thread, cs, join, reply; // slots: reply is the Reply object that keeps its waiting call
    Fs* fs;
    Files* files;
    u64 clear_tid;
    bool joinable;  // made by thread_create: thread_join may wait for it (as for a pthread)
    u64 affinity;   // the CPUs it may run on (sched_setaffinity; inherited by clone), 0: all
    ThreadRec* tid_next; // in its tid's hash chain (thread.cpp)
    ThreadRec *proc_prev, *proc_next; // in its process's list of threads
    ThreadRec *futex_prev, *futex_next; // Wait::Futex: in its futex's wait queue (wait.cpp)
    Ended* ended;   // a joinable thread's record-to-be, made with it: its end cannot fail
    int joiner;     // tid of the thread_join call that claimed the exit code, 0 if none
    u64 last_fault; // the page of its last page fault answered with Resume
    u64 join_retval; // while it waits in thread_join: where the code goes (0: nowhere)
    IpcBuffer* ipc;  // its IPC buffer, once it asked for one
    Wait wait;
    const void* futex_space; // Wait::Futex: the word is at futex_addr of this (an Mm, or a
    u64 futex_addr;          // Shared object: a futex in shared memory is the same for all)
    long wait_pid;   // Wait::Waitpid: the pid asked for (-1: any child)
    u64 wait_status; // Wait::Waitpid: where the status goes (0: nowhere)
    bool wait_info;  // ... as waitid's siginfo instead of an int
    bool wait_keep;  // ... and WNOWAIT: the child stays waitable
    u64 wait_rusage; // ... and wait4's / waitid's struct rusage: the child's user time (0: none)
    // Wait::Pipe: a read or write of `io_file` (one reference held) at io_buf, io_len bytes
    // of which io_done are done; in its pipe's queue. Wait::Console: a read of io_len bytes
    // to io_buf, in the console's queue (console.cpp).
    OpenFile* io_file;
    u64 io_buf, io_len, io_done;
    ThreadRec* io_next;
    u64 sleep_rem;    // Wait::Sleep: nanosleep's rem, written if a signal ends it early (0: none)
    int vfork_parent; // a vfork child: the tid waiting (Wait::Vfork) until it execs or ends
    // A wait with a deadline (Wait::Sleep, or a futex wait with a timeout): in the
    // sleepers' list (time.cpp), earliest first.
    u64 deadline;     // the clock's nanoseconds (now_ns); 0: none
    ThreadRec *sleep_prev, *sleep_next;
    // Signals (a Linux program's thread; signal.cpp).
    bool linux_abi;   // in the kernel's Linux-ABI mode: its calls come through linux.cpp
    SigActions* sig;  // its actions (null: a libsys thread, all default)
    u64 sigmask;      // blocked (bit n-1 for signal n)
    u64 sigpending;   // sent to this thread, not yet delivered
    u64 robust_list;   // set_robust_list's head: its mutexes are released at the thread's end
    bool sigsuspended; // in rt_sigsuspend / ppoll with a mask: sigmask is the call's, ...
    u64 saved_mask;    // ... and this the one to restore when it ends
    struct SelectWait* select;      // Wait::Poll of a select: what it waits for (poll.cpp)
    u64 altstack_sp, altstack_size; // sigaltstack's stack (size 0: none) ...
    u32 altstack_flags;             // ... and the flags it was given (SS_AUTODISARM)
};

struct Process {
    int pid;
    int pgid, sid;                     // its process group and session (inherited; setpgid, setsid)
    char exe[kPathMax];                // the program's absolute name (/proc/self/exe)
    u64 sigpending;                    // signals sent to the process, not yet taken by a thread
    u64 alarm_at, alarm_interval;      // ITIMER_REAL (alarm, setitimer): the clock's ns; 0: off
    Process *alarm_prev, *alarm_next;  // in the list of processes with one (time.cpp)
    Process* pid_next;                 // in its pid's hash chain (process.cpp)
    Process* parent;                   // null once it is an orphan (its ppid is then 0)
    u64 cpu_ns;                        // CPU time of its threads that have ended
    u64 cpu_children_ns;               // ... and of its reaped children (with theirs)
    Process* children;                 // its children (alive or waiting to be reaped)
    Process *sibling_prev, *sibling_next;
    ThreadRec* threads;                // its threads, alive and not yet ended
    Ended* ended_list;                 // its threads' Ended records
    Mm* mm;
    Caps caps;
    int alive;      // threads not yet exited
    bool group_exit;
    int status;     // wait status once ended
    bool ended;     // zombie until reaped
    int unclaimed;     // of those, the ones whose code no join has claimed yet
};

extern int g_next_tid;
extern long g_live_threads, g_live_procs, g_procs_total; // for Stats and the limits
extern int g_first_pid; // the first program: its end powers off
extern kernel::cpio::Archive* g_initrd;

// ---- procserv's heap (memory.cpp) -------------------------------------------------------
/// `bytes` of zeros from procserv's heap, or null when memory is exhausted.
void* heap_alloc(u64 bytes);
/// The same, not cleared (for a record whose big parts need no clearing: mm_create).
void* heap_alloc_raw(u64 bytes);
void heap_free(void* p);
/// A new T (all zeros, as every record type here is trivial), or null.
template <class T>
T* heap_new() {
    return static_cast<T*>(heap_alloc(sizeof(T)));
}

extern int g_first_status; // the first program's wait status once it has ended, else -1

/// What a request gets back: a reply (label kDone and words, or kBlock), or none yet.
struct Answer {
    bool reply = true;
    u64 label = static_cast<u64>(procserv::Reply::kDone);
    u64 w[4] = {};
};
inline Answer done(long v, u64 a = 0, u64 b = 0) {
    Answer x;
    x.w[0] = static_cast<u64>(v), x.w[1] = a, x.w[2] = b;
    return x;
}
/// A handler's result as the reply carries it: the value, or the negated errno.
template <class T>
Answer done(const Result<T>& r) {
    return done(wire(r));
}
inline Answer done(Errno e) { return done(wire(e)); }
inline Answer block_on(u64 slot) {
    Answer x;
    x.label = static_cast<u64>(procserv::Reply::kBlock);
    x.w[0] = slot;
    return x;
}
inline Answer no_reply() {
    Answer x;
    x.reply = false;
    return x;
}
/// The thread resumes with the registers procserv wrote (execve, a signal handler's entry or return).
inline Answer resume_as_is() {
    Answer x;
    x.label = static_cast<u64>(abi::FaultReply::ResumeAsIs);
    return x;
}

// thread.cpp
ThreadRec* find_thread(long tid);
/// The CPUs thread `tid` (0: `t`) may run on, ESRCH; `set`: first mask's existing CPUs (EINVAL: none).
Result<u64> thread_affinity(ThreadRec& t, u64 tid, u64 mask, bool set = false);
void inherit_affinity(ThreadRec& child, const ThreadRec& creator); ///< thread_create's, clone's, fork's
ThreadRec* thread_of_badge(u64 badge);
/// A thread of `proc`, not started yet. EAGAIN: the process holds its share; ENOMEM.
Result<ThreadRec*> new_thread(Process& proc, bool joinable = false);
Result<void> start(ThreadRec& t, u64 ip, u64 sp, u64 arg0, u64 arg1 = 0);
void end_thread(ThreadRec& t, int code);
void drop_ended_records(Process& p);
Answer join(ThreadRec& t, long tid, u64 retval);
Answer thread_create(ThreadRec& t, const procserv::req::ThreadCreate& a);
/// All of a thread's registers (abi::kRegCount), read or written.
Result<void> get_registers(ThreadRec& t, u64* regs);
Result<void> set_registers(ThreadRec& t, const u64* regs);
/// CPU time used (Thread.ReadCpuTime, in timer ticks): a thread's; a process's (ended threads' too).
u64 thread_cpu_ns(const ThreadRec& t);
u64 process_cpu_ns(const Process& p);
/// A thread's FP/SIMD image (abi::kFpuWords, docs/abi.md), read or written.
Result<void> get_fpu(ThreadRec& t, u64* fpu);
Result<void> set_fpu(ThreadRec& t, const u64* fpu);

// process.cpp
constexpr u64 kPidBuckets = 1024;
extern Process* g_proc_by_pid[kPidBuckets]; // every process record, by pid (hash chains)
/// f(process) for every process record (alive or a zombie); f may not free records.
template <class F>
void for_each_process(F&& f) {
    for (Process* bucket : g_proc_by_pid)
        for (Process* p = bucket; p; p = p->pid_next) f(*p);
}
Process* find_process(long pid);
/// Is process `pid` there and not ending? (After a signal that may have ended it, and
/// freed its records, look it up by pid.)
inline bool process_alive(long pid) {
    const Process* p = find_process(pid);
    return p && !p->group_exit;
}
Result<long> spawn_program(const char* path, const char* const* argv, int argc, ThreadRec* parent);
Result<long> do_spawn(ThreadRec& t, u64 path_va, u64 argv_va);
Result<long> do_clone(ThreadRec& t, const procserv::req::Clone& a);
/// clone with Linux's flags (do_clone's rules); the child continues on a copy of the
/// caller's registers (on `stack` if not 0) returning 0, or, with `start_block`, at the
/// StartBlock at `stack`. `linux_result`: for a Linux program, the index of its result
/// register (the child is put in Linux-ABI mode); abi::kNoSlot for a libsys one.
Result<long> clone_thread(ThreadRec& t, unsigned long flags, u64 stack, u64 ptid, u64 ctid, u64 tls,
                          bool start_block, u64 linux_result);
void end_process(Process& p);
void kill_group(Process& p, int status, ThreadRec* except);
/// waitpid / wait4: pid > 0 that child, -1 any, 0 any of the caller's process group, < -1
/// any of group -pid. Options WNOHANG, WUNTRACED and WCONTINUED (nothing stops yet),
/// and for Linux programs also __WALL, __WCLONE, __WNOTHREAD (`linux`); wait4's rusage.
Answer waitpid(ThreadRec& t, long pid, u64 options, u64 status_va, bool linux = false, u64 rusage_va = 0);
/// waitid(2): P_ALL (0), P_PID (1), P_PGID (2; id 0: the caller's group); WEXITED must be
/// in options, WNOHANG and WNOWAIT work, WSTOPPED and WCONTINUED are accepted (nothing
/// stops yet); the child's siginfo goes to info_va (zeros with WNOHANG when none ended).
Answer waitid(ThreadRec& t, u64 idtype, u64 id, u64 info_va, u64 options, u64 rusage_va = 0);
/// setpgid(2), getpgid(2), setsid(2), getsid(2): ESRCH, EPERM, EINVAL as Linux.
Result<long> do_setpgid(ThreadRec& t, long pid, long pgid);
Result<long> do_getpgid(ThreadRec& t, long pid, bool session);
Result<long> do_setsid(ThreadRec& t);
/// execve(2) of a Linux program's thread: the process runs the initrd program at path
/// (argv, envp); the answer resumes the thread at its entry, or is the error.
Answer do_execve(ThreadRec& t, u64 path_va, u64 argv_va, u64 envp_va);
/// A vfork child execs or ends: its parent's clone returns.
void vfork_release(ThreadRec& child);

// wait.cpp
/// Answer the call of `t` whose reply procserv kept (Wait::*): its wait is over.
void answer(ThreadRec& t, long result);
/// Keep the reply to the call `t` just made, until answer(): the call waits for `why`.
bool keep_reply(ThreadRec& t, Wait why);
void futex_wake_at(Mm* mm, u64 addr, long n, long& woken);
/// The thread ends: every robust mutex it holds (set_robust_list) is marked
/// FUTEX_OWNER_DIED and one waiter woken, as Linux does.
void release_robust_list(ThreadRec& t);
/// A thread waiting on a futex leaves its queue (it is answered, or it ends).
void futex_unqueue(ThreadRec& t);
Answer futex_wait(ThreadRec& t, u64 addr, u64 val, u64 deadline = 0);
Result<long> futex_wake(ThreadRec& t, u64 addr, u64 n);
/// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE (`compare`: *addr must hold `expected`, else EAGAIN):
/// wake up to n waiters of addr, move up to n2 of the others to addr2.
Result<long> futex_requeue(ThreadRec& t, u64 addr, u64 n, u64 addr2, u64 n2, bool compare, u32 expected);
/// FUTEX_WAKE_OP with Linux's encoded operation and comparison.
Result<long> futex_wake_op(ThreadRec& t, u64 addr, u64 n, u64 addr2, u64 n2, u32 op);

// memory.cpp
/// What touching a page came to: backed now, there already, or the process must die
/// (SIGSEGV: no region or not that access; SIGBUS: beyond its file), or no memory.
enum class Touch { Ok, Present, Segv, Bus, NoMem };
u64 alloc_slots(u64 count, bool info = true);
inline u64 alloc_slot() { return alloc_slots(1); }
void free_slot(u64 s);
void mark_slot(u64 s, bool used);
void make_pools();
extern u64 g_slot_count, g_cpus; // (RootInfo) slots of procserv's cap space; CPUs that run threads
u64 pool_free_bytes();
Mm* mm_create();
void mm_release(Mm& mm);
Mm* copy_mm(Mm& from);
u32 rights_of(u32 prot);
/// Room in `set` for `more` regions beyond its count (its storage grows in the heap).
bool regions_room(RegionSet& set, u32 more);
/// Store an int in `mm` at `va`, all or nothing (both ends are checked first).
bool store_int(Mm& mm, u64 va, int value);
bool allows(const Region& r, u32 access);
/// Make the page at `va` present for `access` (kProt* bits; 0: any) as a fault would.
Touch mm_touch(Mm& mm, u64 va, u32 access, PageMap::Page* out = nullptr);
/// Must a write to page p copy it first (its chunk or its frame another page map's too)?
bool page_cow(PageMap::Page p);
/// Map `r`, replacing whatever was in its range (MAP_FIXED). ENOMEM: no room for regions.
Result<void> mm_add_region(Mm& mm, const Region& r);
Result<void> mm_unmap(Mm& mm, u64 start, u64 end);
/// Put `n` bytes (within one page) at `va` of a private page of mm, backing it first,
/// whatever the region's protection (a private mapping's contents). ENOMEM.
Result<void> mm_fill(Mm& mm, u64 va, const unsigned char* bytes, u64 n);
/// mremap's move of [from, from + old_len) (inside one region) to [to, to + new_len), which
/// must not overlap it: a region with the same backing there (replacing what was), the
/// present pages' frames moved with it, then the old range unmapped (keep_old: only its
/// pages dropped). EFAULT: no region at from; ENOMEM.
Result<void> mm_move(Mm& mm, u64 from, u64 old_len, u64 to, u64 new_len, bool keep_old);
Result<void> mm_protect(Mm& mm, u64 start, u64 end, u32 prot);
Result<void> mm_dontneed(Mm& mm, u64 start, u64 end);
Result<void> mm_load_segment(Mm& mm, const kernel::elf::Segment& s);
/// A new anonymous shared object of `size` bytes (one reference, the caller's), or null.
Shared* shared_create(u64 size);
/// The frame of page `offset` of `s` (made, zeroed, at its first use).
Result<u64> shared_page(Shared& s, u64 offset);
void shared_release(Shared& s);
extern const unsigned char g_zero_page[kPage];
bool copy_in(Mm& mm, u64 va, void* dst, u64 n);
bool copy_out(Mm& mm, u64 va, const void* src, u64 n);
Result<long> copy_string(Mm& mm, u64 va, char* out, u64 max);
/// Map `frame` at `va` in procserv's own address space (growing it when it is full).
Result<void> self_map(u64 frame, u64 va, u32 rights);
/// Map `frame` at `va` in mm's address space (growing it when it is full).
Result<void> mm_map(Mm& mm, u64 frame, u64 va, u32 rights);
bool blocks_grow(Blocks& blocks);
/// Carve one object of `type` into `slot` of the cap space in procserv's slot `cs`, paid by
/// `blocks`: a new block when the last one is full, at most `most` of them counted in
/// `*count` (no limit without `count`). EEXIST: the slot is taken; ENOMEM.
Result<void> blocks_carve(Blocks& blocks, OT type, u32 bits, u64 cs, u64 slot, u32* count = nullptr, u32 most = 0);
void blocks_release(Blocks& blocks);

/// Where `frame` is mapped at a copy window (it stays there until the window is wanted for
/// another, its slot is freed or a block is revoked: memory.cpp); null if it cannot be.
unsigned char* copy_window(u64 frame);
/// Unmap `frame` from the copy windows (0: every frame).
void copy_window_forget(u64 frame);
/// Run f(pointer) on the page of `va` of `mm`, mapped at procserv's copy window; false if the
/// program itself could not read it (write: write it) there. An anonymous page not yet
/// touched reads as zeros; anything else is backed first, as the program's touch would.
template <class F>
bool with_page(Mm& mm, u64 va, bool write, F&& f) {
    const Region* r = mm.regions.find(va);
    if (!r || !allows(*r, write ? kProtWrite : kProtRead)) return false;
    PageMap::Page p = mm.pages.find(va);
    if (!p && !write && r->is_private_anon()) {
        f(const_cast<unsigned char*>(g_zero_page) + (va & (kPage - 1))); // f only reads
        return true;
    }
    if (!p || (write && page_cow(p))) { // (a write to a copy-on-write page copies it first)
        Touch got = mm_touch(mm, va, write ? kProtWrite : kProtRead, &p);
        if (got != Touch::Ok && got != Touch::Present) return false;
    }
    unsigned char* window = copy_window(p.frame());
    if (!window) return false;
    f(window + (va & (kPage - 1)));
    return true;
}
/// Could procserv store an int at `va` for the program (both of its ends writable)?
inline bool int_writable(Mm& mm, u64 va) {
    auto writable = [&](u64 a) { return with_page(mm, a, true, [](unsigned char*) {}); };
    return writable(va) && writable(va + sizeof(int) - 1);
}
/// Is `va` in memory the program may write (a stack for a new thread, say)?
inline bool user_writable(Mm& mm, u64 va) {
    const Region* r = mm.regions.find(va);
    return r && allows(*r, kProtWrite);
}

// filemap.cpp: a RAM file's pages in frames, once a program maps it shared
/// The file's Shared object (its pages moved into frames at the first call). ENOMEM.
Result<Shared*> file_shared(RamFs& fs, RamNode* n);
/// Page `index` of a RAM file to read (null: a hole, zeros), until the next call. ENOMEM.
Result<const unsigned char*> file_page(const RamFs& fs, const RamNode* n, u64 index);
/// `k` bytes from mm's `va` into a RAM file at page `index`, offset `at`. EFAULT; ENOSPC; ENOMEM; EFBIG.
Result<void> file_write(Mm& mm, u64 va, RamFs& fs, RamNode* n, u64 index, u64 at, u64 k);
/// ftruncate / O_TRUNC: what is past `size` reads zeros from now on (in frames too).
Result<void> file_truncate(RamFs& fs, RamNode* n, u64 size);
bool past_file_end(const Shared& s, u64 offset); ///< page `offset` of s is past its file's end: SIGBUS
/// RamFs's Drop: a file's end lets its Shared object go (mappings may keep it).
u64 file_drop(RamNode* n);

// fs.cpp
Result<void> fs_init(u64 capacity); ///< make /tmp and /dev/shm (each up to `capacity` bytes of data). ENOMEM
const char* fs_held_note(); ///< what they hold, for procserv's end line: "" or " (still in /tmp ...)"
Result<void> resolve(const char* cwd, const char* path, char* out, u64 max);
bool is_directory(const char* abs);
/// The directory a *at call's relative path starts from: the cwd (AT_FDCWD) or an open
/// directory's name. EBADF; ENOTDIR. The calls below that take a path take such a
/// `dirfd` with it (kAtFdcwd: the cwd).
constexpr u64 kAtFdcwd = static_cast<u64>(-100);
Result<const char*> base_dir(ThreadRec& t, u64 dirfd);
Result<void> do_chdir(ThreadRec& t, u64 path_va);
Result<void> do_fchdir(ThreadRec& t, u64 fd);
/// open(2) with Linux's flags (`o_directory`: this caller's O_DIRECTORY bit) and mode.
Result<long> do_open(ThreadRec& t, u64 dirfd, u64 path_va, u64 flags, u64 mode, u64 o_directory);
/// read(2) and write(2) (a pipe's may wait); at >= 0: pread64 / pwrite64 there.
Answer do_read(ThreadRec& t, u64 fd, u64 buf, u64 count, long at = -1);
Answer do_write(ThreadRec& t, u64 fd, u64 buf, u64 count, long at = -1);
Result<void> do_close(ThreadRec& t, u64 fd);
Result<long> do_dup(ThreadRec& t, u64 fd);
/// dup3 / dup2: `fd` at `to`, closing what was there. EBADF; EINVAL (dup3 to itself).
Result<long> do_dup_to(ThreadRec& t, u64 fd, u64 to, bool cloexec, bool dup3);
Result<long> do_fcntl(ThreadRec& t, u64 fd, u64 cmd, u64 arg);
Result<long> do_lseek(ThreadRec& t, u64 fd, u64 offset, u64 whence);
Result<void> do_ftruncate(ThreadRec& t, u64 fd, u64 size);
Result<long> do_getdents(ThreadRec& t, u64 fd, u64 buf, u64 size);
Result<void> do_mkdir(ThreadRec& t, u64 dirfd, u64 path_va, u64 mode);
/// unlink (dir false) and rmdir (true).
Result<void> do_unlink(ThreadRec& t, u64 dirfd, u64 path_va, bool dir);
Result<void> do_rename(ThreadRec& t, u64 from_dirfd, u64 from_va, u64 to_dirfd, u64 to_va);
/// chmod(2) of the path at `path_va`, or fchmod(2) of `dirfd` itself when it is 0: the
/// mode bits of a RAM file; EROFS on the initrd.
Result<void> do_chmod(ThreadRec& t, u64 dirfd, u64 path_va, u64 mode);
/// utimensat(2) of the path at `path_va`, or of `dirfd` itself when it is 0 (futimens):
/// the times a RAM file reports in stat (UTIME_NOW: the real-time clock); EROFS on the
/// initrd.
Result<void> do_utimens(ThreadRec& t, u64 dirfd, u64 path_va, u64 times_va);
/// access(2): F_OK or R/W/X_OK as the file's mode bits say (everyone is root: W_OK fails
/// only on the read-only initrd, with EROFS).
Result<void> do_access(ThreadRec& t, u64 dirfd, u64 path_va, u64 mode);
/// struct stat of an open file in the caller's layout, as stat_layout says where.
struct StatLayout {
    u64 size, mode_at, nlink_at;
};
/// What fstat says of a descriptor's file (times: access, modification; seconds and ns).
struct FileStat {
    u32 mode;
    u64 size, ino, dev, rdev, nlink;
    long times[2][2];
};
Result<FileStat> file_stat(ThreadRec& t, u64 fd);
Result<void> do_fstat(ThreadRec& t, u64 fd, u64 buf, const StatLayout& layout);
OpenFile* fd_of(ThreadRec& t, u64 fd);
/// The initrd program execve names by `path` (abs: its absolute name). ENOENT; EACCES
/// (a directory, a device, a file of /tmp without an x bit); ENOEXEC (a /tmp file: only
/// the initrd's programs can run yet).
Result<kernel::cpio::Entry> program_file(ThreadRec& t, const char* path, char (&abs)[kPathMax]);
/// readlink(2): /proc/self/exe names the caller's program; nothing else is a link
/// (EINVAL; ENOENT if it is not there).
Result<long> do_readlink(ThreadRec& t, u64 dirfd, u64 path_va, u64 buf, u64 size);
/// At execve: the descriptor table becomes the thread's own, less close-on-exec ones.
void exec_files(ThreadRec& t);
/// A new open file of `kind` (one reference), or null.
OpenFile* new_file(FileKind kind, u32 flags);
/// Put `f` at the lowest free descriptor of t's table (its reference goes there).
/// EMFILE; ENOMEM (f is dropped then).
Result<long> install_file(ThreadRec& t, OpenFile* f, bool cloexec);
void drop_file(OpenFile* f);
Result<long> do_getcwd(ThreadRec& t, u64 buf, u64 size);
long do_umask(ThreadRec& t, u64 mask);
Fs* new_fs();
Files* new_files();
void drop_fs(Fs* fs);
void drop_files(Files* files);
/// A new thread's fs state and descriptor table: shared, or copies (null: table full).
Fs* fs_for_child(ThreadRec& t, bool share);
Files* files_for_child(ThreadRec& t, bool share);

// caps.cpp
Result<long> cap_create(ThreadRec& t, u64 type, u64 size);
/// The memory object a capability of t's process names, and whether it allows writing.
/// EBADF: no capability there; EINVAL: not a memory object's.
Result<Shared*> memory_of(ThreadRec& t, u64 slot, bool& writable);
/// A memory object goes (shared_release): it is no longer found by its capability.
void memory_forget(Shared& s);
Result<long> ipc_buffer(ThreadRec& t);
Result<void> service_register(ThreadRec& t, u64 name_va, u64 slot);
Result<long> service_lookup(ThreadRec& t, u64 name_va);
Result<void> service_unregister(ThreadRec& t, u64 name_va);
/// The slot of the process's shared cap space for a new thread of it, or abi::kNoSlot.
inline u64 shared_caps(const Process& p) { return p.caps.cs ? p.caps.cs : abi::kNoSlot; }
/// Make the process cap space in procserv's slot `cs` thread t's shared cap space.
void configure_shared(ThreadRec& t, u64 cs);
/// The program `console=NAME` names (empty: none).
extern char g_console_driver[32];
/// Give process p (the console driver) the console and its interrupt line's handler, in
/// its cap space's kConsoleSlot and kConsoleIrqSlot; nothing if another process holds the
/// line (the kernel issues a line's handler once at a time).
void give_console(Process& p);
/// At execve: every IPC buffer of the process (its threads' and the spare ones) is mapped
/// in `fresh`, the new address space, where it was. ENOMEM.
Result<void> caps_exec(Process& p, Mm& fresh);
/// The thread is gone: its IPC buffer waits for the next thread of its process.
void caps_thread_gone(ThreadRec& t);
/// The process has ended: its names go, and every object it made (every copy of them,
/// wherever they are) with the memory they were carved from.
void caps_release(Process& p);

// pipe.cpp
/// pipe2(2): two descriptors stored at `fds_va` (flags O_CLOEXEC, O_NONBLOCK).
Result<void> do_pipe(ThreadRec& t, u64 fds_va, u64 flags);
Answer pipe_read(ThreadRec& t, OpenFile& f, u64 buf, u64 count);
Answer pipe_write(ThreadRec& t, OpenFile& f, u64 buf, u64 count);
/// One end of the pipe has no open file left (drop_file).
void pipe_end_closed(Pipe* p, bool write_end);
/// Bytes ready to read (FIONREAD, stat).
u64 pipe_ready(const Pipe* p);
/// What poll(2) finds on a pipe's end: POLLIN / POLLHUP (read end), POLLOUT / POLLERR.
short pipe_poll(const Pipe* p, bool write_end);

// ---- poll (poll.cpp) ----
/// poll(2) / ppoll(2) of the `nfds` struct pollfd at `fds`: the ready count now, or a wait
/// (Wait::Poll, until `deadline` if not 0; `forever` false with deadline 0: no wait).
Answer poll_wait(ThreadRec& t, u64 fds, u64 nfds, u64 deadline, bool forever);
/// Something a poll may wait for changed (a pipe, console input): waiting polls look again.
void poll_wake();
/// select(2) / pselect6(2) of descriptors [0, nfds) in the sets at va (readfds, writefds,
/// exceptfds; 0: none); the same waiting as poll_wait.
Answer select_wait(ThreadRec& t, u64 nfds, const u64 (&va)[3], u64 deadline, bool forever);
void poll_unqueue(ThreadRec& t);

// ---- the console (console.cpp) ----
/// The label of the requests procserv's console interrupt thread makes (badge 0).
constexpr u64 kConsoleInput = 0xc0;
/// Take the console's interrupt (unless a driver is named: it gets it when it starts).
void console_init(bool driver_named);
/// A byte typed on the console.
void console_input(u64 byte);
/// read(2) of the console: what the line discipline has, or a wait (EOF without input).
Answer console_read(ThreadRec& t, const OpenFile& f, u64 buf, u64 count);
void console_unqueue(ThreadRec& t); ///< a waiting read goes (a signal, the thread's end)
u64 console_available();            ///< FIONREAD
bool console_readable();            ///< a read would not wait (poll)
/// The console's terminal ioctls: TCGETS, TCSETS[WF], TCFLSH, TIOC[GS]WINSZ, TIOC[GS]PGRP.
Result<long> console_ioctl(Process& p, u64 request, u64 arg);
/// Send `sig` to every process of group `pgrp` (the terminal's signals: SI_KERNEL).
void signal_group(int pgrp, int sig);
/// The blocked set while a call waits (ppoll's, pselect6's), the thread's own again when it is answered.
void call_mask(ThreadRec& t, u64 mask);
/// A thread waiting on a pipe leaves its queue (it ends); its reference to the file goes.
void pipe_unqueue(ThreadRec& t);

// time.cpp
constexpr u64 kNsPerSecond = 1'000'000'000;
/// The clock: nanoseconds since the kernel's timer started (Machine.ReadClock).
u64 now_ns();
/// CLOCK_REALTIME's nanoseconds at the clock's 0 (clock_settime moves it; 0 until then:
/// there is no RTC driver yet).
extern u64 g_realtime_base;
/// t waits (its reply kept, t.wait set) until `deadline` at the latest.
void sleep_until(ThreadRec& t, u64 deadline);
/// t no longer waits for its deadline (answered, or ended).
void sleep_cancel(ThreadRec& t);
/// Answer every wait whose deadline has passed: a sleep with 0, a futex wait with -ETIMEDOUT.
void expire_sleepers();
/// procserv's own receive gives up at the earliest deadline (ThreadMethod::SetTimeout);
/// `fired`: the kernel's timeout fired (it is disarmed now).
void arm_timer(bool fired);
/// Set (at != 0) or cancel the process's real-time timer: SIGALRM at `at`, then every `interval` (0: once).
void set_alarm(Process& p, u64 at, u64 interval);
/// A struct timespec at `va` as nanoseconds: EFAULT; EINVAL (tv_nsec out of range, or a
/// negative time).
Result<u64> timespec_ns(Mm& mm, u64 va);

// signal.cpp
/// Linux's signal numbers that procserv itself sends.
constexpr int kSigAbrt = 6, kSigUsr1 = 10, kSigChld = 17, kSigTerm = 15;
/// A new program's actions: all default. Null when memory is exhausted.
SigActions* new_sigactions();
/// A new thread's actions: the same (CLONE_SIGHAND) or a copy (fork). Null: none / no memory.
SigActions* sigactions_for_child(ThreadRec& t, bool share);
void drop_sigactions(SigActions* s);
/// execve: handlers go back to the default (ignored signals stay ignored).
void exec_sigactions(ThreadRec& t);
/// Put the sigreturn trampoline page (kSigreturnPage) in a Linux program's address space.
Result<void> map_sigreturn(Mm& mm);
/// Send `sig` to the process (kill) or to one thread (tgkill): its default action ends
/// the process now; a handler runs in the thread at its next system call, or at once if
/// the thread waits in one (which then fails with EINTR). `from`: the sender's pid.
void send_process_signal(Process& p, int sig, int code, int from);
void send_thread_signal(ThreadRec& t, int sig, int code, int from);
/// Is a signal pending for t that it does not block (or does a call's own mask end)?
inline bool signals_ready(const ThreadRec& t) {
    return ((t.sigpending | t.proc->sigpending) & ~t.sigmask) || t.sigsuspended;
}
/// The answer `x` to a call of `t` is about to go: if a signal is pending and not
/// blocked, its handler is entered on the way, or its default action taken. A Linux
/// thread's answer becomes ResumeAsIs with the result in the result register; a libsys
/// program's thread is resumed in its handler with the answer in its registers (no
/// answer goes). `restartable`: x is an interrupted call's EINTR, which SA_RESTART turns
/// into the call again.
Answer deliver_signals(ThreadRec& t, Answer x, bool restartable = false);
/// A fault of a thread with a handler for `sig`: enter it (true: answer ResumeAsIs),
/// else false (the caller kills the process).
bool deliver_fault(ThreadRec& t, int sig, int code, u64 address);
/// The Linux signal calls: rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigreturn,
/// rt_sigsuspend, pause, ppoll (without descriptors), kill, tgkill, tkill. `n` is the
/// number (arch::linux_nr), the arguments as they came.
/// a: the call's six arguments, then the caller's stack pointer.
Answer signal_call(ThreadRec& t, long n, const u64* a);
/// kill(2), for Linux programs and the native API alike: pid > 0, 0 (the caller's group),
/// -1 (everyone but the first process and the caller), -pgid. EINVAL, ESRCH.
Answer do_kill(ThreadRec& t, int pid, int sig);
Answer do_tkill(ThreadRec& t, long tgid, long tid, long sig); ///< tkill, tgkill (tgid 0: any process): EINVAL, ESRCH
/// The native signal calls (Op::Sigaction, Sigprocmask, Sigpending, Tkill, Sigreturn).
Answer native_signal_call(ThreadRec& t, const procserv::Message& m);
/// `n` random bytes (time.cpp: not a cryptographic source).
void random_fill(void* out, u64 n);

// linux.cpp
/// A Linux program's system call (a LinuxSyscall fault message): its answer.
Answer linux_syscall(ThreadRec& t, const sys::Reply& r);
/// Descriptors 0, 1 and 2 of a new Linux program: the console. ENOMEM.
Result<void> linux_std_files(Files& files);

// mman.cpp
Result<long> do_mmap(ThreadRec& t, int fd, u64 addr, u64 length, u32 prot, u32 flags, u64 offset);
/// mmap of the memory object a capability names (MAP_SHARED; length 0: all of it).
Result<long> do_mmap_memory(ThreadRec& t, u64 slot, u64 addr, u64 length, u32 prot, u32 flags);
Result<void> do_munmap(ThreadRec& t, u64 addr, u64 length);
/// mremap(2): shrink in place, grow in place or move (MREMAP_MAYMOVE, MREMAP_FIXED,
/// MREMAP_DONTUNMAP), with Linux's errors.
Result<long> do_mremap(ThreadRec& t, u64 addr, u64 old_length, u64 new_length, u64 flags, u64 new_addr);
Result<void> do_mprotect(ThreadRec& t, u64 addr, u64 length, u64 prot);
Result<void> do_madvise(ThreadRec& t, u64 addr, u64 length, u64 advice);
/// msync(2): every mapping is the memory itself (RAM files have no disk), so only its
/// checks: EINVAL (unaligned, unknown flags, MS_SYNC with MS_ASYNC), ENOMEM (not mapped).
Result<void> do_msync(ThreadRec& t, u64 addr, u64 length, u64 flags);
long do_brk(ThreadRec& t, u64 addr);

} // namespace procserv
