// Processes: starting a program from the initrd, clone (threads and forks), the end of
// a process and of its whole group, and waitpid.
#include "procserv.hpp"

#include <arch/elf.hpp>
#include <base/elf.hpp>
#include <sys/arch_abi.hpp>

namespace procserv {

// ---- process records -------------------------------------------------------------------
// Records live in the heap: found by pid through hash chains, and each process lists its
// children (alive or waiting to be reaped) and its threads.
Process* g_proc_by_pid[kPidBuckets];
long g_live_procs, g_procs_total;

Process* find_process(long pid) {
    for (Process* p = g_proc_by_pid[static_cast<u64>(pid) % kPidBuckets]; p; p = p->pid_next)
        if (p->pid == pid) return p;
    return nullptr;
}

/// A new process record, child of `parent` (null: none); its pid is set later
/// (set_pid). EAGAIN beyond kMaxProcesses; ENOMEM.
Result<Process*> new_process(Process* parent) {
    if (g_procs_total >= kMaxProcesses) return Errno{sys::kEAGAIN};
    Process* p = heap_new<Process>();
    if (!p) return kNoMemory;
    ++g_procs_total;
    p->parent = parent;
    if (parent) {
        p->sibling_next = parent->children;
        if (parent->children) parent->children->sibling_prev = p;
        parent->children = p;
    }
    return p;
}

void set_pid(Process& p, int pid) {
    p.pid = pid;
    // A new process is in its parent's process group and session (the first: its own).
    p.pgid = p.parent ? p.parent->pgid : pid;
    p.sid = p.parent ? p.parent->sid : pid;
    Process*& head = g_proc_by_pid[static_cast<u64>(pid) % kPidBuckets];
    p.pid_next = head;
    head = &p;
}

/// The record goes (reaped, an orphan that ended, or a process that never started).
void free_process(Process& p) {
    if (p.pid)
        for (Process** link = &g_proc_by_pid[static_cast<u64>(p.pid) % kPidBuckets]; *link; link = &(*link)->pid_next)
            if (*link == &p) {
                *link = p.pid_next;
                break;
            }
    if (p.parent) {
        if (p.sibling_prev) p.sibling_prev->sibling_next = p.sibling_next;
        else p.parent->children = p.sibling_next;
        if (p.sibling_next) p.sibling_next->sibling_prev = p.sibling_prev;
    }
    --g_procs_total;
    heap_free(&p);
}

/// wait4's and waitid's rusage of a child that is reported: its user time (its own and
/// its reaped children's; every other field stays the zero the call wrote first).
void put_rusage(ThreadRec& t, const Process& child) {
    if (!t.wait_rusage) return;
    const u64 ns = child.cpu_ns + child.cpu_children_ns;
    const long utime[2] = {static_cast<long>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000 / 1000)};
    (void)copy_out(*t.proc->mm, t.wait_rusage, utime, sizeof utime); // (checked writable by the call)
}

/// A child that has ended is reaped: its CPU time joins its parent's children's.
void reap(Process& parent, Process& child) {
    parent.cpu_children_ns += child.cpu_ns + child.cpu_children_ns;
    free_process(child);
}

