#!/usr/bin/env bash
# Installs the system tools the tests need, from Debian's packages, when missing.
# Usage: scripts/install-deps.sh TOOL...   (e.g. valgrind g++ clang)
#        scripts/install-deps.sh --package PACKAGE...   (installed whatever is present:
#        for a package that provides no command, such as a sanitizer runtime)
set -euo pipefail

declare -A package_for=(
  [valgrind]=valgrind
  [gcc]=gcc
  [g++]=g++
  [clang]=clang
  [clang++]=clang
  [cmake]=cmake
  [pkg-config]=pkgconf
  [readelf]=binutils
  [curl-config]=libcurl4-openssl-dev
  [tinyproxy]=tinyproxy
)

missing=()
if [ "${1:-}" = --package ]; then
  shift
  missing=("$@")
else
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${package_for[$tool]:-$tool}")
  done
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
