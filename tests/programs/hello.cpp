// The first user program. There is no system call yet, so it cannot print: for now it
// proves that a freestanding C++20 program builds with the user crt0, linker script and
// libsys on every arch, and that the kernel's loader accepts it. main's result is where
// an exit status will go once there is an exit call.
#include <sys/string.hpp>

namespace {

const char kGreeting[] = "hello from user space";
char g_buffer[64];    // .bss: the loader must zero it
int g_calls = 1;      // .data: the loader must copy it

} // namespace

int main(int argc, char** argv) {
    (void)argv;
    memcpy(g_buffer, kGreeting, sizeof kGreeting);
    g_calls += argc;
    return memcmp(g_buffer, kGreeting, sizeof kGreeting) == 0 ? 0 : int(strlen(g_buffer)) + g_calls;
}