/// waitpid for `t` without waiting: a child's pid (reaped, its status stored at
/// `status_va` unless 0), ECHILD / EFAULT (the child stays waitable), or 0 with
/// `must_wait` set when a matching child exists but none has ended yet.
Result<long> try_waitpid(ThreadRec& t, long pid, u64 status_va, bool& must_wait) {
    Process& parent = *t.proc;
    Process* found = nullptr;
    if (pid > 0) {
        Process* c = find_process(pid);
        if (c && c->parent == &parent) found = c;
    } else { // -1: any child; 0: any of the caller's group; < -1: any of group -pid
        const long group = pid == 0 ? parent.pgid : -pid;
        auto matches = [&](const Process* c) { return pid == -1 || c->pgid == group; };
        Process* alive = nullptr; // one to wait for
        for (Process* c = parent.children; c && !found; c = c->sibling_next)
            if (matches(c)) {
                if (c->ended) found = c;
                else if (!alive) alive = c;
            }
        if (!found) found = alive;
    }
    if (!found) return Errno{sys::kECHILD};
    if (!found->ended) {
        must_wait = true;
        return 0;
    }
    int reaped = found->pid;
    if (t.wait_info) { // waitid: a siginfo (SIGCHLD; CLD_EXITED 1 / CLD_KILLED 2; pid, uid, status)
        const int st = found->status, info[7] = {kSigChld, 0, sys::wifexited(st) ? 1 : 2, 0, reaped, 0,
                                                 sys::wifexited(st) ? sys::wexitstatus(st) : sys::wtermsig(st)};
        if (status_va && !copy_out(*parent.mm, status_va, info, sizeof info)) return Errno{sys::kEFAULT};
        put_rusage(t, *found);
        if (t.wait_keep) return 0; // WNOWAIT: it stays waitable
        reap(parent, *found);
        return 0;
    }
    if (status_va && !store_int(*parent.mm, status_va, found->status)) return Errno{sys::kEFAULT};
    put_rusage(t, *found);
    reap(parent, *found);
    return reaped;
}

Answer waitid(ThreadRec& t, u64 idtype, u64 id, u64 info_va, u64 options, u64 rusage_va) {
    constexpr u64 kPAll = 0, kPPid = 1, kPPgid = 2, kWExited = 4, kWStopped = 2, kWNowait = 0x01000000;
    constexpr u64 kLinuxOnly = 0xe0000000; // __WNOTHREAD, __WALL, __WCLONE
    if (options & ~(sys::WNOHANG | kWStopped | kWExited | sys::WCONTINUED | kWNowait | kLinuxOnly) ||
        !(options & (kWExited | kWStopped | sys::WCONTINUED)) || idtype > kPPgid || (idtype == kPPid && static_cast<int>(id) <= 0))
        return done(Errno{sys::kEINVAL});
    if (!(options & kWExited)) return done(Errno{sys::kECHILD}); // (nothing stops or continues yet)
    const long pid = idtype == kPAll ? -1 : idtype == kPPid ? static_cast<int>(id) : id ? -static_cast<long>(static_cast<int>(id)) : 0;
    if (info_va && !int_writable(*t.proc->mm, info_va + 124)) return done(Errno{sys::kEFAULT});
    t.wait_info = true, t.wait_keep = options & kWNowait, t.wait_rusage = rusage_va;
    bool must_wait = false;
    Result<long> r = try_waitpid(t, pid, info_va, must_wait);
    if (!must_wait || (options & sys::WNOHANG)) {
        t.wait_info = false;
        if (must_wait && info_va) (void)copy_out(*t.proc->mm, info_va, g_zero_page, 128); // none ended: zeros
        return done(r.ok() ? Result<long>(0) : r);
    }
    if (!keep_reply(t, Wait::Waitpid)) return t.wait_info = false, done(Errno{sys::kENOMEM});
    t.wait_pid = pid;
    t.wait_status = info_va;
    return no_reply(); // end_process answers
}

/// A child of `parent` ended: its waitpid callers look again.
void recheck_waiters(Process& parent) {
    for (ThreadRec *w = parent.threads, *next; w; w = next) {
        next = w->proc_next;
        if (w->wait != Wait::Waitpid) continue;
        bool must_wait = false;
        Result<long> r = try_waitpid(*w, w->wait_pid, w->wait_status, must_wait);
        if (!must_wait) w->wait_info = false, answer(*w, wire(r));
    }
}

