// The filesystem procserv serves, with per-thread cwd (Fs, shared under CLONE_FS) and
// descriptor tables (Files, shared under CLONE_FILES). The namespace:
//   /          the initrd's files and directories, read-only (EROFS), plus dev and tmp
//   /tmp       a RAM filesystem (ramfs.hpp): files and directories anyone may make
//   /dev       null (reads nothing, swallows everything) and shm
//   /dev/shm   a second RAM filesystem (shm_open's home)
// A name is served by the longest of these prefixes it starts with.
#include "path.hpp"
#include "procserv.hpp"

namespace procserv {
namespace {

RamFs g_tmp, g_shm;
constexpr const char* kSelfExe = "/proc/self/exe"; // the one name of /proc: the caller's program

/// What an absolute, normalised name is.
struct Place {
    Kind kind = Kind::None;
    FileKind as = FileKind::Dir;  // what opening it makes (Initrd, Dir, Null or Ram)
    kernel::cpio::Entry entry{};  // an initrd file
    RamFs* fs = nullptr;          // in a RAM filesystem: the node (null: not there) in
    RamNode* node = nullptr;      // its directory `parent` (null: neither is there) under
    RamNode* parent = nullptr;    // the name `last`
    const char* last = nullptr;
    u64 last_len = 0;
};

/// `abs` is `prefix` or below it: the rest ("" or "/...").
const char* below(const char* abs, const char* prefix) {
    u64 n = strlen(prefix);
    if (memcmp(abs, prefix, n) != 0 || (abs[n] != 0 && abs[n] != '/')) return nullptr;
    return abs + n;
}

/// Walk `rel` ("" or "/a/b") in a RAM filesystem.
Place ram_place(RamFs& fs, const char* rel) {
    Place p;
    p.fs = &fs;
    p.as = FileKind::Ram;
    RamNode* dir = fs.root();
    p.node = dir;
    for (const char* s = rel; *s;) {
        ++s; // the '/'
        u64 len = 0;
        while (s[len] && s[len] != '/') ++len;
        if (!dir || !dir->dir) { // a name below a file, or below nothing
            p.parent = nullptr, p.node = nullptr;
            break;
        }
        p.parent = dir, p.last = s, p.last_len = len;
        p.node = dir = fs.find(dir, s, len);
        s += len;
    }
    p.kind = !p.node ? Kind::None : p.node->dir ? Kind::Dir : Kind::File;
    return p;
}

/// /dev's devices, as its directory lists them.
struct Device {
    const char* name;
    FileKind kind;
};
constexpr Device kDevices[] = {{"console", FileKind::Console}, {"null", FileKind::Null}, {"random", FileKind::Random},
                               {"tty", FileKind::Console},     {"urandom", FileKind::Random}, {"zero", FileKind::Zero}};

Place place_of(const char* abs) {
    if (const char* rel = below(abs, "/dev/shm")) return ram_place(g_shm, rel);
    if (const char* rel = below(abs, "/tmp")) return ram_place(g_tmp, rel);
    Place p;
    if (const char* rel = below(abs, "/dev")) {
        if (!*rel) p.kind = Kind::Dir;
        for (const Device& d : kDevices)
            if (rel[0] == '/' && strcmp(rel + 1, d.name) == 0) p.kind = Kind::File, p.as = d.kind;
        return p;
    }
    if (abs[0] == '/' && abs[1] == 0) return p.kind = Kind::Dir, p;
    const char* rel = abs + 1;
    u64 len = strlen(rel);
    g_initrd->for_each([&](const kernel::cpio::Entry& e) {
        u64 n = strlen(e.name);
        if (n > len && memcmp(e.name, rel, len) == 0 && e.name[len] == '/') {
            p.kind = Kind::Dir; // a prefix of other names (cpio also has the directory's own entry)
        } else if (p.kind == Kind::None && n == len && memcmp(e.name, rel, len) == 0) {
            p.kind = e.is_dir() ? Kind::Dir : Kind::File;
            p.as = e.is_dir() ? FileKind::Dir : FileKind::Initrd;
            p.entry = e;
        }
    });
    return p;
}

Kind kind_of(const char* abs, void*) { return place_of(abs).kind; }

/// The absolute name of the path at `va`, relative to `dirfd` (a *at call's: AT_FDCWD or
/// an open directory) unless it is absolute.
Result<void> name_of(ThreadRec& t, u64 dirfd, u64 va, char (&abs)[kPathMax]) {
    const char* base = TRY(base_dir(t, dirfd));
    char path[kPathMax];
    if (!va) return Errno{sys::kEFAULT};
    if (TRY(copy_string(*t.proc->mm, va, path, sizeof path)) == 0) return Errno{sys::kENOENT};
    return walk_path(base, path, abs, sizeof abs, kind_of, nullptr);
}

char* copy_name(const char* abs) {
    u64 n = strlen(abs) + 1;
    char* s = static_cast<char*>(heap_alloc(n));
    if (s) memcpy(s, abs, n);
    return s;
}

/// An inode number for what is not in a RAM filesystem: a hash of its name (RAM
/// filesystems number theirs from 1 << 32 on).
u64 name_ino(const char* abs) {
    u64 h = 0xcbf29ce484222325ull;
    for (; *abs; ++abs) h = (h ^ static_cast<unsigned char>(*abs)) * 0x100000001b3ull;
    return (h & 0xffffffffull) | 1;
}

} // namespace

Result<void> fs_init(u64 capacity) {
    TRY(g_tmp.init(heap_alloc, heap_free, capacity, u64{1} << 32, file_drop));
    return g_shm.init(heap_alloc, heap_free, capacity, u64{2} << 32, file_drop);
}

// (What is left there is rightly not free when the first program ends: the end line says
// so, lest the figure be taken for a leak.)
const char* fs_held_note() {
    static char note[96];
    const u64 entries = g_tmp.entries() + g_shm.entries();
    if (!entries) return "";
    kernel::format_to(note, sizeof note, " (still in /tmp and /dev/shm: {} {}, {} KiB of data)", entries,
                      entries == 1 ? "file or directory" : "files and directories", (g_tmp.used() + g_shm.used()) >> 10);
    return note;
}

Result<void> resolve(const char* cwd, const char* path, char* out, u64 max) {
    return walk_path(cwd, path, out, max, kind_of, nullptr);
}

bool is_directory(const char* abs) { return place_of(abs).kind == Kind::Dir; }

OpenFile* fd_of(ThreadRec& t, u64 fd) { return t.files->fds.at(fd); }

Result<const char*> base_dir(ThreadRec& t, u64 dirfd) {
    if (dirfd == kAtFdcwd || static_cast<u32>(dirfd) == static_cast<u32>(kAtFdcwd)) return t.fs->cwd;
    OpenFile* f = fd_of(t, dirfd);
    if (!f) return Errno{sys::kEBADF};
    if (!f->is_dir() || !f->path) return Errno{sys::kENOTDIR};
    return f->path;
}

Result<void> do_chdir(ThreadRec& t, u64 path_va) {
    char abs[kPathMax];
    TRY(name_of(t, kAtFdcwd, path_va, abs));
    Kind k = place_of(abs).kind;
    if (k == Kind::None) return Errno{sys::kENOENT};
    if (k == Kind::File) return Errno{sys::kENOTDIR};
    memcpy(t.fs->cwd, abs, sizeof abs);
    return {};
}

Result<void> do_fchdir(ThreadRec& t, u64 fd) {
    const char* dir = TRY(base_dir(t, fd));
    if (fd_of(t, fd)->kind == FileKind::Ram && !fd_of(t, fd)->node->linked) return Errno{sys::kENOENT};
    memcpy(t.fs->cwd, dir, strlen(dir) + 1);
    return {};
}

Result<kernel::cpio::Entry> program_file(ThreadRec& t, const char* path, char (&abs)[kPathMax]) {
    if (strcmp(path, kSelfExe) == 0) path = t.proc->exe; // (BusyBox runs its applets so)
    TRY(walk_path(t.fs->cwd, path, abs, sizeof abs, kind_of, nullptr));
    Place p = place_of(abs);
    if (p.kind == Kind::None) return Errno{sys::kENOENT};
    if (p.kind == Kind::Dir || is_device(p.as)) return Errno{sys::kEACCES};
    if (p.fs) return Errno{(p.node->mode & 0111) ? sys::kENOEXEC : sys::kEACCES};
    return p.entry;
}

Result<long> do_readlink(ThreadRec& t, u64 dirfd, u64 path_va, u64 buf, u64 size) {
    char abs[kPathMax];
    TRY(name_of(t, dirfd, path_va, abs));
    if (static_cast<long>(size) <= 0) return Errno{sys::kEINVAL};
    if (strcmp(abs, kSelfExe) != 0) return Errno{place_of(abs).kind == Kind::None ? sys::kENOENT : sys::kEINVAL};
    u64 n = strlen(t.proc->exe); // (no NUL, cut at size, as Linux)
    if (n > size) n = size;
    if (!copy_out(*t.proc->mm, buf, t.proc->exe, n)) return Errno{sys::kEFAULT};
    return static_cast<long>(n);
}

void exec_files(ThreadRec& t) {
    if (t.files->refs > 1) { // shared (CLONE_FILES): the thread gets its own copy
        if (Files* own = files_for_child(t, false)) drop_files(t.files), t.files = own;
    }
    FdTable& fds = t.files->fds;
    for (u64 fd = 0; fd < fds.size(); ++fd)
        if (fds.at(fd) && fds.cloexec(fd)) (void)do_close(t, fd);
}

OpenFile* new_file(FileKind kind, u32 flags) {
    OpenFile* f = heap_new<OpenFile>();
    if (f) f->refs = 1, f->kind = kind, f->flags = flags & (kOAccess | kOAppend | kONonblock);
    return f;
}

Result<long> install_file(ThreadRec& t, OpenFile* f, bool cloexec) {
    Result<long> fd = t.files->fds.lowest_free(heap_alloc, heap_free);
    if (!fd.ok()) {
        drop_file(f);
        return fd;
    }
    t.files->fds.put(static_cast<u64>(fd.value()), f, cloexec);
    return fd;
}

Result<long> do_open(ThreadRec& t, u64 dirfd, u64 path_va, u64 flags, u64 mode, u64 o_directory) {
    char abs[kPathMax];
    TRY(name_of(t, dirfd, path_va, abs));
    const u32 access = flags & kOAccess;
    if (access == 3) return Errno{sys::kEINVAL};
    Place p = place_of(abs);
    if (p.kind == Kind::None) {
        if (!(flags & kOCreat)) return Errno{sys::kENOENT};
        if (!p.fs) return Errno{sys::kEROFS}; // the initrd and /dev are made once
        if (!p.parent) return Errno{sys::kENOENT};
        p.node = TRY(p.fs->create(p.parent, p.last, p.last_len, false, static_cast<u32>(mode) & ~t.fs->umask));
        p.kind = Kind::File;
    } else if ((flags & kOCreat) && (flags & kOExcl)) {
        return Errno{sys::kEEXIST};
    }
    if ((flags & o_directory) && p.kind != Kind::Dir) return Errno{sys::kENOTDIR};
    if (p.kind == Kind::Dir && access != 0) return Errno{sys::kEISDIR};
    if (access != 0 && p.as == FileKind::Initrd) return Errno{sys::kEROFS};
    OpenFile* f = new_file(p.kind == Kind::Dir && !p.fs ? FileKind::Dir : p.as, static_cast<u32>(flags));
    if (!f) return kNoMemory;
    f->data = static_cast<const unsigned char*>(p.entry.data);
    f->size = p.entry.size;
    f->fs = p.fs, f->node = p.node;
    if (f->is_dir() && !(f->path = copy_name(abs))) return heap_free(f), kNoMemory;
    if (p.fs) {
        p.fs->open(p.node);
        if ((flags & kOTrunc) && access != 0 && !p.node->dir) (void)file_truncate(*p.fs, p.node, 0);
    }
    return install_file(t, f, flags & kOCloexec);
}

namespace {
/// Copy between a RAM file at `at` and the caller's memory: out (read) or in (write)
/// (filemap.cpp: the file's pages may be frames). Bytes moved; an error only if none moved.
Result<long> ram_io(ThreadRec& t, OpenFile& f, u64 buf, u64 count, u64 at, bool write) {
    RamFs& fs = *f.fs;
    RamNode* n = f.node;
    Mm& mm = *t.proc->mm;
    if (!write) count = at >= n->size ? 0 : (n->size - at < count ? n->size - at : count);
    u64 done = 0;
    auto moved = [&](Result<long> e) { return done ? Result<long>(static_cast<long>(done)) : e; };
    while (done < count) {
        u64 pos = at + done, in_page = pos % RamFs::kPage, index = pos / RamFs::kPage;
        u64 k = RamFs::kPage - in_page < count - done ? RamFs::kPage - in_page : count - done;
        if (write) {
            if (Result<void> e = file_write(mm, buf + done, fs, n, index, in_page, k); !e.ok()) return moved(e.error());
            fs.written(n, pos + k);
        } else {
            Result<const unsigned char*> page = file_page(fs, n, index);
            if (!page.ok()) return moved(page.error());
            if (!copy_out(mm, buf + done, (page.value() ? page.value() : g_zero_page) + in_page, k))
                return moved(Errno{sys::kEFAULT});
        }
        done += k;
    }
    return static_cast<long>(done);
}
} // namespace

Answer do_read(ThreadRec& t, u64 fd, u64 buf, u64 count, long at) {
    OpenFile* f = fd_of(t, fd);
    if (!f || !f->readable()) return done(Errno{sys::kEBADF});
    if (f->is_dir()) return done(Errno{sys::kEISDIR});
    if (count > (u64{1} << 31)) count = u64{1} << 31; // as Linux: at most 2 GiB a call
    const bool positioned = at >= 0;
    switch (f->kind) {
    case FileKind::Console: return positioned ? done(Errno{sys::kESPIPE}) : console_read(t, *f, buf, count);
    case FileKind::Null: return done(0);
    case FileKind::Zero:
    case FileKind::Random: { // zeros, or getrandom's bytes
        unsigned char bytes[256];
        if (f->kind == FileKind::Zero) memset(bytes, 0, sizeof bytes);
        for (u64 n = 0; n < count;) {
            const u64 k = count - n < sizeof bytes ? count - n : sizeof bytes;
            if (f->kind == FileKind::Random) random_fill(bytes, k);
            if (!copy_out(*t.proc->mm, buf + n, bytes, k)) return done(n ? static_cast<long>(n) : wire(Errno{sys::kEFAULT}));
            n += k;
        }
        return done(static_cast<long>(count));
    }
    case FileKind::PipeRead: return positioned ? done(Errno{sys::kESPIPE}) : pipe_read(t, *f, buf, count);
    case FileKind::Ram: {
        Result<long> n = ram_io(t, *f, buf, count, positioned ? static_cast<u64>(at) : f->offset, false);
        if (n.ok() && !positioned) f->offset += static_cast<u64>(n.value());
        return done(n);
    }
    case FileKind::Initrd: {
        u64 from = positioned ? static_cast<u64>(at) : f->offset;
        u64 n = from >= f->size ? 0 : f->size - from;
        if (n > count) n = count;
        if (n && !copy_out(*t.proc->mm, buf, f->data + from, n)) return done(Errno{sys::kEFAULT});
        if (!positioned) f->offset += n;
        return done(static_cast<long>(n));
    }
    default: return done(Errno{sys::kEBADF});
    }
}

Answer do_write(ThreadRec& t, u64 fd, u64 buf, u64 count, long at) {
    OpenFile* f = fd_of(t, fd);
    if (!f || !f->writable()) return done(Errno{sys::kEBADF});
    if (count > (u64{1} << 31)) count = u64{1} << 31;
    const bool positioned = at >= 0;
    switch (f->kind) {
    case FileKind::Console: {
        if (positioned) return done(Errno{sys::kESPIPE});
        char chunk[256];
        for (u64 n = 0; n < count;) {
            u64 k = count - n < sizeof chunk ? count - n : sizeof chunk;
            if (!copy_in(*t.proc->mm, buf + n, chunk, k)) return done(n ? static_cast<long>(n) : wire(Errno{sys::kEFAULT}));
            for (u64 i = 0; i < k; ++i) sys::debug_putc(chunk[i]);
            n += k;
        }
        return done(static_cast<long>(count));
    }
    case FileKind::Null:
    case FileKind::Zero:
    case FileKind::Random: return done(static_cast<long>(count)); // (taken, and forgotten)
    case FileKind::PipeWrite: return positioned ? done(Errno{sys::kESPIPE}) : pipe_write(t, *f, buf, count);
    case FileKind::Ram: {
        // (O_APPEND: at the end, even for pwrite64, as Linux does)
        u64 where = (f->flags & kOAppend) ? f->node->size : positioned ? static_cast<u64>(at) : f->offset;
        Result<long> n = ram_io(t, *f, buf, count, where, true);
        if (n.ok() && !positioned) f->offset = where + static_cast<u64>(n.value());
        return done(n);
    }
    default: return done(Errno{sys::kEBADF});
    }
}

void drop_file(OpenFile* f) {
    if (!f || --f->refs > 0) return;
    if (f->kind == FileKind::Ram) f->fs->close(f->node);
    if (f->kind == FileKind::PipeRead || f->kind == FileKind::PipeWrite)
        pipe_end_closed(f->pipe, f->kind == FileKind::PipeWrite);
    heap_free(f->path);
    heap_free(f);
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
    ++f->refs;
    return install_file(t, f, false);
}

Result<long> do_dup_to(ThreadRec& t, u64 fd, u64 to, bool cloexec, bool dup3) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return Errno{sys::kEBADF};
    if (to >= FdTable::kMax) return Errno{sys::kEBADF};
    if (fd == to) return dup3 ? Errno{sys::kEINVAL} : Result<long>(static_cast<long>(to));
    TRY(t.files->fds.reserve(to + 1, heap_alloc, heap_free));
    OpenFile* old = fd_of(t, to);
    ++f->refs;
    t.files->fds.put(to, f, cloexec);
    drop_file(old);
    return static_cast<long>(to);
}

