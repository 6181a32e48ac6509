#!/usr/bin/env bash
# Creates (once) the Python virtual environment under target/ that holds
# schemathesis at a pinned version, and prints the path of its executable.
# Usage: scripts/schemathesis-venv.sh
set -euo pipefail

version=4.32.5
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/target/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  # Debian splits venv's pip bootstrap into its own package.
  python3 -c 'import ensurepip' 2>/dev/null || "$root/scripts/install-deps.sh" --package python3-venv >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version" >&2
fi
echo "$venv/bin/schemathesis"
