# x86_64 QEMU recipe, sourced by scripts/run (contract in docs/porting.md).
# Inputs: ROOT BUILD MEM SMP GDB_PORT ICOUNT NO_FIRMWARE APPEND RUNDIR, and INITRD when
# scripts/run --exec made its own initrd.

ARCH_BOOT_TARGETS=(arch/x86_64/kernel.elf arch/x86_64/boot.iso tests/programs/initrd.cpio)

x86_64_kernel() { echo "$BUILD/arch/x86_64/kernel.elf"; }
x86_64_initrd() { echo "${INITRD:-$BUILD/tests/programs/initrd.cpio}"; }

arch_qemu_cmd() {
    local kernel initrd iso
    kernel=$(x86_64_kernel)
    initrd=$(x86_64_initrd)
    # q35: its AHCI CD-ROM is far faster than -M pc's IDE under -icount.
    # qemu64 plus FSGSBASE: user code reads its TLS base with rdfsbase (sys_read_tls).
    # MK_X86_CPU overrides it (a boot test runs a CPU without FSGSBASE: MK_X86_CPU=qemu64).
    QEMU_CMD=(qemu-system-x86_64 -M q35 -cpu "${MK_X86_CPU:-qemu64,+fsgsbase}" -m "$MEM" -smp "$SMP"
              -display none -monitor none -serial stdio -no-reboot
              -device isa-debug-exit,iobase=0xf4,iosize=0x04)
    if [[ ${NO_FIRMWARE:-0} == 1 ]]; then
        # QEMU's own multiboot1 loader: no BIOS boot menu, no GRUB.
        QEMU_CMD+=(-kernel "$kernel" -initrd "$initrd")
        if [[ -n ${APPEND:-} ]]; then QEMU_CMD+=(-append "$APPEND"); fi
    else
        iso=$BUILD/arch/x86_64/boot.iso
        if [[ -n ${APPEND:-} ]]; then
            # The command line lives in the ISO's grub.cfg: make this run its own ISO.
            iso=$RUNDIR/boot.iso
            "$ROOT/arch/x86_64/mkimage.sh" "$iso" "$kernel" "$initrd" "$APPEND" || return 1
        fi
        QEMU_CMD+=(-cdrom "$iso" -boot d)
    fi
    if [[ ${ICOUNT:-0} == 1 ]]; then QEMU_CMD+=(-icount shift=0); fi
    if [[ -n ${GDB_PORT:-} ]]; then QEMU_CMD+=(-S -gdb "tcp::$GDB_PORT"); fi
    return 0
}

# The guest writes status + 1 to isa-debug-exit, so QEMU exits with 2 * status + 3.
# Anything else (0: triple fault under -no-reboot; 1: QEMU error; signals) is not the
# guest's word.
arch_guest_status() {
    local rc=$1
    if (( rc >= 3 && rc % 2 == 1 )); then
        echo $(( (rc - 3) / 2 ))
        return 0
    fi
    return 1
}

arch_gdb_hint() {
    echo "gdb-multiarch $(x86_64_kernel) -ex 'target remote :$GDB_PORT' -ex 'break _start' -ex 'break x86_64_start' -ex continue"
}