void end_process(Process& p) {
    p.ended = true;
    set_alarm(p, 0, 0);
    --g_live_procs;
    if (p.pid == g_first_pid) g_first_status = p.status;
    drop_ended_records(p);
    caps_release(p);
    mm_release(*p.mm);
    p.mm = nullptr;
    // Children lose their parent: nobody will wait for them; those that ended go.
    while (Process* c = p.children) {
        p.children = c->sibling_next;
        c->parent = nullptr;
        c->sibling_prev = c->sibling_next = nullptr;
        if (c->ended) free_process(*c);
    }
    // The parent's waitpid callers look again (a reaped child's record goes), then the
    // parent gets SIGCHLD (ignored unless it has a handler); an orphan (the first program
    // too: it powers the machine off) is reaped at once.
    if (Process* parent = p.parent) {
        const int pid = p.pid, code = sys::wifexited(p.status) ? 1 : 2; // CLD_EXITED, CLD_KILLED
        recheck_waiters(*parent);
        send_process_signal(*parent, kSigChld, code, pid);
    } else {
        free_process(p);
    }
}

void kill_group(Process& p, int status, ThreadRec* except) {
    if (!p.group_exit) {
        p.group_exit = true;
        p.status = status;
    }
    // The last thread's end may free the record: stop before looking at it again.
    for (;;) {
        ThreadRec* t = p.threads;
        if (t == except) t = t->proc_next;
        if (!t) break;
        bool last = !except && !t->proc_next && p.threads == t;
        end_thread(*t, 0);
        if (last) break;
    }
}

// ---- programs --------------------------------------------------------------------------
namespace {

/// What a program is started from: its file, and the strings it gets (argc arguments, then
/// envc environment strings, each with its NUL, one after another in `text`: procserv's
/// heap, at most kArgMax bytes, as Linux's ARG_MAX) and the name it was started by.
struct Program {
    const kernel::cpio::Entry* file;
    const char* text;
    u64 size, argc, envc;
    const char* execfn;
};
constexpr u64 kArgMax = 128 << 10;

struct Loaded {
    Mm* mm;
    u64 entry, sp;
    bool linux_program;
};

/// A new address space holding the program and its stack as Linux makes it: argc, argv[],
/// NULL, envp[], NULL, the auxv (what glibc and musl read), then the strings and
/// AT_RANDOM's 16 bytes at the top. A libsys program reads argc and argv the same way.
/// ENOEXEC: not an ELF executable of this arch; ENOMEM.
Result<Loaded> load_program(const Program& prog) {
    auto image = kernel::elf::Image::open(prog.file->data, prog.file->size, kernel::elf::Machine(arch::kElfMachine),
                                          kMapEnd);
    if (!image) return Errno{sys::kENOEXEC};
    Mm* mm = mm_create();
    if (!mm) return kNoMemory;
    Result<void> made;
    // The segments are regions backed by the file's bytes, copied in page by page as the
    // program touches them; the break starts after the last one.
    image->for_each_segment([&](const kernel::elf::Segment& s) {
        if (made.ok()) made = mm_load_segment(*mm, s);
        u64 end = page_up(s.vaddr + s.memsz);
        if (end > mm->brk_start) mm->brk_start = mm->brk = end;
    });
    // The stack: zero pages backed on first touch (the top ones at once, below).
    if (made.ok()) {
        Region stack{};
        stack.start = kStackTop - kStackSize, stack.end = kStackTop, stack.prot = kProtRead | kProtWrite;
        made = mm_add_region(*mm, stack);
    }
    enum : u64 { kAtNull = 0, kAtPhdr = 3, kAtPhent = 4, kAtPhnum = 5, kAtPagesz = 6, kAtEntry = 9, kAtUid = 11,
                 kAtEuid = 12, kAtGid = 13, kAtEgid = 14, kAtHwcap = 16, kAtClktck = 17, kAtSecure = 23,
                 kAtRandom = 25, kAtExecfn = 31 };
    const u64 random = kStackTop - 32, execfn_len = strlen(prog.execfn) + 1;
    const u64 strings = (random - prog.size - execfn_len) & ~u64{15}, execfn = strings + prog.size;
    const u64 auxv[][2] = {{kAtPhdr, image->phdr_address()}, {kAtPhent, 56}, {kAtPhnum, image->phdr_count()},
                           {kAtPagesz, kPage}, {kAtEntry, image->entry()}, {kAtUid, 0}, {kAtEuid, 0},
                           {kAtGid, 0}, {kAtEgid, 0}, {kAtHwcap, 0}, {kAtClktck, 100}, {kAtSecure, 0},
                           {kAtRandom, random}, {kAtExecfn, execfn}, {kAtNull, 0}};
    const u64 nwords = 1 + prog.argc + 1 + prog.envc + 1 + 2 * (sizeof auxv / sizeof auxv[0]);
    const u64 sp = (strings - nwords * 8) & ~u64{15};
    u64* words = made.ok() ? static_cast<u64*>(heap_alloc_raw(nwords * 8)) : nullptr;
    if (made.ok() && !words) made = kNoMemory;
    if (made.ok()) {
        u64 w = 0, at = 0;
        words[w++] = prog.argc;
        for (u64 i = 0; i < prog.argc + prog.envc; ++i) {
            words[w++] = strings + at;
            at += strlen(prog.text + at) + 1;
            if (i + 1 == prog.argc) words[w++] = 0; // argv's end
        }
        if (prog.argc == 0) words[w++] = 0;
        words[w++] = 0; // envp's end
        for (const auto& e : auxv) words[w++] = e[0], words[w++] = e[1];
        // AT_RANDOM's bytes seed glibc's stack protector and pointer guard: different for
        // every process.
        u64 seed[2];
        random_fill(seed, sizeof seed);
        if (!copy_out(*mm, sp, words, nwords * 8) || !copy_out(*mm, strings, prog.text, prog.size) ||
            !copy_out(*mm, execfn, prog.execfn, execfn_len) || !copy_out(*mm, random, seed, sizeof seed))
            made = kNoMemory;
    }
    heap_free(words);
    const bool linux_program = !image->has_note("microkernel", 1);
    if (made.ok() && linux_program) made = map_sigreturn(*mm); // where handlers return
    if (!made.ok()) {
        mm_release(*mm);
        return made.error();
    }
    return Loaded{mm, image->entry(), sp, linux_program};
}

/// Registers for a program's first instruction: all zero but its ip and sp.
Result<void> start_program(ThreadRec& t, const Loaded& l) {
    u64 regs[abi::kRegCount] = {};
    regs[abi::kRegIp] = l.entry, regs[abi::kRegSp] = l.sp;
    TRY(set_registers(t, regs));
    TRY(kernel_answer(sys::thread_copy_fpu(t.thread, abi::kNoSlot))); // (execve: the reset state)
    t.linux_abi = l.linux_program;
    return kernel_answer(sys::thread_set_linux_abi(t.thread, l.linux_program));
}

} // namespace

