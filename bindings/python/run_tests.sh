#!/usr/bin/env bash
# Builds the ovok wheel and checks it: on x86_64 Linux the manylinux2014
# wheel (a glibc 2.17 build, confirmed by auditwheel), elsewhere one for this
# machine. mypy --strict runs on the package and its tests from the tools venv
# (target/python-venv); pytest runs against the wheel installed with its
# extras into a fresh venv (from a scratch directory, OVOK_LIBRARY_PATH unset).
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
tools=("hatchling>=1.27,<2" "pytest>=7.4,<9" "mypy>=1.8,<2" "auditwheel>=6.1,<7"
    "httpx>=0.27,<1" "requests>=2.31,<3" "types-requests>=2.31,<3" "pyelftools>=0.31,<1")
# What the fresh venv gets besides the wheel and its extras.
test_tools=("pytest>=7.4,<9" "pyelftools>=0.31,<1")
stamp=$venv/.ovok-tools
want="$("$python" -c 'import sys; print(sys.version)') ${tools[*]}"
if [[ ${OVOK_FRESH_VENV:-0} == 1 || ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "== creating $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${tools[@]}"
    printf '%s' "$want" >"$stamp"
fi

manylinux=()
if [[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]]; then
    manylinux=(--manylinux)
fi

echo "== building the wheel ${manylinux[*]}"
"$venv/bin/python" "$here/build_wheel.py" --out "$wheels" "${manylinux[@]}" | tee "$venv/.ovok-build.log"
wheel=$(tail -n 1 "$venv/.ovok-build.log")

if ((${#manylinux[@]})); then
    echo "== auditwheel show $(basename "$wheel")"
    "$venv/bin/auditwheel" show "$wheel" | tee "$venv/.ovok-auditwheel.log"
    # auditwheel names the oldest policy whose symbol versions the library stays within.
    if ! tr -s ' \n' ' ' <"$venv/.ovok-auditwheel.log" \
        | grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"'; then
        echo "run_tests.sh: auditwheel does not confirm manylinux_2_17_x86_64" >&2
        exit 1
    fi
    export OVOK_EXPECT_MANYLINUX=2.17
fi

# The installed package is what mypy checks too (the tests import `ovok`).
"$venv/bin/python" -m pip uninstall --quiet --yes ovok >/dev/null 2>&1 || true
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$wheel"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "== installing $(basename "$wheel")[httpx,requests] into a fresh venv"
"$python" -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "ovok[httpx,requests] @ file://$wheel" "${test_tools[@]}"

echo "== mypy --strict"
(cd "$here" && "$venv/bin/mypy" --cache-dir "$repo/target/python-mypy-cache")

echo "== pytest (the wheel installed in a fresh venv)"
mkdir "$scratch/run"
cd "$scratch/run"
env -u OVOK_LIBRARY_PATH -u PYTHONPATH OVOK_EXPECT_INSTALLED=1 \
    "$scratch/venv/bin/python" -m pytest -p no:cacheprovider "$here/tests" "$@"
