"""`ovok.requests.OvokAuth` with real requests sessions against the emulator's `GET /auth/me`."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional, Union

import pytest
import requests
import requests.adapters

import ovok
from ovok.requests import OvokAuth

from conftest import (
    emulator_stats,
    expired_access_token,
    fresh_tokens,
    renewals,
    revoke,
)


def bearer(request: requests.PreparedRequest) -> str:
    """The token sent, or "" for none."""
    return str(request.headers.get("Authorization", "")).removeprefix("Bearer ")


class Scripted(requests.adapters.HTTPAdapter):
    """Answers each request with the next status of a script, recording what came."""

    def __init__(self, *statuses: int) -> None:
        super().__init__()
        self.statuses = list(statuses)
        self.tokens: list[str] = []
        self.bodies: list[bytes] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Union[None, float, tuple[float, float], tuple[float, None]] = None,
        verify: Union[bool, str] = True,
        cert: Union[None, bytes, str, tuple[Union[bytes, str], Union[bytes, str]]] = None,
        proxies: Optional[Mapping[str, str]] = None,
    ) -> requests.Response:
        self.tokens.append(bearer(request))
        body: Any = request.body
        self.bodies.append(body.read() if hasattr(body, "read") else body or b"")
        response = requests.Response()
        response.status_code = self.statuses.pop(0)
        response.request = request
        response.connection = self
        response.raw = io.BytesIO(b"")
        return response


def scripted_client(auth: OvokAuth, adapter: Scripted) -> requests.Session:
    http = requests.Session()
    http.mount("https://", adapter)
    http.auth = auth
    return http


def test_it_attaches_the_sessions_bearer_token(emulator: str, session: ovok.Session) -> None:
    response = requests.get(f"{emulator}/auth/me", auth=OvokAuth(session), timeout=30)
    assert response.status_code == 200
    assert response.request.headers["Authorization"] == f"Bearer {session.access_token}"
    assert response.history == []


def test_a_401_is_retried_once_with_a_fresh_token(emulator: str, session: ovok.Session) -> None:
    rejected = session.access_token
    revoke(emulator, rejected)
    before = emulator_stats(emulator)
    response = requests.get(f"{emulator}/auth/me", auth=OvokAuth(session), timeout=30)
    after = emulator_stats(emulator)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert bearer(response.history[0].request) == rejected
    assert bearer(response.request) == session.access_token != rejected
    assert after["meRequests"] - before["meRequests"] == 2
    assert renewals(before, after) == (1, 1)


def test_a_401_to_an_expired_token_is_retried_after_one_refresh(
    short_lived_emulator: str,
) -> None:
    import time

    base = short_lived_emulator
    rejected = expired_access_token(base)
    with ovok.Session(base_url=base, refresh_margin=0) as session:
        # Believed valid for an hour; the server knows better.
        session.restore(fresh_tokens(base)[1], rejected, time.time() + 3600)
        before = emulator_stats(base)
        response = requests.get(f"{base}/auth/me", auth=OvokAuth(session), timeout=30)
        after = emulator_stats(base)
        assert response.status_code == 200
        assert bearer(response.history[0].request) == rejected
        assert bearer(response.request) == session.access_token != rejected
    assert renewals(before, after) == (1, 0)


def test_a_refused_refresh_surfaces_as_login_required(emulator: str) -> None:
    access, refresh = fresh_tokens(emulator)
    revoke(emulator, access)  # also revokes the refresh token of that login
    with ovok.Session(base_url=emulator) as session:
        session.restore(refresh, access, 4102444800)  # believed valid until 2100
        with pytest.raises(ovok.LoginRequiredError):
            requests.get(f"{emulator}/auth/me", auth=OvokAuth(session), timeout=30)


def test_it_never_loops_on_a_401(session: ovok.Session) -> None:
    adapter = Scripted(401, 401, 401)
    with scripted_client(OvokAuth(session), adapter) as http:
        response = http.get("https://api.example/auth/me")
    assert response.status_code == 401
    assert len(adapter.tokens) == 2
    assert adapter.tokens[0] != adapter.tokens[1] == session.access_token
    assert [r.status_code for r in response.history] == [401]


def test_the_retry_sends_a_file_body_again(session: ovok.Session) -> None:
    adapter = Scripted(401, 200)
    with scripted_client(OvokAuth(session), adapter) as http:
        response = http.post("https://api.example/things", data=io.BytesIO(b"file body"))
    assert response.status_code == 200
    assert adapter.bodies == [b"file body", b"file body"]


def test_a_body_that_cannot_be_sent_twice_is_not_retried(session: ovok.Session) -> None:
    adapter = Scripted(401, 200)
    rejected = session.access_token

    def chunks() -> Iterator[bytes]:
        yield b"once"

    with scripted_client(OvokAuth(session), adapter) as http:
        response = http.post("https://api.example/things", data=chunks())
    assert response.status_code == 401
    assert adapter.tokens == [rejected]
    assert session.access_token != rejected  # the session was told all the same


def test_a_401_from_a_request_without_the_token_is_not_retried(session: ovok.Session) -> None:
    """E.g. after a redirect to another host, which drops the Authorization header."""
    adapter = Scripted(401, 200)

    def drop_token(request: requests.PreparedRequest) -> requests.PreparedRequest:
        del request.headers["Authorization"]
        return request

    with scripted_client(OvokAuth(session), adapter) as http:
        prepared = http.prepare_request(requests.Request("GET", "https://api.example/x"))
        response = http.send(drop_token(prepared))
    assert response.status_code == 401
    assert adapter.tokens == [""]


def test_32_threads_after_a_revocation_all_succeed_with_one_renewal(
    emulator: str, session: ovok.Session
) -> None:
    revoke(emulator, session.access_token)
    auth = OvokAuth(session)
    before = emulator_stats(emulator)
    barrier = threading.Barrier(32)

    def call(_: int) -> requests.Response:
        barrier.wait()
        # requests.Session is not thread-safe: one per thread, one auth for all.
        with requests.Session() as http:
            return http.get(f"{emulator}/auth/me", auth=auth, timeout=120)

    with ThreadPoolExecutor(32) as pool:
        responses = list(pool.map(call, range(32)))
    after = emulator_stats(emulator)
    assert [r.status_code for r in responses] == [200] * 32
    assert all(len(r.history) <= 1 for r in responses)
    assert len({bearer(r.request) for r in responses}) == 1
    assert renewals(before, after) == (1, 1)


def test_it_refuses_other_objects_and_keeps_the_token_out_of_reprs(
    session: ovok.Session,
) -> None:
    with pytest.raises(TypeError, match="ovok.Session"):
        OvokAuth(object())  # type: ignore[arg-type]
    request = requests.Request("GET", "https://api.example/x", auth=OvokAuth(session)).prepare()
    assert session.access_token not in repr(request.hooks)
    assert OvokAuth(ovok.AsyncSession.wrap(session))(request).headers["Authorization"]