/// Load `path` from the initrd into a new process (child of `parent`), with argv; its pid.
Result<long> spawn_program(const char* path, const char* const* argv, int argc, ThreadRec* parent) {
    while (*path == '/') ++path;
    auto file = g_initrd->find(path);
    if (!file) return Errno{sys::kENOENT};
    // The arguments, packed as a Program has them.
    u64 size = 0;
    for (int i = 0; i < argc; ++i) size += strlen(argv[i]) + 1;
    if (size > kArgMax) return Errno{sys::kE2BIG};
    char* text = static_cast<char*>(heap_alloc_raw(size ? size : 1));
    if (!text) return kNoMemory;
    for (u64 i = 0, at = 0; i < static_cast<u64>(argc); ++i) {
        u64 n = strlen(argv[i]) + 1;
        memcpy(text + at, argv[i], n);
        at += n;
    }
    Result<Loaded> loaded = load_program({&*file, text, size, static_cast<u64>(argc), 0, argc > 0 ? argv[0] : ""});
    heap_free(text);
    const Loaded l = TRY(loaded);
    Process* p = nullptr;
    if (Result<Process*> made = new_process(parent ? parent->proc : nullptr); made.ok()) p = made.value();
    else return mm_release(*l.mm), made.error();
    p->mm = l.mm;
    p->exe[0] = '/';
    memcpy(p->exe + 1, path, strlen(path) + 1 < kPathMax - 1 ? strlen(path) + 1 : kPathMax - 1);
    p->exe[kPathMax - 1] = 0;
    // The new process starts with the parent's fs state copied, and fresh descriptors
    // (a Linux program's 0, 1 and 2: the console).
    Fs* fs = new_fs();
    Files* files = fs ? new_files() : nullptr;
    SigActions* sig = files ? new_sigactions() : nullptr;
    Result<void> made = sig ? Result<void>{} : Result<void>(kNoMemory);
    if (made.ok() && l.linux_program) made = linux_std_files(*files);
    Result<ThreadRec*> t = made.ok() ? new_thread(*p) : Result<ThreadRec*>(made.error());
    if (!t.ok()) {
        drop_fs(fs);
        drop_files(files);
        drop_sigactions(sig);
        mm_release(*l.mm);
        free_process(*p);
        return t.error();
    }
    set_pid(*p, t.value()->tid);
    ++g_live_procs;
    ThreadRec& th = *t.value();
    th.fs = fs;
    th.files = files;
    th.sig = sig;
    if (parent && parent->fs) memcpy(th.fs->cwd, parent->fs->cwd, sizeof th.fs->cwd), th.fs->umask = parent->fs->umask;
    else th.fs->cwd[0] = '/', th.fs->umask = 022;
    if (g_console_driver[0] && strcmp(path, g_console_driver) == 0) give_console(*p);
    if (start_program(th, l).ok()) (void)sys::thread_resume(th.thread);
    return p->pid;
}

