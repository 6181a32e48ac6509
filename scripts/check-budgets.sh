#!/usr/bin/env bash
# The size and memory budgets (`make budgets`, run by `make test`). Each figure is
# printed with its bound; the script exits non-zero when any bound is exceeded.
#
#   1. the stripped release libovok.so (x86_64 Linux, default features): at most
#      1.8 MiB. docs/SIZE.md says what each part costs;
#   2. heap allocations per warm ovok_login, counted by valgrind (memcheck's
#      "total heap usage") as (allocs over 1,100 logins - allocs over 100) / 1,000;
#   3. the C demo's (examples/login.c) peak RSS for one login;
#   4. RSS growth over 100,000 warm logins in one process (a leak shows here).
#
# Needs target/release/libovok.so and target/release/ovok-emulator (make build).
# Takes a few seconds. These figures are deterministic (2) or nearly so (3, 4: a
# few pages of allocator noise), unlike the timings of `make bench`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# ---- the bounds
MAX_SO_BYTES=$((18 * 1024 * 1024 / 10))   # 1.8 MiB = 1,887,436 B (docs/SIZE.md has the measured figure)
MAX_ALLOCS_PER_LOGIN=50                   # through ureq 3; docs/SIZE.md has the measured figure
MAX_DEMO_PEAK_RSS_KIB=$((4 * 1024))       # measured 2,476-2,540 KiB
MAX_RSS_GROWTH_KIB=512                    # measured 64-128 KiB (allocator settling, not linear).
                                          # A 5-byte-per-login leak exceeds it.
BASELINE_LOGINS=100
COUNTED_LOGINS=1000
LEAK_WARMUP=2000
LEAK_LOGINS=100000

library=target/release/libovok.so
emulator=target/release/ovok-emulator
for needed in "$library" "$emulator"; do
  [ -f "$needed" ] || { echo "check-budgets: $needed is missing; run: make build" >&2; exit 2; }
done
scripts/install-deps.sh gcc valgrind

failures=0
report() { # name, value, bound, unit
  local verdict=ok
  if [ "$2" -gt "$3" ]; then verdict="OVER BUDGET"; failures=$((failures + 1)); fi
  printf 'budget: %-40s %10s %-6s (bound %s %s)  %s\n' "$1" "$2" "$4" "$3" "$4" "$verdict"
}

# ---- 1. size of the stripped shared library
work=$(mktemp -d)
coproc EMULATOR { exec "$emulator" --listen 127.0.0.1:0 --quiet; }
# shellcheck disable=SC2153 # coproc sets EMULATOR_PID
emulator_pid=$EMULATOR_PID
trap 'kill "$emulator_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

cp "$library" "$work/libovok.so"
strip --strip-all "$work/libovok.so"   # a no-op when the profile already strips
so_bytes=$(stat -c %s "$work/libovok.so")
echo "        stripped libovok.so: $(awk -v b="$so_bytes" 'BEGIN { printf "%.2f MiB (%.2f MB)", b / 1048576, b / 1e6 }')"
report "stripped libovok.so ($(uname -m))" "$so_bytes" "$MAX_SO_BYTES" bytes
echo "        headroom: $(((MAX_SO_BYTES - so_bytes) / 1024)) KiB"

# ---- the helpers, against the release library
out=target/budgets
mkdir -p "$out"
gcc -O2 -std=gnu11 -Wall -Wextra -Iinclude bench/budget_login.c -o "$out/budget_login" \
  -Ltarget/release -lovok -Wl,-rpath,"$root/target/release"
gcc -O2 -std=c99 -Wall -Wextra -Iinclude examples/login.c -o "$out/login" \
  -Ltarget/release -lovok -Wl,-rpath,"$root/target/release"

if ! read -r -t 10 url <&"${EMULATOR[0]}"; then
  echo "check-budgets: the emulator did not print its URL" >&2
  exit 2
fi

# ---- 2. heap allocations per warm login (memcheck counts every malloc/calloc/realloc/new)
allocs() { # number of logins after the first (warm-up) one
  valgrind --tool=memcheck --leak-check=no "$out/budget_login" loop "$url" 1 "$1" 2>&1 >/dev/null |
    sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,
}
base=$(allocs "$BASELINE_LOGINS")
more=$(allocs $((BASELINE_LOGINS + COUNTED_LOGINS)))
if [ -z "$base" ] || [ -z "$more" ]; then
  echo "check-budgets: valgrind gave no heap summary" >&2
  exit 2
fi
per_login=$(((more - base + COUNTED_LOGINS - 1) / COUNTED_LOGINS))   # rounded up
echo "        heap allocations: $base over $((BASELINE_LOGINS + 1)) logins, $more over $((BASELINE_LOGINS + COUNTED_LOGINS + 1))"
report "heap allocations per warm ovok_login" "$per_login" "$MAX_ALLOCS_PER_LOGIN" allocs

# ---- 3. the C demo's peak RSS (examples/login.c, one login)
demo_kib=$(OVOK_PASSWORD=password1234 "$out/budget_login" maxrss "$out/login" --base-url "$url" \
  john.doe@mail.com 5e505642-9024-474d-9434-e5a44f505cc5 2>/dev/null | tail -n 1)
report "C demo (examples/login.c) peak RSS" "$demo_kib" "$MAX_DEMO_PEAK_RSS_KIB" KiB

# ---- 4. RSS growth over 100,000 warm logins. The client and the emulator share
# one core when taskset exists: a call is then ~4x quicker than across cores.
pin=()
if command -v taskset >/dev/null 2>&1; then
  taskset -a -p -c 0 "$emulator_pid" >/dev/null
  pin=(taskset -c 0)
fi
rss=$("${pin[@]}" "$out/budget_login" loop "$url" "$LEAK_WARMUP" "$LEAK_LOGINS")
read -r rss_before rss_after <<<"$rss"
growth=$((rss_after - rss_before))
[ "$growth" -lt 0 ] && growth=0
echo "        RSS after $LEAK_WARMUP warm-up logins: $rss_before KiB; after $LEAK_LOGINS more: $rss_after KiB"
report "RSS growth over $LEAK_LOGINS logins" "$growth" "$MAX_RSS_GROWTH_KIB" KiB

if [ "$failures" -gt 0 ]; then
  echo "check-budgets: $failures budget(s) exceeded" >&2
  exit 1
fi
echo "check-budgets: all budgets met"
