"""`ovok.AsyncSession`: single flight across tasks, a free event loop, cancellation safety."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

import ovok

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD, emulator_stats, fresh_tokens


def make(base_url: str) -> ovok.AsyncSession:
    return ovok.AsyncSession(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=base_url)


def me_status(base_url: str, token: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/auth/me", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        json.loads(reply.read())
        status: int = reply.status
    return status


def test_it_logs_in_and_hands_out_a_working_token(emulator: str) -> None:
    async def main() -> tuple[str, dict[str, str]]:
        async with make(emulator) as session:
            return await session.access_token(), await session.authorization_header()

    token, header = asyncio.run(main())
    assert header == {"Authorization": f"Bearer {token}"}
    assert me_status(emulator, token) == 200


def test_100_tasks_on_an_expired_session_cause_one_refresh(emulator: str) -> None:
    async def main() -> tuple[str, list[str], dict[str, int], dict[str, int]]:
        async with make(emulator) as session:
            old = await session.access_token()
            await session.invalidate()
            before = emulator_stats(emulator)
            tokens = await asyncio.gather(*(session.access_token() for _ in range(100)))
            return old, tokens, before, emulator_stats(emulator)

    old, tokens, before, after = asyncio.run(main())
    assert len(set(tokens)) == 1 and tokens[0] != old
    assert after["refreshRequests"] - before["refreshRequests"] == 1
    assert after["loginRequests"] == before["loginRequests"]


def test_100_tasks_on_a_session_restored_from_a_refresh_token_cause_one_refresh(
    emulator: str,
) -> None:
    _, refresh = fresh_tokens(emulator)
    seen: list[object] = []

    async def main() -> tuple[list[str], dict[str, int], dict[str, int]]:
        async with ovok.AsyncSession(base_url=emulator, on_tokens=seen.append) as session:
            await session.restore(refresh)  # no access token: the first use refreshes
            before = emulator_stats(emulator)
            tokens = await asyncio.gather(*(session.access_token() for _ in range(100)))
            return tokens, before, emulator_stats(emulator)

    tokens, before, after = asyncio.run(main())
    assert len(set(tokens)) == 1
    assert after["refreshRequests"] - before["refreshRequests"] == 1
    assert len(seen) == 1  # one rotation, heard once


def test_logout_signs_out_and_then_login_is_required(emulator: str) -> None:
    async def main() -> str:
        session = make(emulator)
        token = await session.access_token()
        await session.logout()
        with pytest.raises(ovok.LoginRequiredError):
            await session.access_token()
        await session.close()
        return token

    token = asyncio.run(main())
    with pytest.raises(urllib.error.HTTPError) as refused:
        me_status(emulator, token)
    assert refused.value.code == 401


def test_waiting_for_a_token_does_not_block_the_event_loop(slow_emulator: str) -> None:
    async def main() -> int:
        ticks = 0
        session = make(slow_emulator)
        fetching = asyncio.create_task(session.access_token())  # a login, slowed down
        while not fetching.done():
            ticks += 1
            await asyncio.sleep(0.01)
        await fetching
        await session.close()
        return ticks

    # A blocked loop would not run this loop at all until the login is over.
    assert asyncio.run(main()) > 2


def test_cancelling_a_waiting_task_keeps_the_refresh_it_started(slow_emulator: str) -> None:
    async def main() -> tuple[str, str, int]:
        session = make(slow_emulator)
        first = await session.access_token()
        await session.invalidate()
        before = emulator_stats(slow_emulator)["refreshRequests"]
        waiting = asyncio.create_task(session.access_token())
        # Until the refresh has reached the emulator, which holds its answer back.
        while emulator_stats(slow_emulator)["refreshRequests"] == before:
            await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        # The refresh finished in its thread and the session kept its tokens:
        # no second refresh (which would spend the rotated refresh token).
        second = await session.access_token()
        refreshes = emulator_stats(slow_emulator)["refreshRequests"] - before
        await session.close()
        return first, second, refreshes

    first, second, refreshes = asyncio.run(main())
    assert second != first
    assert refreshes == 1
    assert me_status(slow_emulator, second) == 200


def test_errors_propagate_from_the_await(emulator: str) -> None:
    async def main() -> None:
        session = ovok.AsyncSession(
            DEMO_EMAIL, "wrong password", DEMO_CLIENT_ID, base_url=emulator
        )
        await session.access_token()

    with pytest.raises(ovok.AuthenticationError):
        asyncio.run(main())


def test_wrap_shares_the_session_with_threaded_code(emulator: str) -> None:
    with ovok.Session(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator) as session:
        wrapped = ovok.AsyncSession.wrap(session)
        assert wrapped.session is session
        assert asyncio.run(wrapped.access_token()) == session.access_token
        assert session.access_token not in repr(wrapped)
    assert wrapped.closed
    with pytest.raises(TypeError, match="ovok.Session"):
        ovok.AsyncSession.wrap("session")  # type: ignore[arg-type]


def test_a_closed_session_refuses_use(emulator: str) -> None:
    async def main() -> None:
        async with make(emulator) as session:
            await session.access_token()
        assert session.closed
        await session.access_token()

    with pytest.raises(ValueError, match="closed"):
        asyncio.run(main())


def test_it_has_the_api_of_session_in_async_form() -> None:
    import inspect

    public = {name for name in dir(ovok.Session) if not name.startswith("_")}
    assert public <= set(dir(ovok.AsyncSession)), public - set(dir(ovok.AsyncSession))
    for name in public:
        synchronous = inspect.getattr_static(ovok.Session, name)
        asynchronous = inspect.getattr_static(ovok.AsyncSession, name)
        if isinstance(synchronous, property) and name != "access_token":
            continue  # a plain property, read without blocking
        assert inspect.iscoroutinefunction(asynchronous), f"AsyncSession.{name} is not async"
