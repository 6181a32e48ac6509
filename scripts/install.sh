#!/usr/bin/env bash
# Installs the built library for C and C++ programs, or removes it again
# (`make install` / `make uninstall` call this after `make build`).
#
# Usage: scripts/install.sh install|uninstall
#
# Environment (each optional; the Makefile passes them through):
#   PREFIX      default /usr/local
#   DESTDIR     default empty; staged installs (packaging) put files under it
#   LIBDIR      default $PREFIX/lib
#   INCLUDEDIR  default $PREFIX/include
#   BUILD_DIR   where the built libraries are; default target/release
#   CARGO       default cargo
#
# Installs, Linux only:
#   LIBDIR/libovok.so.VERSION, with the SONAME libovok.so.MAJOR that build.rs sets,
#     and the symlinks libovok.so.MAJOR and libovok.so
#   LIBDIR/libovok.a
#   INCLUDEDIR/ovok.h, INCLUDEDIR/ovok.hpp
#   LIBDIR/pkgconfig/ovok.pc: Libs.private is what `rustc --print native-static-libs` reports
#   LIBDIR/cmake/ovok/ovokConfig.cmake and ovokConfigVersion.cmake: the imported
#     targets ovok::ovok (shared) and ovok::ovok_static (static, with those libraries)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

action=${1:-}
case "$action" in
  install | uninstall) ;;
  *) echo "usage: scripts/install.sh install|uninstall" >&2; exit 64 ;;
esac
if [ "$(uname -s)" != Linux ]; then
  echo "install: only Linux is supported so far ($(uname -s))" >&2
  exit 1
fi

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
BUILD_DIR=${BUILD_DIR:-target/release}
CARGO=${CARGO:-cargo}
for dir in "$PREFIX" "$LIBDIR" "$INCLUDEDIR"; do
  case "$dir" in
    /*) ;;
    *) echo "install: $dir must be an absolute path" >&2; exit 64 ;;
  esac
done

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
real_name=libovok.so.$version
soname=libovok.so.$major
cmake_dir=$LIBDIR/cmake/ovok

# The loader only finds a new library in a directory that it caches once the
# cache is rebuilt; a scratch or staged prefix is left alone.
refresh_loader_cache() {
  [ -z "$DESTDIR" ] && [ "$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null || return 0
  local cached
  cached=$(ldconfig -v -N 2>/dev/null | sed -n 's/^\([^[:space:]][^:]*\):.*/\1/p') || true
  if grep -qxF "$LIBDIR" <<<"$cached"; then
    ldconfig
  fi
}

if [ "$action" = uninstall ]; then
  rm -f "$DESTDIR$LIBDIR/$real_name" "$DESTDIR$LIBDIR/$soname" "$DESTDIR$LIBDIR/libovok.so" \
    "$DESTDIR$LIBDIR/libovok.a" "$DESTDIR$INCLUDEDIR/ovok.h" "$DESTDIR$INCLUDEDIR/ovok.hpp" \
    "$DESTDIR$LIBDIR/pkgconfig/ovok.pc" \
    "$DESTDIR$cmake_dir/ovokConfig.cmake" "$DESTDIR$cmake_dir/ovokConfigVersion.cmake"
  rmdir --ignore-fail-on-non-empty "$DESTDIR$cmake_dir" 2>/dev/null || true
  refresh_loader_cache
  echo "install: removed ovok $version from $DESTDIR$PREFIX"
  exit 0
fi

# ---- what is installed must exist and be the library build.rs named
for built in "$BUILD_DIR/libovok.so" "$BUILD_DIR/libovok.a" include/ovok.h include/ovok.hpp; do
  [ -f "$built" ] || { echo "install: $built is missing; run: make build" >&2; exit 2; }
done
built_soname=$(readelf -d "$BUILD_DIR/libovok.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$built_soname" != "$soname" ]; then
  echo "install: $BUILD_DIR/libovok.so has SONAME '${built_soname:-none}', expected $soname (build.rs sets it)" >&2
  exit 1
fi

# ---- the system libraries that libovok.a needs, as rustc reports them. The same
# build as `make check-native-libs`; cargo replays rustc's note when it is fresh.
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
if ! $CARGO rustc --release -p ovok --lib --crate-type staticlib --target-dir target/native-libs \
  -- --print native-static-libs >"$staging/rustc.log" 2>&1; then
  cat "$staging/rustc.log" >&2
  exit 1
fi
native_libs=$(sed -n 's/.*native-static-libs: //p' "$staging/rustc.log" | tail -n 1)
if [ -z "$native_libs" ]; then
  echo "install: rustc reported no native-static-libs line" >&2
  exit 1
fi
# CMake wants library names ("gcc_s"), not flags ("-lgcc_s"); other flags pass as they are.
cmake_libs=""
for flag in $native_libs; do
  cmake_libs="$cmake_libs${cmake_libs:+;}${flag#-l}"