namespace {
/// The strings of a NULL-terminated array of string pointers at `va` in `mm` (none if
/// `va` is 0), appended to text[*size..]; their count. E2BIG beyond kArgMax; EFAULT.
Result<u64> gather_strings(Mm& mm, u64 va, char* text, u64& size) {
    u64 count = 0;
    for (; va; ++count, va += 8) {
        u64 ptr = 0;
        if (!copy_in(mm, va, &ptr, sizeof ptr)) return Errno{sys::kEFAULT};
        if (!ptr) break;
        Result<long> n = copy_string(mm, ptr, text + size, kArgMax - size);
        if (!n.ok()) return n.error().code == sys::kENAMETOOLONG ? Errno{sys::kE2BIG} : n.error();
        size += static_cast<u64>(n.value()) + 1;
    }
    return count;
}
} // namespace

/// vfork's parent goes on (the child called execve, or ended).
void vfork_release(ThreadRec& child) {
    if (!child.vfork_parent) return;
    if (ThreadRec* parent = find_thread(child.vfork_parent); parent && parent->wait == Wait::Vfork)
        answer(*parent, child.tid);
    child.vfork_parent = 0;
}

Answer do_execve(ThreadRec& t, u64 path_va, u64 argv_va, u64 envp_va) {
    Process& p = *t.proc;
    char abs[kPathMax], path[kPathMax];
    if (!path_va) return done(Errno{sys::kEFAULT});
    Result<long> len = copy_string(*p.mm, path_va, path, sizeof path);
    if (!len.ok()) return done(len.error());
    if (len.value() == 0) return done(Errno{sys::kENOENT});
    Result<kernel::cpio::Entry> file = program_file(t, path, abs);
    if (!file.ok()) return done(file.error());
    char* text = static_cast<char*>(heap_alloc_raw(kArgMax));
    if (!text) return done(kNoMemory);
    u64 size = 0;
    Result<u64> argc = gather_strings(*p.mm, argv_va, text, size);
    Result<u64> envc = argc.ok() ? gather_strings(*p.mm, envp_va, text, size) : argc;
    Result<Loaded> loaded = envc.ok() ? load_program({&file.value(), text, size, argc.value(), envc.value(), path})
                                      : Result<Loaded>(envc.error());
    heap_free(text);
    if (!loaded.ok()) return done(loaded.error());
    const Loaded l = loaded.value();
    // Every IPC buffer of the process stays where it was, in the new address space too.
    if (Result<void> kept = caps_exec(p, *l.mm); !kept.ok()) {
        mm_release(*l.mm);
        return done(kept.error());
    }
    // No way back from here: the other threads end (as Linux's exec kills them), the old
    // address space goes (after CLONE_CHILD_CLEARTID's word in it), and the descriptors
    // marked close-on-exec close. The caller's thread runs the new program.
    for (;;) {
        ThreadRec* o = p.threads;
        if (o == &t) o = o->proc_next;
        if (!o) break;
        end_thread(*o, 0);
    }
    if (t.robust_list) release_robust_list(t); // (the new program registers its own)
    if (t.clear_tid) {
        int zero = 0;
        long woken = 0;
        if (copy_out(*p.mm, t.clear_tid, &zero, sizeof zero)) futex_wake_at(p.mm, t.clear_tid, 1, woken);
        t.clear_tid = 0;
    }
    Mm* old = p.mm;
    p.mm = l.mm;
    memcpy(p.exe, abs, sizeof abs);
    sys::thread_configure(t.thread, abi::kNoSlot, l.mm->as, abi::kNoSlot, 0, abi::kNoSlot, abi::kNoSlot);
    mm_release(*old);
    t.last_fault = 0;
    exec_files(t);
    if (l.linux_program) exec_sigactions(t);
    vfork_release(t);
    if (!start_program(t, l).ok()) { // (registers of a thread procserv holds cannot fail to be written)
        kill_group(p, sys::SIGKILL, nullptr);
        return no_reply();
    }
    return resume_as_is();
}

