"""`login` and `refresh` through the shared default client, and the plumbing
every call into libovok shares: arguments in as UTF-8, the result copied out
into Python objects and freed.
"""

from __future__ import annotations

from . import _ffi
from ._errors import InternalError, InvalidArgumentError, OvokStatus, error_for
from ._tracebacks import async_without_secret_frames, without_secret_frames

# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any, Callable, Optional, TypeVar

    from ._tokens import LoginResult, TokenResult

    T = TypeVar("T")

# `asyncio` and `._tokens` (which needs `dataclasses`) are imported where they
# are used, not here: together they would triple the time `import ovok` takes.


def encode(name: str, value: object) -> bytes:
    """A str argument as UTF-8 bytes for C; the value itself never enters a message."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    if "\0" in value:
        raise InvalidArgumentError(
            f"{name} contains a NUL character", status=OvokStatus.INVALID_ARGUMENT
        )
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates cannot be UTF-8; C would be told "not UTF-8" too.
        raise InvalidArgumentError(
            f"{name} is not valid UTF-8 (it contains a lone surrogate)",
            status=OvokStatus.INVALID_ARGUMENT,
        ) from None


def encode_optional(name: str, value: object) -> Optional[bytes]:
    return None if value is None else encode(name, value)


def take(pointer: Any, copy: Callable[[_ffi.OvokResult], T]) -> T:
    """Copies a result out with `copy`, or raises its error; frees it either way."""
    if not pointer:
        raise InternalError(
            "libovok returned NULL, which its header rules out",
            status=OvokStatus.INTERNAL,
        )
    try:
        result = pointer.contents
        if result.status == OvokStatus.OK:
            return copy(result)
        message = _ffi.read_string(result.error_message) or _ffi.status_name(
            result.status
        )
        raise error_for(result.status, result.http_status, message)
    finally:
        _ffi.lib.ovok_result_free(pointer)


def login_arguments(
    email: str, password: str, client_id: str, base_url: Optional[str]
) -> tuple[Optional[bytes], bytes, bytes, bytes]:
    """The C arguments of a login, in the header's order (base_url first)."""
    return (
        encode_optional("base_url", base_url),
        encode("email", email),
        encode("password", password),
        encode("client_id", client_id),
    )


def refresh_arguments(
    refresh_token: str, base_url: Optional[str]
) -> tuple[Optional[bytes], bytes]:
    """The C arguments of a refresh, in the header's order (base_url first)."""
    return encode_optional("base_url", base_url), encode("refresh_token", refresh_token)


@without_secret_frames
def login(
    email: str, password: str, client_id: str, *, base_url: Optional[str] = None
) -> LoginResult:
    """Logs in with ``POST {base_url}/v2/auth/login`` and returns the tokens.

    `base_url` of None means Ovok's sandbox, ``https://api.sandbox.ovok.com``.
    Plain ``http://`` is accepted only for loopback hosts.

    Uses libovok's shared default client: at most 10 s to connect and 30 s
    in total, the operating system's trusted certificates, the proxy from
    the environment (use a `Client` to choose otherwise). The GIL is
    released while libovok works, so other threads run meanwhile and
    concurrent calls from several threads proceed in parallel over a shared
    connection pool.

    Raises:
        TypeError: an argument is not a str.
        OvokError: the login failed; the subclass says why (see `OvokStatus`).
    """
    from ._tokens import login_result

    arguments = login_arguments(email, password, client_id, base_url)
    return take(_ffi.lib.ovok_login(*arguments), login_result)


@without_secret_frames
def refresh(refresh_token: str, *, base_url: Optional[str] = None) -> TokenResult:
    """Exchanges a refresh token for new tokens with ``POST {base_url}/auth/refresh-token``.

    Ovok rotates refresh tokens: use the returned `refresh_token` next time;
    the one passed in is spent and the server rejects it if it comes back.
    `base_url` follows the rules of `login`, and so do the defaults.

    Raises:
        TypeError: an argument is not a str.
        AuthenticationError: the refresh token is expired, unknown or already
            used; log in again.
        OvokError: any other failure; the subclass says why.
    """
    from ._tokens import token_result

    arguments = refresh_arguments(refresh_token, base_url)
    return take(_ffi.lib.ovok_refresh(*arguments), token_result)


@async_without_secret_frames
async def login_async(
    email: str, password: str, client_id: str, *, base_url: Optional[str] = None
) -> LoginResult:
    """`login` run in the event loop's default thread pool (`asyncio.to_thread`).

    The event loop keeps running while the call blocks in libovok. Cancelling
    the awaiting task does not stop a call already in flight: it finishes (at
    most 30 s) and its result is dropped.
    """
    # Check the arguments here so that a TypeError surfaces before a thread is used.
    login_arguments(email, password, client_id, base_url)
    import asyncio

    return await asyncio.to_thread(login, email, password, client_id, base_url=base_url)


@async_without_secret_frames
async def refresh_async(
    refresh_token: str, *, base_url: Optional[str] = None
) -> TokenResult:
    """`refresh` run in the event loop's default thread pool, like `login_async`."""
    refresh_arguments(refresh_token, base_url)
    import asyncio

    return await asyncio.to_thread(refresh, refresh_token, base_url=base_url)
