"""`ovok.Session` on libovok's core session, against the emulator.

Request counts come from the emulator's `GET /_emulator/stats`, so they
count what reached the server. Expiry is made deterministic with
`invalidate()`, `restore()` or a `refresh_margin` longer than a token's
lifetime, never by sleeping.
"""

from __future__ import annotations

import copy
import json
import pickle
import socket
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

import pytest

import ovok

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD

THREADS = 32


def stats(base_url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base_url}/_emulator/stats", timeout=10) as response:
        counts: dict[str, int] = json.load(response)
        return counts


class Counts:
    """Requests the emulator served since this object was made."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.start = stats(base_url)

    def __call__(self) -> tuple[int, int]:
        """(logins, refreshes) since the start."""
        now = stats(self.base_url)
        return (
            now["loginRequests"] - self.start["loginRequests"],
            now["refreshRequests"] - self.start["refreshRequests"],
        )


def me(base_url: str, access_token: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/auth/me", headers={"Authorization": f"Bearer {access_token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


class Heard:
    """An `on_tokens` callback that records what it hears."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: list[Optional[ovok.TokenResult]] = []

    def __call__(self, tokens: Optional[ovok.TokenResult]) -> None:
        with self.lock:
            self.tokens.append(tokens)

    @property
    def access_tokens(self) -> list[Optional[str]]:
        return [None if t is None else t.access_token for t in self.tokens]


def demo_session(base_url: str, **options: Any) -> ovok.Session:
    return ovok.Session(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=base_url, **options)


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


class Switch:
    """A loopback TCP forwarder to the emulator that can be switched off:
    while off, it accepts each connection and closes it at once."""

    def __init__(self, target: str) -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self._up = True
        self._open: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self._up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    @property
    def up(self) -> bool:
        return self._up

    @up.setter
    def up(self, up: bool) -> None:
        """Switching off also cuts the connections that are open (and pooled)."""
        self._up = up
        if not up:
            for end in self._open:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._open.clear()

    def close(self) -> None:
        self.up = False
        self.listener.close()


@pytest.fixture
def switch(emulator: str) -> Iterator[Switch]:
    forwarder = Switch(emulator)
    yield forwarder
    forwarder.close()


# --- logging in and staying logged in ---------------------------------------------------------


def test_the_first_use_logs_in_and_the_token_is_reused(emulator: str) -> None:
    counts = Counts(emulator)
    session = demo_session(emulator)
    assert counts() == (0, 0)  # nothing happens before first use
    token = session.access_token
    assert me(emulator, token) == 200
    assert session.access_token == token
    assert session.authorization_header() == {"Authorization": f"Bearer {token}"}
    assert counts() == (1, 0)


def test_32_threads_on_an_expired_session_cause_one_refresh(emulator: str) -> None:
    heard = Heard()
    session = demo_session(emulator, on_tokens=heard)
    first = session.access_token
    session.invalidate()
    counts = Counts(emulator)
    outcomes = all_at_once(lambda: session.access_token)
    assert counts() == (0, 1)
    assert len(set(outcomes)) == 1
    assert first not in outcomes
    assert heard.access_tokens == [first, outcomes[0]]


def test_32_threads_on_a_fresh_session_cause_one_login(emulator: str) -> None:
    session = demo_session(emulator)
    counts = Counts(emulator)
    outcomes = all_at_once(lambda: session.access_token)
    assert counts() == (1, 0)
    assert len(set(outcomes)) == 1


def test_a_margin_longer_than_the_lifetime_refreshes_every_time(emulator: str) -> None:
    # The emulator's tokens live 3600 s.
    session = demo_session(emulator, refresh_margin=7200)
    counts = Counts(emulator)
    first = session.access_token
    second = session.access_token
    assert counts() == (1, 1)  # the login's token is already due
    assert first != second


def test_the_listener_sees_every_rotation(emulator: str) -> None:
    heard = Heard()
    session = demo_session(emulator, on_tokens=heard)
    tokens = [session.tokens()]
    for _ in range(5):
        session.invalidate()
        tokens.append(session.tokens())
    assert heard.tokens == tokens
    refresh_tokens = [t.refresh_token for t in tokens]
    assert len(set(refresh_tokens)) == len(refresh_tokens)  # every refresh rotated


