// A key-value server used by several clients, with requests that wait: a reader asks for
// a key nobody has written yet, and the server keeps its reply until a writer puts it.
//
//   scripts/cc x86_64 -o kv.elf docs/examples/kv.cpp
//   scripts/run x86_64 --exec kv.elf            # QEMU exits with status 0
//
// Roles, by argv[1]: "server", "reader KEY", "writer"; with none, the program starts
// the others and checks their results. See echo.cpp first.
#include <sys/server.hpp>

namespace {

enum : abi::u64 { kPut = 1, kGet, kWaitFor, kQuit };
constexpr int kMaxKeys = 64, kMaxWaiters = 16;

struct Store {
    abi::u64 key[kMaxKeys], value[kMaxKeys];
    int count;
    struct Waiter {
        abi::u64 key;
        long kept; // Server::keep()'s handle
    } waiter[kMaxWaiters];
    int waiting;

    long find(abi::u64 k) const {
        for (int i = 0; i < count; ++i)
            if (key[i] == k) return i;
        return -1;
    }
};

// put(key, value): store it, and answer every reader that waits for that key.
sys::Response put(Store& s, sys::Server& server, const sys::Request& r) {
    long i = s.find(r.w[0]);
    if (i < 0) {
        if (s.count == kMaxKeys) return sys::Response::result(-sys::kENOSPC);
        i = s.count++;
        s.key[i] = r.w[0];
    }
    s.value[i] = r.w[1];
    for (int w = 0; w < s.waiting;)
        if (s.waiter[w].key == r.w[0]) {
            server.answer(s.waiter[w].kept, static_cast<long>(r.w[1])); // (EPIPE: that reader is gone)
            s.waiter[w] = s.waiter[--s.waiting];
        } else {
            ++w;
        }
    return sys::Response::result(0);
}

// get(key): the value, or -ENOENT.
sys::Response get(Store& s, sys::Server&, const sys::Request& r) {
    long i = s.find(r.w[0]);
    return sys::Response::result(i < 0 ? -sys::kENOENT : static_cast<long>(s.value[i]));
}

// wait_for(key): the value, as soon as there is one. The reply is kept meanwhile: the
// server goes on serving everyone else.
sys::Response wait_for(Store& s, sys::Server& server, const sys::Request& r) {
    long i = s.find(r.w[0]);
    if (i >= 0) return sys::Response::result(static_cast<long>(s.value[i]));
    if (s.waiting == kMaxWaiters) return sys::Response::result(-sys::kENOSPC);
    long kept = server.keep();
    if (kept < 0) return sys::Response::result(kept);
    s.waiter[s.waiting++] = {r.w[0], kept};
    return sys::Response::later();
}

sys::Response quit(Store&, sys::Server&, const sys::Request&) { sys::exit_group(0); }

int server() {
    long ep = sys::cap_create(sys::CapType::Endpoint);
    if (ep < 0 || sys::service_register("kv", static_cast<abi::u64>(ep)) != 0) return 1;
    static const sys::Server::Handler<Store> handlers[] = {
        {kPut, put}, {kGet, get}, {kWaitFor, wait_for}, {kQuit, quit}};
    static Store store; // (zeros: no static constructor runs in a libsys program)
    sys::Server s{sys::Endpoint(static_cast<abi::u64>(ep))};
    return static_cast<int>(-s.serve(store, handlers));
}

sys::Endpoint kv() {
    long slot;
    while ((slot = sys::service_lookup("kv")) == -sys::kENOENT) sys::yield();
    return sys::Endpoint(slot < 0 ? abi::kNoSlot : static_cast<abi::u64>(slot));
}

// A reader waits for its key and exits with the value it got.
int reader(abi::u64 key) {
    sys::Reply r = kv().call(kWaitFor, {key});
    sys::print_whole("reader {}: key {} is {}\n", sys::getpid(), key, static_cast<long>(r.mr[0]));
    return r.ok() ? static_cast<int>(r.mr[0]) : 255;
}

// The writer puts keys 1..3 with values 10, 20, 30.
int writer() {
    sys::Endpoint store = kv();
    for (abi::u64 k = 1; k <= 3; ++k)
        if (store.call(kPut, {k, 10 * k}).mr[0] != 0) return 1;
    return 0;
}

int start(const char* self, const char* role, const char* arg = nullptr) {
    char path[80] = "/";
    for (int i = 0; self[i] && i < 78; ++i) path[i + 1] = self[i];
    const char* argv[] = {self, role, arg, nullptr};
    return sys::spawn(path, argv);
}

int wait_for_exit(int pid) {
    int status = -1;
    return pid > 0 && sys::waitpid(pid, &status, 0) == pid && sys::wifexited(status) ? sys::wexitstatus(status) : -1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && argv[1][0] == 's') return server();
    if (argc > 2 && argv[1][0] == 'r') return reader(static_cast<abi::u64>(argv[2][0] - '0'));
    if (argc > 1 && argv[1][0] == 'w') return writer();
    int srv = start(argv[0], "server");
    // The readers ask first: their replies wait in the server until the writer has run.
    int readers[3] = {start(argv[0], "reader", "1"), start(argv[0], "reader", "2"), start(argv[0], "reader", "3")};
    int failures = wait_for_exit(start(argv[0], "writer")) != 0;
    for (int i = 0; i < 3; ++i) failures += wait_for_exit(readers[i]) != 10 * (i + 1);
    sys::Reply got = kv().call(kGet, {2});
    failures += got.mr[0] != 20;
    sys::print("kv: get(2) = {}; {} failures\n", static_cast<long>(got.mr[0]), failures);
    kv().call(kQuit);
    wait_for_exit(srv);
    return failures;
}