// ---- clone -----------------------------------------------------------------------------
constexpr unsigned long kKnownFlags = sys::CLONE_VM | sys::CLONE_FS | sys::CLONE_FILES | sys::CLONE_SIGHAND |
    sys::CLONE_THREAD | sys::CLONE_NEWNS | sys::CLONE_SYSVSEM | sys::CLONE_SETTLS | sys::CLONE_PARENT_SETTID |
    sys::CLONE_CHILD_CLEARTID | sys::CLONE_DETACHED | sys::CLONE_CHILD_SETTID | sys::CLONE_VFORK | sys::kCloneSignalMask;

Result<long> do_clone(ThreadRec& t, const procserv::req::Clone& a) {
    return clone_thread(t, a.flags & 0xffffffffu, a.stack, a.parent_tid, a.child_tid, a.tls,
                        a.flags & procserv::kCloneStartBlock, abi::kNoSlot);
}

Result<long> clone_thread(ThreadRec& t, unsigned long flags, u64 stack, u64 ptid, u64 ctid, u64 tls, bool start_block,
                          u64 linux_result) {
    procserv::StartBlock block{};
    if (flags & ~kKnownFlags) return Errno{sys::kEINVAL};
    if (unsigned sig = flags & sys::kCloneSignalMask; sig != 0 && sig != sys::SIGCHLD) return Errno{sys::kEINVAL};
    if ((flags & sys::CLONE_THREAD) && !(flags & sys::CLONE_SIGHAND)) return Errno{sys::kEINVAL};
    if ((flags & sys::CLONE_SIGHAND) && !(flags & sys::CLONE_VM)) return Errno{sys::kEINVAL};
    if ((flags & sys::CLONE_FS) && (flags & sys::CLONE_NEWNS)) return Errno{sys::kEINVAL};
    Process& parent = *t.proc;
    Mm& pmm = *parent.mm;
    if (start_block) {
        // clone_fn: the block is in the caller's memory; the child's stack top must be
        // writable memory of the process (as for thread_create), checked here, before
        // anything is created.
        if (!copy_in(pmm, stack, &block, sizeof block)) return Errno{sys::kEFAULT};
        stack = block.stack_top & ~u64{15};
        if (stack < 64 || !user_writable(pmm, stack - 1)) return Errno{sys::kEFAULT};
    }
    if ((flags & sys::CLONE_PARENT_SETTID) && !user_writable(pmm, ptid)) return Errno{sys::kEFAULT};

    // The child's registers: the caller's as they were at the call (a raw clone returns
    // 0 in the child), or the start block's entry.
    u64 regs[abi::kRegCount];
    TRY(get_registers(t, regs));

    Process* proc = &parent;
    if (!(flags & sys::CLONE_THREAD)) {
        proc = TRY(new_process(&parent));
        if (flags & sys::CLONE_VM) {
            proc->mm = &pmm;
            ++pmm.refs;
        } else {
            proc->mm = copy_mm(pmm);
        }
        if (!proc->mm) {
            free_process(*proc);
            return kNoMemory;
        }
    }
    // Everything the child needs before it exists: an error for this caller, never a
    // thread with missing state (regression: procserv faulted on it).
    Fs* fs = fs_for_child(t, flags & sys::CLONE_FS);
    Files* files = fs ? files_for_child(t, flags & sys::CLONE_FILES) : nullptr;
    SigActions* sig = files ? sigactions_for_child(t, flags & sys::CLONE_SIGHAND) : nullptr;
    Result<ThreadRec*> made = files && (sig || !t.sig) ? new_thread(*proc) : Result<ThreadRec*>(kNoMemory);
    if (!made.ok()) {
        drop_fs(fs);
        drop_files(files);
        drop_sigactions(sig);
        if (proc != &parent) mm_release(*proc->mm), free_process(*proc);
        return made.error();
    }
    ThreadRec* c = made.value();
    if (proc != &parent) set_pid(*proc, c->tid), ++g_live_procs, memcpy(proc->exe, parent.exe, sizeof parent.exe);
    c->fs = fs;
    c->files = files;
    c->sig = sig;
    c->sigmask = t.sigmask; // (a new thread starts with its creator's blocked set)
    inherit_affinity(*c, t);
    if (!(flags & sys::CLONE_VM) || (flags & sys::CLONE_VFORK)) // (as Linux: a thread gets none)
        c->altstack_sp = t.altstack_sp, c->altstack_size = t.altstack_size, c->altstack_flags = t.altstack_flags;
    c->linux_abi = linux_result != abi::kNoSlot;
    if (flags & sys::CLONE_CHILD_CLEARTID) c->clear_tid = ctid;
    if (flags & sys::CLONE_VFORK) c->vfork_parent = t.tid; // (the caller keeps its reply: vfork_wait)
    int tid = c->tid;
    if (flags & sys::CLONE_PARENT_SETTID) copy_out(pmm, ptid, &tid, sizeof tid);
    if (flags & sys::CLONE_CHILD_SETTID) copy_out(*proc->mm, ctid, &tid, sizeof tid);
    if (flags & sys::CLONE_SETTLS) sys::thread_set_tls(c->thread, tls);
    sys::thread_copy_fpu(c->thread, t.thread); // (FP/SIMD registers and modes, as Linux's clone)
    if (start_block) {
        (void)start(*c, block.entry, stack - sys::arch_abi::kEntryStackBias, block.fn, block.arg);
    } else {
        if (linux_result != abi::kNoSlot) { // a Linux program's clone: 0 in its result register
            regs[linux_result] = 0;
            sys::thread_set_linux_abi(c->thread, true);
        } else {
            regs[abi::kRegCap] = 0; // the call succeeded...
            regs[abi::kRegInfo] = abi::MessageInfo{0, 1, 0}.encode();
            regs[abi::kRegMr0] = 0; // ...and returned 0
        }
        if (stack) regs[abi::kRegSp] = stack;
        (void)set_registers(*c, regs);
        sys::thread_resume(c->thread);
    }
    return tid;
}

