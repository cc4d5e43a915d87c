// The kernel's system-call ABI: the one source of truth for syscall numbers, object
// types, method numbers, rights, message layout and error codes; each method's arguments
// are in the method table beside it (abi/methods.hpp). The kernel's dispatch and libsys
// both include these files, so the two sides cannot drift. docs/abi.md explains them in
// prose; where they disagree, these files win.
//
// Only <cstdint> here: user space includes it too.
#pragma once

#include <cstdint>

namespace abi {

using u64 = std::uint64_t;
using u32 = std::uint32_t;

/// System calls. The number goes in the portable register kRegSyscall.
enum class Syscall : u64 {
    Send = 0,         ///< send on an endpoint (blocks until a receiver takes it)
    Receive = 1,      ///< wait for a message on an endpoint
    Call = 2,         ///< send, then wait for the reply through a one-shot reply capability
    Reply = 3,        ///< answer the caller this thread last received a call from
    ReplyReceive = 4, ///< Reply (if a caller is pending), then Receive
    Yield = 5,        ///< give up the rest of the time slice
    Invoke = 6,       ///< call method `label` on the object a capability names
    DebugPutChar = 7, ///< write the low byte of mr0 to the kernel's console (bring-up and tests)
    Count_ = 8,
};

/// Kernel object types, as a capability reports them.
enum class ObjectType : u32 {
    Untyped = 1,
    CapSpace = 2,
    Thread = 3,
    Endpoint = 4,
    Semaphore = 5,
    Frame = 6,
    AddressSpace = 7,
    Console = 8,    ///< the kernel's console (boot-time object, root task only)
    Machine = 9,    ///< IRQ control and power (boot-time object, root task only)
    IrqHandler = 10, ///< one interrupt line, issued by Machine
    Reply = 11,     ///< holds a caller's reply so a server can answer it later (kept replies)
    MapBudget = 12, ///< page-table frames and mapping slots an address space grows by
};

/// Rights carried by a capability. Read, Write and Grant mean the same for every object;
/// the per-object bits start at kRightObject0 and are named per type below.
namespace rights {
constexpr u32 kRead = 1u << 0;  ///< endpoint: receive; semaphore: wait; thread: read registers
constexpr u32 kWrite = 1u << 1; ///< endpoint: send/call; semaphore: signal; frame: map writable
constexpr u32 kGrant = 1u << 2; ///< endpoint: transfer capabilities with a message
constexpr u32 kObject0 = 1u << 3;
constexpr u32 kRetype = kObject0;  ///< untyped: create objects from it
constexpr u32 kControl = kObject0; ///< thread: configure, resume, suspend, priority...
constexpr u32 kExecute = kObject0; ///< frame: map executable
constexpr u32 kMap = kObject0;     ///< address space: map, unmap, protect
constexpr u32 kEdit = kObject0;    ///< cap space: copy, mint, move, delete, revoke
constexpr u32 kAll = (1u << 4) - 1;
} // namespace rights

/// Portable register file indices. The arch stores the user's registers in an array of
/// kRegCount words; indices below kRegArchFirst have the meanings below, the rest are
/// laid out by the arch (docs/abi.md lists each arch's mapping).
enum Reg : u32 {
    kRegIp = 0,
    kRegSp = 1,
    kRegSyscall = 2, ///< syscall number in; unchanged on return
    kRegCap = 3,     ///< in: capability slot; out: 0 or a negative errno
    kRegInfo = 4,    ///< in/out: MessageInfo
    kRegMr0 = 5,     ///< message registers 0..3 (in and out)
    kRegBadge = 9,   ///< out: badge of the sender (Receive, ReplyReceive)
    kRegArchFirst = 10,
    kRegCount = 48,
};

/// Message registers passed in CPU registers; the rest live in the IPC buffer.
constexpr u32 kMsgRegsInRegisters = 4;
/// Longest message, in 64-bit words.
constexpr u32 kMaxMsgWords = 32;
/// Most capabilities one message can carry.
constexpr u32 kMaxMsgCaps = 3;

/// The first word of every message: label (method number for Invoke), length in words
/// and number of capabilities. Bits: [0,6) length, [6,8) caps, [8,64) label.
struct MessageInfo {
    u64 label = 0;
    u32 length = 0;
    u32 caps = 0;
    static constexpr MessageInfo decode(u64 w) {
        return {w >> 8, static_cast<u32>(w & 0x3f), static_cast<u32>((w >> 6) & 3)};
    }
    constexpr u64 encode() const {
        return (label << 8) | (u64{caps & 3} << 6) | (length & 0x3f);
    }
};

static_assert(MessageInfo::decode(MessageInfo{0xabc, 32, 3}.encode()).label == 0xabc);
static_assert(MessageInfo::decode(MessageInfo{0xabc, 32, 3}.encode()).length == 32);
static_assert(MessageInfo::decode(MessageInfo{0xabc, 32, 3}.encode()).caps == 3);

/// The IPC buffer: one per thread, in a frame of its address space. Words below
/// kMsgRegsInRegisters of `mr` are unused (they travel in registers).
struct IpcBuffer {
    u64 mr[kMaxMsgWords];
    u64 send_caps[kMaxMsgCaps]; ///< slots in the sender's cap space to transfer
    u64 receive_slot;           ///< first slot of the receiver's cap space for incoming caps
    u64 received_badges[kMaxMsgCaps];
};
static_assert(sizeof(IpcBuffer) <= 4096);

/// Sentinel for "no receive slot".
constexpr u64 kNoSlot = ~u64{0};

/// Methods, one enum per object type: the number travels as MessageInfo::label of an
/// Invoke. Each method's arguments, the right it needs and its answer are in the method
/// table, abi/methods.hpp (abi::ThreadConfigure for ThreadMethod::Configure, ...).
enum class UntypedMethod : u64 { Retype = 1 };
/// The invoked cap space is the source; Copy, Mint and Move take an optional destination.
enum class CapSpaceMethod : u64 { Copy = 1, Mint = 2, Move = 3, Delete = 4, Revoke = 5, Identify = 6 };
enum class ThreadMethod : u64 {
    Configure = 1,
    ReadRegisters = 2,
    WriteRegisters = 3,
    SetTls = 4,
    SetPriority = 5,
    SetAffinity = 6,
    Resume = 7,
    Suspend = 8,
    SetLinuxAbi = 9, ///< every syscall instruction becomes a LinuxSyscall message (docs/abi.md)
    SetTimeout = 10,
    CopyFpu = 11,
    ReadFpu = 12,    ///< the thread's FP/SIMD image (kFpuWords below)
    WriteFpu = 13,
    ReadCpuTime = 14,
};
/// The kernel's timer tick: sleeps and timeouts end on one, CPU time is counted in them.
constexpr u64 kTickNs = 10'000'000;
/// A thread's FP/SIMD image as ReadFpu and WriteFpu see it: kFpuWords words laid out by
/// the arch (docs/abi.md: x86_64 the FXSAVE image; aarch64 q0..q31, FPSR, FPCR; riscv64
/// f0..f31, fcsr), the rest zero. A thread that never used FP/SIMD reads the reset state.
constexpr u32 kFpuWords = 128;
enum class SemaphoreMethod : u64 { Signal = 1, Wait = 2, TryWait = 3 };
enum class AddressSpaceMethod : u64 { Map = 1, Unmap = 2, Protect = 3, Query = 4, Grow = 5 };
/// A kept reply (docs/abi.md, "Kept replies"): the server keeps the reply of the Call it
/// received last, then answers it once, whenever it likes.
enum class ReplyMethod : u64 { Keep = 1, Send = 2 };
enum class ConsoleMethod : u64 { Write = 1, Read = 2 };
enum class MachineMethod : u64 { IssueIrqHandler = 1, PowerOff = 2, ReadClock = 3 };
enum class IrqHandlerMethod : u64 { SetSemaphore = 1, Ack = 2 };

/// What the root task finds when it starts: capabilities in these slots of its cap
/// space, its program mapped from the ELF file, a stack below kStackTop (argc = 0 at the
/// stack pointer, System V style), its IPC buffer mapped at kIpcBuffer, a read-only
/// RootInfo at kInfo and the initrd mapped read-only at kInitrd. Besides these, every
/// byte of RAM the kernel does not use itself is in the untyped capabilities RootInfo
/// lists: from then on the kernel creates nothing on its own.
namespace root {
constexpr u64 kUntyped = 0;      ///< 32 MiB (besides its cap space) to create objects from (Retype); paid for the root's own objects
constexpr u64 kCapSpace = 1;     ///< its own cap space (Edit)
constexpr u64 kAddressSpace = 2; ///< its own address space (Map)
constexpr u64 kThread = 3;       ///< its own thread (Control)
constexpr u64 kIpcBufferFrame = 4;
constexpr u64 kConsole = 5;      ///< the kernel's console (Read, Write)
constexpr u64 kMachine = 6;      ///< IRQ control and power (Control)
constexpr u64 kInfoFrame = 7;    ///< the frame of RootInfo (Read)
constexpr u64 kFirstFree = 8;    ///< slots [kFirstFree, kFirstFrame) are empty
constexpr u64 kFirstFrame = 64;  ///< the program's, stack's frames, in address order
constexpr u64 kFirstBootSlot = 8192; ///< the initrd's frames, then the untypeds (Info says how many)
/// Its cap space has a slot for every page of RAM (a process server holds a capability
/// per frame it lends): 2^Info::cap_space_bits slots, at least 2^kMinCapSpaceBits.
constexpr u32 kMinCapSpaceBits = 16;
constexpr u64 kStackTop = 0x7fff0000;
constexpr u64 kStackPages = 4;
constexpr u64 kIpcBuffer = 0x7fff1000;
constexpr u64 kInfo = 0x7fff2000;
constexpr u64 kInitrd = 0x40000000;
constexpr u64 kMaxUntypeds = 32;
constexpr u64 kInfoMagic = 0x6f666e49746f6f52; // "RootInfo"

struct Info {
    u64 magic;            ///< kInfoMagic
    u64 first_free_slot;  ///< every slot from here on is empty
    u64 program_frames;   ///< frames in [kFirstFrame, kFirstFrame + program_frames): program, then stack
    u64 initrd_first_frame; ///< the initrd's frames (Read), mapped in order from kInitrd
    u64 initrd_frames;
    u64 initrd_va;        ///< where the cpio archive starts (kInitrd + its offset in its first page)
    u64 initrd_size;      ///< its bytes
    u64 untyped_first;    ///< untyped capabilities [untyped_first, + untyped_count)
    u64 untyped_count;
    u64 untyped_bytes[kMaxUntypeds]; ///< size of each (its first 64 bytes hold its header)
    u64 untyped_phys[kMaxUntypeds];  ///< physical base of each (for DMA-minded servers)
    u64 console_irq;      ///< the console's interrupt line, or ~0 when it has none
    u64 asids;            ///< address-space identifiers the CPU has (0: none)
    u64 rtc_seconds;      ///< the real-time clock when the kernel booted: seconds since 1970 (UTC); 0: none
    u64 cap_space_bits;   ///< its cap space has 2^cap_space_bits slots
    u64 cpus;             ///< CPUs that run threads: 0 .. cpus-1 (Thread.SetAffinity's bits)
    char cmdline[256];    ///< the kernel command line
};
static_assert(sizeof(Info) <= 4096);
} // namespace root

/// Labels of the message the kernel sends to a thread's fault endpoint on its behalf.
/// mr[0] = kind, mr[1] = faulting address, mr[2] = instruction pointer, mr[3] = the
/// access that faulted (FaultAccess; None for faults other than page faults).
enum class FaultKind : u64 { PageFault = 1, IllegalInstruction = 2, Other = 3, LinuxSyscall = 4 };
/// What a page fault tried to do, with Linux's PROT_* values: a read, a write, or an
/// instruction fetch (a missing page and a page without the right look alike).
enum class FaultAccess : u64 { None = 0, Read = 1, Write = 2, Execute = 4 };
/// Label of the handler's reply: resume (mr[0..1] optionally new ip, sp) or destroy. To a
/// LinuxSyscall, Resume writes mr0 into the Linux result register (rax / x0 / a0) first;
/// ResumeAsIs resumes any fault with the registers as they are (after WriteRegisters).
enum class FaultReply : u64 { Resume = 0, ResumeWithRegs = 1, Kill = 2, ResumeAsIs = 3 };
/// A LinuxSyscall message: mr0 the number, mr1..mr6 the six arguments, mr7 the address
/// after the syscall instruction, mr8 the stack pointer (words past the fourth only with
/// the handler's IPC buffer).
constexpr u32 kLinuxSyscallWords = 9;

/// Error codes returned in kRegCap are negated Linux errno values.
namespace errc {
constexpr int kPerm = 1, kNoEnt = 2, kIntr = 4, kBadF = 9, kAgain = 11, kNoMem = 12,
              kAcces = 13, kFault = 14, kBusy = 16, kExist = 17, kInval = 22, kNoTty = 25,
              kPipe = 32, kRange = 34, kNoSys = 38, kBadMsg = 74, kOpNotSupp = 95, kTimedOut = 110;
} // namespace errc

} // namespace abi
