// Console output on top of the arch's polling UART writer.
#include <microkernel/arch.hpp>
#include <base/format.hpp>

namespace kernel {
void console_put(void*, char c) {
    if (c == '\n') arch::console_putc('\r');
    arch::console_putc(c);
}

void vprint(const char* fmt, const FmtArg* args, usize nargs) {
    vformat(Sink{console_put, nullptr}, fmt, args, nargs);
}

} // namespace kernel
