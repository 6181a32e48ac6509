#!/usr/bin/env bash
# Starts tinyproxy in the foreground on a free loopback port, for tests.
#
# Usage: scripts/start-tinyproxy.sh [DIR] [CONFIG_LINE...]
#
# Installs tinyproxy from Debian's packages when it is missing (through
# scripts/install-deps.sh). Writes DIR/tinyproxy.conf (DIR defaults to a new
# temporary directory) with any CONFIG_LINEs appended, e.g. "ConnectPort 443"
# or "BasicAuth user password", prints the proxy URL (http://127.0.0.1:PORT)
# as the first line on stdout, then replaces itself with tinyproxy, so the
# process id the caller holds is tinyproxy's and killing it stops the proxy.
# The proxy logs to DIR/tinyproxy.log (LogLevel Info: one CONNECT line per
# tunnel). The port is chosen free just before tinyproxy binds it; if another
# process takes it in between, tinyproxy exits with an error and the caller
# should try again. The caller waits until the port accepts connections.
#
# The configuration has no ConnectPort line, which in tinyproxy means that
# CONNECT may reach any port (Debian's default /etc/tinyproxy/tinyproxy.conf
# allows only 443 and 563, which would refuse the emulator's random port).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v tinyproxy >/dev/null 2>&1; then
  "$here/install-deps.sh" tinyproxy >&2 || {
    echo "start-tinyproxy: could not install tinyproxy" >&2
    exit 69
  }
fi
tinyproxy="$(command -v tinyproxy || true)"
[ -n "$tinyproxy" ] || { echo "start-tinyproxy: tinyproxy is not installed" >&2; exit 69; }

dir="${1:-}"
[ $# -gt 0 ] && shift
if [ -z "$dir" ]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/ovok-tinyproxy.XXXXXX")"
fi
mkdir -p "$dir"

port_is_free() {
  # Nothing accepts a connection on it (bash's /dev/tcp; no extra tools).
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
port=""
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 40000))
  if port_is_free "$candidate"; then
    port="$candidate"
    break
  fi
done
[ -n "$port" ] || { echo "start-tinyproxy: no free port found" >&2; exit 75; }

conf="$dir/tinyproxy.conf"
{
  echo "Listen 127.0.0.1"
  echo "Port $port"
  echo "Allow 127.0.0.1"
  echo "Timeout 60"
  echo "MaxClients 64"
  echo "LogFile \"$dir/tinyproxy.log\""
  echo "LogLevel Info"
  echo "PidFile \"$dir/tinyproxy.pid\""
  # Running as root (a CI container) keeps the current user; tinyproxy only
  # warns. As another user, User/Group lines would be refused anyway.
  for line in "$@"; do
    echo "$line"
  done
} >"$conf"
: >"$dir/tinyproxy.log"

echo "http://127.0.0.1:$port"
exec "$tinyproxy" -d -c "$conf"
