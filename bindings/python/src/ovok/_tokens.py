"""`TokenResult` and `LoginResult`: what a refresh and a login return, copied out of C."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from . import _ffi
from ._errors import InternalError, OvokStatus

# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Optional


@dataclasses.dataclass(frozen=True)
class Reference:
    """A FHIR reference with its display name."""

    reference: str
    """E.g. ``"Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498"``."""
    display: str
    """E.g. ``"Max Mustermann"``."""


def redact(token: Optional[str]) -> str:
    """Enough of a token to tell two apart in a log, never the whole of it."""
    if token is None:
        return "None"
    # A JWT's first bytes are its base64 header, which says nothing secret.
    return repr(token[:8] + "\u2026") if len(token) > 16 else "'<redacted>'"


@dataclasses.dataclass(frozen=True)
class TokenResult:
    """A successful refresh. Its repr shows only the first characters of each token."""

    access_token: str = dataclasses.field(repr=False)
    """The bearer access token (a JWT)."""
    refresh_token: Optional[str] = dataclasses.field(repr=False)
    """The refresh token that replaces the one used, or None when the server sent none."""
    expires_in: Optional[int]
    """Seconds until the access token expires, or None when the server did not say."""
    expires_at: Optional[datetime]
    """When the access token expires (timezone-aware UTC), or None when unknown.

    The arrival time plus `expires_in`; when the server sent no expiry, the
    access token's own ``exp`` claim, read without checking the signature
    (advisory only).
    """

    def _repr_tokens(self) -> str:
        return (
            f"access_token={redact(self.access_token)}, "
            f"refresh_token={redact(self.refresh_token)}, "
            f"expires_in={self.expires_in!r}, expires_at={self.expires_at!r}"
        )

    def __repr__(self) -> str:
        return f"TokenResult({self._repr_tokens()})"


@dataclasses.dataclass(frozen=True)
class LoginResult(TokenResult):
    """A successful login: the tokens, plus who logged in to which project."""

    project: Reference
    """The Ovok project the user belongs to."""
    profile: Reference
    """The user's FHIR profile, e.g. a Patient or a Practitioner."""

    def __repr__(self) -> str:
        return (
            f"LoginResult({self._repr_tokens()}, "
            f"project={self.project!r}, profile={self.profile!r})"
        )


def _required(pointer: Optional[int], field: str) -> str:
    value = _ffi.read_string(pointer)
    if value is None:
        raise InternalError(
            f"libovok reported success without {field}", status=OvokStatus.INTERNAL
        )
    return value


def token_result(result: _ffi.OvokResult) -> TokenResult:
    """Copies a successful refresh out of its C result."""
    return TokenResult(
        access_token=_required(result.access_token, "access_token"),
        refresh_token=_ffi.read_string(result.refresh_token),
        expires_in=None if result.expires_in < 0 else int(result.expires_in),
        expires_at=(
            None
            if result.expires_at < 0
            else datetime.fromtimestamp(result.expires_at, tz=timezone.utc)
        ),
    )


def login_result(result: _ffi.OvokResult) -> LoginResult:
    """Copies a successful login out of its C result."""
    tokens = token_result(result)
    return LoginResult(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        expires_at=tokens.expires_at,
        project=Reference(
            _required(result.project_reference, "project_reference"),
            _required(result.project_display, "project_display"),
        ),
        profile=Reference(
            _required(result.profile_reference, "profile_reference"),
            _required(result.profile_display, "profile_display"),
        ),
    )
