#!/usr/bin/env bash
# `make install` into scratch prefixes, then programs built only from what was
# installed: examples/quickstart.c through pkg-config (shared, and --static from
# a prefix without the shared library), and tests/c/cmake-consumer through
# find_package(ovok) (ovok::ovok and ovok::ovok_static, C and C++). Each runs
# against the emulator. Also a DESTDIR install, and `make uninstall`.
#
# Usage (from the Makefile): scripts/with-emulator.sh tests/c/test_install.sh
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
: "${OVOK_BASE_URL:?run under scripts/with-emulator.sh}"
make=${MAKE:-make}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
soname=libovok.so.${version%%.*}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ovok-install.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*" >&2; }
check() { # check DESCRIPTION COMMAND...
  if "${@:2}"; then pass; else fail "$1"; fi
}

# A program's output must be the quickstart's success line, with exit code 0.
runs_quickstart() { # runs_quickstart BINARY [ENV...]
  local output code
  output=$(env "${@:2}" "$1" 2>&1)
  code=$?
  if [ "$code" -eq 0 ] && grep -qE '^logged in as Max Mustermann until [0-9]+$' <<<"$output"; then
    return 0
  fi
  printf '  %s: exit %s, output:\n%s\n' "$1" "$code" "$output" >&2
  return 1
}

# Each output is read whole before grep looks at it: `grep -q` in a pipe may
# exit early, and under pipefail the writer's SIGPIPE would fail the check.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
needs_libovok() { local libs; libs=$(needed "$1") && grep -qx "$soname" <<<"$libs"; }
lacks_libovok() { local libs; libs=$(needed "$1") && ! grep -q '^libovok' <<<"$libs"; }
# Where the loader finds libovok for BINARY, with the given environment.
resolves_into() { # resolves_into DIR BINARY [ENV...]
  local found
  found=$(env "${@:3}" ldd "$2") && grep -qF "$soname => $1/$soname " <<<"$found"
}

install_into() { # install_into PREFIX [DESTDIR]
  "$make" --no-print-directory -s install PREFIX="$1" DESTDIR="${2:-}" >"$scratch/make.log" 2>&1 ||
    { cat "$scratch/make.log" >&2; return 1; }
}

# ---- make install into a scratch prefix -------------------------------------------------
prefix=$scratch/prefix
lib=$prefix/lib
if ! install_into "$prefix"; then
  fail "make install PREFIX=$prefix"
  echo "test_install: $passed passed, $failed failed"
  exit 1
fi
check "libovok.so.$version is a file" test -f "$lib/libovok.so.$version" -a ! -L "$lib/libovok.so.$version"
check "$soname -> libovok.so.$version" test "$(readlink "$lib/$soname")" = "libovok.so.$version"
check "libovok.so -> $soname" test "$(readlink "$lib/libovok.so")" = "$soname"
for file in lib/libovok.a include/ovok.h include/ovok.hpp lib/pkgconfig/ovok.pc \
  lib/cmake/ovok/ovokConfig.cmake lib/cmake/ovok/ovokConfigVersion.cmake; do
  check "$file is installed" test -f "$prefix/$file"
done
check "the installed headers are the repository's" cmp -s include/ovok.hpp "$prefix/include/ovok.hpp"

soname_line=$(readelf -d "$lib/libovok.so.$version" | grep '(SONAME)')
echo "readelf -d lib/libovok.so.$version: $soname_line"
check "SONAME is $soname" grep -q "Library soname: \[$soname\]" <<<"$soname_line"

# ---- pkg-config --------------------------------------------------------------------------
export PKG_CONFIG_PATH=$lib/pkgconfig
check "pkg-config --modversion ovok is $version" test "$(pkg-config --modversion ovok)" = "$version"
check "pkg-config --cflags ovok" test "$(pkg-config --cflags ovok | sed "s/ *$//")" = "-I$prefix/include"
static_libs=$(pkg-config --static --libs ovok)
check "Libs.private is in pkg-config --static --libs" grep -q -- "-lovok .*-l" <<<"$static_libs"

