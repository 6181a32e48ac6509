#!/usr/bin/env bash
# Builds the ovok wheel, installs it into target/python-venv, and checks it:
# mypy --strict on the package and its tests, then pytest against the
# *installed* wheel (run from a scratch directory, OVOK_LIBRARY_PATH unset).
#
# Needs a built library and emulator:
#   cargo build --release -p ovok -p ovok-emulator
#   bindings/python/run_tests.sh
#
# Environment:
#   PYTHON         interpreter for the venv (default: python3; needs >= 3.9)
#   OVOK_EMULATOR  emulator binary (default: <repo>/target/release/ovok-emulator)
#   OVOK_FRESH_VENV=1  rebuild the venv from scratch even if it is up to date
# Any extra arguments are passed to pytest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
venv=$repo/target/python-venv
wheels=$repo/target/wheels
export OVOK_EMULATOR=${OVOK_EMULATOR:-$repo/target/release/ovok-emulator}

case "$(uname -s)" in
    Darwin) library=$repo/target/release/libovok.dylib ;;
    MINGW* | MSYS* | CYGWIN*) library=$repo/target/release/ovok.dll ;;
    *) library=$repo/target/release/libovok.so ;;
esac
for needed in "$library" "$OVOK_EMULATOR"; do
    if [[ ! -f $needed ]]; then
        echo "run_tests.sh: $needed not found; run: cargo build --release -p ovok -p ovok-emulator" >&2
        exit 1
    fi
done

# The tools, in one pip command. The venv is reused while the interpreter
# and this list are unchanged; the ovok wheel is always reinstalled below.
tools=("hatchling>=1.27,<2" "pytest>=7.4,<9" "mypy>=1.8,<2")
stamp=$venv/.ovok-tools
want="$("$python" -c 'import sys; print(sys.version)') ${tools[*]}"
if [[ ${OVOK_FRESH_VENV:-0} == 1 || ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "== creating $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${tools[@]}"
    printf '%s' "$want" >"$stamp"
fi

echo "== building the wheel"
"$venv/bin/python" "$here/build_wheel.py" --out "$wheels" | tee "$venv/.ovok-build.log"
wheel=$(tail -n 1 "$venv/.ovok-build.log")

echo "== installing $(basename "$wheel")"
"$venv/bin/python" -m pip uninstall --quiet --yes ovok >/dev/null 2>&1 || true
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$wheel"

echo "== mypy --strict"
(cd "$here" && "$venv/bin/mypy" --cache-dir "$repo/target/python-mypy-cache")

echo "== pytest (installed wheel)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
env -u OVOK_LIBRARY_PATH -u PYTHONPATH OVOK_EXPECT_INSTALLED=1 \
    "$venv/bin/python" -m pytest -p no:cacheprovider "$here/tests" "$@"
