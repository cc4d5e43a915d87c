# riscv64 QEMU recipe, sourced by scripts/run (inputs and functions: docs/porting.md).
# Firmware path: OpenSBI fw_jump (M-mode, -bios) -> U-Boot S-mode (-kernel) -> distro boot
# of the extlinux disk on virtio-blk -> booti of our Image.
# --no-firmware path: OpenSBI fw_jump -> our Image directly (QEMU loads it at 0x80200000,
# where fw_jump jumps, and passes -initrd/-append in the devicetree).

RISCV64_OPENSBI=${RISCV64_OPENSBI:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin}
RISCV64_UBOOT=${RISCV64_UBOOT:-/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin}
RISCV64_LOAD_ADDR=0x80200000    # kernel.ld's LMA; what booti and fw_jump both use

ARCH_BOOT_TARGETS=(arch/riscv64/kernel.elf arch/riscv64/Image arch/riscv64/disk.img
                   tests/programs/initrd.cpio)

arch_qemu_cmd() {
    local out=$BUILD/arch/riscv64
    local initrd=${INITRD:-$BUILD/tests/programs/initrd.cpio}
    # The options that shape the devicetree; the dump below must use exactly these.
    local machine=(-M virt -m "$MEM" -smp "$SMP" -bios "$RISCV64_OPENSBI")
    QEMU_CMD=(qemu-system-riscv64)
    if [[ ${NO_FIRMWARE:-0} == 1 ]]; then
        QEMU_CMD+=("${machine[@]}" -kernel "$out/Image" -initrd "$initrd")
        if [[ -n ${APPEND:-} ]]; then QEMU_CMD+=(-append "$APPEND"); fi
    else
        local disk=$out/disk.img
        if [[ -n ${APPEND:-} ]]; then
            # The command line lives in the disk's extlinux.conf: this run gets its own disk.
            disk=$RUNDIR/disk.img
            "$ROOT/arch/riscv64/mkimage.sh" "$disk" "$out/Image" "$initrd" "$APPEND" || return 1
        fi
        machine+=(-kernel "$RISCV64_UBOOT"
                  -drive "file=$disk,format=raw,if=none,id=hd0,snapshot=on"
                  -device virtio-blk-device,drive=hd0)
        # Debian's U-Boot waits 2 s for a key and has no writable environment, but it
        # reads /config/bootdelay from its control devicetree, which is QEMU's: dump
        # QEMU's own tree for this very machine, set bootdelay = -2 (boot at once, do not
        # even poll the console) and hand it back with -dtb.
        local dtb=$RUNDIR/virt.dtb
        qemu-system-riscv64 "${machine[@]}" -display none -machine "dumpdtb=$dtb" \
            >/dev/null 2>"$RUNDIR/dumpdtb.err" ||
            { echo "riscv64: QEMU refused the machine: $(cat "$RUNDIR/dumpdtb.err")" >&2; return 1; }
        fdtput -c "$dtb" /config || return 1
        fdtput -t i "$dtb" /config bootdelay -- -2 || return 1
        QEMU_CMD+=("${machine[@]}" -dtb "$dtb")
    fi
    QEMU_CMD+=(-serial stdio -display none -monitor none -no-reboot)
    if [[ ${ICOUNT:-0} == 1 ]]; then QEMU_CMD+=(-icount shift=0); fi
    if [[ -n ${GDB_PORT:-} ]]; then QEMU_CMD+=(-S -gdb "tcp::$GDB_PORT"); fi
    return 0
}

# The kernel's poweroff writes QEMU's sifive_test device: status 0 -> 0x5555, QEMU exits 0;
# status s -> (s << 16) | 0x3333, QEMU exits with s (mod 256, like any exit code).
# Ambiguities, and how they are handled:
#  - exit 0 also comes from a guest reset under -no-reboot (U-Boot giving up and
#    "resetting", OpenSBI's SRST reboot) and from SBI SRST shutdown, which the kernel only
#    uses when the devicetree has no sifive_test. None of these print the kernel's
#    "powering off, status 0" line, and the boot tests assert on that line, so 0 is
#    reported as the guest's status here and the serial output settles the rest.
#  - exit 1 is also QEMU's own startup error (it then prints the reason on stderr
#    before any guest output); the kernel itself uses 0 and 3.
#  - 128 and above: QEMU was killed by a signal (^C), never a status the kernel uses.
arch_guest_status() {
    local rc=$1
    if (( rc >= 0 && rc < 128 )); then
        echo "$rc"
        return 0
    fi
    return 1
}

arch_gdb_hint() {
    # Before paging the entry runs at its physical address, where GDB has no symbols; U-Boot
    # also starts at 0x80200000 (OpenSBI's jump address) before booti moves the kernel
    # there, so the condition checks for our first instruction (j real_start, 0x0400006f).
    # add-symbol-file -o shifts the symbols to the load address (the offset wraps around
    # 2^64: 0xffffffff80000000 + 0x100200000 = 0x80200000). After the jump to the high
    # half, `break riscv64_init` and the other symbols work as linked.
    echo "gdb-multiarch $BUILD/arch/riscv64/kernel.elf -ex 'target remote :$GDB_PORT'" \
        "-ex 'add-symbol-file $BUILD/arch/riscv64/kernel.elf -o 0x100200000'" \
        "-ex 'break *$RISCV64_LOAD_ADDR if *(unsigned int *)$RISCV64_LOAD_ADDR == 0x0400006f'" \
        "-ex 'break riscv64_init' -ex continue"
}
