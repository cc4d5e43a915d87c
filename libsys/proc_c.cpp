// The C binding of the process API (include/sys/proc.h): each function calls its C++
// twin in namespace sys (proc.cpp), and every constant of the C header is checked here
// against the C++ header's value, so the two cannot drift apart.
#include <sys/proc.hpp>

namespace {
#define PROC_CONSTANTS(X)                                                                                  \
    X(CLONE_VM) X(CLONE_FS) X(CLONE_FILES) X(CLONE_SIGHAND) X(CLONE_THREAD) X(CLONE_NEWNS) X(CLONE_SYSVSEM)  \
    X(CLONE_SETTLS) X(CLONE_PARENT_SETTID) X(CLONE_CHILD_CLEARTID) X(CLONE_DETACHED) X(CLONE_CHILD_SETTID)   \
    X(SIGCHLD) X(SIGILL) X(SIGSEGV) X(SIGBUS) X(SIGKILL) X(O_RDONLY) X(O_WRONLY) X(O_RDWR) X(O_DIRECTORY)    \
    X(WNOHANG) X(PROT_NONE) X(PROT_READ) X(PROT_WRITE) X(PROT_EXEC) X(MAP_SHARED) X(MAP_PRIVATE) X(MAP_FIXED)  \
    X(MAP_ANONYMOUS) X(MAP_NORESERVE) X(MAP_FIXED_NOREPLACE) X(MADV_NORMAL) X(MADV_RANDOM) X(MADV_SEQUENTIAL) \
    X(MADV_WILLNEED) X(MADV_DONTNEED)
#define PROC_ERRNOS(X)                                                                                     \
    X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(E2BIG) X(ENOEXEC) X(EBADF) X(ECHILD) X(EAGAIN) X(ENOMEM) X(EACCES) \
    X(EFAULT) X(EBUSY) X(EEXIST) X(ENOTDIR) X(EISDIR) X(EINVAL) X(ENFILE) X(EMFILE) X(EROFS) X(ERANGE) X(EDEADLK)      \
    X(ENAMETOOLONG) X(ENOSYS) X(ENODEV) X(EOPNOTSUPP) X(ENOSPC) X(EPIPE)
// Before <sys/proc.h> the names are not macros yet: take the C++ values.
#define CPP_VALUE(name) constexpr long long cpp_##name = static_cast<long long>(sys::name);
#define CPP_ERRNO(name) constexpr long long cpp_##name = sys::k##name;
PROC_CONSTANTS(CPP_VALUE)
PROC_ERRNOS(CPP_ERRNO)
constexpr int cpp_status = (11 << 8) | 0; // an exit with 11: WIFEXITED, WEXITSTATUS 11
} // namespace

#include <sys/proc.h>

#define SAME_VALUE(name) static_assert(cpp_##name == static_cast<long long>(name), #name " differs between proc.h and proc.hpp");
PROC_CONSTANTS(SAME_VALUE)
PROC_ERRNOS(SAME_VALUE)
static_assert(WIFEXITED(cpp_status) == sys::wifexited(cpp_status) && WEXITSTATUS(cpp_status) == sys::wexitstatus(cpp_status));
static_assert(WIFSIGNALED(11) == sys::wifsignaled(11) && WTERMSIG(11) == sys::wtermsig(11));

extern "C" {

long clone(unsigned long flags, void* stack, int* ptid, int* ctid, unsigned long tls) {
    return sys::clone(flags, stack, ptid, ctid, tls);
}
long clone_fn(int (*fn)(void*), void* arg, void* stack_top, unsigned long flags, int* ptid, int* ctid,
              unsigned long tls) {
    return sys::clone_fn(fn, arg, stack_top, flags, ptid, ctid, tls);
}
int thread_create(const char* name, void* stack_top, void* (*start)(void*), void* arg) {
    return sys::thread_create(name, stack_top, start, arg);
}
int thread_join(int tid, int* retval) { return sys::thread_join(tid, retval); }
void exit(int status) { sys::exit(status); }
void exit_group(int status) { sys::exit_group(status); }
int getpid(void) { return sys::getpid(); }
int gettid(void) { return sys::gettid(); }
int getppid(void) { return sys::getppid(); }
int chdir(const char* path) { return sys::chdir(path); }
long getcwd(char* buf, size_t size) { return sys::getcwd(buf, size); }
unsigned umask(unsigned mask) { return sys::umask(mask); }
int open(const char* path, int flags) { return sys::open(path, flags); }
long read(int fd, void* buf, size_t count) { return sys::read(fd, buf, count); }
int close(int fd) { return sys::close(fd); }
int dup(int fd) { return sys::dup(fd); }
int waitpid(int pid, int* status, int options) { return sys::waitpid(pid, status, options); }
int spawn(const char* path, const char* const argv[]) { return sys::spawn(path, argv); }
int kill(int pid, int sig) { return sys::kill(pid, sig); }
int futex_wait(int* addr, int val) { return sys::futex_wait(addr, val); }
int futex_wake(int* addr, int n) { return sys::futex_wake(addr, n); }
long mmap(void* addr, size_t length, int prot, int flags, int fd, long offset) {
    return sys::mmap(addr, length, prot, flags, fd, offset);
}
int munmap(void* addr, size_t length) { return sys::munmap(addr, length); }
int mprotect(void* addr, size_t length, int prot) { return sys::mprotect(addr, length, prot); }
int madvise(void* addr, size_t length, int advice) { return sys::madvise(addr, length, advice); }
long brk(void* addr) { return sys::brk(addr); }
long write_console(const char* s, size_t n) { return sys::write_console(s, n); }

} // extern "C"
