"""Secrets in Python: no frame of an exception's traceback holds one in its
locals, and a server cannot crash the conversion of an expiry.

Crash reporters (Sentry by default) record every frame's locals, so each
public call that takes a password or a refresh token is made to fail, and
every frame reachable from the exception (its traceback, and those of its
`__cause__` and `__context__`) is searched.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Callable, Optional

import pytest

import ovok

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, closed_port

# Module globals, not locals of the test frames (whose locals a crash
# reporter would record too, but those are the caller's own).
PASSWORD = "Traceback-Pa55word-93c1"
REFRESH_TOKEN = "traceback-refresh-token-5d2e7a"
TEN_YEARS = 10 * 365 * 24 * 60 * 60

# --- a scripted server, in this process ---------------------------------------------------


def _jwt(exp: int) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"


def _login_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "accessToken": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
        "refreshToken": "r.e.fresh",
        "project": {"reference": "Project/1", "display": "P"},
        "profile": {"reference": "Patient/1", "display": "Max"},
    }
    body.update(fields)
    return body


ANSWERS: dict[str, tuple[int, dict[str, Any]]] = {
    "/huge-expires-in": (200, _login_body(expiresIn=10**12)),
    "/max-expires-in": (200, _login_body(expiresIn=2**63 - 1)),
    "/huge-exp": (200, _login_body(accessToken=_jwt(10**13))),
    "/negative-exp": (200, _login_body(accessToken=_jwt(-(10**13)))),
    "/refresh-huge-expires-in": (
        200,
        {"access_token": "a.b.c", "refresh_token": "n.e.w", "expires_in": 10**12},
    ),
    "/refresh-huge-exp": (200, {"access_token": _jwt(10**13), "refresh_token": "n.e.w"}),
    "/unauthorized": (401, {"statusCode": 401, "message": "no", "error": "Unauthorized"}),
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        route = "/" + self.path.strip("/").split("/")[0]
        status, body = ANSWERS.get(route, (404, {"statusCode": 404, "message": "no route"}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def scripted() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# --- absurd expiries ----------------------------------------------------------------------


def _within_ten_years(when: Optional[datetime]) -> None:
    assert when is not None
    now = datetime.now(timezone.utc)
    assert now + timedelta(seconds=TEN_YEARS - 60) <= when <= now + timedelta(seconds=TEN_YEARS + 60)


@pytest.mark.parametrize("route", ["/huge-expires-in", "/max-expires-in", "/huge-exp"])
def test_an_absurd_login_expiry_is_clamped_to_ten_years(scripted: str, route: str) -> None:
    result = ovok.login(DEMO_EMAIL, PASSWORD, DEMO_CLIENT_ID, base_url=scripted + route)
    _within_ten_years(result.expires_at)
    assert result.expires_in in (None, TEN_YEARS)


def test_an_exp_before_1970_is_unknown(scripted: str) -> None:
    result = ovok.login(DEMO_EMAIL, PASSWORD, DEMO_CLIENT_ID, base_url=scripted + "/negative-exp")
    assert result.expires_at is None and result.expires_in is None


@pytest.mark.parametrize("route", ["/refresh-huge-expires-in", "/refresh-huge-exp"])
def test_an_absurd_refresh_expiry_is_clamped_to_ten_years(scripted: str, route: str) -> None:
    with ovok.Client() as client:
        result = client.refresh(REFRESH_TOKEN, base_url=scripted + route)
    _within_ten_years(result.expires_at)


# --- tracebacks -----------------------------------------------------------------------


def _shows(value: object, secret: str, depth: int = 0) -> bool:
    """Whether a local's value holds `secret`, as a crash reporter would see it."""
    if depth > 3:
        return False
    if isinstance(value, str):
        return secret in value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return secret.encode() in bytes(value)
    if isinstance(value, (tuple, list, set, frozenset)):
        return any(_shows(item, secret, depth + 1) for item in value)
    if isinstance(value, dict):
        return any(
            _shows(k, secret, depth + 1) or _shows(v, secret, depth + 1) for k, v in value.items()
        )
    try:
        return secret in repr(value)
    except Exception:
        return False


def _frames(error: BaseException) -> Iterator[tuple[str, dict[str, Any]]]:
    seen: set[int] = set()
    pending: list[Optional[BaseException]] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        tb: Optional[TracebackType] = current.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            yield f"{frame.f_code.co_filename}:{frame.f_code.co_name}", dict(frame.f_locals)
            tb = tb.tb_next
        pending.extend([current.__cause__, current.__context__])