Result<long> do_fcntl(ThreadRec& t, u64 fd, u64 cmd, u64 arg) {
    constexpr u64 kDupfd = 0, kGetfd = 1, kSetfd = 2, kGetfl = 3, kSetfl = 4, kDupfdCloexec = 1030;
    OpenFile* f = fd_of(t, fd);
    if (!f) return Errno{sys::kEBADF};
    FdTable& fds = t.files->fds;
    switch (cmd) {
    case kDupfd:
    case kDupfdCloexec: { // the lowest free descriptor at or above arg
        if (arg >= FdTable::kMax) return Errno{sys::kEINVAL};
        u64 to = arg;
        while (to < FdTable::kMax && fds.at(to)) ++to;
        if (to >= FdTable::kMax) return Errno{sys::kEMFILE};
        TRY(fds.reserve(to + 1, heap_alloc, heap_free));
        ++f->refs;
        fds.put(to, f, cmd == kDupfdCloexec);
        return static_cast<long>(to);
    }
    case kGetfd: return fds.cloexec(fd) ? 1 : 0;
    case kSetfd: fds.set_cloexec(fd, arg & 1); return 0;
    case kGetfl: return static_cast<long>(f->flags);
    case kSetfl: // O_APPEND and O_NONBLOCK change; the rest stays
        f->flags = (f->flags & ~(kOAppend | kONonblock)) | (static_cast<u32>(arg) & (kOAppend | kONonblock));
        return 0;
    default: return Errno{sys::kEINVAL};
    }
}

