"""Loading libovok and declaring its C ABI (include/ovok.h) for ctypes.

Nothing here knows about logins: it finds the library, mirrors the header,
and gives every function its `argtypes` and `restype`.
"""

from __future__ import annotations

import ctypes
import os
import sys

# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Any, Optional, TypeVar, Union

    StrPath = Union[str, "os.PathLike[str]"]
    Place = TypeVar("Place", bound=StrPath)

    LIBRARY_PATH: Path
    """The library that was loaded (created on first access, see `__getattr__`)."""

ENV_VAR = "OVOK_LIBRARY_PATH"


def library_names(platform: str = sys.platform) -> tuple[str, ...]:
    """The file names libovok may have on `platform`, the usual one first.

    A second name is accepted where a build might produce it, so that
    OVOK_LIBRARY_PATH may name a directory holding either.
    """
    if platform == "win32":
        return ("ovok.dll", "libovok.dll")
    if platform == "darwin":
        return ("libovok.dylib", "libovok.so")
    return ("libovok.so",)


LIBRARY_NAMES = library_names()

# The search works on str paths with `os.path`: `pathlib` costs more to
# import than the rest of this module. `candidates`, `_checkout_dir` and
# `LIBRARY_PATH` still give `Path`s, importing `pathlib` when first used.
_PACKAGE_DIR: str = os.path.dirname(os.path.realpath(__file__))


def _checkout_directory(package_dir: str) -> Optional[str]:
    """The str form of `_checkout_dir`."""
    if os.path.basename(os.path.dirname(package_dir)) != "src":
        return None
    repo = package_dir
    for _ in range(4):  # Path.parents[3], when there is one
        parent = os.path.dirname(repo)
        if parent == repo:
            return None
        repo = parent
    if not os.path.isfile(os.path.join(repo, "Cargo.toml")):
        return None
    return os.path.join(repo, "target", "release")


def _checkout_dir(package_dir: StrPath) -> Optional[Path]:
    """`<repo>/target/release` when imported from `<repo>/bindings/python/src/ovok`."""
    from pathlib import Path

    found = _checkout_directory(os.fspath(package_dir))
    return None if found is None else Path(found)


_CHECKOUT_DIR: Optional[str] = _checkout_directory(_PACKAGE_DIR)


class OvokResult(ctypes.Structure):
    """`struct OvokResult`, field for field.

    The strings are declared `c_void_p`, not `c_char_p`: they belong to the
    result and must stay pointers until `ovok_result_free` zeroizes and frees
    them. `status` is an `OvokStatus`, a `uint32_t`.
    """

    _fields_ = [
        ("status", ctypes.c_uint32),
        ("http_status", ctypes.c_uint16),
        ("error_message", ctypes.c_void_p),
        ("access_token", ctypes.c_void_p),
        ("refresh_token", ctypes.c_void_p),
        ("expires_in", ctypes.c_int64),
        ("expires_at", ctypes.c_int64),
        ("project_reference", ctypes.c_void_p),
        ("project_display", ctypes.c_void_p),
        ("profile_reference", ctypes.c_void_p),
        ("profile_display", ctypes.c_void_p),
    ]


class OvokClientBuilder(ctypes.Structure):
    """`struct OvokClientBuilder`: opaque, only ever handled through a pointer."""


class OvokClient(ctypes.Structure):
    """`struct OvokClient`: opaque, only ever handled through a pointer.

    Distinct empty Structure types (rather than c_void_p) make ctypes refuse a
    builder where a client is expected, and the other way round.
    """


class OvokSession(ctypes.Structure):
    """`struct OvokSession`: opaque, only ever handled through a pointer."""


ResultPointer = ctypes.POINTER(OvokResult)
SessionPointer = ctypes.POINTER(OvokSession)
# `OvokTokenListener`: void (*)(void *context, const OvokResult *tokens).
TokenListener = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ResultPointer)
BuilderPointer = ctypes.POINTER(OvokClientBuilder)
ClientPointer = ctypes.POINTER(OvokClient)


def _places(
    env_value: Optional[str], package_dir: str, checkout_dir: Optional[str]
) -> list[str]:
    """The str form of `candidates`."""
    places: list[str] = []
    if env_value:
        if os.path.isdir(env_value):
            places.extend(os.path.join(env_value, name) for name in LIBRARY_NAMES)
        else:
            places.append(env_value)
    places.extend(os.path.join(package_dir, name) for name in LIBRARY_NAMES)
    if checkout_dir is not None:
        places.extend(os.path.join(checkout_dir, name) for name in LIBRARY_NAMES)
    return places


def candidates(
    env_value: Optional[str],
    package_dir: StrPath = _PACKAGE_DIR,
    checkout_dir: Optional[StrPath] = _CHECKOUT_DIR,
) -> list[Path]:
    """Where to look for the library, in order.

    1. `OVOK_LIBRARY_PATH`: the library file itself, or a directory holding it.
    2. The library bundled inside the installed package (the wheel's copy).
    3. `<repo>/target/release`, for a source checkout after `cargo build --release`
       (None when the package is installed, not in a checkout).
    """
    from pathlib import Path

    checkout = None if checkout_dir is None else os.fspath(checkout_dir)
    return [Path(place) for place in _places(env_value, os.fspath(package_dir), checkout)]


