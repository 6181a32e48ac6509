#!/usr/bin/env bash
# Installs the system tools the tests need, from Debian's packages, when missing.
# Usage: scripts/install-deps.sh TOOL...   (e.g. valgrind g++ clang)
set -euo pipefail

declare -A package_for=(
  [valgrind]=valgrind
  [gcc]=gcc
  [g++]=g++
  [clang]=clang
  [curl-config]=libcurl4-openssl-dev
  [tinyproxy]=tinyproxy
)

missing=()
for tool in "$@"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_for[$tool]:-$tool}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
