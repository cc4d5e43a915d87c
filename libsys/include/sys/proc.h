/* The process API for C programs: the same calls as <sys/proc.hpp> (namespace sys, for
 * C++), with Linux's names, flag values, errno codes and wait-status macros. Every call
 * returns a value >= 0 or a negated errno (-EINVAL); there is no global errno.
 * docs/procserv.md documents each call and its errors; libsys/proc_c.cpp implements
 * these by calling the C++ API, and checks at compile time that every constant here has
 * the C++ header's value. */
#ifndef SYS_PROC_H
#define SYS_PROC_H

#include <stddef.h>

/* clone flags; the low byte is the exit signal (0 or SIGCHLD) */
#define CLONE_VM 0x00000100ul
#define CLONE_FS 0x00000200ul
#define CLONE_FILES 0x00000400ul
#define CLONE_SIGHAND 0x00000800ul
#define CLONE_THREAD 0x00010000ul
#define CLONE_NEWNS 0x00020000ul
#define CLONE_SYSVSEM 0x00040000ul
#define CLONE_SETTLS 0x00080000ul
#define CLONE_PARENT_SETTID 0x00100000ul
#define CLONE_CHILD_CLEARTID 0x00200000ul
#define CLONE_DETACHED 0x00400000ul
#define CLONE_CHILD_SETTID 0x01000000ul
#define SIGCHLD 17
#define SIGILL 4
#define SIGSEGV 11
#define SIGBUS 7
#define SIGKILL 9

/* errno values the calls return, negated */
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define EROFS 30
#define ERANGE 34
#define EDEADLK 35
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ENODEV 19
#define EOPNOTSUPP 95
#define ENOSPC 28
#define EPIPE 32

/* memory: mmap's protections and flags, madvise's advice */
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define MAP_FIXED_NOREPLACE 0x100000
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4

/* open flags and waitpid */
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_DIRECTORY 0200000
#define WNOHANG 1
#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define WTERMSIG(s) ((s) & 0x7f)

#ifdef __cplusplus
extern "C" {
#endif

long clone(unsigned long flags, void *child_stack, int *parent_tid, int *child_tid, unsigned long tls);
long clone_fn(int (*fn)(void *), void *arg, void *stack_top, unsigned long flags, int *parent_tid,
              int *child_tid, unsigned long tls);
int thread_create(const char *name, void *stack_top, void *(*start)(void *), void *arg);
int thread_join(int tid, int *retval);
__attribute__((noreturn)) void exit(int status);
__attribute__((noreturn)) void exit_group(int status);
int getpid(void);
int gettid(void);
int getppid(void);
int chdir(const char *path);
long getcwd(char *buf, size_t size);
unsigned umask(unsigned mask);
int open(const char *path, int flags);
long read(int fd, void *buf, size_t count);
int close(int fd);
int dup(int fd);
int waitpid(int pid, int *status, int options);
int spawn(const char *path, const char *const argv[]);
/* Send a signal (kill(2)'s pids): 0, or -EINVAL / -ESRCH. Default actions only. */
int kill(int pid, int sig);
int futex_wait(int *addr, int val);
int futex_wake(int *addr, int n);
/* Memory: the new mapping's address (mmap), 0 (munmap, mprotect, madvise), or -errno;
 * brk returns the new break, or the current one on failure. */
long mmap(void *addr, size_t length, int prot, int flags, int fd, long offset);
int munmap(void *addr, size_t length);
int mprotect(void *addr, size_t length, int prot);
int madvise(void *addr, size_t length, int advice);
long brk(void *addr);
/* Writes n bytes to the console; returns n or -errno. */
long write_console(const char *s, size_t n);

/* Capabilities and servers (docs/procserv.md, "Capabilities and servers"; C++ programs
 * have the same and a server loop in <sys/server.hpp>). Capabilities are slot numbers of
 * the process's cap space. */
#define CAP_ENDPOINT 1
#define CAP_SEMAPHORE 2
#define CAP_REPLY 3
#define CAP_MEMORY 4 /* `bytes` of memory to share, mapped with mmap_memory */
long cap_create(int type, unsigned long bytes);
long cap_delete(long slot);
long service_register(const char *name, long endpoint);
long service_lookup(const char *name); /* a copy badged with the caller's pid */
long service_unregister(const char *name);
long mmap_memory(long slot, void *addr, size_t length, int prot, int flags);

/* A message of up to four words; `badge` is the sender's, on receipt. */
struct ipc_message {
    unsigned long label;
    unsigned long length; /* words in w */
    unsigned long w[4];
    unsigned long badge;
};
/* Send *m on the endpoint and wait for the reply, which replaces *m. 0 or -errno: EPIPE,
 * the server went away during the call; EBADF, the capability is gone. */
long ipc_call(long endpoint, struct ipc_message *m);
/* Wait for a message on the endpoint; it replaces *m. */
long ipc_receive(long endpoint, struct ipc_message *m);
/* Reply with *m to the caller received last, then wait for the next message into *m. */
long ipc_reply_receive(long endpoint, struct ipc_message *m);
long sem_signal(long semaphore);
long sem_wait(long semaphore);

#ifdef __cplusplus
}
#endif

#endif /* SYS_PROC_H */
