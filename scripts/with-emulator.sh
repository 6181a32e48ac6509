#!/usr/bin/env bash
# Starts the emulator on a free loopback port, runs a command with the
# emulator's URL in OVOK_BASE_URL, then stops the emulator.
# Usage: scripts/with-emulator.sh [EMULATOR_ARGS... --] COMMAND [ARGS...]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
emulator=${OVOK_EMULATOR:-$root/target/release/ovok-emulator}
[ -x "$emulator" ] || { echo "with-emulator: $emulator is not built (make build)" >&2; exit 2; }

emulator_args=()
if [[ " $* " == *" -- "* ]]; then
  while [ "$1" != "--" ]; do emulator_args+=("$1"); shift; done
  shift
fi

coproc EMULATOR { exec "$emulator" --listen 127.0.0.1:0 --quiet "${emulator_args[@]}"; }
trap 'kill "$EMULATOR_PID" 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true' EXIT
if ! read -r -t 10 url <&"${EMULATOR[0]}"; then
  echo "with-emulator: the emulator did not print its URL" >&2
  exit 2
fi
export OVOK_BASE_URL=$url
"$@"
