"""`OvokAuth`: requests authentication from an ovok session (``pip install ovok[requests]``).

>>> import requests, ovok
>>> from ovok.requests import OvokAuth
>>> session = ovok.Session(email, password, client_id)
>>> requests.get("https://api.sandbox.ovok.com/auth/me", auth=OvokAuth(session))
"""

from __future__ import annotations

from typing import Any, Optional, Union

import requests
import requests.auth

from ._async_session import AsyncSession, underlying_session
from ._session import Session

__all__ = ["OvokAuth"]


class OvokAuth(requests.auth.AuthBase):
    """Sends ``Authorization: Bearer <access token>`` from an ovok session.

    The token is the session's, refreshed by the session before it expires.
    When the API answers 401 all the same, a response hook tells the
    session (`Session.invalidate`, with the rejected token) and sends the
    request once more with a fresh token, through the same connection
    adapter. The retry carries no hook, so it never loops: a second 401 is
    the response the caller gets, with the first in its `history`.

    A 401 to a request that no longer carries this token (a redirect to
    another host drops it) is not retried: the token goes only where the
    caller sent it. A body that cannot be sent twice (a generator) is not
    retried either; the session is still told, so the next request works.

    `session` is an `ovok.Session` (or an `ovok.AsyncSession`, whose
    underlying session is used). Safe to share between threads. An error
    of the session (for example `ovok.LoginRequiredError`) propagates from
    the requests call.
    """

    def __init__(self, session: Union[Session, AsyncSession]) -> None:
        self._session = underlying_session(session)

    def __repr__(self) -> str:
        return f"<ovok.requests.OvokAuth over {self._session!r}>"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self._session.access_token
        request.headers["Authorization"] = f"Bearer {token}"
        hooks = request.hooks.setdefault("response", [])
        hooks.append(_RetryOnce(self._session, token, _position(request)))
        return request


def _position(request: requests.PreparedRequest) -> Optional[int]:
    """Where a file body starts, to rewind it for the retry; None for other bodies."""
    tell = getattr(request.body, "tell", None)
    if tell is None:
        return None
    try:
        position: int = tell()
    except OSError:
        return None
    return position


def _replayable(request: requests.PreparedRequest, position: Optional[int]) -> bool:
    body: object = request.body
    if body is None or isinstance(body, (bytes, str)):
        return True
    seek = getattr(body, "seek", None)
    if seek is None or position is None:
        return False
    try:
        seek(position)
    except OSError:
        return False
    return True


class _RetryOnce:
    """The response hook of one request: on a 401, one retry with a fresh token."""

    __slots__ = ("_session", "_token", "_position")

    def __init__(self, session: Session, token: str, position: Optional[int]) -> None:
        self._session = session
        self._token = token
        self._position = position

    def __repr__(self) -> str:
        return "<ovok.requests retry on 401>"  # never the token

    def __call__(self, response: requests.Response, **send_options: Any) -> requests.Response:
        request = response.request
        if response.status_code != 401 or not isinstance(request, requests.PreparedRequest):
            return response
        if request.headers.get("Authorization") != f"Bearer {self._token}":
            return response
        self._session.invalidate(self._token)
        if not _replayable(request, self._position):
            return response
        token = self._session.access_token
        # Release the connection for the retry.
        response.content  # noqa: B018 (reads the body)
        response.close()
        retry = request.copy()
        retry.headers["Authorization"] = f"Bearer {token}"
        # The adapter sends without running hooks: this retry is the last.
        second: requests.Response = response.connection.send(retry, **send_options)
        second.history.append(response)
        second.request = retry
        return second
