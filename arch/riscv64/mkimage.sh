#!/usr/bin/env bash
# mkimage.sh OUT IMAGE INITRD [APPEND]
# The disk OpenSBI + U-Boot boot from: U-Boot's distro boot finds extlinux/extlinux.conf
# on the virtio-blk disk, loads the RISC-V Image and the initrd, and starts the Image with
# booti (which moves it to RAM base + text_offset and passes the patched devicetree).
# The recipe is shared with aarch64 (scripts/mkdisk).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/../../scripts/mkdisk" "$1" "$2" "$3" "${4:-}"