def test_a_refused_refresh_token_means_logging_in_again(emulator: str) -> None:
    heard = Heard()
    session = demo_session(emulator, on_tokens=heard)
    session.access_token
    saved = heard.tokens[-1]
    assert saved is not None and saved.refresh_token is not None
    # Spend the session's refresh token behind its back: its copy is now "used".
    ovok.refresh(saved.refresh_token, base_url=emulator)
    session.invalidate()
    counts = Counts(emulator)
    assert me(emulator, session.access_token) == 200
    assert counts() == (1, 1)
    assert heard.access_tokens[-2] is None  # the refused refresh cleared them


def test_invalidating_an_old_token_leaves_a_newer_one_alone(emulator: str) -> None:
    session = demo_session(emulator)
    old = session.access_token
    session.invalidate()
    new = session.access_token
    counts = Counts(emulator)
    session.invalidate(old)
    assert session.access_token == new
    assert counts() == (0, 0)


def test_32_threads_rejected_with_one_token_renew_once(emulator: str) -> None:
    session = demo_session(emulator)
    old = session.access_token
    counts = Counts(emulator)

    def rejected_then_renewed() -> str:
        session.invalidate(old)
        return session.access_token

    outcomes = all_at_once(rejected_then_renewed)
    assert counts() == (0, 1)  # libovok ignored the 31 late rejections
    assert len(set(outcomes)) == 1
    assert old not in outcomes


def test_invalidating_a_token_the_session_never_held_does_nothing(emulator: str) -> None:
    session = demo_session(emulator)
    token = session.access_token
    counts = Counts(emulator)
    for unknown in ["", token[1:], token + "x", "\ud800", token + "\0"]:
        session.invalidate(unknown)
        assert session.access_token == token
    assert counts() == (0, 0)
    with pytest.raises(TypeError):
        session.invalidate(token.encode())  # type: ignore[arg-type]


# --- restored sessions, without a password ----------------------------------------------------


def test_restore_from_a_refresh_token_alone_refreshes_first(emulator: str) -> None:
    saved = ovok.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator)
    assert saved.refresh_token is not None
    session = ovok.Session(base_url=emulator)
    session.restore(saved.refresh_token)
    counts = Counts(emulator)
    token = session.access_token
    assert token != saved.access_token
    assert session.access_token == token
    assert counts() == (0, 1)


def test_restored_tokens_that_are_fresh_are_used_as_they_are(emulator: str) -> None:
    saved = ovok.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator)
    assert saved.refresh_token is not None and saved.expires_at is not None
    session = ovok.Session(base_url=emulator)
    session.restore(saved.refresh_token, saved.access_token, saved.expires_at)
    counts = Counts(emulator)
    assert session.access_token == saved.access_token
    assert counts() == (0, 0)


def test_without_a_password_a_needed_login_raises_login_required(emulator: str) -> None:
    session = ovok.Session(base_url=emulator)
    with pytest.raises(ovok.LoginRequiredError) as raised:
        session.access_token
    assert raised.value.status == ovok.OvokStatus.LOGIN_REQUIRED
    assert isinstance(raised.value, ovok.OvokError)


def test_a_refused_refresh_without_a_password_raises_and_tells_the_listener(
    emulator: str,
) -> None:
    heard = Heard()
    session = ovok.Session(base_url=emulator, on_tokens=heard)
    session.restore("not-a-refresh-token")
    with pytest.raises(ovok.LoginRequiredError) as raised:
        session.access_token
    assert raised.value.http_status == 401
    assert "not-a-refresh-token" not in str(raised.value)
    assert heard.tokens == [None]


