// PL011 UART, polled. The firmware (or QEMU's reset state) leaves it enabled at its
// line settings; we only write the data register when the transmit FIFO has room.
#include "aarch64.hpp"

namespace arch::aarch64 {
namespace {

using kernel::Result;
using kernel::fdt::Node;
using kernel::fdt::Tree;

constexpr u64 kDataReg = 0x00;
constexpr u64 kFlagReg = 0x18;
constexpr u32 kFlagTxFull = 1u << 5;

u64 g_uart_phys = 0; ///< 0 until console_init: output is dropped

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