Result<long> do_lseek(ThreadRec& t, u64 fd, u64 offset, u64 whence) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return Errno{sys::kEBADF};
    if (f->kind == FileKind::Console || f->kind == FileKind::PipeRead || f->kind == FileKind::PipeWrite)
        return Errno{sys::kESPIPE};
    if (f->is_dir()) { // rewinddir: only back to the start
        if (whence != 0 || offset != 0) return Errno{sys::kEINVAL};
        f->offset = 0;
        return 0;
    }
    const u64 size = f->kind == FileKind::Ram ? f->node->size : f->size;
    const long base = whence == 0 ? 0 : whence == 1 ? static_cast<long>(f->offset) : whence == 2 ? static_cast<long>(size) : -1;
    const long to = base + static_cast<long>(offset);
    if (base < 0 || to < 0) return Errno{sys::kEINVAL};
    f->offset = static_cast<u64>(to);
    return to;
}

Result<void> do_ftruncate(ThreadRec& t, u64 fd, u64 size) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return Errno{sys::kEBADF};
    if (static_cast<long>(size) < 0) return Errno{sys::kEINVAL};
    if (f->kind != FileKind::Ram || f->node->dir || !f->writable()) return Errno{sys::kEINVAL};
    return file_truncate(*f->fs, f->node, size);
}

