/* Debian's libstdc++ headers for riscv64-linux-gnu (<compare>, <new>, ...) include glibc's
 * <features.h>, whose <gnu/stubs.h> wants the stubs file of the ABI in use. Only the
 * hard-float lp64d variant is installed; the kernel is built soft-float (-mabi=lp64) so that
 * it never touches FP registers. The file only lists libc functions that are stubs, which
 * a freestanding kernel never calls, so an empty one is correct. Kernel include path only. */
