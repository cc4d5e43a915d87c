// procserv's shared state and the helpers its parts use: memory.cpp (cap slots, blocks,
// address spaces and client memory), fs.cpp (the initrd's read-only filesystem) and
// procserv.cpp (threads, processes, clone, the request loop). procserv.cpp's head
// comment explains the design.
#pragma once

#include <microkernel/cpio.hpp>
#include <sys/kernel.hpp>
#include <sys/proc.hpp>
#include <sys/procserv_abi.hpp>
#include <sys/string.hpp>

namespace procserv {

using abi::u32;
using OT = abi::ObjectType;
namespace root = abi::root;
namespace rt = abi::rights;

constexpr u64 kPage = 4096;
constexpr u64 kUserEnd = u64{1} << 38; // the smallest user half of the three arches (Sv39)
constexpr u64 kEndpointSlot = root::kFirstFree; // procserv's endpoint
constexpr u64 kScratch = root::kFirstFree + 1;  // transient capabilities
constexpr u64 kWindow = 0x20000000;             // where procserv maps a client page
constexpr u64 kStackTop = root::kStackTop, kStackPages = 16;
constexpr u32 kAsBits = 4;                      // 16 tables, 1024 mappings per space (kMaxMaps)
constexpr u64 kMaxThreads = 768, kMaxProcs = 96, kMaxMms = 80, kMaxMaps = 1024;
constexpr u64 kMaxFds = 32, kMaxFiles = 512, kMaxFs = 512;
constexpr u64 kThreadBlockBits = 12, kProcBlockBits = 20;
static_assert(kMaxMaps <= (u64{64} << kAsBits), "an address space holds 64 << bits mappings");

inline const root::Info& info() { return *reinterpret_cast<const root::Info*>(root::kInfo); }

// Blocks of untyped memory, all of one size: each is lent to one thread or one address
// space at a time and revoked whole when its owner ends.
struct Pool {
    u64 slots[1024]; // static storage: everything starts at zero
    u64 count;
    u64 total;
    u64 bits;
    u64 take() { return count ? slots[--count] : abi::kNoSlot; }
    void give(u64 s) { slots[count++] = s; }
};
extern Pool g_thread_blocks, g_proc_blocks;

struct Mapping {
    u64 va;
    u64 frame; // slot in procserv's cap space; abi::kNoSlot: a zero page not yet backed
    u32 rights;
};

struct Mm { // an address space and the memory in it
    bool used;
    int refs;
    u64 as;             // slot
    u64 blocks[64];     // process blocks paying for it
    u64 nblocks;
    Mapping maps[kMaxMaps];
    u64 nmaps;
};

struct Fs {
    int refs;
    char cwd[128];
    unsigned umask;
};

struct OpenFile {
    int refs;
    const unsigned char* data;
    u64 size;
    u64 offset;
    bool dir;
};

struct Files {
    int refs;
    OpenFile* fd[kMaxFds];
};

struct Process;

// What a thread whose reply procserv keeps waits for; joins wait on the join semaphore
// instead.
enum class Wait : unsigned char { None, Waitpid, Futex };

struct ThreadRec {
    bool used;
    int tid;
    Process* proc;
    u64 block, thread, cs, join, reply; // slots: reply is the Reply object that keeps its waiting call
    Fs* fs;
    Files* files;
    u64 clear_tid;
    int joiner;     // tid of the thread_join call that claimed the exit code, 0 if none
    u64 last_fault; // the page of its last page fault answered with Resume
    u64 join_retval; // while it waits in thread_join: where the code goes (0: nowhere)
    Wait wait;
    u64 futex_addr;  // Wait::Futex: the word
    long wait_pid;   // Wait::Waitpid: the pid asked for (-1: any child)
    u64 wait_status; // Wait::Waitpid: where the status goes (0: nowhere)
};

struct Process {
    bool used;
    int pid, ppid;
    Mm* mm;
    int alive;      // threads not yet exited
    bool group_exit;
    int status;     // wait status once ended
    bool ended;     // zombie until reaped
    int ended_records; // its threads' Ended records (procserv.cpp)
};

extern ThreadRec g_threads[kMaxThreads];
extern Process g_procs[kMaxProcs];
extern Mm g_mms[kMaxMms];
extern Fs g_fs[kMaxFs];
extern Files g_files[kMaxFs];
extern OpenFile g_open[kMaxFiles];
extern int g_next_tid;
extern int g_first_pid; // the first program: its end powers off
extern kernel::cpio::Archive* g_initrd;

template <class T, u64 N>
T* alloc_in(T (&table)[N]) {
    for (T& t : table)
        if (!t.used) {
            memset(&t, 0, sizeof t);
            t.used = true;
            return &t;
        }
    return nullptr;
}
template <class T, u64 N>
T* alloc_ref(T (&table)[N]) {
    for (T& t : table)
        if (t.refs == 0) {
            memset(&t, 0, sizeof t);
            t.refs = 1;
            return &t;
        }
    return nullptr;
}

ThreadRec* find_thread(long tid);

// memory.cpp
u64 alloc_slots(u64 count);
inline u64 alloc_slot() { return alloc_slots(1); }
void free_slot(u64 s);
void mark_slot(u64 s, bool used);
void make_pools();
u64 pool_free_bytes();
Mm* mm_create();
void mm_release(Mm& mm);
Mapping* find_map(Mm& mm, u64 va);
long long mm_map_new(Mm& mm, u64 va, u32 rights, u64* frame_out = nullptr);
long long mm_reserve(Mm& mm, u64 va, u32 rights);
long long mm_back(Mm& mm, Mapping& m);
Mm* copy_mm(Mm& from);
extern const unsigned char g_zero_page[kPage];
bool copy_in(Mm& mm, u64 va, void* dst, u64 n);
bool copy_out(Mm& mm, u64 va, const void* src, u64 n);
long copy_string(Mm& mm, u64 va, char* out, u64 max);
/// Run f(pointer) on the page of `va` of `mm`, mapped at procserv's window; false if it
/// is not mapped (or not writable when `write`). A zero page not yet backed reads as
/// zeros and gets its frame when written.
template <class F>
bool with_page(Mm& mm, u64 va, bool write, F&& f) {
    Mapping* m = find_map(mm, va);
    if (!m || (write && !(m->rights & rt::kWrite))) return false;
    if (m->frame == abi::kNoSlot) {
        if (!write) {
            f(const_cast<unsigned char*>(g_zero_page) + (va & (kPage - 1))); // f only reads
            return true;
        }
        if (mm_back(mm, *m) != 0) return false;
    }
    if (sys::map(root::kAddressSpace, m->frame, kWindow, rt::kRead | rt::kWrite) != 0) return false;
    f(reinterpret_cast<unsigned char*>(kWindow) + (va & (kPage - 1)));
    sys::unmap(root::kAddressSpace, kWindow);
    return true;
}

// fs.cpp
long resolve(const char* cwd, const char* path, char* out, u64 max);
bool is_directory(const char* abs);
long do_chdir(ThreadRec& t, u64 path_va);
long do_open(ThreadRec& t, u64 path_va, u64 flags);
long do_read(ThreadRec& t, u64 fd, u64 buf, u64 count);
long do_close(ThreadRec& t, u64 fd);
long do_dup(ThreadRec& t, u64 fd);

} // namespace procserv
