"""`ovok.httpx.OvokAuth` with real httpx clients against the emulator's `GET /auth/me`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import ovok
from ovok.httpx import OvokAuth

from conftest import (
    DEMO_CLIENT_ID,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_PROFILE,
    emulator_stats,
    expired_access_token,
    fresh_tokens,
    refused_access_token,
    renewals,
    revoke,
)


def bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


def test_it_attaches_the_sessions_bearer_token(emulator: str, session: ovok.Session) -> None:
    with httpx.Client(auth=OvokAuth(session)) as http:
        response = http.get(f"{emulator}/auth/me")
    assert response.status_code == 200
    assert response.json()["profile"]["id"] in DEMO_PROFILE[0]
    assert response.request.headers["Authorization"] == f"Bearer {session.access_token}"
    assert response.history == []


def test_a_401_is_retried_once_with_a_fresh_token(emulator: str, session: ovok.Session) -> None:
    rejected = session.access_token
    revoke(emulator, rejected)  # the emulator now answers 401 to this token
    before = emulator_stats(emulator)
    sent: list[str] = []
    record = {"request": [lambda request: sent.append(bearer(request))]}
    with httpx.Client(auth=OvokAuth(session), event_hooks=record) as http:
        response = http.get(f"{emulator}/auth/me")
    after = emulator_stats(emulator)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert sent == [rejected, session.access_token]
    assert rejected != session.access_token
    assert after["meRequests"] - before["meRequests"] == 2
    assert renewals(before, after) == (1, 1)


def restored(base_url: str, access_token: str) -> ovok.Session:
    """A session without a password, restored with a live refresh token and an
    access token it believes valid for an hour, which the server refuses."""
    import time

    session = ovok.Session(base_url=base_url, refresh_margin=0)
    session.restore(fresh_tokens(base_url)[1], access_token, time.time() + 3600)
    return session


@pytest.mark.parametrize("cause", ["logged out elsewhere", "expired"])
def test_a_401_to_a_restored_token_is_retried_after_one_refresh(
    cause: str, emulator: str, short_lived_emulator: str
) -> None:
    base = emulator if cause == "logged out elsewhere" else short_lived_emulator
    rejected = refused_access_token(base) if cause != "expired" else expired_access_token(base)
    with restored(base, rejected) as session:
        before = emulator_stats(base)
        sent: list[str] = []
        record = {"request": [lambda request: sent.append(bearer(request))]}
        with httpx.Client(auth=OvokAuth(session), event_hooks=record) as http:
            response = http.get(f"{base}/auth/me")
        after = emulator_stats(base)
        assert response.status_code == 200
        assert sent == [rejected, session.access_token] and sent[0] != sent[1]
    assert renewals(before, after) == (1, 0)


def test_a_refused_refresh_surfaces_as_login_required(emulator: str) -> None:
    access, refresh = fresh_tokens(emulator)
    revoke(emulator, access)  # also revokes the refresh token of that login
    with ovok.Session(base_url=emulator) as session:
        session.restore(refresh, access, 4102444800)  # believed valid until 2100
        with httpx.Client(auth=OvokAuth(session)) as http:
            with pytest.raises(ovok.LoginRequiredError):
                http.get(f"{emulator}/auth/me")

        async def in_async_client() -> None:
            async with httpx.AsyncClient(auth=OvokAuth(session)) as http:
                await http.get(f"{emulator}/auth/me")

        with pytest.raises(ovok.LoginRequiredError):  # the tokens are gone now
            asyncio.run(in_async_client())


def test_it_never_loops_on_a_401(emulator: str, session: ovok.Session) -> None:
    sent: list[str] = []

    def always_401(request: httpx.Request) -> httpx.Response:
        sent.append(bearer(request))
        return httpx.Response(401, json={"statusCode": 401, "message": "no"})

    with httpx.Client(auth=OvokAuth(session), transport=httpx.MockTransport(always_401)) as http:
        response = http.get("https://api.example/auth/me")
    assert response.status_code == 401
    assert len(sent) == 2
    assert sent[0] != sent[1] == session.access_token  # the retry had a fresh token


def test_the_retry_sends_the_body_again(session: ovok.Session) -> None:
    bodies: list[bytes] = []

    def first_401(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        return httpx.Response(401 if len(bodies) == 1 else 200)

    def chunks() -> Iterator[bytes]:
        yield b"streamed "
        yield b"body"

    with httpx.Client(auth=OvokAuth(session), transport=httpx.MockTransport(first_401)) as http:
        response = http.post("https://api.example/things", content=chunks())
    assert response.status_code == 200
    assert bodies == [b"streamed body", b"streamed body"]


def test_it_accepts_an_async_session_and_refuses_other_objects(
    emulator: str, session: ovok.Session
) -> None:
    with httpx.Client(auth=OvokAuth(ovok.AsyncSession.wrap(session))) as http:
        assert http.get(f"{emulator}/auth/me").status_code == 200
    with pytest.raises(TypeError, match="ovok.Session"):
        OvokAuth("token")  # type: ignore[arg-type]
    assert session.access_token not in repr(OvokAuth(session))


def test_async_client_retries_a_401_once(emulator: str, session: ovok.Session) -> None:
    rejected = session.access_token
    revoke(emulator, rejected)

    async def main() -> httpx.Response:
        async with httpx.AsyncClient(auth=OvokAuth(ovok.AsyncSession.wrap(session))) as http:
            return await http.get(f"{emulator}/auth/me")

    response = asyncio.run(main())
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert bearer(response.request) == session.access_token != rejected


def test_the_async_flow_does_not_block_the_event_loop(slow_emulator: str) -> None:
    session = ovok.Session(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=slow_emulator)

    async def main() -> tuple[int, int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(ticker())
        async with httpx.AsyncClient(auth=OvokAuth(session)) as http:
            # The login (in a thread) and the request each wait out the latency.
            response = await http.get(f"{slow_emulator}/auth/me")
        done.set()
        await ticking
        return response.status_code, ticks

    status, ticks = asyncio.run(main())
    session.close()
    assert status == 200
    # The ticker ran while the login blocked its worker thread; a blocked loop gives 1.
    assert ticks > 2


def test_32_threads_after_a_revocation_all_succeed_with_one_renewal(
    emulator: str, session: ovok.Session
) -> None:
    revoke(emulator, session.access_token)
    before = emulator_stats(emulator)
    barrier = threading.Barrier(32)
    with httpx.Client(auth=OvokAuth(session), limits=httpx.Limits(max_connections=32)) as http:

        def call(_: int) -> httpx.Response:
            barrier.wait()
            return http.get(f"{emulator}/auth/me")

        with ThreadPoolExecutor(32) as pool:
            responses = list(pool.map(call, range(32)))
    after = emulator_stats(emulator)
    assert [r.status_code for r in responses] == [200] * 32
    assert all(len(r.history) <= 1 for r in responses)
    assert len({bearer(r.request) for r in responses}) == 1
    assert renewals(before, after) == (1, 1)


def test_100_tasks_after_a_revocation_all_succeed_with_one_renewal(
    emulator: str, session: ovok.Session
) -> None:
    revoke(emulator, session.access_token)
    before = emulator_stats(emulator)

    async def main() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            auth=OvokAuth(ovok.AsyncSession.wrap(session)),
            limits=httpx.Limits(max_connections=20),
            timeout=120,
        ) as http:
            return await asyncio.gather(*(http.get(f"{emulator}/auth/me") for _ in range(100)))

    responses = asyncio.run(main())
    after = emulator_stats(emulator)
    assert [r.status_code for r in responses] == [200] * 100
    assert all(len(r.history) <= 1 for r in responses)
    assert len({bearer(r.request) for r in responses}) == 1
    assert renewals(before, after) == (1, 1)
