#!/usr/bin/env bash
# Builds libovok.so against glibc 2.17 for the manylinux2014 wheel:
# cargo-zigbuild links with zig's glibc 2.17 stubs, so the library asks for no
# symbol version newer than GLIBC_2.17 and loads on RHEL 7+, Ubuntu 14.04+,
# Debian 8+ and Amazon Linux 2.
#
# The tools (pinned) live in a venv under target/; cargo's incremental cache
# under target/ means an unchanged tree is not rebuilt. Prints the library's
# path as the last line.
#
# Environment: PYTHON (default python3), CARGO (default cargo).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3}
cargo=${CARGO:-cargo}
# Rust's x86_64-unknown-linux-gnu needs glibc 2.17 at least; that is the floor.
glibc=2.17
target=x86_64-unknown-linux-gnu
venv=$repo/target/zig-venv
# Both are binary wheels on PyPI: no toolchain download, no compile.
tools=("ziglang==0.15.2" "cargo-zigbuild==0.24.1")

stamp=$venv/.ovok-tools
if [[ ! -x $venv/bin/cargo-zigbuild || "$(cat "$stamp" 2>/dev/null)" != "${tools[*]}" ]]; then
    echo "== creating $venv (${tools[*]})" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${tools[@]}"
    printf '%s' "${tools[*]}" >"$stamp"
fi

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    rustup target add "$target" >&2
fi

# cargo-zigbuild finds zig through the ziglang package of the venv's python.
export PATH=$venv/bin:$PATH
echo "== cargo zigbuild --release -p ovok --target $target.$glibc" >&2
(cd "$repo" && "$cargo" zigbuild --release -p ovok --lib --target "$target.$glibc" \
    --target-dir "$repo/target/manylinux" >&2)
echo "$repo/target/manylinux/$target/release/libovok.so"
