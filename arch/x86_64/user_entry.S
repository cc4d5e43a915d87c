// The user/kernel boundary: entries from CPL 3 (the syscall instruction, and exceptions
// and interrupts, which vectors.S hands over when the saved CS has RPL 3) and the one
// way back (x86_64_enter_user, called by arch::return_to_user).
//
// Invariants of this path (docs/porting.md, "User mode"):
// - Each CPU has its own data (cpu_local.h), which the GS base points at while the kernel
//   runs; every entry from user mode starts with swapgs and every exit ends with one.
// - One kernel stack per CPU (CPU_KERNEL_SP; the boot CPU's is the boot stack). The kernel
//   is not preemptible and nothing returns to an entry, so every entry from user mode
//   starts at its top, whatever the kernel left below it.
// - Interrupts are masked from the first instruction of an entry until the iretq or
//   sysretq that leaves: interrupt gates clear IF, SFMASK clears it for syscall. Only the kernel's
//   idle loop sets IF, and it comes back here through return_to_user.
// - The registers are saved into the buffer return_to_user was last given (CPU_REGS),
//   never onto the stack, so the portable kernel sees one register
//   file per thread and can switch threads by returning with another.
// - The kernel is built with -mgeneral-regs-only: x87/SSE state stays in the registers
//   across the kernel (lazy FPU: only arch::fpu_switch touches it, with CR0.TS clear).
#include "cpu_local.h"
#include "user_frame.h"
#include <microkernel/sched/fast_yield.h>

    .text

// Store every general register except rsp into the register file at \base (which must
// itself be one of them: its own slot then receives the pointer, and the caller
// overwrites that slot with the user's value).
.macro save_gprs base
    mov %rax, UREG_RAX(\base)
    mov %rbx, UREG_RBX(\base)
    mov %rcx, UREG_RCX(\base)
    mov %rdx, UREG_RDX(\base)
    mov %rsi, UREG_RSI(\base)
    mov %rdi, UREG_RDI(\base)
    mov %rbp, UREG_RBP(\base)
    mov %r8, UREG_R8(\base)
    mov %r9, UREG_R9(\base)
    mov %r10, UREG_R10(\base)
    mov %r11, UREG_R11(\base)
    mov %r12, UREG_R12(\base)
    mov %r13, UREG_R13(\base)
    mov %r14, UREG_R14(\base)
    mov %r15, UREG_R15(\base)
.endm

// Load the general registers but rsp, rdi, rcx and r11 from the register file at rdi.
.macro load_gprs
    mov UREG_RAX(%rdi), %rax
    mov UREG_RBX(%rdi), %rbx
    mov UREG_RDX(%rdi), %rdx
    mov UREG_RSI(%rdi), %rsi
    mov UREG_RBP(%rdi), %rbp
    mov UREG_R8(%rdi), %r8
    mov UREG_R9(%rdi), %r9
    mov UREG_R10(%rdi), %r10
    mov UREG_R12(%rdi), %r12
    mov UREG_R13(%rdi), %r13
    mov UREG_R14(%rdi), %r14
    mov UREG_R15(%rdi), %r15
.endm

// Store the user's FS and GS bases into the register file at rbx (clobbers rax, rcx, rdx)
// from the MSRs, which hold the same values as rdfsbase/rdgsbase read (after the entry's
// swapgs the user's GS base is IA32_KERNEL_GS_BASE).
.macro save_fs_gs_base_msr
    mov $MSR_FS_BASE, %ecx
    rdmsr
    mov %eax, UREG_FS_BASE(%rbx)
    mov %edx, UREG_FS_BASE + 4(%rbx)
    mov $MSR_KERNEL_GS_BASE, %ecx
    rdmsr
    mov %eax, UREG_GS_BASE(%rbx)
    mov %edx, UREG_GS_BASE + 4(%rbx)
.endm

// The same with rdfsbase/rdgsbase (clobbers rax), for a CPU that has them.
.macro save_fs_gs_base_fsgsbase
    rdfsbase %rax
    mov %rax, UREG_FS_BASE(%rbx)
    swapgs                                   // the user's GS base, for one instruction
    rdgsbase %rax
    swapgs
    mov %rax, UREG_GS_BASE(%rbx)
.endm

// Either, as the CPU allows. A CPU without FSGSBASE takes the MSR reads, placed out of
// line (.text.unlikely) so that the common path runs straight through.
.macro save_fs_gs_base
    cmpb $0, x86_64_has_fsgsbase(%rip)
    je 1f
    save_fs_gs_base_fsgsbase
2:
    .pushsection .text.unlikely, "ax", @progbits
1:  save_fs_gs_base_msr
    jmp 2b
    .popsection
.endm