Answer waitpid(ThreadRec& t, long pid, u64 options, u64 status_va, bool linux, u64 rusage_va) {
    constexpr u64 kLinuxOnly = 0xe0000000; // __WNOTHREAD, __WALL, __WCLONE: every child is waited for alike
    if (options & ~u64{sys::WNOHANG | sys::WUNTRACED | sys::WCONTINUED | (linux ? kLinuxOnly : 0)})
        return done(Errno{sys::kEINVAL});
    if (pid == -2147483648L) return done(Errno{sys::kESRCH}); // INT_MIN: no group is -INT_MIN (as Linux)
    t.wait_rusage = rusage_va;
    bool must_wait = false;
    Result<long> r = try_waitpid(t, pid, status_va, must_wait);
    if (!must_wait || (options & sys::WNOHANG)) return done(wire(r));
    if (!keep_reply(t, Wait::Waitpid)) return done(Errno{sys::kENOMEM});
    t.wait_pid = pid;
    t.wait_status = status_va;
    return no_reply(); // end_process answers
}

/// spawn: the program at `path` (resolved from the caller's cwd) as a new child process,
/// with the argv the caller gives.
// ---- process groups and sessions ----------------------------------------------------------
namespace {
/// Is there a process of group `pgid` in session `sid`?
bool group_exists(long pgid, long sid) {
    bool found = false;
    for_each_process([&](Process& p) { found = found || (p.pgid == pgid && p.sid == sid && !p.ended); });
    return found;
}
} // namespace

