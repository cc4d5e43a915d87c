// Your first server: an echo service and three clients, each in a process of its own.
//
//   scripts/cc x86_64 -o echo.elf docs/examples/echo.cpp
//   scripts/run x86_64 --exec echo.elf          # QEMU exits with status 0
//
// Started with no argument, the program spawns itself twice in other roles: once as the
// server ("server"), which asks procserv for an endpoint, registers it as "echo" and
// answers every call; then three times as a client ("client"), which looks the service up
// and calls it. The calls go from client to server through the kernel; procserv only
// made the endpoint and handed out the capabilities (docs/procserv.md, "Capabilities and
// servers").
#include <sys/server.hpp>

namespace {

constexpr abi::u64 kEcho = 1; // the request: echo two words back
constexpr abi::u64 kQuit = 2; // the request: end the server

// The server is a table of handlers, one per request label. The badge is the client's
// pid (service_lookup gives every client its own), so the server knows who calls.
struct Counter {
    long calls;
};
sys::Response echo(Counter& c, sys::Server&, const sys::Request& r) {
    ++c.calls;
    return sys::Response::with(0, {r.w[0], r.w[1], r.badge});
}

sys::Response quit(Counter& c, sys::Server&, const sys::Request&) {
    sys::print("server: {} calls served, quitting\n", c.calls);
    sys::exit_group(0); // the caller's call ends with EPIPE: no reply comes
}

int server() {
    long ep = sys::cap_create(sys::CapType::Endpoint);
    if (ep < 0 || sys::service_register("echo", static_cast<abi::u64>(ep)) != 0) return 1;
    static const sys::Server::Handler<Counter> handlers[] = {{kEcho, echo}, {kQuit, quit}};
    Counter counter{};
    sys::Server s{sys::Endpoint(static_cast<abi::u64>(ep))};
    return static_cast<int>(-s.serve(counter, handlers)); // returns only if the endpoint dies
}

sys::Endpoint find_echo() {
    long slot;
    while ((slot = sys::service_lookup("echo")) == -sys::kENOENT) sys::yield(); // not up yet
    return sys::Endpoint(slot < 0 ? abi::kNoSlot : static_cast<abi::u64>(slot));
}

int client() {
    sys::Endpoint echo = find_echo();
    for (abi::u64 i = 0; i < 1000; ++i) {
        sys::Reply r = echo.call(kEcho, {i, i * i});
        if (!r.ok() || r.mr[0] != i || r.mr[1] != i * i) return 2;
    }
    sys::print_whole("client {}: 1000 calls echoed, the server saw me as {}\n", sys::getpid(),
               echo.call(kEcho, {0, 0}).mr[2]);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && argv[1][0] == 's') return server();
    if (argc > 1 && argv[1][0] == 'c') return client();
    char path[80] = "/";
    for (int i = 0; argv[0][i] && i < 78; ++i) path[i + 1] = argv[0][i];
    const char* server_argv[] = {argv[0], "server", nullptr};
    const char* client_argv[] = {argv[0], "client", nullptr};
    int server = sys::spawn(path, server_argv);
    if (server < 0) return 1;
    int clients[3], failures = 0;
    for (int& c : clients) c = sys::spawn(path, client_argv);
    for (int c : clients) {
        int status = -1;
        if (c < 0 || sys::waitpid(c, &status, 0) != c || status != 0) ++failures;
    }
    sys::print("echo: {} clients done, {} failed\n", 3 - failures, failures);
    find_echo().call(kQuit);
    int status = -1;
    sys::waitpid(server, &status, 0); // its end takes its name, endpoint and memory
    return failures;
}