// The syscall instruction (IA32_LSTAR). The CPU has loaded CS/SS from STAR, put the
// user's RIP after the instruction in rcx and its RFLAGS in r11, and cleared the
// SFMASK bits (IF, DF, TF, AC...). It has NOT switched stacks: rsp is the user's, an
// untrusted value, so nothing may be pushed until rsp is ours. Borrowing rsp as the base
// register of the register file is safe: interrupts are masked, TF is clear, and the
// only exceptions that could strike (NMI, #MC) run on their own IST stack.
// Two entries, one per way of reading the FS and GS bases (user_mode_init points LSTAR
// at the one the CPU can use), so that neither tests for FSGSBASE on every call.
.macro syscall_entry name, fsgsbase
    .global \name
    .type \name, @function
\name:
    swapgs                                   // GS: this CPU's data (cpu_local.h)
    cmp $FAST_YIELD_SYSCALL, %rax
    jne 1f
// The null system call (microkernel/sched/fast_yield.h): a native thread's Yield with
// nothing else to run refreshes the thread's slice and returns at once. rax, which holds
// the number (5), is the one register it borrows until it knows the call is its own (a
// Linux thread's 5 is fstat: the whole path, every register as the thread left it);
// then rdi, the result register (0 on the way out). rcx and r11 still hold what sysretq
// loads, and nothing else changes (no stack: rsp is the user's).
    mov %gs:CPU_RUN_QUEUE, %rax
    cmpq $0, FAST_YIELD_RQ_BUSY(%rax)
    jne 5f                                   // someone else may run: the whole path
    mov FAST_YIELD_RQ_CURRENT(%rax), %rax
    cmpb $0, FAST_YIELD_LINUX_ABI(%rax)
    jne 5f                                   // Linux's 5: the whole path
    mov FAST_YIELD_TIME_SLICE(%rax), %edi
    mov %edi, FAST_YIELD_REMAINING(%rax)
    movb $1, FAST_YIELD_SLICE_EXPIRED(%rax)
    xor %edi, %edi
    mov $FAST_YIELD_SYSCALL, %eax            // (the number stays as it was)
    swapgs                                   // the user's GS base again
    sysretq
5:  mov $FAST_YIELD_SYSCALL, %eax            // (and on into the whole path)

// Every other system call: the whole path.
1:  mov %rsp, %gs:CPU_SCRATCH
    mov %gs:CPU_REGS, %rsp
    save_gprs %rsp                           // rcx, r11 keep what the CPU left (RIP, RFLAGS)
    mov %rcx, UREG_RIP(%rsp)
    mov %r11, UREG_RFLAGS(%rsp)
    mov %gs:CPU_SCRATCH, %rax
    mov %rax, UREG_RSP(%rsp)
    mov %rsp, %rbx
    mov %gs:CPU_KERNEL_SP, %rsp              // afresh: nothing below it is live any more
.if \fsgsbase
    save_fs_gs_base_fsgsbase
.else
    save_fs_gs_base_msr
.endif
    // Straight to the portable kernel's system call (no vector dispatch), with DF clear
    // as the C++ ABI wants: SFMASK cleared it.
    call *%gs:CPU_SYSCALL                    // kernel::on_user_syscall_fast(): returns if not fast
                                             // (with several CPUs on_user_syscall_locked: never)
    call _ZN6kernel15on_user_syscallEv       // kernel::on_user_syscall(), [[noreturn]]
    ud2
    .size \name, . - \name
.endm

    syscall_entry x86_64_syscall_entry, 1
    syscall_entry x86_64_syscall_entry_msr, 0

// An exception or interrupt from CPL 3, jumped to by trap_common (vectors.S). The CPU
// switched to TSS.rsp0 (the CPU's kernel stack top) and pushed ss, rsp, rflags, cs, rip (and maybe an
// error code); the stub pushed the error code or 0 and the vector. Every general register
// still holds the user's value.
//   rsp -> [0] vector [8] error [16] rip [24] cs [32] rflags [40] rsp [48] ss
// (NMI, #DF and #MC arrive on the IST stack instead; the same layout holds there.)
    .global x86_64_user_trap_entry
    .type x86_64_user_trap_entry, @function
x86_64_user_trap_entry:
    swapgs                                   // GS: this CPU's data (cpu_local.h)
    push %rax                                // a scratch register; the frame is now at 8(%rsp)
    mov %gs:CPU_REGS, %rax
    save_gprs %rax
    pop %rbx                                 // the user's rax; the frame is back at 0(%rsp)
    mov %rbx, UREG_RAX(%rax)
    mov 16(%rsp), %rcx
    mov %rcx, UREG_RIP(%rax)
    mov 32(%rsp), %rcx
    mov %rcx, UREG_RFLAGS(%rax)
    mov 40(%rsp), %rcx
    mov %rcx, UREG_RSP(%rax)
    mov (%rsp), %r12                         // vector
    mov 8(%rsp), %r13                        // error code
    mov %rax, %rbx
    // fall through