Result<long> do_setpgid(ThreadRec& t, long pid, long pgid) {
    Process& self = *t.proc;
    if (pgid < 0) return Errno{sys::kEINVAL};
    Process* p = pid == 0 ? &self : find_process(pid);
    if (!p || p->ended || (p != &self && p->parent != &self)) return Errno{sys::kESRCH};
    if (p->sid != self.sid || p->sid == p->pid) return Errno{sys::kEPERM}; // another session; a session leader
    if (pgid == 0) pgid = p->pid;
    if (pgid != p->pid && !group_exists(pgid, self.sid)) return Errno{sys::kEPERM};
    p->pgid = static_cast<int>(pgid);
    return 0;
}

Result<long> do_getpgid(ThreadRec& t, long pid, bool session) {
    Process* p = pid == 0 ? t.proc : find_process(pid);
    if (!p || p->ended) return Errno{sys::kESRCH};
    return session ? p->sid : p->pgid;
}

Result<long> do_setsid(ThreadRec& t) {
    Process& p = *t.proc;
    if (p.pgid == p.pid || group_exists(p.pid, p.sid)) return Errno{sys::kEPERM}; // a group leader already
    p.sid = p.pgid = p.pid;
    return p.pid;
}

Result<long> do_spawn(ThreadRec& t, u64 path_va, u64 argv_va) {
    Process& p = *t.proc;
    char path[128], args[sys::kSpawnMaxArgs][sys::kSpawnMaxArgLen + 1];
    const char* argv[sys::kSpawnMaxArgs];
    if (!path_va) return Errno{sys::kEFAULT};
    TRY(copy_string(*p.mm, path_va, path, sizeof path));
    int argc = 0;
    for (; argv_va; ++argc) {
        u64 ptr = 0;
        if (!copy_in(*p.mm, argv_va + 8 * static_cast<u64>(argc), &ptr, 8)) return Errno{sys::kEFAULT};
        if (!ptr) break;
        if (argc == sys::kSpawnMaxArgs) return Errno{sys::kE2BIG};
        Result<long> len = copy_string(*p.mm, ptr, args[argc], sizeof args[argc]);
        if (!len.ok()) return len.error().code == sys::kENAMETOOLONG ? Errno{sys::kE2BIG} : len.error();
        argv[argc] = args[argc];
    }
    if (argc == 0) argv[argc++] = path;
    char abs[128];
    TRY(resolve(t.fs->cwd, path, abs, sizeof abs));
    if (is_directory(abs)) return Errno{sys::kEACCES}; // as execve of a directory
    return spawn_program(abs, argv, argc, &t);
}

} // namespace procserv