done

# ---- generated files, written to the staging directory first

pc_libdir=$LIBDIR
[ "$LIBDIR" = "$PREFIX/lib" ] && pc_libdir="\${exec_prefix}/lib"
pc_includedir=$INCLUDEDIR
[ "$INCLUDEDIR" = "$PREFIX/include" ] && pc_includedir="\${prefix}/include"
cat >"$staging/ovok.pc" <<EOF
prefix=$PREFIX
exec_prefix=\${prefix}
libdir=$pc_libdir
includedir=$pc_includedir

Name: ovok
Description: Client SDK for logging in to the Ovok healthcare API (C ABI, C++17 header)
Version: $version
Libs: -L\${libdir} -lovok
Libs.private: $native_libs
Cflags: -I\${includedir}
EOF

# Paths relative to the CMake directory keep the package relocatable.
rel_libdir=$(realpath -m --relative-to="$cmake_dir" "$LIBDIR")
rel_includedir=$(realpath -m --relative-to="$cmake_dir" "$INCLUDEDIR")
cat >"$staging/ovokConfig.cmake" <<EOF
# ovok $version for CMake: find_package(ovok CONFIG REQUIRED), then link
# ovok::ovok (the shared library, SONAME $soname) or ovok::ovok_static
# (libovok.a with the system libraries that rustc reports it needs).
# Written by ovok's scripts/install.sh.
get_filename_component(_ovok_libdir "\${CMAKE_CURRENT_LIST_DIR}/$rel_libdir" ABSOLUTE)
get_filename_component(_ovok_includedir "\${CMAKE_CURRENT_LIST_DIR}/$rel_includedir" ABSOLUTE)

foreach(_ovok_file "\${_ovok_libdir}/$real_name" "\${_ovok_libdir}/libovok.a" "\${_ovok_includedir}/ovok.h")
  if(NOT EXISTS "\${_ovok_file}")
    set(ovok_FOUND FALSE)
    set(ovok_NOT_FOUND_MESSAGE "ovok's CMake package is installed, but \${_ovok_file} is missing")
  endif()
endforeach()

if(NOT DEFINED ovok_FOUND AND NOT TARGET ovok::ovok)
  add_library(ovok::ovok SHARED IMPORTED)
  set_target_properties(ovok::ovok PROPERTIES
    IMPORTED_LOCATION "\${_ovok_libdir}/$real_name"
    IMPORTED_SONAME "$soname"
    INTERFACE_INCLUDE_DIRECTORIES "\${_ovok_includedir}")

  add_library(ovok::ovok_static STATIC IMPORTED)
  set_target_properties(ovok::ovok_static PROPERTIES
    IMPORTED_LOCATION "\${_ovok_libdir}/libovok.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "\${_ovok_includedir}"
    INTERFACE_LINK_LIBRARIES "$cmake_libs")
endif()

unset(_ovok_file)
unset(_ovok_libdir)
unset(_ovok_includedir)
EOF

pointer_bytes=$(($(getconf LONG_BIT) / 8))
cat >"$staging/ovokConfigVersion.cmake" <<EOF
# ovok $version: any $major.x at least as new as the one asked for is compatible,
# as the SONAME $soname promises. Written by ovok's scripts/install.sh.
set(PACKAGE_VERSION "$version")
if(PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
elseif(NOT "\${PACKAGE_FIND_VERSION}" STREQUAL "" AND NOT PACKAGE_FIND_VERSION_MAJOR STREQUAL "$major")
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
if(NOT "\${CMAKE_SIZEOF_VOID_P}" STREQUAL "" AND NOT CMAKE_SIZEOF_VOID_P STREQUAL "$pointer_bytes")
  set(PACKAGE_VERSION "\${PACKAGE_VERSION} ($((pointer_bytes * 8))-bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
EOF

# ---- into place
lib=$DESTDIR$LIBDIR
install -d "$lib" "$lib/pkgconfig" "$DESTDIR$cmake_dir" "$DESTDIR$INCLUDEDIR"
install -m 755 "$BUILD_DIR/libovok.so" "$lib/$real_name"
ln -sfn "$real_name" "$lib/$soname"
ln -sfn "$soname" "$lib/libovok.so"
install -m 644 "$BUILD_DIR/libovok.a" "$lib/libovok.a"
install -m 644 include/ovok.h include/ovok.hpp "$DESTDIR$INCLUDEDIR/"
install -m 644 "$staging/ovok.pc" "$lib/pkgconfig/ovok.pc"
install -m 644 "$staging/ovokConfig.cmake" "$staging/ovokConfigVersion.cmake" "$DESTDIR$cmake_dir/"
refresh_loader_cache
echo "install: ovok $version in $DESTDIR$PREFIX ($real_name, SONAME $soname; Libs.private: $native_libs)"