def test_an_unreachable_server_keeps_the_tokens(emulator: str, switch: Switch) -> None:
    saved = ovok.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator)
    assert saved.refresh_token is not None
    heard = Heard()
    session = ovok.Session(base_url=switch.base_url, on_tokens=heard)
    session.restore(saved.refresh_token)
    switch.up = False
    for _ in range(2):
        with pytest.raises(ovok.ConnectionError):
            session.access_token
    assert heard.tokens == []
    switch.up = True
    assert me(emulator, session.access_token) == 200
    assert len(heard.tokens) == 1


# --- logout ----------------------------------------------------------------------------------


def test_logout_revokes_the_token_and_forgets_the_password(emulator: str) -> None:
    heard = Heard()
    session = demo_session(emulator, on_tokens=heard)
    token = session.access_token
    assert me(emulator, token) == 200
    session.logout()
    assert heard.tokens[-1] is None
    assert me(emulator, token) == 401
    with pytest.raises(ovok.LoginRequiredError):
        session.access_token
    session.logout()  # nothing left to revoke: no error


def test_logout_clears_locally_when_the_server_is_unreachable(
    emulator: str, switch: Switch
) -> None:
    heard = Heard()
    session = demo_session(switch.base_url, on_tokens=heard)
    session.access_token
    switch.up = False
    with pytest.raises(ovok.ConnectionError):
        session.logout()
    assert heard.tokens[-1] is None
    switch.up = True
    with pytest.raises(ovok.LoginRequiredError):
        session.access_token


# --- the callback, the client, copies ----------------------------------------------------------


def test_an_exception_in_on_tokens_is_reported_and_goes_no_further(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    def broken(tokens: Optional[ovok.TokenResult]) -> None:
        raise RuntimeError("callback failed")

    session = demo_session(emulator, on_tokens=broken)
    token = session.access_token
    assert me(emulator, token) == 200
    assert [type(r.exc_value) for r in reported] == [RuntimeError]


def test_a_session_keeps_its_client_alive(emulator: str) -> None:
    client = ovok.Client(total_timeout=20)
    session = demo_session(emulator, client=client)
    client.close()
    assert me(emulator, session.access_token) == 200
    session.close()


def test_copies_and_pickles_are_refused(emulator: str) -> None:
    with ovok.Client() as client, demo_session(emulator, client=client) as session:
        for thing in (client, session):
            with pytest.raises(TypeError):
                copy.copy(thing)
            with pytest.raises(TypeError):
                copy.deepcopy(thing)
            with pytest.raises(TypeError):
                pickle.dumps(thing)


def test_repr_and_errors_show_neither_password_nor_tokens(emulator: str) -> None:
    password = "hunter2-secret"
    session = ovok.Session(DEMO_EMAIL, password, DEMO_CLIENT_ID, base_url=emulator)
    with pytest.raises(ovok.AuthenticationError) as raised:
        session.access_token
    assert password not in str(raised.value) and password not in repr(raised.value)
    assert password not in repr(session)
    good = demo_session(emulator)
    token = good.access_token
    assert token not in repr(good)


def test_close_frees_the_session_and_is_idempotent(emulator: str) -> None:
    session = demo_session(emulator)
    session.access_token
    session.close()
    session.close()
    assert session.closed
    with pytest.raises(ValueError, match="closed"):
        session.access_token


@pytest.mark.parametrize(
    ("arguments", "options", "error"),
    [
        ((DEMO_EMAIL, DEMO_PASSWORD), {}, TypeError),
        ((DEMO_EMAIL, 1234, DEMO_CLIENT_ID), {}, TypeError),
        ((DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID), {"refresh_margin": -1}, ValueError),
        ((DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID), {"client": object()}, TypeError),
        ((), {"on_tokens": 5}, TypeError),
    ],
)
def test_bad_arguments_fail_at_construction(
    arguments: tuple[Any, ...], options: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        ovok.Session(*arguments, **options)


def test_restore_refuses_bad_tokens(emulator: str) -> None:
    session = ovok.Session(base_url=emulator)
    with pytest.raises(ovok.InvalidArgumentError):
        session.restore("")
    with pytest.raises(TypeError):
        session.restore("r", expires_at="tomorrow")  # type: ignore[arg-type]
