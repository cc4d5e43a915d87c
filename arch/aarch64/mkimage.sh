#!/usr/bin/env bash
# mkimage.sh OUT IMAGE INITRD [APPEND]
# The aarch64 boot image: the extlinux disk of scripts/mkdisk (shared with riscv64),
# which U-Boot qemu_arm64's distro boot finds on virtio-blk and boots with booti.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/../../scripts/mkdisk" "$1" "$2" "$3" "${4:-}"
