"""`login` and `login_async`: one call into libovok, copied out into Python objects."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timezone
from typing import Optional

from . import _ffi
from ._errors import InternalError, InvalidArgumentError, OvokStatus, error_for


@dataclasses.dataclass(frozen=True)
class Reference:
    """A FHIR reference with its display name."""

    reference: str
    """E.g. ``"Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498"``."""
    display: str
    """E.g. ``"Max Mustermann"``."""


def _redact(token: Optional[str]) -> str:
    if token is None:
        return "None"
    # A JWT's first bytes are its base64 header, which says nothing secret.
    return repr(token[:8] + "\u2026") if len(token) > 16 else "'<redacted>'"


@dataclasses.dataclass(frozen=True)
class LoginResult:
    """A successful login. Its repr shows only the first characters of each token."""

    access_token: str = dataclasses.field(repr=False)
    """The bearer access token (a JWT)."""
    refresh_token: Optional[str] = dataclasses.field(repr=False)
    """The refresh token, or None when the server sent none."""
    expires_in: Optional[int]
    """Seconds until the access token expires, or None when the server did not say."""
    expires_at: Optional[datetime]
    """When the access token expires (timezone-aware UTC), or None when unknown."""
    project: Reference
    """The Ovok project the user belongs to."""
    profile: Reference
    """The user's FHIR profile, e.g. a Patient or a Practitioner."""

    def __repr__(self) -> str:
        return (
            f"LoginResult(access_token={_redact(self.access_token)}, "
            f"refresh_token={_redact(self.refresh_token)}, "
            f"expires_in={self.expires_in!r}, expires_at={self.expires_at!r}, "
            f"project={self.project!r}, profile={self.profile!r})"
        )


def _encode(name: str, value: object) -> bytes:
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


def _required(pointer: Optional[int], field: str) -> str:
    value = _ffi.read_string(pointer)
    if value is None:
        raise InternalError(
            f"libovok reported success without {field}", status=OvokStatus.INTERNAL
        )
    return value


def _copy_success(result: _ffi.OvokResult) -> LoginResult:
    return LoginResult(
        access_token=_required(result.access_token, "access_token"),
        refresh_token=_ffi.read_string(result.refresh_token),
        expires_in=None if result.expires_in < 0 else int(result.expires_in),
        expires_at=(
            None
            if result.expires_at < 0
            else datetime.fromtimestamp(result.expires_at, tz=timezone.utc)
        ),
        project=Reference(
            _required(result.project_reference, "project_reference"),
            _required(result.project_display, "project_display"),
        ),
        profile=Reference(
            _required(result.profile_reference, "profile_reference"),
            _required(result.profile_display, "profile_display"),
        ),
    )


def login(
    email: str, password: str, client_id: str, *, base_url: Optional[str] = None
) -> LoginResult:
    """Logs in with ``POST {base_url}/v2/auth/login`` and returns the tokens.

    `base_url` of None means Ovok's sandbox, ``https://api.sandbox.ovok.com``.
    Plain ``http://`` is accepted only for loopback hosts.

    Blocks for at most 10 s to connect and 30 s in total. The GIL is released
    while libovok works, so other threads run meanwhile and concurrent calls
    from several threads proceed in parallel over a shared connection pool.

    Raises:
        TypeError: an argument is not a str.
        OvokError: the login failed; the subclass says why (see `OvokStatus`).
    """
    email_c = _encode("email", email)
    password_c = _encode("password", password)
    client_id_c = _encode("client_id", client_id)
    base_url_c = None if base_url is None else _encode("base_url", base_url)

    pointer = _ffi.lib.ovok_login(base_url_c, email_c, password_c, client_id_c)
    if not pointer:
        raise InternalError(
            "libovok returned NULL, which its header rules out",
            status=OvokStatus.INTERNAL,
        )
    try:
        result = pointer.contents
        if result.status == OvokStatus.OK:
            return _copy_success(result)
        message = _ffi.read_string(result.error_message) or _ffi.status_name(
            result.status
        )
        raise error_for(result.status, result.http_status, message)
    finally:
        _ffi.lib.ovok_result_free(pointer)


async def login_async(
    email: str, password: str, client_id: str, *, base_url: Optional[str] = None
) -> LoginResult:
    """`login` run in the event loop's default thread pool (`asyncio.to_thread`).

    The event loop keeps running while the call blocks in libovok. Cancelling
    the awaiting task does not stop a call already in flight: it finishes (at
    most 30 s) and its result is dropped.
    """
    # Check the arguments here so that a TypeError surfaces before a thread is used.
    for name, value in (("email", email), ("password", password), ("client_id", client_id)):
        _encode(name, value)
    if base_url is not None:
        _encode("base_url", base_url)
    return await asyncio.to_thread(
        login, email, password, client_id, base_url=base_url
    )