def locate(places: Sequence[Place]) -> Place:
    """The first place that holds a file, or an ImportError naming them all."""
    for place in places:
        if os.path.isfile(place):
            return place
    looked = "\n".join(f"  - {place}" for place in places)
    raise ImportError(
        "ovok: the native library libovok was not found. Looked in:\n"
        f"{looked}\n"
        f"Install the ovok wheel, set {ENV_VAR} to the library file, or run "
        "`cargo build --release -p ovok` in the repository."
    )


def _load() -> tuple[ctypes.CDLL, str]:
    path = locate(_places(os.environ.get(ENV_VAR), _PACKAGE_DIR, _CHECKOUT_DIR))
    try:
        library = ctypes.CDLL(path)
    except OSError as error:
        raise ImportError(f"ovok: could not load {path}: {error}") from error
    _declare(library)
    return library, path


def _declare(library: ctypes.CDLL) -> None:
    # Arguments may be c_char_p: ctypes passes a pointer to the bytes object,
    # which outlives the call. Returned strings are c_void_p, read with
    # ctypes.string_at, so no pointer is ever lost.
    text = ctypes.c_char_p
    status = ctypes.c_uint32
    declarations: dict[str, tuple[list[Any], Any]] = {
        "ovok_status_name": ([status], ctypes.c_void_p),
        "ovok_version": ([], ctypes.c_void_p),
        "ovok_login": ([text, text, text, text], ResultPointer),
        "ovok_client_login": ([ClientPointer, text, text, text, text], ResultPointer),
        "ovok_refresh": ([text, text], ResultPointer),
        "ovok_client_refresh": ([ClientPointer, text, text], ResultPointer),
        "ovok_result_free": ([ResultPointer], None),
        "ovok_client_builder_new": ([], BuilderPointer),
        "ovok_client_builder_free": ([BuilderPointer], None),
        "ovok_client_builder_set_connect_timeout_ms": (
            [BuilderPointer, ctypes.c_uint32],
            status,
        ),
        "ovok_client_builder_set_total_timeout_ms": (
            [BuilderPointer, ctypes.c_uint32],
            status,
        ),
        "ovok_client_builder_set_platform_trust": (
            [BuilderPointer, ctypes.c_bool],
            status,
        ),
        "ovok_client_builder_add_ca_file": ([BuilderPointer, text], status),
        # The PEM buffer is passed as c_char_p with an explicit length: ctypes
        # hands over the bytes object's own buffer, NULs and all.
        "ovok_client_builder_add_ca_pem": (
            [BuilderPointer, text, ctypes.c_size_t],
            status,
        ),
        "ovok_client_builder_set_proxy": ([BuilderPointer, text], status),
        "ovok_client_builder_set_proxy_from_env": (
            [BuilderPointer, ctypes.c_bool],
            status,
        ),
        "ovok_client_builder_set_user_agent_suffix": ([BuilderPointer, text], status),
        "ovok_client_builder_last_error": ([BuilderPointer], ctypes.c_void_p),
        "ovok_client_build": ([BuilderPointer, ctypes.POINTER(ClientPointer)], status),
        "ovok_client_free": ([ClientPointer], None),
        "ovok_session_new": ([ClientPointer, text], SessionPointer),
        "ovok_session_login": ([SessionPointer, text, text, text], ResultPointer),
        "ovok_session_restore": ([SessionPointer, text, text, ctypes.c_int64], status),
        "ovok_session_access_token": ([SessionPointer, ctypes.c_int64], ResultPointer),
        "ovok_session_invalidate": ([SessionPointer], None),
        "ovok_session_invalidate_token": ([SessionPointer, text], None),
        "ovok_session_logout": ([SessionPointer], ResultPointer),
        "ovok_session_set_token_listener": (
            [SessionPointer, TokenListener, ctypes.c_void_p],
            None,
        ),
        "ovok_session_free": ([SessionPointer], None),
    }
    for name, (argtypes, restype) in declarations.items():
        function = getattr(library, name)
        function.argtypes = argtypes
        function.restype = restype


lib, _LIBRARY_FILE = _load()


if not TYPE_CHECKING:
    # Hidden from type checkers, which see the declaration of LIBRARY_PATH
    # above instead (a visible module __getattr__ would make them accept any
    # attribute name).

    def __getattr__(name: str) -> object:
        if name == "LIBRARY_PATH":
            from pathlib import Path

            global LIBRARY_PATH
            LIBRARY_PATH = Path(_LIBRARY_FILE)
            return LIBRARY_PATH
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def read_string(pointer: Optional[int]) -> Optional[str]:
    """Copies a NUL-terminated UTF-8 string out of the library; None for NULL."""
    if not pointer:
        return None
    return ctypes.string_at(pointer).decode("utf-8")


def static_string(pointer: Optional[int]) -> str:
    """A string the header promises is static and never NULL."""
    text = read_string(pointer)
    if text is None:
        raise RuntimeError("libovok returned NULL where its header promises a string")
    return text


def version() -> str:
    return static_string(lib.ovok_version())


def status_name(status: int) -> str:
    return static_string(lib.ovok_status_name(status))
