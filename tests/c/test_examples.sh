#!/usr/bin/env bash
# Runs the example programs against the emulator and checks their output and
# exit codes. Usage (from the Makefile): tests/c/test_examples.sh LOGIN QUICKSTART...
# (each QUICKSTART is a build of a README quickstart: C, C++)
set -uo pipefail
login=$1
shift
client_id=5e505642-9024-474d-9434-e5a44f505cc5
passed=0
failed=0

expect() {  # expect NAME WANTED_EXIT ACTUAL_EXIT OUTPUT PATTERN
  if [ "$3" -eq "$2" ] && grep -qE -- "$5" <<<"$4"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s: exit %s (wanted %s), output:\n%s\n' "$1" "$3" "$2" "$4" >&2
  fi
}

run() { output=$("$@" 2>&1); code=$?; }

run env OVOK_PASSWORD=password1234 "$login" --base-url "$OVOK_BASE_URL" john.doe@mail.com "$client_id"
expect "login succeeds" 0 "$code" "$output" "status +OVOK_STATUS_OK \(HTTP 200\)"
expect "tokens are redacted" 0 "$code" "$output" "access token +[A-Za-z0-9_-]{8}\.\.\. \([0-9]+ chars, redacted\)"
if grep -qE "eyJ[A-Za-z0-9_-]{20,}" <<<"$output"; then
  failed=$((failed + 1)); echo "FAIL a whole token was printed" >&2
else
  passed=$((passed + 1))
fi

run bash -c 'echo password1234 | "$0" --base-url "$1" john.doe@mail.com "$2"' "$login" "$OVOK_BASE_URL" "$client_id"
expect "password from stdin" 0 "$code" "$output" "OVOK_STATUS_OK"

run env OVOK_PASSWORD=wrong-password "$login" --base-url "$OVOK_BASE_URL" john.doe@mail.com "$client_id"
expect "wrong password exits with UNAUTHORIZED" 3 "$code" "$output" "OVOK_STATUS_UNAUTHORIZED \(HTTP 401\)"

run env OVOK_PASSWORD=x "$login" --base-url "$OVOK_BASE_URL" not-an-email "$client_id"
expect "bad email exits with UNPROCESSABLE" 5 "$code" "$output" "email"

run env OVOK_PASSWORD=x "$login" --base-url http://127.0.0.1:1 john.doe@mail.com "$client_id"
expect "refused exits with CONNECTION" 8 "$code" "$output" "OVOK_STATUS_CONNECTION"

run "$login" only-one-argument
expect "usage error" 64 "$code" "$output" "usage: login"

for quickstart in "$@"; do
  run "$quickstart"
  expect "README quickstart $quickstart" 0 "$code" "$output" "^logged in as Max Mustermann until [0-9]+$"
done

echo "test_examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
