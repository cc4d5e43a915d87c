// PL011 UART. The firmware (or QEMU's reset state) leaves it enabled at its line
// settings; we only write the data register when the transmit FIFO has room, and read it
// when the receive FIFO has something. Output is polled; input raises the UART's GIC line
// (received, or waiting while the FIFO stays below its trigger level), which user space
// may claim.
#include "aarch64.hpp"

namespace arch::aarch64 {
namespace {

using kernel::Result;
using kernel::fdt::Node;
using kernel::fdt::Tree;

constexpr u64 kDataReg = 0x00;
constexpr u64 kFlagReg = 0x18;
constexpr u64 kIntMaskReg = 0x38; ///< UARTIMSC: 1 = enabled
constexpr u32 kFlagRxEmpty = 1u << 4;
constexpr u32 kFlagTxFull = 1u << 5;
constexpr u32 kIntRx = 1u << 4;        ///< RXIM
constexpr u32 kIntRxTimeout = 1u << 6; ///< RTIM

u64 g_uart_phys = 0;    ///< 0 until console_init: output is dropped
u32 g_uart_line = ~0u;  ///< its GIC INTID, ~0u if the devicetree names none we understand

/// The node /chosen/stdout-path names, if it is a PL011 ("path[:options]").
Result<Node> stdout_node(const Tree& tree) {
    Node chosen = TRY(tree.find_path("/chosen"));
    const char* path = TRY(tree.prop(chosen, "stdout-path")).string();
    if (!path) return kernel::Error::Malformed;
    char buf[64];
    kernel::usize n = 0;
    while (path[n] && path[n] != ':' && n + 1 < sizeof buf) {
        buf[n] = path[n];
        ++n;
    }
    buf[n] = '\0';
    Node node = TRY(tree.find_path(buf));
    if (!TRY(tree.prop(node, "compatible")).contains_string("arm,pl011"))
        return kernel::Error::NotFound;
    return node;
}

} // namespace

Result<kernel::PhysRange> console_init(const Tree& tree) {
    auto node = stdout_node(tree);
    if (!node) node = tree.find_compatible("arm,pl011");
    if (!node) return node.error();
    kernel::PhysRange reg = TRY(tree.reg(*node, 0));
    g_uart_phys = reg.base;
    // Input without a usable line is still readable by polling: not an error.
    if (auto irqs = tree.prop(*node, "interrupts"))
        if (auto line = gic_intid(*irqs, 0); line && *line >= kSpiBase) g_uart_line = *line;
    // Both receive interrupts: "received" alone would leave a byte or two below the FIFO
    // trigger level unannounced. Both clear as console_getc drains the FIFO.
    volatile u32* imsc = mmio32(g_uart_phys + kIntMaskReg);
    *imsc = *imsc | kIntRx | kIntRxTimeout;
    return reg;
}

} // namespace arch::aarch64

void arch::console_putc(char c) {
    using namespace arch::aarch64;
    if (!g_uart_phys) return;
    while (*mmio32(g_uart_phys + kFlagReg) & kFlagTxFull) {
    }
    *mmio32(g_uart_phys + kDataReg) = static_cast<unsigned char>(c);
}

kernel::u32 arch::console_irq_line() { return arch::aarch64::g_uart_line; }

int arch::console_getc() {
    using namespace arch::aarch64;
    if (!g_uart_phys || (*mmio32(g_uart_phys + kFlagReg) & kFlagRxEmpty)) return -1;
    // Bits 11:8 are the byte's framing, parity, break and overrun flags: dropped.
    return static_cast<int>(*mmio32(g_uart_phys + kDataReg) & 0xff);
}