Result<FileStat> file_stat(ThreadRec& t, u64 fd) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return Errno{sys::kEBADF};
    constexpr u32 kIfChr = 0020000, kIfDir = 0040000, kIfReg = 0100000, kIfIfo = 0010000;
    u32 mode = 0;
    u64 size = 0, ino = 0, dev = 1, rdev = 0, nlink = 1;
    switch (f->kind) {
    case FileKind::Console: mode = kIfChr | 0620, rdev = (5 << 8) | 1, ino = 2; break; // as /dev/console
    case FileKind::Null: mode = kIfChr | 0666, rdev = (1 << 8) | 3, ino = 3; break;
    case FileKind::Zero: mode = kIfChr | 0666, rdev = (1 << 8) | 5, ino = 4; break;
    case FileKind::Random: mode = kIfChr | 0666, rdev = (1 << 8) | 9, ino = 5; break; // (as urandom)
    case FileKind::PipeRead:
    case FileKind::PipeWrite: mode = kIfIfo | 0600, dev = 3, ino = reinterpret_cast<u64>(f->pipe) >> 4; break;
    case FileKind::Dir: mode = kIfDir | 0555, ino = name_ino(f->path), nlink = 2; break;
    case FileKind::Initrd: mode = kIfReg | 0444, size = f->size, ino = reinterpret_cast<u64>(f->data) >> 4; break;
    case FileKind::Ram:
        mode = (f->node->dir ? kIfDir : kIfReg) | f->node->mode, size = f->node->size, ino = f->node->ino,
        dev = f->fs == &g_tmp ? 4 : 5, nlink = f->node->linked ? (f->node->dir ? 2 : 1) : 0;
        break;
    }
    FileStat s{mode, size, ino, dev, rdev, nlink, {}};
    if (f->kind == FileKind::Ram)
        for (int i = 0; i < 2; ++i) s.times[i][0] = f->node->times[i][0], s.times[i][1] = f->node->times[i][1];
    return s;
}

