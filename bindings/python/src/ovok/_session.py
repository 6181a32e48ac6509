"""`Session`: stays logged in, refreshing the access token before it expires."""

from __future__ import annotations

import math
import threading
import time

from . import _login
from ._client import Client
from ._errors import AuthenticationError

# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Optional

    from ._tokens import TokenResult


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


def _margin(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"refresh_margin must be int or float seconds, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError("refresh_margin must be a finite number of seconds, 0 or more")
    return float(value)


class Session:
    """Stays logged in: hands out a valid access token, renewing it as needed.

    It logs in on first use. `access_token` returns a valid token, refreshing
    it when it is within `refresh_margin` seconds of expiry, and logging in
    again when the server rejects the refresh token. When the server gives
    no expiry at all, the token is used until `invalidate()` is called (for
    example after another API answered 401).

    Calls go through `client` when given (the session never closes it),
    otherwise through libovok's shared default client, like `ovok.login`.

    Thread-safe and single-flight: one lock covers the check and the
    renewal, so 32 threads asking at once while a refresh is due cause one
    refresh, and all get its token. When a renewal fails, the threads that
    were waiting for it get the same exception instead of each trying again.
    Errors other than a rejected refresh token propagate unchanged; the next
    call tries again.

    The session keeps the password, because logging in again needs it.
    Neither its repr nor its exceptions show the password or a token.
    `close()` drops the password and the tokens, but only as far as Python
    allows: a `str` cannot be wiped, so the text stays in memory until the
    garbage collector reuses it, as it does in every Python program that
    once held it.
    """

    def __init__(
        self,
        email: str,
        password: str,
        client_id: str,
        *,
        base_url: Optional[str] = None,
        refresh_margin: float = 60,
        client: Optional[Client] = None,
    ) -> None:
        # Checked now (TypeError, InvalidArgumentError) rather than at first use.
        _login.login_arguments(email, password, client_id, base_url)
        if client is not None and not isinstance(client, Client):
            raise TypeError(f"client must be an ovok.Client, not {type(client).__name__}")
        self._email = email
        self._password: Optional[_Secret] = _Secret(password)
        self._client_id = client_id
        self._base_url = base_url
        self._refresh_margin = _margin(refresh_margin)
        self._client = client

        self._lock = threading.Lock()
        self._closed = False
        self._tokens: Optional[TokenResult] = None
        # time.monotonic() at which the access token expires; None when unknown.
        self._expires: Optional[float] = None
        self._stale = False
        # Renewal attempts finished so far, and the error of the last one if
        # it failed: a thread that waited through a failed attempt raises its
        # error rather than queueing up another attempt.
        self._attempts = 0
        self._last_error: Optional[Exception] = None

    @property
    def access_token(self) -> str:
        """A valid access token, renewed first if needed. May block on the network.

        Raises:
            ValueError: the session is closed.
            OvokError: logging in or refreshing failed; the subclass says why.
        """
        return self._current().access_token

    def authorization_header(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <access token>"}``, renewed first if needed."""
        return {"Authorization": f"Bearer {self.access_token}"}

    def invalidate(self, access_token: Optional[str] = None) -> None:
        """Marks the current access token stale, so the next use renews it.

        Call it when an API rejects the token (HTTP 401). Pass the rejected
        token to make it safe under concurrency: if another thread has
        already renewed it, the newer token is left alone.
        """
        with self._lock:
            if self._tokens is None:
                return
            if access_token is None or access_token == self._tokens.access_token:
                self._stale = True

    def close(self) -> None:
        """Drops the password and the tokens; later use raises ValueError. Idempotent.

        Python strings cannot be wiped, so this is best effort: it removes
        the session's references, not the bytes.
        """
        with self._lock:
            self._closed = True
            self._password = None
            self._tokens = None
            self._last_error = None

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        # Read without the lock: a repr must not wait for a renewal in flight.
        tokens, expires = self._tokens, self._expires
        if self._closed:
            state = "closed"
        elif tokens is None:
            state = "not logged in"
        elif self._stale:
            state = "token stale"
        elif expires is None:
            state = "token expiry unknown"
        else:
            state = f"token expires in {expires - time.monotonic():.0f} s"
        return (
            f"<ovok.Session email={self._email!r} client_id={self._client_id!r} "
            f"base_url={self._base_url!r} {state}>"
        )

    # --- the renewal, always under self._lock ----------------------------------------

    def _current(self) -> TokenResult:
        arrived_after = self._attempts
        with self._lock:
            if self._closed:
                raise ValueError("this ovok.Session is closed")
            if self._attempts > arrived_after and self._last_error is not None:
                # The attempt this thread waited for failed; do not repeat it.
                raise self._last_error
            tokens = self._tokens
            if tokens is not None and not self._due():
                return tokens
            self._last_error = None
            try:
                tokens = self._log_in() if tokens is None else self._renew(tokens)
            except Exception as error:
                self._last_error = error
                raise
            finally:
                self._attempts += 1
            return tokens

    def _due(self) -> bool:
        if self._stale:
            return True
        if self._expires is None:
            return False
        return time.monotonic() >= self._expires - self._refresh_margin

    def _log_in(self) -> TokenResult:
        assert self._password is not None  # close() sets _closed too
        started = time.monotonic()
        if self._client is not None:
            result: TokenResult = self._client.login(
                self._email, self._password.reveal(), self._client_id, base_url=self._base_url
            )
        else:
            result = _login.login(
                self._email, self._password.reveal(), self._client_id, base_url=self._base_url
            )
        return self._keep(result, started)

    def _renew(self, tokens: TokenResult) -> TokenResult:
        if tokens.refresh_token is None:
            return self._log_in()
        started = time.monotonic()
        try:
            if self._client is not None:
                result = self._client.refresh(tokens.refresh_token, base_url=self._base_url)
            else:
                result = _login.refresh(tokens.refresh_token, base_url=self._base_url)
        except AuthenticationError:
            # Expired, unknown or already used: only a new login helps.
            return self._log_in()
        if result.refresh_token is None:
            # A server that does not rotate may send none: the old one still serves.
            import dataclasses  # loaded already: `result` is a dataclass

            result = dataclasses.replace(result, refresh_token=tokens.refresh_token)
        return self._keep(result, started)

    def _keep(self, tokens: TokenResult, started: float) -> TokenResult:
        """Stores new tokens with their expiry on the monotonic clock.

        The expiry counts from when the request started, which errs on the
        early side, and is immune to the wall clock being changed.
        """
        if tokens.expires_in is not None:
            self._expires = started + tokens.expires_in
        elif tokens.expires_at is not None:
            from datetime import datetime, timezone  # loaded already, by ._tokens

            remaining = (tokens.expires_at - datetime.now(timezone.utc)).total_seconds()
            self._expires = time.monotonic() + remaining
        else:
            self._expires = None
        self._tokens = tokens
        self._stale = False
        return tokens
