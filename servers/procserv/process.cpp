// Processes: starting a program from the initrd, clone (threads and forks), the end of
// a process and of its whole group, and waitpid.
#include "procserv.hpp"

#include <arch/elf.hpp>
#include <microkernel/elf.hpp>
#include <sys/arch_abi.hpp>

namespace procserv {

/// waitpid for `t` without waiting: a child's pid (reaped, its status stored at
/// `status_va` unless 0), -ECHILD / -EFAULT (the child stays waitable), or 0 with
/// `must_wait` set when a matching child exists but none has ended yet.
long try_waitpid(ThreadRec& t, long pid, u64 status_va, bool& must_wait) {
    bool any_child = false;
    for (Process& c : g_procs) {
        if (!c.used || c.ppid != t.proc->pid || c.pid == 0) continue;
        if (pid > 0 && c.pid != pid) continue;
        any_child = true;
        if (c.ended) {
            if (status_va && !store_int(*t.proc->mm, status_va, c.status)) return -sys::kEFAULT;
            c.used = false;
            return c.pid;
        }
    }
    if (!any_child) return -sys::kECHILD;
    must_wait = true;
    return 0;
}

/// A child of process `parent_pid` ended or was reaped: its waitpid callers look again.
void recheck_waiters(int parent_pid) {
    for (ThreadRec& w : g_threads)
        if (w.used && w.wait == Wait::Waitpid && w.proc->pid == parent_pid) {
            bool must_wait = false;
            long r = try_waitpid(w, w.wait_pid, w.wait_status, must_wait);
            if (!must_wait) answer(w, r);
        }
}

void end_process(Process& p) {
    p.ended = true;
    if (p.pid == g_first_pid) g_first_status = p.status;
    drop_ended_records(p);
    mm_release(*p.mm);
    p.mm = nullptr;
    // Children lose their parent: nobody will wait for them.
    for (Process& c : g_procs)
        if (c.used && c.ppid == p.pid) {
            c.ppid = 0;
            if (c.ended) c.used = false;
        }
    // The parent's waitpid callers look again.
    if (p.ppid != 0) recheck_waiters(p.ppid);
    if (p.ppid == 0 && p.pid != g_first_pid) p.used = false; // an orphan is reaped at once
}

void kill_group(Process& p, int status, ThreadRec* except) {
    if (!p.group_exit) {
        p.group_exit = true;
        p.status = status;
    }
    for (ThreadRec& t : g_threads)
        if (t.used && t.proc == &p && &t != except) end_thread(t, 0);
}

// ---- programs --------------------------------------------------------------------------
/// Load `path` from the initrd into a new process (child of `parent`), with argv.
long spawn_program(const char* path, const char* const* argv, int argc, int parent_pid,
                   ThreadRec* parent) {
    while (*path == '/') ++path;
    auto file = g_initrd->find(path);
    if (!file) return -sys::kENOENT;
    auto image = kernel::elf::Image::open(file->data, file->size, kernel::elf::Machine(arch::kElfMachine), kUserEnd);
    if (!image) return -sys::kENOEXEC;
    Process* p = alloc_in(g_procs);
    if (!p) return -sys::kEAGAIN;
    p->mm = mm_create();
    if (!p->mm) {
        p->used = false;
        return -sys::kENOMEM;
    }
    Mm& mm = *p->mm;
    long long err = 0;
    // The segments are regions backed by the file's bytes, copied in page by page as the
    // program touches them; the break starts after the last one.
    image->for_each_segment([&](const kernel::elf::Segment& s) {
        if (!err) err = mm_load_segment(mm, s);
        u64 end = page_up(s.vaddr + s.memsz);
        if (end > mm.brk_start) mm.brk_start = mm.brk = end;
    });
    // The stack: zero pages backed on first touch (argv's page at once, below).
    if (!err) {
        Region stack{};
        stack.start = kStackTop - kStackSize, stack.end = kStackTop, stack.prot = kProtRead | kProtWrite;
        err = mm_add_region(mm, stack);
    }
    // argc, argv[], NULL, envp NULL, then the strings, at the top of the stack.
    u64 strings = kStackTop - 1024, words[20] = {}, nw = 0;
    words[nw++] = static_cast<u64>(argc);
    u64 at = strings;
    for (int i = 0; i < argc && !err; ++i) {
        u64 n = strlen(argv[i]) + 1;
        if (at + n > kStackTop) break;
        copy_out(mm, at, argv[i], n);
        words[nw++] = at;
        at += n;
    }
    words[nw++] = 0, words[nw++] = 0;
    u64 sp = strings - 256;
    if (!err) copy_out(mm, sp, words, nw * 8);
    p->pid = 0;
    p->ppid = parent_pid;
    // The new process starts with the parent's fs state copied, and fresh descriptors.
    Fs* fs = err ? nullptr : alloc_ref(g_fs);
    Files* files = fs ? alloc_ref(g_files) : nullptr;
    if (!err && !files) err = -sys::kEAGAIN;
    ThreadRec* t = err ? nullptr : new_thread(*p, err);
    if (!t) {
        drop_fs(fs);
        drop_files(files);
        mm_release(mm);
        p->used = false;
        return err ? err : -sys::kENOMEM;
    }
    p->pid = t->tid;
    t->fs = fs;
    t->files = files;
    if (parent && parent->fs) memcpy(t->fs->cwd, parent->fs->cwd, sizeof t->fs->cwd), t->fs->umask = parent->fs->umask;
    else t->fs->cwd[0] = '/', t->fs->umask = 022;
    start(*t, image->entry(), sp, 0);
    return p->pid;
}

// ---- clone -----------------------------------------------------------------------------
constexpr unsigned long kKnownFlags = sys::CLONE_VM | sys::CLONE_FS | sys::CLONE_FILES | sys::CLONE_SIGHAND |
    sys::CLONE_THREAD | sys::CLONE_NEWNS | sys::CLONE_SYSVSEM | sys::CLONE_SETTLS | sys::CLONE_PARENT_SETTID |
    sys::CLONE_CHILD_CLEARTID | sys::CLONE_DETACHED | sys::CLONE_CHILD_SETTID | sys::kCloneSignalMask;

long do_clone(ThreadRec& t, u64 label, const sys::Reply& r) {
    unsigned long flags = (label >> procserv::kCloneFlagsShift) & 0xffffffffu;
    bool start_block = label & procserv::kCloneStartBlock;
    u64 stack = r.mr[0], ptid = r.mr[1], ctid = r.mr[2], tls = r.mr[3];
    procserv::StartBlock block{};
    if (flags & ~kKnownFlags) return -sys::kEINVAL;
    if (unsigned sig = flags & sys::kCloneSignalMask; sig != 0 && sig != sys::SIGCHLD) return -sys::kEINVAL;
    if ((flags & sys::CLONE_THREAD) && !(flags & sys::CLONE_SIGHAND)) return -sys::kEINVAL;
    if ((flags & sys::CLONE_SIGHAND) && !(flags & sys::CLONE_VM)) return -sys::kEINVAL;
    if ((flags & sys::CLONE_FS) && (flags & sys::CLONE_NEWNS)) return -sys::kEINVAL;
    Process& parent = *t.proc;
    Mm& pmm = *parent.mm;
    if (start_block) {
        // clone_fn: the block is in the caller's memory; the child's stack top must be
        // writable memory of the process (as for thread_create), checked here, before
        // anything is created.
        if (!copy_in(pmm, stack, &block, sizeof block)) return -sys::kEFAULT;
        stack = block.stack_top & ~u64{15};
        if (stack < 64 || !user_writable(pmm, stack - 1)) return -sys::kEFAULT;
    }
    if ((flags & sys::CLONE_PARENT_SETTID) && !user_writable(pmm, ptid)) return -sys::kEFAULT;

    // The child's registers: the caller's as they were at the call (a raw clone returns
    // 0 in the child), or the start block's entry.
    u64 regs[abi::kRegCount];
    for (u32 first = 0; first < abi::kRegCount; first += 24) {
        u32 n = abi::kRegCount - first < 24 ? abi::kRegCount - first : 24;
        sys::Reply rr = sys::invoke(t.thread, abi::ThreadMethod::ReadRegisters, {first, n});
        if (!rr.ok()) return rr.error;
        for (u32 i = 0; i < n; ++i) regs[first + i] = i < 4 ? rr.mr[i] : sys::ipc_buffer()->mr[i];
    }

    Process* proc = &parent;
    if (!(flags & sys::CLONE_THREAD)) {
        proc = alloc_in(g_procs);
        if (!proc) return -sys::kEAGAIN;
        proc->ppid = parent.pid;
        if (flags & sys::CLONE_VM) {
            proc->mm = &pmm;
            ++pmm.refs;
        } else {
            proc->mm = copy_mm(pmm);
        }
        if (!proc->mm) {
            proc->used = false;
            return -sys::kENOMEM;
        }
    }
    // Everything the child needs before it exists: a full table is EAGAIN for this
    // caller, never a thread with missing state (regression: procserv faulted on it).
    Fs* fs = fs_for_child(t, flags & sys::CLONE_FS);
    Files* files = fs ? files_for_child(t, flags & sys::CLONE_FILES) : nullptr;
    long long err = -sys::kEAGAIN;
    ThreadRec* c = files ? new_thread(*proc, err) : nullptr;
    if (!c) {
        drop_fs(fs);
        drop_files(files);
        if (proc != &parent) mm_release(*proc->mm), proc->used = false;
        return err;
    }
    if (proc != &parent) proc->pid = c->tid;
    c->fs = fs;
    c->files = files;
    if (flags & sys::CLONE_CHILD_CLEARTID) c->clear_tid = ctid;
    int tid = c->tid;
    if (flags & sys::CLONE_PARENT_SETTID) copy_out(pmm, ptid, &tid, sizeof tid);
    if (flags & sys::CLONE_CHILD_SETTID) copy_out(*proc->mm, ctid, &tid, sizeof tid);
    if (flags & sys::CLONE_SETTLS) sys::thread_set_tls(c->thread, tls);
    if (start_block) {
        start(*c, block.entry, stack - sys::arch_abi::kEntryStackBias, block.fn, block.arg);
    } else {
        regs[abi::kRegCap] = 0;                          // the call succeeded...
        regs[abi::kRegInfo] = abi::MessageInfo{0, 1, 0}.encode();
        regs[abi::kRegMr0] = 0;                          // ...and returned 0
        if (stack) regs[abi::kRegSp] = stack;
        for (u32 i = 0; i < abi::kRegCount; i += 2)
            sys::invoke(c->thread, abi::ThreadMethod::WriteRegisters, {i, 2, regs[i], regs[i + 1]});
        sys::thread_resume(c->thread);
    }
    return tid;
}

Answer waitpid(ThreadRec& t, long pid, u64 options, u64 status_va) {
    if (options & ~u64{sys::WNOHANG}) return done(-sys::kEINVAL);
    if (pid == 0 || pid < -1) return done(-sys::kEINVAL); // process groups: there are none
    bool must_wait = false;
    long r = try_waitpid(t, pid, status_va, must_wait);
    if (!must_wait || (options & sys::WNOHANG)) return done(r);
    if (!keep_reply(t, Wait::Waitpid)) return done(-sys::kENOMEM);
    t.wait_pid = pid;
    t.wait_status = status_va;
    return no_reply(); // end_process answers
}

/// spawn: the program at `path` (resolved from the caller's cwd) as a new child process,
/// with the argv the caller gives.
long do_spawn(ThreadRec& t, u64 path_va, u64 argv_va) {
    Process& p = *t.proc;
    char path[128], args[sys::kSpawnMaxArgs][sys::kSpawnMaxArgLen + 1];
    const char* argv[sys::kSpawnMaxArgs];
    long n = path_va ? copy_string(*p.mm, path_va, path, sizeof path) : -sys::kEFAULT;
    if (n < 0) return (n);
    int argc = 0;
    for (; argv_va; ++argc) {
        u64 ptr = 0;
        if (!copy_in(*p.mm, argv_va + 8 * static_cast<u64>(argc), &ptr, 8)) return (-sys::kEFAULT);
        if (!ptr) break;
        if (argc == sys::kSpawnMaxArgs) return (-sys::kE2BIG);
        long len = copy_string(*p.mm, ptr, args[argc], sizeof args[argc]);
        if (len < 0) return (len == -sys::kENAMETOOLONG ? -sys::kE2BIG : len);
        argv[argc] = args[argc];
    }
    if (argc == 0) argv[argc++] = path;
    char abs[128];
    if (long e = resolve(t.fs->cwd, path, abs, sizeof abs)) return (e);
    if (is_directory(abs)) return (-sys::kEACCES); // as execve of a directory
    return (spawn_program(abs, argv, argc, p.pid, &t));
}

} // namespace procserv
