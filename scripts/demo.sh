#!/usr/bin/env bash
# make demo: log in to a local emulator through the C ABI and print the result.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export LOGIN=$root/target/release/examples-c/login

# shellcheck disable=SC2016 # expanded by the inner bash, not here
"$root/scripts/with-emulator.sh" bash -c '
  set -u
  client_id=5e505642-9024-474d-9434-e5a44f505cc5
  echo "== Ovok emulator listening at $OVOK_BASE_URL"
  echo "== logging in as the demo user through ovok_login()"
  echo "\$ OVOK_PASSWORD=*** login --base-url $OVOK_BASE_URL john.doe@mail.com $client_id"
  OVOK_PASSWORD=password1234 "$LOGIN" --base-url "$OVOK_BASE_URL" john.doe@mail.com "$client_id"
  echo
  echo "== the same with a wrong password (the exit code is the OvokStatus value)"
  status=0
  OVOK_PASSWORD=wrong-password "$LOGIN" --base-url "$OVOK_BASE_URL" john.doe@mail.com "$client_id" || status=$?
  echo "exit code: $status"
  [ "$status" -eq 3 ]
'
