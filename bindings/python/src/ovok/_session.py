"""`Session`: libovok's session (single-flight refresh, rotation, logout) for Python."""

from __future__ import annotations

import math
import threading

from . import _ffi
from ._client import Client
from ._errors import InternalError, LoginRequiredError, OvokStatus
from ._login import encode, encode_optional, login_arguments, take
from ._managed import Managed
from ._tracebacks import without_secret_frames

# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from datetime import datetime
    from types import TracebackType
    from typing import Any, Callable, Optional, Union

    from ._tokens import TokenResult

    TokenCallback = Callable[[Optional[TokenResult]], object]


class _Secret:
    """A string that keeps out of reprs, debugger views and pickles."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<redacted>"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a secret cannot be pickled")


def _margin(value: object) -> int:
    """`refresh_margin` as whole seconds for `min_ttl_seconds`, rounded up."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"refresh_margin must be int or float seconds, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError("refresh_margin must be a finite number of seconds, 0 or more")
    return math.ceil(value)


def _unix_seconds(expires_at: object) -> int:
    """`expires_at` (None, unix seconds, or an aware datetime) for C; -1 is unknown."""
    if expires_at is None:
        return -1
    from datetime import datetime

    if isinstance(expires_at, datetime):
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        return math.floor(expires_at.timestamp())
    if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float)):
        raise TypeError(
            f"expires_at must be a datetime or unix seconds, not {type(expires_at).__name__}"
        )
    if not math.isfinite(expires_at):
        raise ValueError("expires_at must be finite")
    return math.floor(expires_at)


def _listener(callback: TokenCallback) -> Any:
    """A C `OvokTokenListener` that hands `callback` a TokenResult or None.

    An exception in the callback is reported through `sys.unraisablehook`
    (as for a `__del__`) and goes no further: it must not unwind into C.
    """

    def hear(_context: Optional[int], tokens: Any) -> None:
        try:
            from ._tokens import token_result

            callback(token_result(tokens.contents) if tokens else None)
        except BaseException as error:  # noqa: BLE001 - nothing may unwind into C
            import sys

            hook = sys.unraisablehook
            hook(_Unraisable(error, callback))

    return _ffi.TokenListener(hear)


class _Unraisable:
    """The argument `sys.unraisablehook` expects, for an exception in `on_tokens`."""

    def __init__(self, error: BaseException, callback: object) -> None:
        self.exc_type: type[BaseException] = type(error)
        self.exc_value: Optional[BaseException] = error
        self.exc_traceback: Optional[TracebackType] = error.__traceback__
        self.err_msg: Optional[str] = (
            "Exception ignored in the on_tokens callback of an ovok.Session"
        )
        self.object: object = callback


