# Shared by scripts/run and scripts/test: where things are and how a build dir is made.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ARCHES=(x86_64 aarch64 riscv64)

ensure_packages() {
  "$ROOT/scripts/setup" --check >/dev/null 2>&1 || "$ROOT/scripts/setup"
}

# configure_build TARGET DIR: meson setup DIR for host or an arch, if not done yet.
configure_build() {
  local target=$1 dir=$2
  [[ -f $dir/build.ninja ]] && return 0
  if [[ $target == host ]]; then
    # UBSan must fail the test, not just print
    meson setup "$dir" "$ROOT" -Db_sanitize=address,undefined -Db_lundef=false \
      -Dcpp_args=-fno-sanitize-recover=all -Dcpp_link_args=-fno-sanitize-recover=all >/dev/null
  else
    meson setup "$dir" "$ROOT" --cross-file "$ROOT/arch/$target/cross.ini" >/dev/null
  fi
}

is_arch() {
  local a
  for a in "${ARCHES[@]}"; do [[ $a == "$1" ]] && return 0; done
  return 1
}