def _leaks(error: BaseException, secret: str) -> list[str]:
    return [
        f"{where} {name}"
        for where, local_vars in _frames(error)
        for name, value in local_vars.items()
        if _shows(value, secret)
    ]


def _failure(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except BaseException as error:  # noqa: BLE001 - the point is to catch anything
        return error
    raise AssertionError("the call did not fail")


def _refused() -> str:
    return f"http://127.0.0.1:{closed_port()}"


def _restored(url: str) -> ovok.Session:
    session = ovok.Session(base_url=url)
    session.restore(REFRESH_TOKEN)
    return session


def _calls_for(url: str, client: ovok.Client) -> dict[str, Callable[[], object]]:
    """Each public way to pass a password or a refresh token, against `url`."""
    import asyncio

    return {
        "ovok.login": lambda: ovok.login(DEMO_EMAIL, PASSWORD, DEMO_CLIENT_ID, base_url=url),
        "Client.login": lambda: client.login(DEMO_EMAIL, PASSWORD, DEMO_CLIENT_ID, base_url=url),
        "ovok.login_async": lambda: asyncio.run(
            ovok.login_async(DEMO_EMAIL, PASSWORD, DEMO_CLIENT_ID, base_url=url)
        ),
        "Client.login_async": lambda: asyncio.run(
            client.login_async(DEMO_EMAIL, PASSWORD, DEMO_CLIENT_ID, base_url=url)
        ),
        "ovok.refresh": lambda: ovok.refresh(REFRESH_TOKEN, base_url=url),
        "Client.refresh": lambda: client.refresh(REFRESH_TOKEN, base_url=url),
        "ovok.refresh_async": lambda: asyncio.run(ovok.refresh_async(REFRESH_TOKEN, base_url=url)),
        "Client.refresh_async": lambda: asyncio.run(
            client.refresh_async(REFRESH_TOKEN, base_url=url)
        ),
        "Session.access_token": lambda: ovok.Session(
            DEMO_EMAIL, PASSWORD, DEMO_CLIENT_ID, base_url=url
        ).access_token,
        "Session.tokens": lambda: ovok.Session(
            DEMO_EMAIL, PASSWORD, DEMO_CLIENT_ID, base_url=url, client=client
        ).tokens(),
        "Session.authorization_header": lambda: ovok.Session(
            DEMO_EMAIL, PASSWORD, DEMO_CLIENT_ID, base_url=url
        ).authorization_header(),
        "Session.restore, then access_token": lambda: _restored(url).access_token,
    }


def _login_calls(emulator: str) -> dict[str, Callable[[], object]]:
    """Every call of `_calls_for`, failing in several ways, and bad arguments."""
    client = ovok.Client(total_timeout=5)
    calls: dict[str, Callable[[], object]] = {}
    for why, url in (("401", emulator), ("refused", _refused()), ("bad URL", "ftp://x")):
        calls.update({f"{name} {why}": call for name, call in _calls_for(url, client).items()})
    calls["Session.restore with a wrong type of access token"] = lambda: ovok.Session(
        base_url=emulator
    ).restore(REFRESH_TOKEN, access_token=7)  # type: ignore[arg-type]
    calls["Session with a wrong type of client id"] = lambda: ovok.Session(
        DEMO_EMAIL, PASSWORD, 7, base_url=emulator  # type: ignore[arg-type]
    )
    calls["ovok.login NUL in the email"] = lambda: ovok.login(
        "a\0b", PASSWORD, DEMO_CLIENT_ID, base_url=emulator
    )
    calls["ovok.login lone surrogate in the client id"] = lambda: ovok.login(
        DEMO_EMAIL, PASSWORD, "\udc80", base_url=emulator
    )
    calls["Client.login wrong type of client id"] = lambda: client.login(
        DEMO_EMAIL, PASSWORD, 7, base_url=emulator  # type: ignore[arg-type]
    )
    return calls


def test_no_traceback_frame_of_a_failed_call_holds_the_secret(emulator: str) -> None:
    problems: list[str] = []
    for name, call in _login_calls(emulator).items():
        error = _failure(call)
        assert isinstance(error, (ovok.OvokError, TypeError)), f"{name}: {error!r}"
        for secret in (PASSWORD, REFRESH_TOKEN):
            problems.extend(f"{name}: {leak}" for leak in _leaks(error, secret))
    assert not problems, "\n".join(problems)


def test_the_search_finds_a_secret_in_a_frame() -> None:
    def careless(password: str) -> None:
        raise ValueError("boom")

    error = _failure(lambda: careless(PASSWORD))
    assert any("careless password" in leak for leak in _leaks(error, PASSWORD))