Result<void> do_fstat(ThreadRec& t, u64 fd, u64 buf, const StatLayout& l) {
    const FileStat s = TRY(file_stat(t, fd));
    unsigned char st[144] = {}; // (the larger of the two layouts)
    auto put32 = [&](u64 at, u32 v) { memcpy(st + at, &v, sizeof v); };
    auto put64 = [&](u64 at, u64 v) { memcpy(st + at, &v, sizeof v); };
    put64(0, s.dev);
    put64(8, s.ino);
    put32(static_cast<u32>(l.mode_at), s.mode);
    if (l.nlink_at == 16) put64(16, s.nlink); // x86_64's st_nlink is 8 bytes wide
    else put32(static_cast<u32>(l.nlink_at), static_cast<u32>(s.nlink));
    put64(l.size == 144 ? 40 : 32, s.rdev); // st_rdev
    put64(48, s.size);                        // st_size: at 48 in both layouts
    put32(56, 4096);                          // st_blksize
    put64(64, (s.size + 511) / 512);          // st_blocks
    for (int i = 0; i < 2; ++i) // st_atim, st_mtim (at 72 and 88 in both layouts)
        put64(72 + 16 * i, static_cast<u64>(s.times[i][0])), put64(80 + 16 * i, static_cast<u64>(s.times[i][1]));
    return copy_out(*t.proc->mm, buf, st, l.size) ? Result<void>{} : Errno{sys::kEFAULT};
}

