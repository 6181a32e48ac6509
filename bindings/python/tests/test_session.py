"""`ovok.Session`: logging in on first use, refreshing, logging in again, single flight.

A `SpyClient` counts the logins and refreshes a session makes, and can slow
them down (to widen races) or make refreshes fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

import pytest

import ovok
from ovok import _login

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD, SHORT_TOKEN_LIFETIME

THREADS = 32


class SpyClient(ovok.Client):
    def __init__(self) -> None:
        super().__init__()
        self._count_lock = threading.Lock()
        self.logins = 0
        self.refreshes = 0
        self.delay = 0.0
        self.refresh_error: Optional[Exception] = None
        self.replace_password: Optional[str] = None
        self.last: Optional[ovok.TokenResult] = None

    def login(
        self, email: str, password: str, client_id: str, *, base_url: Optional[str] = None
    ) -> ovok.LoginResult:
        with self._count_lock:
            self.logins += 1
        time.sleep(self.delay)
        if self.replace_password is not None:
            password = self.replace_password
        result = super().login(email, password, client_id, base_url=base_url)
        self.last = result
        return result

    def refresh(self, refresh_token: str, *, base_url: Optional[str] = None) -> ovok.TokenResult:
        with self._count_lock:
            self.refreshes += 1
        time.sleep(self.delay)
        if self.refresh_error is not None:
            raise self.refresh_error
        result = super().refresh(refresh_token, base_url=base_url)
        self.last = result
        return result

    @property
    def counts(self) -> tuple[int, int]:
        """(logins, refreshes)"""
        return self.logins, self.refreshes

    @property
    def last_access_token(self) -> str:
        assert self.last is not None
        return self.last.access_token

    @property
    def last_refresh_token(self) -> str:
        assert self.last is not None and self.last.refresh_token is not None
        return self.last.refresh_token


@pytest.fixture
def spy() -> Iterator[SpyClient]:
    with SpyClient() as client:
        yield client


def demo_session(base_url: str, spy: Optional[SpyClient] = None, **options: Any) -> ovok.Session:
    return ovok.Session(
        DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=base_url, client=spy, **options
    )


def all_at_once(call: Callable[[], str], threads: int = THREADS) -> list[object]:
    """Runs `call` in `threads` threads released together; returns results or exceptions."""
    barrier = threading.Barrier(threads)

    def one(_: int) -> object:
        barrier.wait()
        try:
            return call()
        except Exception as error:
            return error

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(threads)))


# --- logging in, refreshing, logging in again ------------------------------------------------


def test_the_first_use_logs_in_and_the_token_is_reused(emulator: str, spy: SpyClient) -> None:
    session = demo_session(emulator, spy)
    assert spy.counts == (0, 0)  # nothing happens before first use
    token = session.access_token
    assert token == spy.last_access_token
    assert spy.counts == (1, 0)
    assert session.access_token == token
    assert session.authorization_header() == {"Authorization": f"Bearer {token}"}
    assert spy.counts == (1, 0)


def test_a_token_within_the_margin_is_refreshed(short_lived_emulator: str, spy: SpyClient) -> None:
    # Tokens live 3 s; with a 2 s margin a token is due for refresh after 1 s.
    assert SHORT_TOKEN_LIFETIME == 3
    session = demo_session(short_lived_emulator, spy, refresh_margin=2)
    first = session.access_token
    assert session.access_token == first  # not due yet
    assert spy.counts == (1, 0)
    time.sleep(1.2)
    second = session.access_token
    assert second != first
    assert spy.counts == (1, 1)
    assert second == spy.last_access_token
    assert type(spy.last) is ovok.TokenResult  # it came from the refresh


def test_32_threads_at_once_cause_one_refresh(emulator: str, spy: SpyClient) -> None:
    # Made due by invalidate() rather than by waiting: the new token then
    # lives an hour, so however slowly the 32 threads get their turn, no
    # second refresh can become due (test_a_token_within_the_margin_is_refreshed
    # covers the expiry).
    session = demo_session(emulator, spy)
    first = session.access_token
    session.invalidate()
    spy.delay = 0.2  # keep the refresh in flight while the others arrive
    outcomes = all_at_once(lambda: session.access_token)
    assert spy.counts == (1, 1)
    assert set(outcomes) == {spy.last_access_token}
    assert first not in outcomes


def test_32_threads_at_once_when_the_token_nears_expiry(
    short_lived_emulator: str, spy: SpyClient
) -> None:
    session = demo_session(short_lived_emulator, spy, refresh_margin=2)
    session.access_token
    time.sleep(1.2)  # due now; the refreshed token is not due for another second
    spy.delay = 0.2
    outcomes = all_at_once(lambda: session.access_token)
    assert spy.counts == (1, 1)
    assert set(outcomes) == {spy.last_access_token}


def test_a_rejected_refresh_token_means_logging_in_again(emulator: str, spy: SpyClient) -> None:
    session = demo_session(emulator, spy)
    first = session.access_token
    # Spend the session's refresh token behind its back: its copy is now "used".
    ovok.refresh(spy.last_refresh_token, base_url=emulator)
    session.invalidate()
    second = session.access_token
    assert spy.counts == (2, 1)  # the refresh got 401, then a new login
    assert second != first
    assert second == spy.last_access_token
    assert isinstance(spy.last, ovok.LoginResult)


def test_other_refresh_errors_propagate_and_the_next_call_retries(
    emulator: str, spy: SpyClient
) -> None:
    session = demo_session(emulator, spy)
    session.access_token
    spy.refresh_error = ovok.ConnectionError(
        "scripted outage", status=ovok.OvokStatus.CONNECTION
    )
    session.invalidate()
    with pytest.raises(ovok.ConnectionError, match="scripted outage"):
        session.access_token
    assert spy.counts == (1, 1)  # no login instead of the refresh
    spy.refresh_error = None
    assert session.access_token == spy.last_access_token
    assert spy.counts == (1, 2)


def test_threads_waiting_on_a_failed_login_share_its_error(
    emulator: str, spy: SpyClient
) -> None:
    session = ovok.Session(
        DEMO_EMAIL, "wrong-password", DEMO_CLIENT_ID, base_url=emulator, client=spy
    )
    spy.delay = 0.3
    outcomes = all_at_once(lambda: session.access_token, threads=8)
    assert all(isinstance(o, ovok.AuthenticationError) for o in outcomes), outcomes
    assert spy.logins == 1  # not 8 logins in a row
    spy.delay = 0.0
    with pytest.raises(ovok.AuthenticationError):
        session.access_token  # a later call tries again
    assert spy.logins == 2


# --- unknown expiry and invalidate() ---------------------------------------------------------


def test_without_an_expiry_the_token_lasts_until_invalidated(
    fake_server: str, spy: SpyClient
) -> None:
    # /minimal sends neither an expiry, nor an `exp` claim, nor a refresh token.
    session = demo_session(fake_server + "/minimal", spy)
    session.access_token
    session.access_token
    assert spy.counts == (1, 0)
    assert "expiry unknown" in repr(session)
    session.invalidate()
    assert "stale" in repr(session)
    session.access_token
    assert spy.counts == (2, 0)  # no refresh token: a new login


def test_invalidating_an_old_token_leaves_a_newer_one_alone(
    emulator: str, spy: SpyClient
) -> None:
    session = demo_session(emulator, spy)
    old = session.access_token
    session.invalidate(old)
    new = session.access_token
    assert new != old and spy.counts == (1, 1)
    session.invalidate(old)  # a late report about the old token
    assert session.access_token == new
    assert spy.counts == (1, 1)


def test_invalidate_before_first_use_does_nothing(emulator: str, spy: SpyClient) -> None:
    session = demo_session(emulator, spy)
    session.invalidate()
    session.access_token
    assert spy.counts == (1, 0)


# --- secrets ---------------------------------------------------------------------------------


def test_repr_shows_neither_password_nor_tokens(emulator: str, spy: SpyClient) -> None:
    session = demo_session(emulator, spy)
    assert DEMO_PASSWORD not in repr(session)
    token = session.access_token
    refresh_token = spy.last_refresh_token
    for text in (repr(session), str(session), f"{session}", repr(vars(session))):
        assert DEMO_PASSWORD not in text
        assert token not in text
        assert refresh_token not in text
    assert "expires in" in repr(session)


def test_exceptions_show_neither_password_nor_tokens(emulator: str, spy: SpyClient) -> None:
    password = "hunter2-wrong-password"
    session = ovok.Session(DEMO_EMAIL, password, DEMO_CLIENT_ID, base_url=emulator, client=spy)
    with pytest.raises(ovok.AuthenticationError) as caught:
        session.access_token
    error: Optional[BaseException] = caught.value
    while error is not None:  # the whole chain
        for text in (str(error), repr(error), repr(error.args)):
            assert password not in text
        error = error.__cause__ or error.__context__
    assert password not in repr(session)

    # A refresh rejected, then a login rejected: the chain holds both errors.
    good = demo_session(emulator, spy)
    token = good.access_token
    spent = spy.last_refresh_token
    ovok.refresh(spent, base_url=emulator)
    spy.replace_password = "wrong"
    good.invalidate()
    with pytest.raises(ovok.AuthenticationError) as caught:
        good.access_token
    assert isinstance(caught.value.__context__, ovok.AuthenticationError)
    error = caught.value
    while error is not None:
        for text in (str(error), repr(error)):
            for secret in (DEMO_PASSWORD, token, spent):
                assert secret not in text
        error = error.__cause__ or error.__context__


def test_close_drops_the_secrets_and_is_idempotent(emulator: str, spy: SpyClient) -> None:
    with demo_session(emulator, spy) as session:
        session.access_token
    assert session.closed
    assert "closed" in repr(session)
    assert DEMO_PASSWORD not in repr(vars(session))
    assert getattr(session, "_password") is None and getattr(session, "_tokens") is None
    session.close()
    with pytest.raises(ValueError, match="closed"):
        session.access_token
    with pytest.raises(ValueError, match="closed"):
        session.authorization_header()
    assert not spy.closed  # the session never closes a client it was given


# --- the shared default client, and arguments ------------------------------------------------


def test_without_a_client_the_module_functions_are_used(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_login, real_refresh = _login.login, _login.refresh

    def login(*args: Any, **kwargs: Any) -> ovok.LoginResult:
        calls.append("login")
        return real_login(*args, **kwargs)

    def refresh(*args: Any, **kwargs: Any) -> ovok.TokenResult:
        calls.append("refresh")
        return real_refresh(*args, **kwargs)

    monkeypatch.setattr(_login, "login", login)
    monkeypatch.setattr(_login, "refresh", refresh)
    session = demo_session(emulator)
    first = session.access_token
    session.invalidate()
    assert session.access_token != first
    assert calls == ["login", "refresh"]


@pytest.mark.parametrize(
    ("arguments", "options", "error"),
    [
        ((None, DEMO_PASSWORD, DEMO_CLIENT_ID), {}, TypeError),
        ((DEMO_EMAIL, b"pw", DEMO_CLIENT_ID), {}, TypeError),
        ((DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID), {"base_url": 1}, TypeError),
        ((DEMO_EMAIL, "pass\0word", DEMO_CLIENT_ID), {}, ovok.InvalidArgumentError),
        ((DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID), {"refresh_margin": "60"}, TypeError),
        ((DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID), {"refresh_margin": -1}, ValueError),
        ((DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID), {"refresh_margin": float("inf")}, ValueError),
        ((DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID), {"client": "client"}, TypeError),
    ],
)
def test_bad_arguments_fail_at_construction(
    arguments: tuple[Any, ...], options: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        ovok.Session(*arguments, **options)
    assert "pass\0word" not in str(caught.value)
