"""Hatchling hooks: single-source the version and bundle libovok into the wheel.

The version is read from the Rust crate's Cargo.toml, so the wheel, the
shared library inside it and `ovok.__version__` can never disagree.

The wheel carries a native library but no CPython extension, so it is
tagged ``py3-none-<platform>``: any Python 3 on that platform can load it
with ctypes. The platform is this machine's unless ``OVOK_WHEEL_PLATFORM``
names another: build_wheel.py --manylinux sets it, with ``OVOK_WHEEL_LIBRARY``
pointing at a library built for that platform.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface

# bindings/python -> the repository root.
REPO_ROOT = Path(__file__).resolve().parents[2]


def library_file_name() -> str:
    if sys.platform == "win32":
        return "ovok.dll"
    if sys.platform == "darwin":
        return "libovok.dylib"
    return "libovok.so"


def crate_version(cargo_toml: Path) -> str:
    """The `version` of the `[package]` table of a Cargo.toml."""
    text = cargo_toml.read_text(encoding="utf-8")
    package = re.search(r"(?ms)^\[package\]\s*$(.*?)(?=^\[|\Z)", text)
    if package is None:
        raise RuntimeError(f"{cargo_toml} has no [package] table")
    version = re.search(r'(?m)^version\s*=\s*"([^"]+)"', package.group(1))
    if version is None:
        raise RuntimeError(f"{cargo_toml} has no package version")
    return version.group(1)


def platform_tag() -> str:
    configured = os.environ.get("OVOK_WHEEL_PLATFORM")
    if configured:
        return configured
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


class CargoVersionHook(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        metadata["version"] = crate_version(REPO_ROOT / "Cargo.toml")


class BundleLibraryHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        library = Path(
            os.environ.get("OVOK_WHEEL_LIBRARY")
            or REPO_ROOT / "target" / "release" / library_file_name()
        )
        if not library.is_file():
            raise RuntimeError(
                f"{library} not found: run `cargo build --release -p ovok` first "
                "(or point OVOK_WHEEL_LIBRARY at the built library)"
            )
        build_data["force_include"][str(library)] = f"ovok/{library_file_name()}"
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{platform_tag()}"