// ---- directories --------------------------------------------------------------------
namespace {
/// One linux_dirent64 at `at` of `out` (of `room` bytes): its size, or 0 if it does not fit.
u64 put_dirent(unsigned char* out, u64 room, u64 ino, u64 next, unsigned char type, const char* name, u64 len) {
    u64 reclen = (19 + len + 1 + 7) & ~u64{7};
    if (reclen > room) return 0;
    memset(out, 0, reclen);
    memcpy(out, &ino, 8);
    memcpy(out + 8, &next, 8);
    unsigned short r = static_cast<unsigned short>(reclen);
    memcpy(out + 16, &r, 2);
    out[18] = type;
    memcpy(out + 19, name, len);
    return reclen;
}
constexpr unsigned char kDtChr = 2, kDtDir = 4, kDtReg = 8;

/// Call f(name, len, type) for entry `index` of directory `dir` (an absolute name, not
/// in a RAM filesystem): ".", "..", then its entries in the initrd (each name once), then
/// those the namespace adds. False past the last.
template <class F>
bool static_entry(const char* dir, u64 index, F&& f) {
    if (index == 0) return f(".", 1, kDtDir), true;
    if (index == 1) return f("..", 2, kDtDir), true;
    index -= 2;
    if (strcmp(dir, "/dev") == 0) {
        constexpr u64 kCount = sizeof kDevices / sizeof kDevices[0];
        if (index < kCount) return f(kDevices[index].name, strlen(kDevices[index].name), kDtChr), true;
        if (index == kCount) return f("shm", 3, kDtDir), true;
        return false;
    }
    const bool root = dir[1] == 0;
    const char* prefix = root ? "" : dir + 1; // as the initrd names it
    const u64 plen = strlen(prefix);
    u64 seen = 0;
    bool found = false;
    // The child name an entry gives, if any: the component after the prefix.
    auto child = [&](const char* name, u64& len) -> const char* {
        if (plen && (memcmp(name, prefix, plen) != 0 || name[plen] != '/')) return nullptr;
        const char* c = name + (plen ? plen + 1 : 0);
        for (len = 0; c[len] && c[len] != '/'; ++len) {}
        return len ? c : nullptr;
    };
    u64 at = 0; // entries looked at, to tell a name's first appearance
    g_initrd->for_each([&](const kernel::cpio::Entry& e) {
        ++at;
        u64 len = 0;
        const char* c = child(e.name, len);
        if (found || !c) return;
        if (root && len == 3 && (memcmp(c, "dev", 3) == 0 || memcmp(c, "tmp", 3) == 0))
            return; // the namespace's own (listed below), whatever the initrd has there
        bool first = true; // not given by an earlier entry
        u64 before = 0;
        g_initrd->for_each([&](const kernel::cpio::Entry& o) {
            u64 olen = 0;
            const char* oc = ++before < at ? child(o.name, olen) : nullptr;
            if (oc && olen == len && memcmp(oc, c, len) == 0) first = false;
        });
        if (!first) return;
        if (seen++ == index) {
            found = true;
            bool is_dir = c[len] == '/' || e.is_dir();
            f(c, len, is_dir ? kDtDir : kDtReg);
        }
    });
    if (found) return true;
    if (root && index == seen) return f("dev", 3, kDtDir), true;
    if (root && index == seen + 1) return f("tmp", 3, kDtDir), true;
    return false;
}
} // namespace

