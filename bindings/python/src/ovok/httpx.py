"""`OvokAuth`: httpx authentication from an ovok session (``pip install ovok[httpx]``).

>>> import httpx, ovok
>>> from ovok.httpx import OvokAuth
>>> session = ovok.Session(email, password, client_id)
>>> with httpx.Client(auth=OvokAuth(session)) as http:
...     http.get("https://api.sandbox.ovok.com/auth/me")

The same object serves `httpx.Client` and `httpx.AsyncClient`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Union

import anyio.to_thread
import httpx

from ._async_session import AsyncSession, underlying_session
from ._session import Session

__all__ = ["OvokAuth"]


class OvokAuth(httpx.Auth):
    """Sends ``Authorization: Bearer <access token>`` from an ovok session.

    The token is the session's, refreshed by the session before it expires.
    When the API answers 401 all the same (the token was revoked, or expired
    earlier than it said), the session is told (`Session.invalidate`, with
    the rejected token) and the request is sent once more with a fresh
    token. A second 401 is returned as it is: the flow never loops.

    `session` is an `ovok.Session` or an `ovok.AsyncSession`; either works
    with both `httpx.Client` and `httpx.AsyncClient`. The async flow runs the
    session's blocking calls in a worker thread (through anyio, which httpx
    itself runs on) and never blocks the event loop. No lock is held
    while a request is out. An error of the session (for example
    `ovok.LoginRequiredError` when the refresh token was refused) propagates
    from the httpx call.
    """

    # Read a streaming body first, so that the retry can send it again.
    requires_request_body = True

    def __init__(self, session: Union[Session, AsyncSession]) -> None:
        self._session = underlying_session(session)

    def __repr__(self) -> str:
        return f"<ovok.httpx.OvokAuth over {self._session!r}>"

    def _token(self) -> str:
        return self._session.access_token

    def _renewed_token(self, rejected: str) -> str:
        self._session.invalidate(rejected)
        return self._session.access_token

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token()
        response = yield _authorized(request, token)
        if _retry(response):
            yield _authorized(request, self._renewed_token(token))

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await anyio.to_thread.run_sync(self._token)
        response = yield _authorized(request, token)
        if _retry(response):
            yield _authorized(request, await anyio.to_thread.run_sync(self._renewed_token, token))


def _authorized(request: httpx.Request, token: str) -> httpx.Request:
    request.headers["Authorization"] = f"Bearer {token}"
    return request


def _retry(response: httpx.Response) -> bool:
    return response.status_code == 401