// The tail of trap entries. rbx = register file, r12 = vector, r13 = error code; all three
// are callee-saved, so they survive the rdmsr path.
enter_kernel:
    mov %gs:CPU_KERNEL_SP, %rsp              // afresh: nothing below it is live any more
    save_fs_gs_base
    cld                                      // the C++ ABI wants DF clear; gates leave it as the user had it
    mov %r12, %rdi
    mov %r13, %rsi
    call x86_64_user_trap                    // [[noreturn]]: rsp + 8 is 16-aligned here, as the ABI wants
    ud2

// x86_64_enter_user(u64* regs [rdi]): the last step of return_to_user, which has
// sanitized RIP, RSP, RFLAGS and the FS/GS bases (or the thread's own trap saved them),
// so none of the instructions below can fault. Two ways out, and the user cannot tell them apart:
// - sysretq, when rcx and r11 in the file hold exactly what it will load into RIP and
//   RFLAGS (as they do after a syscall, unless the kernel or WriteRegisters changed one
//   of the four). RIP is sanitized, so rcx is canonical: an Intel CPU raises the #GP of
//   a non-canonical rcx in ring 0 with the user's rsp already loaded. The sanitized
//   RFLAGS has no bit sysretq would drop (RF, VM), and IF only takes effect in user mode.
//   Before either, swapgs gives the user its GS base back (written into
//   IA32_KERNEL_GS_BASE's slot first). DS/ES stay as they are: the kernel never loads them after boot, and the
//   first exit of all is an iretq (a new thread's rcx is 0), which nulls the kernel's. Between loading the user's rsp and sysretq nothing can fault, and the
//   NMI and #MC that still could strike run on their own IST stack.
// - iretq, from a frame on the current kernel stack (abandoned: the next entry starts
//   at the top again), for everything else: interrupted or faulting threads, whose
//   rcx and r11 are ordinary user values.
// Two entry points, as for the syscall entry: x86_64_enter_user with wrfsbase/wrgsbase,
// x86_64_enter_user_msr (for a CPU without FSGSBASE) with the MSRs; return_to_user calls
// the one user_mode_init chose.
    .global x86_64_enter_user
    .type x86_64_enter_user, @function
x86_64_enter_user:                           // (interrupts masked: return_to_user did it)
    mov UREG_FS_BASE(%rdi), %rax
    wrfsbase %rax
    mov UREG_GS_BASE(%rdi), %rax
    swapgs                                   // GS: the user's from here on (no per-CPU data)
    wrgsbase %rax
2:  mov UREG_RCX(%rdi), %rcx                 // the user's rcx and r11 either way
    mov UREG_R11(%rdi), %r11
    cmp UREG_RIP(%rdi), %rcx
    jne 3f
    cmp UREG_RFLAGS(%rdi), %r11
    jne 3f
    load_gprs
    mov UREG_RSP(%rdi), %rsp                 // the user's: nothing is pushed from here on
    mov UREG_RDI(%rdi), %rdi                 // last: it was the base register
    sysretq                                  // RIP = rcx, RFLAGS = r11, CS/SS from STAR[63:48]
3:  pushq $USER_DS                           // ss
    pushq UREG_RSP(%rdi)
    pushq UREG_RFLAGS(%rdi)                  // IF set: interrupts come back with the user
    pushq $USER_CS
    pushq UREG_RIP(%rdi)
    load_gprs
    mov UREG_RDI(%rdi), %rdi
    iretq                                    // to CPL 3; DS/ES (kernel selectors) are nulled by the CPU
    .size x86_64_enter_user, . - x86_64_enter_user

    .global x86_64_enter_user_msr
    .type x86_64_enter_user_msr, @function
x86_64_enter_user_msr:                       // x86_64_enter_user without FSGSBASE
    mov $MSR_FS_BASE, %ecx
    mov UREG_FS_BASE(%rdi), %eax
    mov UREG_FS_BASE + 4(%rdi), %edx
    wrmsr
    mov $MSR_KERNEL_GS_BASE, %ecx            // the user's, into the slot swapgs swaps in
    mov UREG_GS_BASE(%rdi), %eax
    mov UREG_GS_BASE + 4(%rdi), %edx
    wrmsr
    swapgs
    jmp 2b
    .size x86_64_enter_user_msr, . - x86_64_enter_user_msr

    .bss
    .global x86_64_has_fsgsbase
x86_64_has_fsgsbase:        // u8: CR4.FSGSBASE is on (set once by user_mode_init)
    .skip 1

    .section .note.GNU-stack, "", @progbits