Result<long> do_getdents(ThreadRec& t, u64 fd, u64 buf, u64 size) {
    OpenFile* f = fd_of(t, fd);
    if (!f) return Errno{sys::kEBADF};
    if (!f->is_dir()) return Errno{sys::kENOTDIR};
    unsigned char out[1024];
    u64 room = size < sizeof out ? size : sizeof out, used = 0;
    for (;;) {
        u64 put = 0;
        const u64 next = f->offset + 1;
        auto emit = [&](const char* name, u64 len, unsigned char type, u64 ino) {
            put = put_dirent(out + used, room - used, ino, next, type, name, len);
        };
        bool more;
        if (f->kind == FileKind::Ram) {
            RamNode* n = f->node;
            more = true;
            if (!n->linked && f->offset >= 2) more = false; // a removed directory is empty
            else if (f->offset == 0) emit(".", 1, kDtDir, n->ino);
            else if (f->offset == 1) emit("..", 2, kDtDir, n->parent->ino);
            else if (RamNode* e = f->fs->entry_at(n, f->offset - 2)) emit(e->name, strlen(e->name), e->dir ? kDtDir : kDtReg, e->ino);
            else more = false;
        } else {
            more = static_entry(f->path, f->offset, [&](const char* name, u64 len, unsigned char type) {
                emit(name, len, type, name_ino(name));
            });
        }
        if (!more) break;
        if (!put) {
            if (used == 0) return Errno{sys::kEINVAL}; // the buffer is too small for one entry
            break;
        }
        used += put;
        ++f->offset;
    }
    if (used && !copy_out(*t.proc->mm, buf, out, used)) return Errno{sys::kEFAULT};
    return static_cast<long>(used);
}

Result<void> do_mkdir(ThreadRec& t, u64 dirfd, u64 path_va, u64 mode) {
    char abs[kPathMax];
    TRY(name_of(t, dirfd, path_va, abs));
    Place p = place_of(abs);
    if (p.kind != Kind::None) return Errno{sys::kEEXIST};
    if (!p.fs) return Errno{sys::kEROFS};
    if (!p.parent) return Errno{sys::kENOENT};
    TRY(p.fs->create(p.parent, p.last, p.last_len, true, static_cast<u32>(mode) & ~t.fs->umask & 07777));
    return {};
}

Result<void> do_unlink(ThreadRec& t, u64 dirfd, u64 path_va, bool dir) {
    char abs[kPathMax];
    TRY(name_of(t, dirfd, path_va, abs));
    Place p = place_of(abs);
    if (p.kind == Kind::None) return Errno{sys::kENOENT};
    if (!p.fs) return Errno{sys::kEROFS};
    if (!p.parent) return Errno{sys::kEBUSY}; // the filesystem's root
    return p.fs->remove(p.parent, p.last, p.last_len, dir);
}

