#!/usr/bin/env bash
# mkimage.sh OUT KERNEL INITRD [APPEND]
# A GRUB 2 (i386-pc) rescue ISO: GRUB loads KERNEL with multiboot2 and INITRD as its
# first module, console on COM1, no menu delay.
set -euo pipefail
out=$1 kernel=$2 initrd=$3 append=${4:-}
stage=$(mktemp -d)
trap 'rm -rf "$stage" "$stage.log"' EXIT
mkdir -p "$stage/boot/grub"
cp "$kernel" "$stage/boot/kernel.elf"
cp "$initrd" "$stage/boot/initrd.cpio"
cat > "$stage/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
set default=0
menuentry "microkernel" {
    multiboot2 /boot/kernel.elf ${append}
    module2 /boot/initrd.cpio initrd
    boot
}
CFG
# Only the modules this config uses: a much smaller and faster ISO.
if ! grub-mkrescue -o "$out.tmp" \
        --install-modules="normal multiboot2 serial terminal boot configfile" \
        --fonts= --locales= --themes= "$stage" >"$stage.log" 2>&1; then
    cat "$stage.log" >&2
    rm -f "$out.tmp"
    exit 1
fi
mv "$out.tmp" "$out"
