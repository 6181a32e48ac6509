#!/usr/bin/env bash
# Builds bindings/swift and runs `swift test` against the emulator, through
# scripts/swift-toolchain.sh (swift from PATH, or the Debian root it creates).
# Needs the Rust build first: cargo build --release -p ovok -p ovok-emulator.
#
# Outside any toolchain root it starts, on loopback:
#   OVOK_BASE_URL       the emulator
#   OVOK_SLOW_BASE_URL  the emulator with --latency $SLOW_MS ms per request
#   OVOK_FAKE_URL       bindings/python/tests/fake_server.py, for answers the emulator never gives
# and then checks that Swift's closing line reports passed tests.
# Usage: scripts/swift-test.sh [SWIFT_TEST_ARGS...]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export OVOK_SLOW_MS=${OVOK_SLOW_MS:-500}

case ${1:-} in
  --slow-emulator-ready)
    shift
    # with-emulator.sh has just set OVOK_BASE_URL to the slow emulator.
    export OVOK_SLOW_BASE_URL=${OVOK_BASE_URL:?}
    exec scripts/with-emulator.sh -- "$0" --emulators-ready "$@"
    ;;
  --emulators-ready)
    shift
    coproc FAKE { exec python3 bindings/python/tests/fake_server.py; }
    trap 'kill "$FAKE_PID" 2>/dev/null || true' EXIT
    read -r -t 10 OVOK_FAKE_URL <&"${FAKE[0]}" || { echo "swift-test: the fake server did not start" >&2; exit 2; }
    export OVOK_FAKE_URL
    log=$(mktemp)
    trap 'kill "$FAKE_PID" 2>/dev/null || true; rm -f "$log"' EXIT
    # $PWD is read where the command runs, so the rpath is right inside the root and outside.
    # shellcheck disable=SC2016
    scripts/swift-toolchain.sh -- sh -c 'cd bindings/swift && lib="$PWD/../../target/release" &&
      exec swift test -Xcc -I"$PWD/../../include" -Xlinker -L"$lib" -Xlinker -rpath -Xlinker "$lib" "$@"' \
      swift-test --no-parallel --disable-xctest "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    [ "$status" -eq 0 ] || exit "$status"
    # A run that found no tests also exits 0: insist on Swift Testing's closing line.
    if ! grep -Eq 'Test run with [1-9][0-9]* tests? passed' "$log"; then
      echo "swift-test: no 'Test run with N tests passed' line: the Swift tests did not run" >&2
      exit 1
    fi
    exit 0
    ;;
esac

for built in target/release/libovok.so target/release/ovok-emulator; do
  [ -e "$built" ] || { echo "swift-test: $built is missing (cargo build --release -p ovok -p ovok-emulator)" >&2; exit 2; }
done
# Fails with a clear message (exit 3) where no toolchain can be had.
scripts/swift-toolchain.sh --ensure
exec scripts/with-emulator.sh --latency "$OVOK_SLOW_MS" -- "$0" --slow-emulator-ready "$@"