Result<void> do_rename(ThreadRec& t, u64 from_dirfd, u64 from_va, u64 to_dirfd, u64 to_va) {
    char from[kPathMax], to[kPathMax];
    TRY(name_of(t, from_dirfd, from_va, from));
    TRY(name_of(t, to_dirfd, to_va, to));
    Place a = place_of(from), b = place_of(to);
    if (a.kind == Kind::None) return Errno{sys::kENOENT};
    if (!a.fs || !b.fs) return Errno{sys::kEROFS};
    if (a.fs != b.fs) return Errno{18}; // EXDEV: two filesystems
    if (!a.parent || !b.parent) return Errno{sys::kEBUSY};
    return a.fs->rename(a.parent, a.last, a.last_len, b.parent, b.last, b.last_len);
}

namespace {
/// What the path at `path_va` names (relative to `dirfd`), or, with no path (the f* calls,
/// utimensat with a null path), what `dirfd` itself is open on. EBADF; ENOENT; the path's
/// errors.
Result<Place> place_of_path_or_fd(ThreadRec& t, u64 dirfd, u64 path_va) {
    Place p;
    if (path_va) {
        char abs[kPathMax];
        TRY(name_of(t, dirfd, path_va, abs));
        p = place_of(abs);
    } else if (OpenFile* f = fd_of(t, dirfd)) {
        p.kind = f->is_dir() ? Kind::Dir : Kind::File, p.fs = f->fs, p.node = f->node;
        if (f->kind != FileKind::Ram) p.as = f->kind;
    } else {
        return Errno{sys::kEBADF};
    }
    if (p.kind == Kind::None) return Errno{sys::kENOENT};
    return p;
}
} // namespace

Result<void> do_chmod(ThreadRec& t, u64 dirfd, u64 path_va, u64 mode) {
    const Place p = TRY(place_of_path_or_fd(t, dirfd, path_va));
    if (!p.fs) return Errno{is_device(p.as) ? sys::kEPERM : sys::kEROFS};
    p.node->mode = static_cast<u32>(mode) & 07777;
    return {};
}

Result<void> do_utimens(ThreadRec& t, u64 dirfd, u64 path_va, u64 times_va) {
    constexpr long kNow = (1 << 30) - 1, kOmit = (1 << 30) - 2;
    long times[2][2] = {{0, kNow}, {0, kNow}};
    if (times_va && !copy_in(*t.proc->mm, times_va, times, sizeof times)) return Errno{sys::kEFAULT};
    for (auto& ts : times)
        if (ts[1] != kNow && ts[1] != kOmit && (ts[1] < 0 || ts[1] > 999999999)) return Errno{sys::kEINVAL};
    const Place p = TRY(place_of_path_or_fd(t, dirfd, path_va));
    if (!p.fs) return is_device(p.as) ? Result<void>{} : Errno{sys::kEROFS};
    const u64 now = g_realtime_base + now_ns(); // (UTIME_NOW: the real-time clock)
    for (int i = 0; i < 2; ++i) {
        if (times[i][1] == kOmit) continue;
        p.node->times[i][0] = times[i][1] == kNow ? static_cast<long>(now / kNsPerSecond) : times[i][0];
        p.node->times[i][1] = times[i][1] == kNow ? static_cast<long>(now % kNsPerSecond) : times[i][1];
    }
    return {};
}

Result<void> do_access(ThreadRec& t, u64 dirfd, u64 path_va, u64 mode) {
    constexpr u64 kX = 1, kW = 2;
    char abs[kPathMax];
    TRY(name_of(t, dirfd, path_va, abs));
    Place p = place_of(abs);
    if (p.kind == Kind::None) return Errno{sys::kENOENT};
    if (mode & ~u64{7}) return Errno{sys::kEINVAL};
    if ((mode & kW) && !p.fs && !is_device(p.as)) return Errno{sys::kEROFS};
    const u32 bits = p.fs ? p.node->mode : p.kind == Kind::Dir ? 0555 : is_device(p.as) ? 0666 : 0444;
    if ((mode & kX) && !(bits & 0111)) return Errno{sys::kEACCES}; // root, too, needs one x bit
    return {};
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
            if (OpenFile* f = from.at(i)) files->fds.put(i, f, from.cloexec(i)), ++f->refs;
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
