// The process server's benchmarks (scripts/bench boots this with exec=procbench, under
// QEMU -icount): guest instructions per operation, from the counter read just before the
// first call to just after the operation is observed complete by the caller, median of
// kSamples after kWarmup. Everything in between is counted: the IPC to procserv, its
// work, the kernel's, the child's own instructions and the scheduler's.
//
//   thread_create_join           thread_create of a thread that returns at once + thread_join
//   clone_thread_exit_wake       clone(VM|FS|FILES|SIGHAND|THREAD|SETTLS|PARENT_SETTID|
//                                CHILD_CLEARTID) of a thread that exits at once, until the
//                                creator, blocked in futex_wait on the tid word, is woken
//   clone_fork_exit_waitpid      fork-style clone (a copy of the address space) + exit_group
//                                in the child + waitpid
//   spawn_waitpid                spawn of this program from the initrd + waitpid
//   page_fault_first_touch       the first write to a page of an anonymous mapping: the
//                                fault, procserv backing it with a frame, the resume
//   mmap_touch_munmap_1mib       mmap of 1 MiB, a write to each of its 256 pages, munmap
//   fork_1mib_exit_waitpid       clone_fork_exit_waitpid with 1 MiB more touched memory
//   fork_64mib_exit_waitpid      the same with 64 MiB
//   fork_1mib_first_exit_waitpid, fork_64mib_first_exit_waitpid
//                                the first such fork after every page was written (each
//                                is still writable and loses write access): one sample
//   cow_write_fault              the parent's first write to a private page after a fork,
//                                while the child still maps it: the fault and the copy
//   server_call_reply_cross_process  a Call with no words to a server started by procserv
//                                (sys::Server's loop, found with service_lookup) and its
//                                reply with no words: procserv is not on the path
//   service_lookup               a lookup of that server's name (a new badged capability)
#include "proc/check.hpp"

#include <sys/server.hpp>
#include <sys/syscall.hpp>

namespace {

constexpr int kWarmup = 2, kSamples = 11;
pt::Stack<16384> g_stack;
alignas(64) unsigned char g_tls[64];
unsigned long long g_samples[kSamples];
unsigned long long g_overhead;
int g_failures;

void report(const char* name, unsigned long long v) {
    pt::Line l;
    l.str("bench: ").str(name).str(" ").num(static_cast<long>(v)).print();
}

void fail(const char* what, long error) {
    pt::Line l;
    l.str("bench: FAILED: ").str(what).str(" (").num(error).str(")").print();
    ++g_failures;
}

template <class Op>
unsigned long long measure(Op op) {
    for (int i = 0; i < kWarmup; ++i) (void)op();
    for (int i = 0; i < kSamples; ++i) {
        unsigned long long d = op();
        g_samples[i] = d > g_overhead ? d - g_overhead : 0;
    }
    for (int i = 1; i < kSamples; ++i)
        for (int j = i; j > 0 && g_samples[j - 1] > g_samples[j]; --j) {
            unsigned long long t = g_samples[j];
            g_samples[j] = g_samples[j - 1];
            g_samples[j - 1] = t;
        }
    return g_samples[kSamples / 2];
}

void* nothing(void*) { return nullptr; }

/// A fork-style clone whose child ends at once, and the parent's waitpid for it.
unsigned long long fork_exit_waitpid(const char* what) {
    unsigned long long t0 = sys_read_counter();
    long pid = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid == 0) sys::exit_group(0);
    int status = -1;
    long r = pid > 0 ? sys::waitpid(static_cast<int>(pid), &status, 0) : pid;
    unsigned long long t1 = sys_read_counter();
    if (r != pid || status != 0) fail(what, r);
    return t1 - t0;
}
int exit_at_once(void*) { return 0; }

