"""Finding libovok, and proof that the suite runs against the installed wheel."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import ovok
from ovok import _ffi

from conftest import REPO_ROOT

EXPECT_INSTALLED = os.environ.get("OVOK_EXPECT_INSTALLED") == "1"
installed_only = pytest.mark.skipif(
    not EXPECT_INSTALLED, reason="only under run_tests.sh (OVOK_EXPECT_INSTALLED=1)"
)


@installed_only
def test_the_package_under_test_is_the_installed_wheel() -> None:
    site_dirs = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    package_dir = Path(ovok.__file__).resolve().parent
    assert package_dir.parent in site_dirs, f"ovok imported from {package_dir}"
    assert "OVOK_LIBRARY_PATH" not in os.environ
    # With no override, the library is the one bundled in the wheel.
    assert _ffi.LIBRARY_PATH.parent == package_dir
    assert not any(Path(entry).resolve() == REPO_ROOT / "bindings/python/src" for entry in sys.path)


@installed_only
def test_version_matches_the_package_metadata() -> None:
    assert ovok.__version__ == importlib.metadata.version("ovok")


def test_version_matches_the_rust_crate() -> None:
    cargo = (REPO_ROOT / "Cargo.toml").read_text(encoding="utf-8")
    match = re.search(r'(?m)^version = "([^"]+)"', cargo)
    assert match is not None
    assert ovok.__version__ == match.group(1) == _ffi.version()


def test_search_order_is_env_then_package_then_checkout(tmp_path: Path) -> None:
    override = tmp_path / "custom" / "libovok-custom.so"
    places = _ffi.candidates(str(override), tmp_path / "pkg", tmp_path / "checkout")
    assert places[0] == override
    names = _ffi.LIBRARY_NAMES
    assert places[1:] == [tmp_path / "pkg" / n for n in names] + [
        tmp_path / "checkout" / n for n in names
    ]


def test_the_checkout_is_searched_only_from_a_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "repo"
    package = checkout / "bindings" / "python" / "src" / "ovok"
    package.mkdir(parents=True)
    assert _ffi._checkout_dir(package) is None  # no Cargo.toml: not a checkout
    (checkout / "Cargo.toml").write_text("[package]\n")
    assert _ffi._checkout_dir(package) == checkout / "target" / "release"
    site = tmp_path / "lib" / "python3.11" / "site-packages" / "ovok"
    site.mkdir(parents=True)
    assert _ffi._checkout_dir(site) is None
    assert _ffi.candidates(None, site, None) == [site / n for n in _ffi.LIBRARY_NAMES]
    if EXPECT_INSTALLED:
        assert _ffi._CHECKOUT_DIR is None


def test_env_var_may_name_a_directory(tmp_path: Path) -> None:
    places = _ffi.candidates(str(tmp_path), tmp_path / "pkg", tmp_path / "checkout")
    assert places[: len(_ffi.LIBRARY_NAMES)] == [tmp_path / n for n in _ffi.LIBRARY_NAMES]


def test_an_empty_env_var_is_ignored(tmp_path: Path) -> None:
    places = _ffi.candidates("", tmp_path / "pkg", tmp_path / "checkout")
    assert places[0] == tmp_path / "pkg" / _ffi.LIBRARY_NAMES[0]


def test_library_names_per_platform() -> None:
    assert _ffi.library_names("linux")[0] == "libovok.so"
    assert _ffi.library_names("darwin")[0] == "libovok.dylib"
    assert _ffi.library_names("win32")[0] == "ovok.dll"
    assert _ffi.LIBRARY_NAMES == _ffi.library_names(sys.platform)


def test_import_error_names_every_place_it_looked(tmp_path: Path) -> None:
    places = _ffi.candidates(str(tmp_path / "nope.so"), tmp_path / "pkg", tmp_path / "co")
    with pytest.raises(ImportError) as caught:
        _ffi.locate(places)
    message = str(caught.value)
    for place in places:
        assert str(place) in message
    assert "OVOK_LIBRARY_PATH" in message


def _library_loaded_with(env_value: str) -> str:
    env = dict(os.environ, OVOK_LIBRARY_PATH=env_value)
    return subprocess.run(
        [sys.executable, "-c", "from ovok import _ffi; print(_ffi.LIBRARY_PATH)"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_env_var_wins_over_the_bundled_library(tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "libovok-copy"
    copy.parent.mkdir()
    shutil.copyfile(_ffi.LIBRARY_PATH, copy)
    assert _library_loaded_with(str(copy)) == str(copy)


def test_a_missing_env_target_falls_through_to_the_next_place(tmp_path: Path) -> None:
    assert _library_loaded_with(str(tmp_path / "missing.so")) == str(_ffi.LIBRARY_PATH)


def test_a_file_that_is_not_a_library_gives_import_error(tmp_path: Path) -> None:
    bogus = tmp_path / "libovok.so"
    bogus.write_text("not a shared library")
    env = dict(os.environ, OVOK_LIBRARY_PATH=str(bogus))
    completed = subprocess.run(
        [sys.executable, "-c", "import ovok"], env=env, capture_output=True, text=True
    )
    assert completed.returncode != 0
    assert "ImportError" in completed.stderr and str(bogus) in completed.stderr
