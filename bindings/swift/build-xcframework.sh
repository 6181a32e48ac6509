#!/usr/bin/env bash
# Builds bindings/swift/COvok.xcframework, the native half of the Swift package on Apple
# platforms: libovok as a static library for iOS devices, the iOS simulators (arm64 and x86_64
# joined by lipo) and macOS (arm64 and x86_64 joined by lipo), with ovok.h and a module map in
# Headers/COvok/, a named subfolder, so that two Rust libraries in one app do not clash.
#
# Needs a Mac with Xcode and rustup. Usage: bindings/swift/build-xcframework.sh [--dry-run]
#   --dry-run   print the commands instead of running them (works anywhere)
# Environment: IPHONEOS_DEPLOYMENT_TARGET (default 15.0), MACOSX_DEPLOYMENT_TARGET (default 12.0),
# matching the platforms in Package.swift.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dry_run=0
case ${1:-} in
  --dry-run) dry_run=1 ;;
  "") ;;
  *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

export IPHONEOS_DEPLOYMENT_TARGET=${IPHONEOS_DEPLOYMENT_TARGET:-15.0}
export MACOSX_DEPLOYMENT_TARGET=${MACOSX_DEPLOYMENT_TARGET:-12.0}
device=aarch64-apple-ios
simulators=(aarch64-apple-ios-sim x86_64-apple-ios)
macs=(aarch64-apple-darwin x86_64-apple-darwin)
work=$repo/target/xcframework
headers=$work/headers
output=$here/COvok.xcframework
library=libovok.a

run() {
  local line
  printf -v line '%q ' "$@"
  echo "${line% }"
  [ "$dry_run" = 1 ] || "$@"
}

if [ "$dry_run" = 0 ]; then
  [ "$(uname -s)" = Darwin ] || { echo "build-xcframework: needs macOS with Xcode (try --dry-run)" >&2; exit 2; }
  for tool in cargo rustup lipo xcodebuild; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-xcframework: $tool is missing" >&2; exit 2; }
  done
fi

run rustup target add "$device" "${simulators[@]}" "${macs[@]}"
for target in "$device" "${simulators[@]}" "${macs[@]}"; do
  run cargo build --manifest-path "$repo/Cargo.toml" -p ovok --lib --release --target "$target"
done

slice() { echo "$repo/target/$1/release/$library"; }
run mkdir -p "$work/ios-simulator" "$work/macos" "$headers/COvok"
run lipo -create "$(slice "${simulators[0]}")" "$(slice "${simulators[1]}")" -output "$work/ios-simulator/$library"
run lipo -create "$(slice "${macs[0]}")" "$(slice "${macs[1]}")" -output "$work/macos/$library"
run cp "$repo/include/ovok.h" "$headers/COvok/ovok.h"
run cp "$here/xcframework/module.modulemap" "$headers/COvok/module.modulemap"
run rm -rf "$output"
run xcodebuild -create-xcframework \
  -library "$(slice "$device")" -headers "$headers" \
  -library "$work/ios-simulator/$library" -headers "$headers" \
  -library "$work/macos/$library" -headers "$headers" \
  -output "$output"
