// Boot console: an NS16550A UART, polled for output. Until the devicetree has told us
// where the UART is, characters go through the legacy SBI console_putchar, which OpenSBI
// still offers, so that even a failure to read the devicetree can be reported. Input is
// for user space: the receive interrupt (a PLIC source) and console_getc.
#include "riscv64.hpp"
#include "sbi.hpp"

namespace arch::riscv64 {
namespace {

constexpr unsigned kThr = 0;         // transmit holding register (write)
constexpr unsigned kRbr = 0;         // receive buffer register (read)
constexpr unsigned kIer = 1;         // interrupt enable register
constexpr unsigned kLsr = 5;         // line status register
constexpr kernel::u8 kIerRxData = 0x01; // interrupt while received data is available
constexpr kernel::u8 kLsrDataReady = 0x01;
constexpr kernel::u8 kLsrThre = 0x20; // transmit holding register empty

volatile kernel::u8* g_uart = nullptr;
unsigned g_shift = 0;
kernel::u32 g_irq = ~0u; // no line until the devicetree and the PLIC agree on one

} // namespace

// The firmware (OpenSBI, U-Boot) already programmed the line settings; reprogramming the
// divisor would only risk a garbled line on real hardware.
// Only the receive interrupt: output stays polled. The UART then asserts its line while
// a byte waits, which is harmless until user space unmasks the PLIC source.
void console_use_uart(u64 phys, unsigned reg_shift) {
    g_shift = reg_shift;
    g_uart = reinterpret_cast<volatile kernel::u8*>(kDirectMapBase + phys);
    g_uart[kIer << g_shift] = kIerRxData;
}

void console_use_irq(kernel::u32 source) { g_irq = source; }

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

kernel::u32 console_irq_line() { return riscv64::g_irq; }

// Reading the receive buffer also drops the UART's interrupt once it is empty.
int console_getc() {
    using namespace riscv64;
    if (!g_uart || !(g_uart[kLsr << g_shift] & kLsrDataReady)) return -1;
    return g_uart[kRbr << g_shift];
}

} // namespace arch
