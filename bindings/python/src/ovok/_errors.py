"""The exception hierarchy: one class per `OvokStatus`, all under `OvokError`."""

from __future__ import annotations

import builtins
import enum

# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Union


class OvokStatus(enum.IntEnum):
    """Mirrors `enum OvokStatus` in ovok.h; the values are the stable ABI."""

    OK = 0
    INVALID_ARGUMENT = 1
    BAD_REQUEST = 2
    UNAUTHORIZED = 3
    NOT_FOUND = 4
    UNPROCESSABLE = 5
    SERVER_ERROR = 6
    HTTP_ERROR = 7
    CONNECTION = 8
    TIMEOUT = 9
    TLS = 10
    INVALID_RESPONSE = 11
    INTERNAL = 12
    LOGIN_REQUIRED = 13


class OvokError(Exception):
    """A login or a refresh failed, or a `Client` option was refused.

    Attributes:
        status: the `OvokStatus`, or a plain int for a status added to the
            library after this wrapper was written.
        http_status: the HTTP status code, or 0 when no response arrived.
        message: the library's message, safe to log: it never contains the
            password or a token.
    """

    status: Union[OvokStatus, int]
    http_status: int
    message: str

    def __init__(
        self, message: str, *, status: Union[OvokStatus, int], http_status: int = 0
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.http_status = http_status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"http_status={self.http_status})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # The keyword-only arguments would otherwise be lost by pickle and copy.
        return (
            _rebuild,
            (type(self), self.message, int(self.status), self.http_status),
        )


def _rebuild(
    cls: type[OvokError], message: str, status: int, http_status: int
) -> OvokError:
    return cls(message, status=_as_status(status), http_status=http_status)


class InvalidArgumentError(OvokError):
    """An argument was empty, too long, contained NUL, or the base URL was invalid;
    or libovok refused a `Client` option (the message names it)."""


class BadRequestError(OvokError):
    """HTTP 400: the server could not read the request."""


class AuthenticationError(OvokError):
    """HTTP 401: wrong email or password; for a refresh, the refresh token is
    expired, unknown or already used (log in again)."""


class NotFoundError(OvokError):
    """HTTP 404: unknown client ID, or a wrong base URL path."""


class ValidationError(OvokError):
    """HTTP 422: the server rejected the fields (e.g. an email that is not an email)."""


class ServerError(OvokError):
    """HTTP 5xx."""


class HTTPError(OvokError):
    """Any other non-2xx status, including 3xx: redirects are never followed."""


class ConnectionError(OvokError, builtins.ConnectionError):
    """DNS failure, connection refused, reset, or closed early.

    Also a builtin `ConnectionError` (so an `OSError`).
    """


class TimeoutError(OvokError, builtins.TimeoutError):
    """The connect timeout or the total timeout ran out (10 s and 30 s unless
    a `Client` sets others).

    Also a builtin `TimeoutError` (so an `OSError`).
    """


class TLSError(OvokError):
    """TLS handshake or certificate failure."""


class InvalidResponseError(OvokError):
    """A 2xx whose body is not the documented JSON, or is larger than 1 MiB."""


class InternalError(OvokError):
    """A bug in libovok: a panic was caught at the C boundary."""


class LoginRequiredError(OvokError):
    """The session has no usable refresh token: it never logged in, it logged
    out, or the server refused its refresh token. Log in again."""


ERRORS: dict[OvokStatus, type[OvokError]] = {
    OvokStatus.INVALID_ARGUMENT: InvalidArgumentError,
    OvokStatus.BAD_REQUEST: BadRequestError,
    OvokStatus.UNAUTHORIZED: AuthenticationError,
    OvokStatus.NOT_FOUND: NotFoundError,
    OvokStatus.UNPROCESSABLE: ValidationError,
    OvokStatus.SERVER_ERROR: ServerError,
    OvokStatus.HTTP_ERROR: HTTPError,
    OvokStatus.CONNECTION: ConnectionError,
    OvokStatus.TIMEOUT: TimeoutError,
    OvokStatus.TLS: TLSError,
    OvokStatus.INVALID_RESPONSE: InvalidResponseError,
    OvokStatus.INTERNAL: InternalError,
    OvokStatus.LOGIN_REQUIRED: LoginRequiredError,
}


def _as_status(status: int) -> Union[OvokStatus, int]:
    try:
        return OvokStatus(status)
    except ValueError:
        return status


def error_for(status: int, http_status: int, message: str) -> OvokError:
    """The exception for a failed result; unknown statuses give a plain OvokError."""
    known = _as_status(status)
    cls = ERRORS.get(known, OvokError) if isinstance(known, OvokStatus) else OvokError
    return cls(message, status=known, http_status=http_status)
