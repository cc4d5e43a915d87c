# aarch64 QEMU recipe, sourced by scripts/run (contract in docs/porting.md).
# Inputs: ROOT BUILD MEM SMP GDB_PORT ICOUNT NO_FIRMWARE APPEND RUNDIR, and INITRD when
# scripts/run --exec made its own initrd.

ARCH_BOOT_TARGETS=(arch/aarch64/kernel.elf arch/aarch64/Image arch/aarch64/disk.img
                   tests/programs/initrd.cpio)

aarch64_out() { echo "$BUILD/arch/aarch64/$1"; }
aarch64_initrd() { echo "${INITRD:-$BUILD/tests/programs/initrd.cpio}"; }

arch_qemu_cmd() {
    local disk machine board gic=${AARCH64_GIC:-}
    # The board's GIC: version 2 (QEMU's default) takes at most 8 CPUs, so past 8 it is
    # version 3; AARCH64_GIC=2 or 3 chooses.
    if [[ -z $gic ]]; then gic=2; (( SMP > 8 )) && gic=3; fi
    [[ $gic == 2 || $gic == 3 ]] || { echo "aarch64: AARCH64_GIC wants 2 or 3, not '$gic'" >&2; return 1; }
    board=virt,gic-version=$gic
    # AARCH64_EL2=1: the CPUs have EL2, where the firmware then hands over (as on most
    # real boards); the kernel drops to EL1 itself (boot.S).
    case ${AARCH64_EL2:-0} in
        0) ;;
        1) board+=,virtualization=on ;;
        *) echo "aarch64: AARCH64_EL2 wants 0 or 1, not '$AARCH64_EL2'" >&2; return 1 ;;
    esac
    # Everything that shapes the devicetree QEMU generates: the -dtb copy below must be
    # dumped with exactly these.
    machine=(-M "$board" -cpu cortex-a57 -m "$MEM" -smp "$SMP")
    QEMU_CMD=(qemu-system-aarch64 "${machine[@]}"
              -display none -monitor none -serial stdio -no-reboot
              -semihosting-config enable=on,target=native)
    if [[ ${NO_FIRMWARE:-0} == 1 ]]; then
        # QEMU's own arm64 Image loader: x0 = its devicetree, initrd and bootargs in /chosen.
        QEMU_CMD+=(-kernel "$(aarch64_out Image)" -initrd "$(aarch64_initrd)")
        if [[ -n ${APPEND:-} ]]; then QEMU_CMD+=(-append "$APPEND"); fi
    else
        disk=$(aarch64_out disk.img)
        if [[ -n ${APPEND:-} ]]; then
            # The command line lives in the disk's extlinux.conf: this run gets its own disk.
            disk=$RUNDIR/disk.img
            "$ROOT/arch/aarch64/mkimage.sh" "$disk" "$(aarch64_out Image)" "$(aarch64_initrd)" \
                "$APPEND" || return 1
        fi
        machine+=(-bios /usr/lib/u-boot/qemu_arm64/u-boot.bin
                  -drive "file=$disk,format=raw,if=none,id=hd0,snapshot=on"
                  -device virtio-blk-device,drive=hd0)
        # U-Boot reads bootdelay from its control devicetree, which is QEMU's: hand QEMU
        # its own tree with /config/bootdelay = -2 (autoboot at once, no key check).
        qemu-system-aarch64 "${machine[@]}" -display none -machine "dumpdtb=$RUNDIR/virt.dtb" \
            >/dev/null 2>"$RUNDIR/dumpdtb.err" ||
            { echo "aarch64: QEMU refused the machine: $(cat "$RUNDIR/dumpdtb.err")" >&2; return 1; }
        fdtput -c "$RUNDIR/virt.dtb" /config || return 1
        fdtput -t i "$RUNDIR/virt.dtb" /config bootdelay -- -2 || return 1
        QEMU_CMD+=(-bios /usr/lib/u-boot/qemu_arm64/u-boot.bin -dtb "$RUNDIR/virt.dtb"
                   -drive "file=$disk,format=raw,if=none,id=hd0,snapshot=on"
                   -device virtio-blk-device,drive=hd0)
    fi
    if [[ ${ICOUNT:-0} == 1 ]]; then QEMU_CMD+=(-icount shift=0); fi
    if [[ -n ${GDB_PORT:-} ]]; then QEMU_CMD+=(-S -gdb "tcp::$GDB_PORT"); fi
    return 0
}

# With semihosting SYS_EXIT, QEMU's exit code is the guest's status itself, so every
# code 0..255 has to be read as the guest's. The price: QEMU's own failures (1 for a
# bad option or a missing file, 128+N when a signal kills it) look like guest statuses;
# QEMU prints a message in those cases. (PSCI SYSTEM_OFF, the fallback without
# semihosting, always gives 0 and is not used by this recipe.)
arch_guest_status() {
    local rc=$1
    if (( rc >= 0 && rc <= 255 )); then
        echo "$rc"
        return 0
    fi
    return 1
}

# The entry (boot.S) runs at a physical address with the MMU off, where the ELF's
# symbols (linked at 0xffffffff80000000) do not apply. The hint breaks on the load
# address (U-Boot's booti: 0x40400000, its kernel_addr_r; --no-firmware: 0x40200000,
# QEMU's loader) and loads the symbols a second time shifted to that address, so boot.S
# can be stepped with source; `break aarch64_boot` is the first C++ code, MMU on.
arch_gdb_hint() {
    local entry=0x40400000 kernel
    [[ ${NO_FIRMWARE:-0} == 1 ]] && entry=0x40200000
    kernel=$(aarch64_out kernel.elf)
    echo "gdb-multiarch $kernel -ex 'target remote :$GDB_PORT'" \
         "-ex 'add-symbol-file $kernel -o $(printf '%#x' $(( entry + 0x80000000 )))'" \
         "-ex 'break *$entry' -ex 'break aarch64_boot' -ex continue"
}
