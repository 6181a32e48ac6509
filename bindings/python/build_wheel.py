#!/usr/bin/env python3
"""Builds the ovok wheel, ``ovok-<ver>-py3-none-<platform>.whl``, with libovok inside.

Usage (from anywhere, after ``cargo build --release -p ovok``):

    python3 bindings/python/build_wheel.py [--out DIR]

The wheel lands in ``<repo>/target/wheels`` unless ``--out`` says otherwise,
and its path is printed as the last line. The library bundled is
``<repo>/target/release/libovok.so`` (``.dylib`` on macOS, ``ovok.dll`` on
Windows), or the file named by ``OVOK_WHEEL_LIBRARY``. The build backend is
hatchling; when it is already installed the build runs offline.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent
REPO_ROOT = PROJECT_DIR.parents[1]


def build(out_dir: Path) -> Path:
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
    return wheel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "target" / "wheels",
        help="directory for the wheel (default: <repo>/target/wheels)",
    )
    args = parser.parse_args()
    wheel = build(args.out.resolve())
    print(f"built {wheel.name} ({wheel.stat().st_size:,} bytes)")
    print(wheel)


if __name__ == "__main__":
    main()
