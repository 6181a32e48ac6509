#!/usr/bin/env bash
# Fuzzes the ovok core with cargo-fuzz (libFuzzer + AddressSanitizer): each
# target in fuzz/ for a bounded time, then prints how many inputs each one ran
# and whether any crashed. Not part of `make test`.
#
# Usage: scripts/fuzz.sh [SECONDS]     (per target; default 60)
#        FUZZ_TARGETS="base_url jwt_expiry" scripts/fuzz.sh 30
#
# Needs a nightly toolchain (cargo-fuzz passes -Z flags to rustc) and installs
# cargo-fuzz from crates.io when it is missing. The seeds in fuzz/corpus/TARGET
# are only read; what the fuzzer learns goes to fuzz/work/TARGET (ignored by
# git, kept between runs), crashing inputs to fuzz/artifacts/TARGET. Replay one
# with: cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...
set -euo pipefail

seconds=${1:-60}
case $seconds in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 64 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
targets=${FUZZ_TARGETS:-response base_url jwt_expiry http_response}
toolchain=${FUZZ_TOOLCHAIN:-nightly}

if ! cargo "+$toolchain" --version >/dev/null 2>&1; then
  echo "fuzz: no $toolchain toolchain (rustup toolchain list); cargo-fuzz needs nightly" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io" >&2
  cargo install cargo-fuzz --locked
fi

started=$(date +%s)
cargo "+$toolchain" fuzz build -O
echo "fuzz: built the targets in $(($(date +%s) - started)) s"

crashed=0
report=()
for target in $targets; do
  work=fuzz/work/$target
  artifacts=fuzz/artifacts/$target
  mkdir -p "$work" "$artifacts"
  log=fuzz/work/$target.log
  marker=$(mktemp)
  echo "fuzz: $target for $seconds s"
  set +e
  # -fork=1 with -ignore_*: a crash is saved and fuzzing goes on, so each target
  # gets its whole time. The first corpus directory receives new inputs; the
  # seeds are only read.
  cargo "+$toolchain" fuzz run -O "$target" "$work" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    >"$log" 2>&1
  code=$?
  set -e
  last=$(grep -E '^#[0-9]+: ' "$log" | tail -n 1)
  runs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
  problems=$(sed -nE 's/.*oom\/timeout\/crash: ([0-9]+\/[0-9]+\/[0-9]+).*/\1/p' <<<"$last")
  corpus=$(find "$work" -type f | wc -l)
  # Replay this run's crashing inputs once each to name where they fail:
  # "SITE<TAB>MESSAGE<TAB>INPUT" lines, SITE being "file:line:column".
  sites=()
  while IFS= read -r input; do
    replay=$("fuzz/target/x86_64-unknown-linux-gnu/release/$target" "$input" 2>&1 || true)
    site=$(grep -m 1 -oE "panicked at [^ ]+|ERROR: AddressSanitizer: [a-z-]+" <<<"$replay" |
      sed 's/^panicked at //; s/:$//')
    message=$(grep -A 1 -m 1 "panicked at" <<<"$replay" | tail -n 1 | cut -c1-160)
    sites+=("$(printf '%s\t%s\t%s' "${site:-no crash on replay}" "$message" "$input")")
  done < <(find "$artifacts" -type f -newer "$marker" | sort)
  rm -f "$marker"
  if [ "$code" -eq 0 ] && [ ${#sites[@]} -eq 0 ]; then
    verdict="no crash"
  else
    crashed=$((crashed + 1))
    verdict="FAILED (exit $code; oom/timeout/crash ${problems:-?}; ${#sites[@]} input(s) saved)"
  fi
  report+=("$(printf '%-12s %12s runs  %6s corpus  %s' "$target" "${runs:-?}" "$corpus" "$verdict")")
  if [ ${#sites[@]} -gt 0 ]; then
    # The same bug is usually hit by many inputs: one line per site.
    while IFS= read -r line; do report+=("    $line"); done < <(
      printf '%s\n' "${sites[@]}" | awk -F '\t' '
        !($1 in count) { order[++n] = $1; message[$1] = $2; input[$1] = $3 }
        { count[$1]++ }
        END { for (i = 1; i <= n; i++) { s = order[i]
          printf "%d input(s) fail at %s: %s (e.g. %s)\n", count[s], s, message[s], input[s] } }')
  fi
done

echo
echo "fuzz: $seconds s per target (libFuzzer, -O, AddressSanitizer, fork mode)"
printf '  %s\n' "${report[@]}"
echo "fuzz: $crashed target(s) crashed; total $(($(date +%s) - started)) s; logs in fuzz/work/"
[ "$crashed" -eq 0 ]
