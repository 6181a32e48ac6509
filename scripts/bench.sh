#!/usr/bin/env bash
# make bench: per-login latency of ovok against libcurl, a raw-socket floor,
# requests and httpx, on local emulators; writes docs/BENCHMARKS.md and
# docs/benchmarks.png. Not part of `make test`. About 40 s once built and the
# venv exists; a few minutes on a fresh clone.
#
# Usage: scripts/bench.sh [--quick]   (--quick: tiny sizes, to test the harness;
#                                      writes to target/bench/ instead of docs/)
# Environment: PYTHON (default python3) for the bench venv, target/bench-venv.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quick=()
out_md=$root/docs/BENCHMARKS.md
out_png=$root/docs/benchmarks.png
if [ "${1:-}" = "--quick" ]; then
  quick=(--quick)
  out_md=$root/target/bench/BENCHMARKS.quick.md
  out_png=$root/target/bench/benchmarks.quick.png
fi

# --- system packages: a C compiler, libcurl with OpenSSL
scripts/install-deps.sh gcc curl-config
python=${PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bench: installing python3-venv" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi

# --- release builds (a no-op after `make build`)
cargo build --release -p ovok -p ovok-emulator
out=$root/target/bench
mkdir -p "$out"

# --- C bench program. ovok over https needs a client that trusts the bench's CA.
defines=()
ovok_https=()
if grep -q 'ovok_client_builder_add_ca_file' include/ovok.h; then
  defines=(-DOVOK_BENCH_CLIENT_API)
  ovok_https=(--ovok-https)
fi
# shellcheck disable=SC2046 # curl-config prints several flags, meant to be split
gcc -O2 -std=gnu11 -Wall -Wextra -pthread -Iinclude "${defines[@]}" bench/bench_c.c -o "$out/bench_c" \
  -Ltarget/release -lovok -Wl,-rpath,"$root/target/release" $(curl-config --libs)

# --- Python: the ovok wheel from this build, requests, httpx, matplotlib
venv=$root/target/bench-venv
tools=("hatchling>=1.27,<2" "requests>=2.31,<3" "httpx>=0.27,<1" "matplotlib>=3.7,<4")
want="$("$python" -c 'import sys; print(sys.version)') ${tools[*]}"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.bench-tools" 2>/dev/null)" != "$want" ]; then
  echo "== creating $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${tools[@]}"
  printf '%s' "$want" >"$venv/.bench-tools"
fi
wheel=$("$venv/bin/python" bindings/python/build_wheel.py --out "$root/target/wheels" | tail -n 1)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$wheel"

# --- a throwaway CA and server certificate (ECDSA P-256, made by rcgen in the
# emulator), valid for 127.0.0.1 and the extra loopback addresses the cold runs
# rotate through. Deleted on exit.
rotate=300
tls=$(mktemp -d)
trap 'rm -rf "$tls"' EXIT
names=(--cert-name 127.0.0.1)
for ((i = 2; i < rotate + 2; i++)); do names+=(--cert-name "127.0.$((i / 256)).$((i % 256))"); done
"$root/target/release/ovok-emulator" --generate-cert "$tls" "${names[@]}"

driver=("$venv/bin/python" bench/run_bench.py --bench-c "$out/bench_c" --python "$venv/bin/python"
  --emulator "$root/target/release/ovok-emulator" --cert "$tls/ca.pem" --key "$tls/server.key"
  --out-md "$out_md" --out-png "$out_png" "${ovok_https[@]}" "${quick[@]}")
# The server certificate the emulator serves is server.pem; --cert is what clients trust.
driver+=(--server-cert "$tls/server.pem")

# Everything runs in a private network namespace (loopback only) when we may make
# one: no traffic can leave the machine, and the emulator can listen on every
# loopback address there, which the cold ovok runs need.
if unshare -n true 2>/dev/null; then
  unshare -n bash -c 'ip link set lo up 2>/dev/null || ifconfig lo up; exec "$@"' bash "${driver[@]}" --rotate "$rotate"
else
  echo "bench: cannot create a network namespace (unshare -n); the cold ovok rows are skipped" >&2
  "${driver[@]}"
fi
