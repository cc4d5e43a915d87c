// The filesystem procserv serves: the initrd's files, read-only, with per-thread cwd
// (Fs, shared under CLONE_FS) and descriptor tables (Files, shared under CLONE_FILES).
#include "path.hpp"
#include "procserv.hpp"

namespace procserv {

// ---- the filesystem: the initrd, read-only -----------------------------------------
/// What the initrd has at absolute `path`: a file, a directory (its entry, or a prefix
/// of other names), or nothing.
Kind lookup(const char* path, kernel::cpio::Entry* out = nullptr) {
    if (path[0] == '/' && path[1] == 0) return Kind::Dir;
    const char* rel = path + 1;
    u64 len = strlen(rel);
    Kind kind = Kind::None;
    g_initrd->for_each([&](const kernel::cpio::Entry& e) {
        u64 n = strlen(e.name);
        if (n > len && memcmp(e.name, rel, len) == 0 && e.name[len] == '/') {
            kind = Kind::Dir; // a prefix of other names (cpio also has the directory's own entry)
        } else if (kind == Kind::None && n == len && memcmp(e.name, rel, len) == 0) {
            kind = Kind::File;
            if (out) *out = e;
        }
    });
    return kind;
}

/// Walk `path` from `cwd` into the absolute name `out` over the initrd (path.hpp).
Result<void> resolve(const char* cwd, const char* path, char* out, u64 max) {
    return walk_path(cwd, path, out, max, [](const char* abs, void*) { return lookup(abs); }, nullptr);
}

bool is_directory(const char* abs) { return lookup(abs) == Kind::Dir; }

Result<void> do_chdir(ThreadRec& t, u64 path_va) {
    char path[128], abs[128];
    if (!path_va) return Errno{sys::kEFAULT};
    if (TRY(copy_string(*t.proc->mm, path_va, path, sizeof path)) == 0) return Errno{sys::kENOENT};
    TRY(resolve(t.fs->cwd, path, abs, sizeof abs));
    Kind k = lookup(abs);
    if (k == Kind::None) return Errno{sys::kENOENT};
    if (k == Kind::File) return Errno{sys::kENOTDIR};
    memcpy(t.fs->cwd, abs, sizeof abs);
    return {};
}

Result<long> do_open(ThreadRec& t, u64 path_va, u64 flags) {
    char path[128], abs[128];
    if (!path_va) return Errno{sys::kEFAULT};
    if (TRY(copy_string(*t.proc->mm, path_va, path, sizeof path)) == 0) return Errno{sys::kENOENT};
    if ((flags & 3) != sys::O_RDONLY) return Errno{sys::kEROFS}; // the filesystem is read-only
    TRY(resolve(t.fs->cwd, path, abs, sizeof abs));
    kernel::cpio::Entry e{};
    Kind k = lookup(abs, &e);
    if (k == Kind::None) return Errno{sys::kENOENT};
    if ((flags & sys::O_DIRECTORY) && k != Kind::Dir) return Errno{sys::kENOTDIR};
    long fd = TRY(t.files->fds.lowest_free(heap_alloc, heap_free));
    OpenFile* f = heap_new<OpenFile>();
    if (!f) return kNoMemory;
    f->refs = 1;
    f->dir = k == Kind::Dir;
    f->data = k == Kind::File ? static_cast<const unsigned char*>(e.data) : nullptr;
    f->size = k == Kind::File ? e.size : 0;
    t.files->fds.put(static_cast<u64>(fd), f);
    return fd;
}

OpenFile* fd_of(ThreadRec& t, u64 fd) { return t.files->fds.at(fd); }

Result<long> do_read(ThreadRec& t, u64 fd, u64 buf, u64 count) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return Errno{sys::kEBADF};
    if (f->dir) return Errno{sys::kEISDIR};
    u64 n = f->offset >= f->size ? 0 : f->size - f->offset;
    if (n > count) n = count;
    if (n && !copy_out(*t.proc->mm, buf, f->data + f->offset, n)) return Errno{sys::kEFAULT};
    f->offset += n;
    return static_cast<long>(n);
}

void drop_file(OpenFile* f) {
    if (f && --f->refs == 0) heap_free(f);
}

Result<void> do_close(ThreadRec& t, u64 fd) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return Errno{sys::kEBADF};
    t.files->fds.take(fd);
    drop_file(f);
    return {};
}

Result<long> do_dup(ThreadRec& t, u64 fd) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return Errno{sys::kEBADF};
    long nfd = TRY(t.files->fds.lowest_free(heap_alloc, heap_free));
    t.files->fds.put(static_cast<u64>(nfd), f);
    ++f->refs;
    return nfd;
}

// ---- fs state and descriptor tables of threads --------------------------------------
// Both live in the heap; a descriptor table (fdtable.hpp) starts with 16 entries and
// doubles when full, up to 4096 (beyond: EMFILE, as RLIMIT_NOFILE).

Fs* new_fs() {
    Fs* fs = heap_new<Fs>();
    if (fs) fs->refs = 1;
    return fs;
}

Files* new_files() {
    Files* files = heap_new<Files>();
    if (files && !files->fds.reserve(FdTable::kFirst, heap_alloc, heap_free).ok()) heap_free(files), files = nullptr;
    if (files) files->refs = 1;
    return files;
}

void drop_fs(Fs* fs) {
    if (fs && --fs->refs == 0) heap_free(fs);
}

void drop_files(Files* files) {
    if (!files || --files->refs > 0) return;
    for (u64 i = 0; i < files->fds.size(); ++i) drop_file(files->fds.at(i));
    files->fds.release(heap_free);
    heap_free(files);
}

/// The fs state of a new thread of `t`: shared (CLONE_FS) or a copy. Null when memory
/// is exhausted: the caller's request fails, procserv goes on.
Fs* fs_for_child(ThreadRec& t, bool share) {
    if (share) return ++t.fs->refs, t.fs;
    Fs* fs = new_fs();
    if (fs) *fs = *t.fs, fs->refs = 1;
    return fs;
}
/// The descriptor table of a new thread of `t`: shared (CLONE_FILES) or a copy.
Files* files_for_child(ThreadRec& t, bool share) {
    if (share) return ++t.files->refs, t.files;
    Files* files = new_files();
    const FdTable& from = t.files->fds;
    if (files && !files->fds.reserve(from.size(), heap_alloc, heap_free).ok()) drop_files(files), files = nullptr;
    if (files)
        for (u64 i = 0; i < from.size(); ++i)
            if (OpenFile* f = from.at(i)) files->fds.put(i, f), ++f->refs;
    return files;
}

Result<long> do_getcwd(ThreadRec& t, u64 buf, u64 size) {
    u64 n = strlen(t.fs->cwd) + 1;
    if (!buf) return Errno{sys::kEFAULT};
    if (size < n) return Errno{sys::kERANGE};
    if (!copy_out(*t.proc->mm, buf, t.fs->cwd, n)) return Errno{sys::kEFAULT};
    return static_cast<long>(n);
}

long do_umask(ThreadRec& t, u64 mask) { // (it cannot fail)
    unsigned old = t.fs->umask;
    t.fs->umask = static_cast<unsigned>(mask) & 0777;
    return old;
}

} // namespace procserv