cflags=(-std=c99 -Wall -Wextra -Wpedantic -Werror)
bin=$scratch/bin
mkdir -p "$bin"
# shellcheck disable=SC2046 # pkg-config's output is meant to be split into words
if cc "${cflags[@]}" examples/quickstart.c $(pkg-config --cflags --libs ovok) -o "$bin/pc_shared"; then
  pass
  check "pkg-config build NEEDs $soname" needs_libovok "$bin/pc_shared"
  check "pkg-config build loads the installed library" resolves_into "$lib" "$bin/pc_shared" LD_LIBRARY_PATH="$lib"
  check "pkg-config build runs" runs_quickstart "$bin/pc_shared" LD_LIBRARY_PATH="$lib"
  needed "$bin/pc_shared" | sed 's/^/readelf -d pc_shared: NEEDED /'
else
  fail "cc quickstart.c \$(pkg-config --cflags --libs ovok)"
fi

# --static, from a prefix without the shared library: Libs.private must be complete.
static_prefix=$scratch/static-prefix
if install_into "$static_prefix"; then
  rm -f "$static_prefix"/lib/libovok.so*
  # shellcheck disable=SC2046
  if cc "${cflags[@]}" examples/quickstart.c \
    $(PKG_CONFIG_PATH=$static_prefix/lib/pkgconfig pkg-config --static --cflags --libs ovok) -o "$bin/pc_static"; then
    pass
    check "pkg-config --static build needs no libovok" lacks_libovok "$bin/pc_static"
    check "pkg-config --static build runs" runs_quickstart "$bin/pc_static"
  else
    fail "cc quickstart.c \$(pkg-config --static --cflags --libs ovok)"
  fi
else
  fail "make install PREFIX=$static_prefix"
fi

# ---- CMake: find_package(ovok CONFIG REQUIRED) --------------------------------------------
build=$scratch/cmake-build
if cmake -S tests/c/cmake-consumer -B "$build" -DCMAKE_PREFIX_PATH="$prefix" >"$scratch/cmake.log" 2>&1 &&
  cmake --build "$build" >>"$scratch/cmake.log" 2>&1; then
  pass
  for program in quickstart_shared quickstart_cpp_shared; do
    check "$program (ovok::ovok) NEEDs $soname" needs_libovok "$build/$program"
    check "$program loads the installed library" resolves_into "$lib" "$build/$program"
    check "$program runs" runs_quickstart "$build/$program"
  done
  for program in quickstart_static quickstart_cpp_static; do
    check "$program (ovok::ovok_static) needs no libovok" lacks_libovok "$build/$program"
    check "$program runs" runs_quickstart "$build/$program"
  done
  needed "$build/quickstart_shared" | sed 's/^/readelf -d quickstart_shared (CMake): NEEDED /'
else
  cat "$scratch/cmake.log" >&2
  fail "the CMake consumer configures and builds"
fi
# The version file: 0.x is not 1.x, and a newer version than installed is refused.
refuses_version() { # refuses_version VERSION
  ! cmake -S tests/c/cmake-consumer -B "$scratch/cmake-$1" -DCMAKE_PREFIX_PATH="$prefix" \
    -DOVOK_WANTED_VERSION="$1" >/dev/null 2>&1
}
for wanted in 1.0 "$version.1" 99; do
  check "find_package(ovok $wanted) fails" refuses_version "$wanted"
done

# ---- make uninstall ----------------------------------------------------------------------
if "$make" --no-print-directory -s uninstall PREFIX="$prefix" >/dev/null; then
  pass
  left=$(find "$prefix" ! -type d)
  check "make uninstall leaves no file (${left:-none})" test -z "$left"
  check "make uninstall removes lib/cmake/ovok" test ! -e "$lib/cmake/ovok"
else
  fail "make uninstall PREFIX=$prefix"
fi

# ---- a staged install (packaging): DESTDIR, with the paths inside naming PREFIX --------------
stage=$scratch/stage
if install_into /usr/local "$stage"; then
  pass
  check "DESTDIR install puts files under DESTDIR" test -f "$stage/usr/local/lib/libovok.so.$version"
  check "ovok.pc names PREFIX, not DESTDIR" grep -qx "prefix=/usr/local" "$stage/usr/local/lib/pkgconfig/ovok.pc"
  "$make" --no-print-directory -s uninstall PREFIX=/usr/local DESTDIR="$stage" >/dev/null
  left=$(find "$stage" ! -type d)
  check "make uninstall DESTDIR=... leaves no file (${left:-none})" test -z "$left"
else
  fail "make install PREFIX=/usr/local DESTDIR=$stage"
fi

echo "test_install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
