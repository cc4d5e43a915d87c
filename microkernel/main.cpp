// The portable kernel's boot path: report what the firmware gave us, take over physical
// memory and the address space, prove interrupts work, then power off.
#include <arch/elf.hpp>
#include <microkernel/arch.hpp>
#include <base/boot_only.hpp>
#include <microkernel/calendar.hpp>
#include <microkernel/cmdline.hpp>
#include <base/cpio.hpp>
#include <base/elf.hpp>
#include <base/format.hpp>
#include <microkernel/frame_allocator.hpp>
#include <microkernel/kernel_space.hpp>
#include <microkernel/smp.hpp>
#include <microkernel/kernel_state.hpp>
#include <microkernel/root_task.hpp>

namespace kernel {
namespace {


BOOT_ONLY u64 total_ram(const BootInfo& info) {
    u64 sum = 0;
    for (const PhysRange& r : info.ram) sum += r.size;
    return sum;
}

constexpr u64 kUserSpaceEnd = user_space_end<arch::Pte>();

// Programs are validated by the loader at boot, so that a broken build or a corrupt
// initrd shows here rather than when the first process is started.
BOOT_ONLY void describe_program(const cpio::Entry& e) {
    auto image = elf::Image::open(e.data, e.size, elf::Machine(arch::kElfMachine), kUserSpaceEnd);
    if (!image) {
        print("initrd: program {} (ELF, invalid: {})\n", e.name, elf::error_name(image.error()));
        return;
    }
    print("initrd: program {} (ELF, entry {:#x}, {} segments:", e.name, image->entry(),
          image->segment_count());
    image->for_each_segment([](const elf::Segment& s) {
        print(" {} {:#x}+{:#x}", s.rights_name(), s.vaddr, s.memsz);
    });
    print(")\n");
}

BOOT_ONLY void list_initrd(const BootInfo& info, PhysWindow window) {
    if (info.initrd.empty()) {
        print("initrd: none\n");
        return;
    }
    auto archive = cpio::Archive::open(window.at(PhysAddr{info.initrd.base}), info.initrd.size);
    if (!archive) {
        print("initrd: unreadable ({})\n", error_name(archive.error()));
        return;
    }
    archive->for_each([](const cpio::Entry& e) {
        if (!e.is_file()) return;
        if (e.size >= 4 && __builtin_memcmp(e.data, "\x7f" "ELF", 4) == 0) describe_program(e);
        else print("initrd: file {} ({} bytes)\n", e.name, e.size);
    });
}

// Test boot mode: touch an address nothing maps, so the trap path must report it.
constexpr u64 kTestFaultAddress = 0xdead0000;

// Test boot mode test=join: every other CPU enters the image by itself first, as it does
// when a loader hands over every CPU it holds, and waits there until start_other_cpus
// starts it (where the arch has such a loader: riscv64).
BOOT_ONLY void send_cpus_to_image(const BootInfo& info) {
    u32 sent = 0;
    for (u64 id : info.cpus) {
        if (id == info.boot_cpu) continue;
        if (const char* why = arch::send_cpu_to_image(id)) print("test: join: arch id {} not sent into the image: {}\n", id, why);
        else ++sent;
    }
    print("test: join: {} CPUs sent into the image\n", sent);
}

BOOT_ONLY void run_test_mode(const char* mode, const BootInfo& info) {
    if (!*mode) return;
    if (cmdline_has(mode, "join")) return send_cpus_to_image(info);
    if (cmdline_has(mode, "fault")) {
        print("test: reading unmapped address {:#x}\n", kTestFaultAddress);
        (void)*reinterpret_cast<volatile u64*>(kTestFaultAddress);
        panic("test: the bad access did not fault");
    }
    if (cmdline_has(mode, "undef")) {
        print("test: executing an undefined instruction\n");
        arch::trigger_undefined_instruction();
        panic("test: the undefined instruction did not trap");
    }
    print("test: unknown test mode '{}'\n", mode);
}

// The CPUs the firmware describes, by arch id, and the one that booted (the others start
// once the timer runs: start_other_cpus).
BOOT_ONLY void report_cpus(const BootInfo& info) {
    if (info.cpus.count == 0) {
        print("cpus: the firmware lists none; the boot CPU is {}\n", info.boot_cpu);
        return;
    }
    bool listed = false;
    print("cpus: {} (arch ids", info.cpus.count);
    for (u64 id : info.cpus) {
        print(" {}", id);
        listed |= id == info.boot_cpu;
    }
    print("), booted on {}{}", info.boot_cpu, listed ? "" : ", which is not among them");
    if (info.cpus_listed > info.cpus.count)
        print("; the firmware lists {} (the first {} kept)", info.cpus_listed, info.cpus.count);
    if (info.cpus_listed > kMaxCpus) print("; the kernel runs at most {}", kMaxCpus);
    print(info.cpus.count > 1 ? "\n" : "; threads run on that one\n");
}

} // namespace

KernelState g_kernel;

// Every tick reaches the scheduler, which charges the running thread's time slice on
// the CPU that ticked. The boot CPU's ticks also keep the kernel's time and deadlines.
void on_timer_tick() {
    const u32 cpu = arch::cpu_index();
    if (cpu == 0) {
        g_kernel.ticks = g_kernel.ticks + 1;
        if (g_kernel.scheduler.has_timeouts()) g_kernel.scheduler.expire(arch::clock_ns());
    }
    g_kernel.scheduler.tick(cpu);
}

[[noreturn]] void panic(const char* why) {
    arch::interrupts_disable();
    stop_other_cpus();
    print("PANIC: {}\n", why);
    arch::poweroff(kPanicStatus);
}

BOOT_ONLY [[noreturn]] void main(BootInfo& info) {
    PhysWindow window{arch::kDirectMapBase};
    u64 ram = total_ram(info);
    print("microkernel {} booted by {}: RAM {} MiB ({} KiB usable), initrd {} bytes\n", info.arch,
          info.firmware[0] ? info.firmware : "unknown firmware", (ram + (1 << 20) - 1) >> 20,
          ram >> 10, info.initrd.size);
    if (info.cmdline[0]) print("cmdline: {}\n", info.cmdline);
    if (info.rtc_seconds) {
        const Date d = date_of(info.rtc_seconds);
        print("rtc: {}-{:02}-{:02} {:02}:{:02}:{:02} UTC\n", d.year, d.month, d.day, d.hour, d.minute, d.second);
    } else {
        print("rtc: none found (the real time counts from 1970 at boot)\n");
    }
    report_cpus(info);
    if (info.truncated) print("warning: firmware described more regions than the kernel keeps\n");
    list_initrd(info, window);

    auto frames = g_kernel.frames.init(info.ram.items, info.ram.count, info.reserved.items,
                                info.reserved.count, window);
    if (!frames) panic("no usable memory for the frame allocator");
    print("frames: {} free of {} KiB RAM ({} reserved ranges)\n", g_kernel.frames.free_frames(),
          ram >> 10, info.reserved.count);

    auto space = build_kernel_space(info, g_kernel.frames, window);
    if (!space) {
        print("paging: {}\n", error_name(space.error()));
        panic("cannot build the kernel address space");
    }
    arch::activate_page_table(space.value());
    print("paging: kernel tables at {} active, {} frames free\n", space.value(),
          g_kernel.frames.free_frames());

    char test_mode[32] = {};
    if (cmdline_get(info.cmdline, "test", test_mode, sizeof test_mode)) run_test_mode(test_mode, info);

    constexpr u32 kHz = static_cast<u32>(1'000'000'000 / abi::kTickNs);
    constexpr u64 kTicks = 5;
    arch::timer_start(kHz);
    arch::interrupts_enable();
    // One line per tick, also when two came before this loop looked (a slow host: the
    // boot suite once saw tick 4, then tick 6).
    u64 seen = 0;
    while (seen < kTicks) {
        arch::wait_for_interrupt();
        while (seen < g_kernel.ticks && seen < kTicks) print("timer: tick {}\n", ++seen);
    }
    arch::interrupts_disable();
    const u32 online = start_other_cpus(info, g_kernel.frames, window);

    // From here on the kernel only reacts: it starts the root task and runs threads.
    // `init=NAME` on the command line picks another program of the initrd.
    char program[64] = "procserv";
    if (cmdline_get(info.cmdline, "init", program, sizeof program) && !program[0])
        panic("init= names no program");
    // `asids=N` keeps at most N address-space identifiers (ids 1..N-1; 0 or 1: none, every
    // switch of address space flushes): the path of a CPU without them, on one that has them.
    u32 asids = arch::asid_count();
    if (auto limit = cmdline_number(info.cmdline, "asids")) {
        if (limit.value() < asids) asids = static_cast<u32>(limit.value());
        print("asids: {} address-space identifiers of the CPU's {}\n", asids, arch::asid_count());
    } else if (limit.error() != Error::NotFound) {
        panic("asids= wants a decimal count");
    }
    g_kernel.asids.init(asids);
    auto root = start_root_task(info, program, online, g_kernel, window);
    if (!root) {
        print("root task: cannot start '{}': {}\n", program, error_name(root.error()));
        panic("no root task");
    }
    print("root task: started {} ({} frames free)\n", program, g_kernel.frames.free_frames());
    if (online > 1) go_smp(online);
    run_user_threads();
}

} // namespace kernel
