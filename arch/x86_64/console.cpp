// Boot console: COM1, a 16550 UART. Output is polled, 115200 baud 8N1, so it works from
// the first line of C++ and inside trap handlers. Input raises ISA IRQ 4 (masked at the
// I/O APIC until user space claims the line) and is read one byte at a time.
#include "hw.hpp"
#include "x86_64.hpp"

#include <microkernel/arch.hpp>

namespace arch::x86_64 {
namespace {

constexpr u16 kCom1 = 0x3f8;
// Register offsets from the base port.
constexpr u16 kData = 0;        // THR/RBR, or divisor low with DLAB
constexpr u16 kIntEnable = 1;   // IER, or divisor high with DLAB
constexpr u16 kFifoControl = 2; // FCR
constexpr u16 kLineControl = 3; // LCR
constexpr u16 kModemControl = 4;
constexpr u16 kLineStatus = 5;

constexpr u8 kLcrDlab = 0x80;
constexpr u8 kLcr8N1 = 0x03;
constexpr u8 kFcrEnableAndClear = 0x07;
constexpr u8 kMcrDtrRtsOut2 = 0x0b; // OUT2 gates the UART's interrupt onto the ISA bus
constexpr u8 kIerRxData = 0x01;     // interrupt while received data waits
constexpr u8 kLsrRxReady = 0x01;
constexpr u8 kLsrTxEmpty = 0x20;
constexpr u8 kIsaIrqCom1 = 4;
constexpr u16 kDivisor115200 = 1; // 1.8432 MHz / 16 / 115200

} // namespace

void console_init() {
    outb(kCom1 + kIntEnable, 0);
    outb(kCom1 + kLineControl, kLcrDlab);
    outb(kCom1 + kData, kDivisor115200 & 0xff);
    outb(kCom1 + kIntEnable, kDivisor115200 >> 8);
    outb(kCom1 + kLineControl, kLcr8N1);
    outb(kCom1 + kFifoControl, kFcrEnableAndClear);
    outb(kCom1 + kModemControl, kMcrDtrRtsOut2);
    // The interrupt rises when a byte arrives and falls once every byte was read.
    outb(kCom1 + kIntEnable, kIerRxData);
}

} // namespace arch::x86_64

namespace arch {

void console_putc(char c) {
    using namespace x86_64;
    // Bounded wait: a machine without COM1 reads 0xff (always "empty"), and a stuck
    // UART must not hang a panic report forever.
    for (unsigned spins = 0; spins < 1000000 && !(inb(kCom1 + kLineStatus) & kLsrTxEmpty); ++spins) {
    }
    outb(kCom1 + kData, static_cast<u8>(c));
}

kernel::u32 console_irq_line() { return x86_64::isa_irq_line(x86_64::kIsaIrqCom1); }

int console_getc() {
    using namespace x86_64;
    if (!(inb(kCom1 + kLineStatus) & kLsrRxReady)) return -1;
    return inb(kCom1 + kData);
}

} // namespace arch
