"""The installed wheel keeps the promise of its platform tag.

A manylinux_2_X tag promises that the bundled library asks the dynamic
linker for no glibc symbol version newer than 2.X; a library that does is
refused, or fails at `import ovok`, on the older systems the tag names.
"""

from __future__ import annotations

import os
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Optional

import pytest

from ovok import _ffi

from conftest import REPO_ROOT

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="glibc is Linux's")


def glibc_versions_needed(library: Path) -> set[tuple[int, ...]]:
    """The `GLIBC_x.y[.z]` versions in the library's version-needs section (.gnu.version_r)."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerNeedSection

    found: set[tuple[int, ...]] = set()
    with library.open("rb") as stream:
        for section in ELFFile(stream).iter_sections():
            if not isinstance(section, GNUVerNeedSection):
                continue
            for _needed, auxiliaries in section.iter_versions():
                for auxiliary in auxiliaries:
                    match = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)+)", auxiliary.name)
                    if match:
                        found.add(tuple(int(part) for part in match.group(1).split(".")))
    return found


def wheel_tags() -> list[str]:
    wheel = metadata.distribution("ovok").read_text("WHEEL")
    assert wheel is not None, "the installed ovok has no WHEEL file"
    return re.findall(r"(?m)^Tag: (\S+)$", wheel)


def manylinux_glibc(tag: str) -> Optional[tuple[int, int]]:
    """The glibc a platform tag promises: manylinux_2_17_x86_64 and manylinux2014 say 2.17."""
    platform = tag.split("-")[-1]
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    for name, version in legacy.items():
        if platform.startswith(name + "_"):
            return version
    match = re.match(r"manylinux_(\d+)_(\d+)_", platform)
    return (int(match.group(1)), int(match.group(2))) if match else None


@linux_only
def test_the_bundled_library_needs_no_glibc_newer_than_its_tag_promises() -> None:
    if os.environ.get("OVOK_EXPECT_INSTALLED") != "1":
        pytest.skip("checks the installed wheel (run_tests.sh sets OVOK_EXPECT_INSTALLED=1)")
    needed = glibc_versions_needed(_ffi.LIBRARY_PATH)
    assert needed, f"{_ffi.LIBRARY_PATH} names no GLIBC_ version: not a glibc build?"
    promised = [v for v in map(manylinux_glibc, wheel_tags()) if v is not None]
    for version in promised:
        assert max(needed) <= version, (
            f"{_ffi.LIBRARY_PATH.name} needs GLIBC_{'.'.join(map(str, max(needed)))}, "
            f"above the {version[0]}.{version[1]} that the wheel's tag promises"
        )


@linux_only
def test_make_test_ships_the_manylinux2014_wheel() -> None:
    expected = os.environ.get("OVOK_EXPECT_MANYLINUX")
    if not expected:
        pytest.skip("run_tests.sh sets OVOK_EXPECT_MANYLINUX when it builds the manylinux wheel")
    assert expected == "2.17"
    assert sorted(wheel_tags()) == [
        "py3-none-manylinux2014_x86_64",
        "py3-none-manylinux_2_17_x86_64",
    ]
    assert max(glibc_versions_needed(_ffi.LIBRARY_PATH)) <= (2, 17)
    classifiers = metadata.metadata("ovok").get_all("Classifier") or []
    systems = sorted(c for c in classifiers if c.startswith("Operating System ::"))
    assert systems == ["Operating System :: POSIX :: Linux"]


@linux_only
def test_the_check_catches_a_library_built_against_this_machines_glibc() -> None:
    """The host build links against this machine's newer glibc, and the check sees it."""
    host_build = REPO_ROOT / "target" / "release" / "libovok.so"
    if not host_build.is_file():
        pytest.skip(f"{host_build} not built")
    needed = glibc_versions_needed(host_build)
    assert needed and max(needed) > (2, 17), sorted(needed)


def test_manylinux_tags_name_their_glibc() -> None:
    assert manylinux_glibc("py3-none-manylinux_2_17_x86_64") == (2, 17)
    assert manylinux_glibc("py3-none-manylinux2014_x86_64") == (2, 17)
    assert manylinux_glibc("py3-none-manylinux_2_34_x86_64") == (2, 34)
    assert manylinux_glibc("py3-none-linux_x86_64") is None
