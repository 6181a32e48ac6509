#!/usr/bin/env python3
"""Builds the ovok wheel, ``ovok-<ver>-py3-none-<platform>.whl``, with libovok inside.

Usage (from anywhere, after ``cargo build --release -p ovok``):

    python3 bindings/python/build_wheel.py [--out DIR] [--manylinux]

The wheel lands in ``<repo>/target/wheels`` unless ``--out`` says otherwise,
and its path is printed as the last line. The library bundled is
``<repo>/target/release/libovok.so`` (``.dylib`` on macOS, ``ovok.dll`` on
Windows), or the file named by ``OVOK_WHEEL_LIBRARY``. The build backend is
hatchling; when it is already installed the build runs offline.

``--manylinux`` (x86_64 Linux) bundles instead a library linked against
glibc 2.17 by scripts/build-manylinux-lib.sh (cargo-zigbuild), and tags the
wheel ``manylinux_2_17_x86_64.manylinux2014_x86_64``: it installs on any
x86_64 Linux with glibc 2.17 or newer, and PyPI accepts it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent
REPO_ROOT = PROJECT_DIR.parents[1]

# glibc 2.17 is the oldest that Rust's x86_64-unknown-linux-gnu supports;
# PEP 600 names it manylinux_2_17, PEP 599 manylinux2014.
MANYLINUX_PLATFORM = "manylinux_2_17_x86_64.manylinux2014_x86_64"


def manylinux_library() -> Path:
    """libovok.so linked against glibc 2.17 (built, or reused from cargo's cache)."""
    script = REPO_ROOT / "scripts" / "build-manylinux-lib.sh"
    completed = subprocess.run(
        [str(script)], check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(completed.stdout.strip().splitlines()[-1])


def build(out_dir: Path, *, manylinux: bool = False) -> Path:
    if manylinux:
        os.environ["OVOK_WHEEL_LIBRARY"] = str(manylinux_library())
        os.environ["OVOK_WHEEL_PLATFORM"] = MANYLINUX_PLATFORM
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("ovok-*.whl"):
        stale.unlink()
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")
    command += ["--wheel-dir", str(out_dir), str(PROJECT_DIR)]
    subprocess.run(command, check=True)
    wheels = sorted(out_dir.glob("ovok-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one ovok wheel in {out_dir}, found {wheels}")
    wheel = wheels[0]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    if not any(name.startswith("ovok/") and "ovok." in name.split("/")[-1]
               and not name.endswith(".py") for name in names):
        raise SystemExit(f"{wheel.name} does not contain the native library: {names}")
    if "-py3-none-" not in wheel.name:
        raise SystemExit(f"{wheel.name} is not tagged py3-none-<platform>")
    if manylinux and not wheel.name.endswith(f"-py3-none-{MANYLINUX_PLATFORM}.whl"):
        raise SystemExit(f"{wheel.name} is not tagged {MANYLINUX_PLATFORM}")
    return wheel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "target" / "wheels",
        help="directory for the wheel (default: <repo>/target/wheels)",
    )
    parser.add_argument(
        "--manylinux",
        action="store_true",
        help=f"bundle a glibc 2.17 build and tag the wheel {MANYLINUX_PLATFORM}",
    )
    args = parser.parse_args()
    wheel = build(args.out.resolve(), manylinux=args.manylinux)
    print(f"built {wheel.name} ({wheel.stat().st_size:,} bytes)")
    print(wheel)


if __name__ == "__main__":
    main()