class Session(Managed):
    """Stays logged in: hands out a valid access token, renewing it as needed.

    The rules live in libovok's session, shared by every language: a token
    within `refresh_margin` seconds of expiry is refreshed first; 32 threads
    asking at once cause one refresh and all get its outcome; the rotated
    refresh token replaces the old one; a refresh the server refuses clears
    the tokens, while being offline (or a 5xx) keeps them for the next try.

    Given `email`, `password` and `client_id`, the session logs in on first
    use and logs in again when the server refuses the refresh token; it then
    keeps the password in this Python object (never in libovok). Without
    them, `restore()` the tokens saved earlier, and a needed login raises
    `LoginRequiredError`.

    `on_tokens(tokens)` is called whenever the tokens change (login, refresh,
    logout, a refused refresh) with a `TokenResult`, or None when they were
    cleared, on the thread that changed them. Use it to persist the refresh
    token. An exception in it is reported by `sys.unraisablehook` and
    otherwise ignored.

    Calls go through `client` when given (the session holds its own reference
    to it, so the client may be closed first), otherwise through libovok's
    shared default client. Thread-safe. Neither its repr nor its exceptions
    show the password or a token. A session cannot be copied or pickled.
    """

    @without_secret_frames
    def __init__(
        self,
        email: Optional[str] = None,
        password: Optional[str] = None,
        client_id: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        refresh_margin: float = 60,
        client: Optional[Client] = None,
        on_tokens: Optional[TokenCallback] = None,
    ) -> None:
        given = [value is not None for value in (email, password, client_id)]
        if any(given) and not all(given):
            raise TypeError("give email, password and client_id together, or none of them")
        if email is not None and password is not None and client_id is not None:
            # Checked now (TypeError, InvalidArgumentError) rather than at first use.
            login_arguments(email, password, client_id, base_url)
        if client is not None and not isinstance(client, Client):
            raise TypeError(f"client must be an ovok.Client, not {type(client).__name__}")
        if on_tokens is not None and not callable(on_tokens):
            raise TypeError("on_tokens must be callable")
        base_url_c = encode_optional("base_url", base_url)
        self._min_ttl = _margin(refresh_margin)

        self._email = email
        self._password: Optional[_Secret] = None if password is None else _Secret(password)
        self._client_id = client_id
        self._base_url = base_url
        # Logging in again is the one rule kept here: libovok never holds a
        # password. One login at a time; threads that waited through a
        # failed one get its error rather than queueing another.
        self._login_lock = threading.Lock()
        self._logins = 0
        self._login_error: Optional[Exception] = None

        lib = _ffi.lib
        if client is None:
            pointer = lib.ovok_session_new(None, base_url_c)
        else:
            with client._borrow() as native_client:
                pointer = lib.ovok_session_new(native_client, base_url_c)
        if not pointer:
            raise InternalError(
                "ovok_session_new returned NULL, which its header rules out",
                status=OvokStatus.INTERNAL,
            )
        super().__init__(pointer, lib.ovok_session_free)
        # Kept alive as long as the session: libovok calls it until it is freed.
        self._listener: Any = None
        if on_tokens is not None:
            self._listener = _listener(on_tokens)
            lib.ovok_session_set_token_listener(pointer, self._listener, None)

    @property
    @without_secret_frames
    def access_token(self) -> str:
        """A valid access token, renewed first if needed. May block on the network.

        Raises:
            ValueError: the session is closed.
            LoginRequiredError: a login is needed and the session has no
                password (it was restored, or logged out).
            OvokError: logging in or refreshing failed; the subclass says why.
        """
        return self.tokens().access_token

    @without_secret_frames
    def tokens(self) -> TokenResult:
        """The current tokens, renewed first if needed; see `access_token`."""
        from ._tokens import token_result

        attempts = self._logins
        try:
            with self._borrow() as session:
                pointer = _ffi.lib.ovok_session_access_token(session, self._min_ttl)
                return take(pointer, token_result)
        except LoginRequiredError as required:
            if self._password is None:
                raise
            return self._log_in(attempts, required)

    def _log_in(self, attempts: int, required: LoginRequiredError) -> TokenResult:
        from ._tokens import token_result

        with self._login_lock:
            if self._logins > attempts and self._login_error is not None:
                raise self._login_error
            with self._borrow() as session:
                if self._logins > attempts:
                    # Another thread logged in while this one waited.
                    return take(
                        _ffi.lib.ovok_session_access_token(session, self._min_ttl), token_result
                    )
                password, email, client_id = self._password, self._email, self._client_id
                if password is None or email is None or client_id is None:
                    raise required  # logged out meanwhile
                self._login_error = None
                try:
                    _, *arguments = login_arguments(email, password.reveal(), client_id, None)
                    return take(_ffi.lib.ovok_session_login(session, *arguments), token_result)
                except Exception as error:
                    self._login_error = error
                    raise
                finally:
                    self._logins += 1

    @without_secret_frames
    def authorization_header(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <access token>"}``, renewed first if needed."""
        return {"Authorization": f"Bearer {self.access_token}"}

    @without_secret_frames
    def restore(
        self,
        refresh_token: str,
        access_token: Optional[str] = None,
        expires_at: Optional[Union[datetime, int, float]] = None,
    ) -> None:
        """Adopts tokens saved earlier, e.g. by `on_tokens`.

        Without `access_token` or `expires_at` (a datetime or unix seconds),
        the next use refreshes first. `on_tokens` is not called.

        Raises:
            TypeError: an argument has the wrong type.
            ValueError: the session is closed.
            InvalidArgumentError: a token is empty, too long or not sendable.
        """
        refresh_c = encode("refresh_token", refresh_token)
        access_c = encode_optional("access_token", access_token)
        expires = _unix_seconds(expires_at)
        with self._borrow() as session:
            status = _ffi.lib.ovok_session_restore(session, refresh_c, access_c, expires)
        if status != OvokStatus.OK:
            from ._errors import error_for

            raise error_for(status, 0, f"restore refused the tokens ({_ffi.status_name(status)})")

    @without_secret_frames
    def invalidate(self, access_token: Optional[str] = None) -> None:
        """Marks the access token stale, so the next use renews it.

        Call it when an API rejects the token (HTTP 401), and pass the
        rejected token: libovok then marks it stale only while it is still the
        current one, so a token another thread has renewed since is left
        alone, and many threads rejected with one token renew once. Without a
        token, the current one is marked stale unconditionally.

        Raises:
            TypeError: `access_token` is not a str.
            ValueError: the session is closed.
        """
        if access_token is None:
            with self._borrow() as session:
                _ffi.lib.ovok_session_invalidate(session)
            return
        if not isinstance(access_token, str):
            raise TypeError(f"access_token must be str, not {type(access_token).__name__}")
        # A token that cannot be encoded, or holds NUL, was never one the
        # session handed out: nothing to invalidate.
        try:
            rejected = access_token.encode("utf-8")
        except UnicodeEncodeError:
            return
        if b"\0" in rejected:
            return
        with self._borrow() as session:
            _ffi.lib.ovok_session_invalidate_token(session, rejected)

    @without_secret_frames
    def logout(self) -> None:
        """Signs out: clears the tokens and the password first, always, then
        asks the server to revoke the access token (``POST /auth/logout``).

        Raises:
            ValueError: the session is closed.
            OvokError: the server could not be told (the session is signed
                out all the same). Nothing is raised when there was no access
                token to revoke.
        """
        self._password = None
        with self._borrow() as session:
            pointer = _ffi.lib.ovok_session_logout(session)
        try:
            take(pointer, lambda result: None)
        except LoginRequiredError:
            pass

    def close(self) -> None:
        """Drops the password and frees the native session (without logging
        out); later use raises ValueError. Idempotent.

        Python strings cannot be wiped, so dropping the password is best
        effort: it removes the session's reference, not the bytes.
        """
        self._password = None
        super().close()

    def __copy__(self) -> Session:
        raise TypeError("an ovok.Session cannot be copied; share the one you have")

    def __deepcopy__(self, memo: object) -> Session:
        raise TypeError("an ovok.Session cannot be copied; share the one you have")

    def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
        raise TypeError("an ovok.Session cannot be pickled")

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        who = "" if self._email is None else f" email={self._email!r} client_id={self._client_id!r}"
        return f"<ovok.Session{who} base_url={self._base_url!r} {state}>"
