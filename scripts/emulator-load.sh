#!/usr/bin/env bash
# Drives 64 keep-alive connections at the emulator's login route with wrk
# and fails on any error or timeout. It checks counts only, never speed;
# the requests/s it prints is a benchmark figure for emulator/README.md.
# Usage: scripts/emulator-load.sh [SECONDS]   (after `make build`)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" wrk
export DURATION=${1:-5} SCRIPT=$root/emulator/load/login.lua

# The inner script expands OVOK_BASE_URL, which with-emulator.sh sets.
# shellcheck disable=SC2016
"$root/scripts/with-emulator.sh" -- bash -c '
  set -euo pipefail
  # A timeout of 10 s: only a request that never gets an answer counts as one.
  output=$(wrk --threads 2 --connections 64 --duration "${DURATION}s" --timeout 10s \
    --script "$SCRIPT" "$OVOK_BASE_URL")
  echo "$output"
  result=$(grep "^RESULT " <<<"$output")
  read -r requests connect read write timeout status rps <<<"$(
    sed -E "s/[a-z]+=//g; s/^RESULT //" <<<"$result")"
  errors=$((connect + read + write + status))
  echo "emulator-load: $requests logins over 64 connections, $errors errors, $timeout timeouts ($rps requests/s)"
  if [ "$requests" -eq 0 ] || [ "$errors" -ne 0 ] || [ "$timeout" -ne 0 ]; then
    echo "emulator-load: FAILED" >&2
    exit 1
  fi
'