/// The benchmark's server: label 1 answers with no words, label 2 ends it.
int bench_server() {
    long ep = sys::cap_create(sys::CapType::Endpoint);
    if (ep < 0 || sys::service_register("bench", static_cast<abi::u64>(ep)) != 0) return 1;
    sys::Server server{sys::Endpoint(static_cast<abi::u64>(ep))};
    server.run([](const sys::Request& r) {
        if (r.label == 2) sys::exit_group(0);
        return sys::Response::with(0);
    });
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && pt::streq(argv[1], "child")) return 0;
    if (argc > 1 && pt::streq(argv[1], "server")) return bench_server();
    unsigned long long a = sys_read_counter(), b = sys_read_counter();
    g_overhead = b - a;

    report("thread_create_join", measure([] {
        unsigned long long t0 = sys_read_counter();
        int tid = sys::thread_create("bench", g_stack.top(), nothing, nullptr);
        int r = tid > 0 ? sys::thread_join(tid, nullptr) : tid;
        unsigned long long t1 = sys_read_counter();
        if (r != 0) fail("thread_create + join", r);
        return t1 - t0;
    }));

    report("clone_thread_exit_wake", measure([] {
        constexpr unsigned long kFlags = sys::CLONE_VM | sys::CLONE_FS | sys::CLONE_FILES | sys::CLONE_SIGHAND |
            sys::CLONE_THREAD | sys::CLONE_SETTLS | sys::CLONE_PARENT_SETTID | sys::CLONE_CHILD_CLEARTID;
        int ptid = 0, ctid = -1;
        unsigned long long t0 = sys_read_counter();
        long tid = sys::clone_fn(exit_at_once, nullptr, g_stack.top(), kFlags, &ptid, &ctid,
                                 reinterpret_cast<unsigned long>(g_tls));
        if (tid > 0)
            while (pt::load(&ctid) != 0) sys::futex_wait(&ctid, -1);
        unsigned long long t1 = sys_read_counter();
        if (tid <= 0 || ptid != tid) fail("clone of a thread", tid);
        return t1 - t0;
    }));

    report("clone_fork_exit_waitpid", measure([] { return fork_exit_waitpid("fork-style clone + waitpid"); }));

    report("spawn_waitpid", measure([argv] {
        const char* args[] = {argv[0], "child", nullptr};
        unsigned long long t0 = sys_read_counter();
        int pid = sys::spawn("/procbench", args);
        int status = -1;
        int r = pid > 0 ? sys::waitpid(pid, &status, 0) : pid;
        unsigned long long t1 = sys_read_counter();
        if (r != pid || status != 0) fail("spawn + waitpid", r);
        return t1 - t0;
    }));

    constexpr long kPage = 4096, kMiB = 1 << 20;
    constexpr int kRW = sys::PROT_READ | sys::PROT_WRITE, kAnon = sys::MAP_PRIVATE | sys::MAP_ANONYMOUS;
    report("page_fault_first_touch", measure([] {
        long a = sys::mmap(nullptr, kPage, kRW, kAnon, -1, 0);
        if (a < 0) fail("mmap of a page", a);
        auto* p = reinterpret_cast<volatile unsigned char*>(a);
        unsigned long long t0 = sys_read_counter();
        if (a > 0) p[0] = 1;
        unsigned long long t1 = sys_read_counter();
        if (a > 0) sys::munmap(reinterpret_cast<void*>(a), kPage);
        return t1 - t0;
    }));

    report("mmap_touch_munmap_1mib", measure([] {
        unsigned long long t0 = sys_read_counter();
        long a = sys::mmap(nullptr, kMiB, kRW, kAnon, -1, 0);
        auto* p = reinterpret_cast<volatile unsigned char*>(a);
        for (long i = 0; a > 0 && i < kMiB; i += kPage) p[i] = 1;
        long r = a > 0 ? sys::munmap(reinterpret_cast<void*>(a), kMiB) : a;
        unsigned long long t1 = sys_read_counter();
        if (r != 0) fail("mmap, touch and munmap of 1 MiB", r);
        return t1 - t0;
    }));

    long mib = sys::mmap(nullptr, kMiB, kRW, kAnon, -1, 0);
    for (long i = 0; mib > 0 && i < kMiB; i += kPage) reinterpret_cast<volatile unsigned char*>(mib)[i] = 1;
    report("fork_1mib_first_exit_waitpid", fork_exit_waitpid("first fork with 1 MiB written + waitpid") - g_overhead);
    report("fork_1mib_exit_waitpid", measure([] { return fork_exit_waitpid("fork with 1 MiB touched + waitpid"); }));
    if (mib > 0) sys::munmap(reinterpret_cast<void*>(mib), kMiB);
    long big = sys::mmap(nullptr, 64 * kMiB, kRW, kAnon, -1, 0);
    for (long i = 0; big > 0 && i < 64 * kMiB; i += kPage) reinterpret_cast<volatile unsigned char*>(big)[i] = 1;
    report("fork_64mib_first_exit_waitpid", fork_exit_waitpid("first fork with 64 MiB written + waitpid") - g_overhead);
    report("fork_64mib_exit_waitpid", measure([] { return fork_exit_waitpid("fork with 64 MiB touched + waitpid"); }));
    if (big > 0) sys::munmap(reinterpret_cast<void*>(big), 64 * kMiB);

    // A child that waits (on a futex in shared memory) while the parent writes.
    static int* gate;
    static volatile unsigned char* page;
    gate = reinterpret_cast<int*>(sys::mmap(nullptr, kPage, kRW, sys::MAP_SHARED | sys::MAP_ANONYMOUS, -1, 0));
    page = reinterpret_cast<volatile unsigned char*>(sys::mmap(nullptr, kPage, kRW, kAnon, -1, 0));
    report("cow_write_fault", measure([] {
        page[0] = 1; // present before the fork
        pt::store(gate, 0);
        long pid = sys::clone(sys::SIGCHLD, nullptr, nullptr, nullptr, 0);
        if (pid == 0) {
            pt::wait_change(gate, 0);
            sys::exit_group(page[0] == 1 ? 0 : 1);
        }
        unsigned long long t0 = sys_read_counter();
        page[0] = 2;
        unsigned long long t1 = sys_read_counter();
        pt::release(gate, 1);
        int status = -1;
        long r = pid > 0 ? sys::waitpid(static_cast<int>(pid), &status, 0) : pid;
        if (r != pid || status != 0) fail("a write after a fork while the child runs", r);
        return t1 - t0;
    }));

    const char* server_args[] = {argv[0], "server", nullptr};
    int server = sys::spawn("/procbench", server_args);
    long slot = -sys::kENOENT;
    while (server > 0 && (slot = sys::service_lookup("bench")) == -sys::kENOENT) sys::yield();
    if (slot < 0) fail("the bench server", slot);
    sys::Endpoint bench(static_cast<abi::u64>(slot));
    report("server_call_reply_cross_process", measure([bench] {
        unsigned long long t0 = sys_read_counter();
        sys::Reply r = bench.call(1);
        unsigned long long t1 = sys_read_counter();
        if (!r.ok() || r.length != 0) fail("a call to a server", static_cast<long>(r.error));
        return t1 - t0;
    }));
    report("service_lookup", measure([] {
        unsigned long long t0 = sys_read_counter();
        long s = sys::service_lookup("bench");
        unsigned long long t1 = sys_read_counter();
        if (s < 0) fail("service_lookup", s);
        sys::cap_delete(static_cast<abi::u64>(s));
        return t1 - t0;
    }));
    bench.call(2);
    int status = -1;
    if (server <= 0 || sys::waitpid(server, &status, 0) != server || status != 0) fail("the bench server's end", status);

    if (g_failures == 0) pt::Line().str("bench: done").print();
    return g_failures == 0 ? 0 : 1;
}
