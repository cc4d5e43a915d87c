#!/usr/bin/env bash
# mkimage.sh OUT KERNEL INITRD [APPEND]
# A GRUB 2 (i386-pc) rescue ISO: GRUB loads KERNEL with multiboot2 and INITRD as its
# first module, console on COM1, no menu delay.
set -euo pipefail
out=$1 kernel=$2 initrd=$3 append=${4:-}
# QEMU -kernel loads the kernel through multiboot1's a.out kludge (entry.S): one range of
# the file, from the header's load address. So every loaded segment must lie in the file
# at one distance from its physical address, which the linker keeps only while no section
# asks for more than page alignment (an alignas(8192) object in .bss did not: every
# --no-firmware boot then jumped to address 0). Say so here rather than there.
delta=
while read -r type offset _ phys _; do
  [[ $type == LOAD ]] || continue
  if [[ -n $delta && $((phys - offset)) != "$delta" ]]; then
    echo "mkimage: $kernel: its loaded segments are not at one distance from their physical addresses" \
         "in the file (a section aligned above 4096 bytes?); QEMU -kernel (multiboot1) would load it wrong" >&2
    exit 1
  fi
  delta=$((phys - offset))
done < <(readelf -lW "$kernel")
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
