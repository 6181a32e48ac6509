#!/usr/bin/env bash
# Runs a command with a Swift toolchain. With `swift` on PATH it runs the command as it is.
# Otherwise it creates (once) or reuses a Debian 13 root holding Debian's swiftlang package and
# runs the command inside it, with the repository bound at the same path every time, because a
# SwiftPM `.build` folder is tied to the path it was built at.
#
# Usage: scripts/swift-toolchain.sh [--ensure] | [--] COMMAND [ARGS...]
#   --ensure    only create or reuse the root (nothing to do when swift is on PATH)
#   COMMAND     runs from the repository's root; inside the root the repository is at
#               $OVOK_SWIFT_REPO_PATH (default /ovok), and so are its target/ and include/
#
# Environment:
#   OVOK_SWIFT_ROOT       where the root lives (default /var/cache/ovok-swift-root)
#   OVOK_SWIFT_REPO_PATH  where the repository appears inside the root (default /ovok)
#   OVOK_DEBIAN_MIRROR    the apt mirror (default http://deb.debian.org/debian)
#   OVOK_SWIFT_USE_ROOT=1 use the root even when swift is on PATH
# Variables the command needs (OVOK_BASE_URL, OVOK_TEST_*) are passed through.
#
# Exit status: the command's, or 3 when no toolchain can be had here (never a pass).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
root=${OVOK_SWIFT_ROOT:-/var/cache/ovok-swift-root}
repo_inside=${OVOK_SWIFT_REPO_PATH:-/ovok}
mirror=${OVOK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=trixie
packages=swiftlang,libc6-dev
# The stamp is written last: a root without it is incomplete and never used.
stamp_name=.ovok-swift-root-complete
stamp_content="suite=$suite packages=$packages"

log() { echo "swift-toolchain: $*" >&2; }

no_toolchain() {
  log "NOT RUN: $1"
  log "Install a Swift 6 toolchain (Xcode 16 on macOS, or Swift 6 on Linux) so that 'swift' is on"
  log "PATH, or run as root on Debian/Ubuntu so that this script can create a Debian 13 root with"
  log "Debian's swiftlang package (about 535 MB download, 2.5 GB on disk, a few minutes, once)."
  exit 3
}

root_is_complete() {
  [ -f "$root/$stamp_name" ] && [ "$(cat "$root/$stamp_name")" = "$stamp_content" ]
}

create_root() {
  command -v mmdebstrap >/dev/null 2>&1 || "$repo/scripts/install-deps.sh" mmdebstrap
  local parent tmp started
  parent=$(dirname "$root")
  mkdir -p "$parent"
  # Built beside its final place (same file system), renamed into place only when complete.
  tmp=$(mktemp -d "$parent/.$(basename "$root").partial.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  started=$(date +%s)
  log "creating a Debian $suite root with $packages at $root (once; a few minutes)"
  # mmdebstrap insists on an empty or absent target directory.
  rmdir "$tmp"
  mmdebstrap --quiet --variant=apt --include="$packages" \
    --customize-hook="mkdir -p \"\$1$repo_inside\"" \
    "$suite" "$tmp" "$mirror" >&2
  echo "$stamp_content" >"$tmp/$stamp_name"
  rm -rf "$root"
  mv "$tmp" "$root"
  trap - EXIT
  log "root ready in $(($(date +%s) - started)) s ($(du -sh "$root" | cut -f1) on disk)"
}

ensure_root() {
  root_is_complete && return 0
  [ "$(id -u)" -eq 0 ] || no_toolchain "no 'swift' on PATH, and creating the Debian root needs root."
  if ! command -v unshare >/dev/null 2>&1 || ! command -v chroot >/dev/null 2>&1; then
    no_toolchain "no 'swift' on PATH, and this system lacks unshare or chroot."
  fi
  mkdir -p "$(dirname "$root")"
  # One creator at a time; whoever waited finds the root complete.
  exec 9>"$root.lock"
  flock 9
  if ! root_is_complete; then
    # Left by a run that was killed before it could clean up; never used.
    rm -rf "$(dirname "$root")/.$(basename "$root").partial."*
    create_root
  fi
  exec 9>&-
}

# Runs inside a private mount namespace (see run_in_root): the mounts vanish with it.
inside_namespace() {
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --bind "$repo" "$root$repo_inside"
  local passed=() name
  for name in $(compgen -e); do
    case $name in OVOK_* | SWIFT_* | TERM) passed+=("$name=${!name}") ;; esac
  done
  # shellcheck disable=SC2016 # $0 and $@ belong to the inner shell.
  exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "${passed[@]}" \
    /bin/sh -c 'cd "$0" && exec "$@"' "$repo_inside" "$@"
}

run_in_root() {
  ensure_root
  [ "$(id -u)" -eq 0 ] || no_toolchain "no 'swift' on PATH, and entering the Debian root needs root."
  OVOK_SWIFT_REPO_PATH=$repo_inside OVOK_SWIFT_ROOT=$root \
    exec unshare --mount --propagation private "$0" --inside-namespace "$@"
}

if [ "${1:-}" = --inside-namespace ]; then
  shift
  inside_namespace "$@"
fi

use_host=0
[ "${OVOK_SWIFT_USE_ROOT:-0}" != 1 ] && command -v swift >/dev/null 2>&1 && use_host=1

case ${1:-} in
  --ensure)
    [ "$use_host" = 1 ] || ensure_root
    exit 0
    ;;
  --) shift ;;
  "") log "usage: $0 [--ensure] | [--] COMMAND [ARGS...]"; exit 2 ;;
esac

if [ "$use_host" = 1 ]; then
  cd "$repo"
  exec "$@"
fi
run_in_root "$@"
