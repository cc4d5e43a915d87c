// Boot console: an NS16550A UART, polled. Until the devicetree has told us where the UART
// is, characters go through the legacy SBI console_putchar, which OpenSBI still offers,
// so that even a failure to read the devicetree can be reported.
#include "riscv64.hpp"
#include "sbi.hpp"

namespace arch::riscv64 {
namespace {

constexpr unsigned kThr = 0;         // transmit holding register (write)
constexpr unsigned kLsr = 5;         // line status register
constexpr kernel::u8 kLsrThre = 0x20; // transmit holding register empty

volatile kernel::u8* g_uart = nullptr;
unsigned g_shift = 0;

} // namespace

// The firmware (OpenSBI, U-Boot) already programmed the line settings; reprogramming the
// divisor would only risk a garbled line on real hardware.
void console_use_uart(u64 phys, unsigned reg_shift) {
    g_shift = reg_shift;
    g_uart = reinterpret_cast<volatile kernel::u8*>(kDirectMapBase + phys);
}

} // namespace arch::riscv64

namespace arch {

void console_putc(char c) {
    using namespace riscv64;
    if (!g_uart) {
        sbi::call(sbi::Eid::LegacyPutchar, 0, static_cast<unsigned char>(c));
        return;
    }
    while (!(g_uart[kLsr << g_shift] & kLsrThre)) {
    }
    g_uart[kThr << g_shift] = static_cast<kernel::u8>(c);
}

} // namespace arch
