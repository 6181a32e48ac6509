"""`ovok.Client`: each option, the options libovok refuses, and the object's lifetime."""

from __future__ import annotations

import asyncio
import builtins
import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import ovok

from conftest import (
    DEMO_CLIENT_ID,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    TLSEmulator,
    closed_port,
)


def client_login(client: ovok.Client, base_url: str) -> ovok.LoginResult:
    return client.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=base_url)


# --- the happy path, and refresh through a client -------------------------------------------


def test_a_default_client_logs_in_and_refreshes(emulator: str) -> None:
    with ovok.Client() as client:
        login = client_login(client, emulator)
        assert login.profile.display == "Max Mustermann"
        assert login.refresh_token is not None
        tokens = client.refresh(login.refresh_token, base_url=emulator)
        assert type(tokens) is ovok.TokenResult
        assert tokens.access_token != login.access_token
        assert tokens.refresh_token not in (None, login.refresh_token)
        assert tokens.expires_in == 3600
        with pytest.raises(ovok.AuthenticationError):
            client.refresh(login.refresh_token, base_url=emulator)  # rotated: spent


def test_async_methods(emulator: str) -> None:
    async def main(client: ovok.Client) -> ovok.TokenResult:
        login = await client.login_async(
            DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator
        )
        assert login.refresh_token is not None
        return await client.refresh_async(login.refresh_token, base_url=emulator)

    with ovok.Client() as client:
        assert asyncio.run(main(client)).access_token.count(".") == 2


def test_every_option_at_once_still_logs_in(emulator: str) -> None:
    client = ovok.Client(
        connect_timeout=2.5,
        total_timeout=5,
        proxy_from_env=False,
        user_agent_suffix="ovok-tests/1.0",
    )
    with client:
        assert client_login(client, emulator).project.display == "My Medical Project"


def test_platform_trust_builds_and_logs_in_over_loopback_http(emulator: str) -> None:
    with ovok.Client(platform_trust=True) as client:
        assert client_login(client, emulator).profile.display == "Max Mustermann"


# --- timeouts ---------------------------------------------------------------------------


def test_total_timeout_ends_a_call_to_a_server_that_never_answers(fake_server: str) -> None:
    with ovok.Client(total_timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(builtins.TimeoutError) as caught:
            client_login(client, fake_server + "/hang")
        elapsed = time.monotonic() - started
    assert type(caught.value) is ovok.TimeoutError
    assert caught.value.status is ovok.OvokStatus.TIMEOUT
    assert caught.value.http_status == 0
    assert 0.25 < elapsed < 2, elapsed


def test_total_timeout_leaves_room_for_a_slow_answer(fake_server: str) -> None:
    with ovok.Client(total_timeout=3) as client:
        assert client_login(client, fake_server + "/slow/0.5").profile.display


# --- trust: a throwaway CA --------------------------------------------------------------


def test_the_default_trust_rejects_a_private_ca(tls_emulator: TLSEmulator) -> None:
    with ovok.Client() as client, pytest.raises(ovok.TLSError) as caught:
        client_login(client, tls_emulator.base_url)
    assert caught.value.status is ovok.OvokStatus.TLS
    with pytest.raises(ovok.TLSError):
        ovok.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=tls_emulator.base_url)


def test_platform_trust_rejects_a_private_ca(tls_emulator: TLSEmulator) -> None:
    with ovok.Client(platform_trust=True) as client, pytest.raises(ovok.TLSError):
        client_login(client, tls_emulator.base_url)


@pytest.mark.parametrize("form", ["bytes", "str"])
def test_ca_pem_trusts_the_private_ca(tls_emulator: TLSEmulator, form: str) -> None:
    pem: Any = tls_emulator.ca_file.read_bytes()
    if form == "str":
        pem = pem.decode("ascii")
    with ovok.Client(ca_pem=pem) as client:
        login = client_login(client, tls_emulator.base_url)
        assert login.profile.display == "Max Mustermann"
        assert login.refresh_token is not None
        client.refresh(login.refresh_token, base_url=tls_emulator.base_url)


@pytest.mark.parametrize("form", ["str", "Path"])
def test_ca_file_trusts_the_private_ca(tls_emulator: TLSEmulator, form: str) -> None:
    path: Any = tls_emulator.ca_file if form == "Path" else str(tls_emulator.ca_file)
    with ovok.Client(ca_file=path) as client:
        assert client_login(client, tls_emulator.base_url).profile.display == "Max Mustermann"


def test_an_added_ca_replaces_the_system_store(tls_emulator: TLSEmulator) -> None:
    # The server's own (non-CA) certificate is not its issuer: still UnknownIssuer.
    server_certificate = tls_emulator.ca_file.with_name("server.pem")
    with ovok.Client(ca_file=server_certificate) as client, pytest.raises(ovok.TLSError):
        client_login(client, tls_emulator.base_url)


# --- proxies ----------------------------------------------------------------------------

_PROXY_VARIABLES = ("ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY")

# Loopback is never proxied, so the proxied logins go to a name that is not loopback and that
# nothing resolves: through a dead proxy the login is refused by the proxy's port, directly it
# finds no address. The message tells which way it went.
_UNRESOLVABLE = "https://api.ovok-proxy.test"


def _proxy_environment(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def _connection_error(client: ovok.Client) -> str:
    with pytest.raises(ovok.ConnectionError) as caught:
        client_login(client, _UNRESOLVABLE)
    assert caught.value.status is ovok.OvokStatus.CONNECTION
    return caught.value.message


def test_an_explicit_proxy_on_a_closed_port_is_connection_error(emulator: str) -> None:
    with ovok.Client(proxy=f"http://127.0.0.1:{closed_port()}") as client:
        assert "refused" in _connection_error(client)
        # Loopback goes straight to the server, never to the proxy.
        assert client_login(client, emulator).profile.display == "Max Mustermann"


def test_the_environment_proxy_is_honoured_unless_turned_off(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    _proxy_environment(monkeypatch, ALL_PROXY=dead, HTTPS_PROXY=dead, HTTP_PROXY=dead)
    with ovok.Client() as client:
        assert "refused" in _connection_error(client)
        assert client_login(client, emulator).profile.display == "Max Mustermann"
    with ovok.Client(proxy_from_env=False) as client:
        assert _connection_error(client).startswith("could not resolve the host")


def test_no_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    _proxy_environment(monkeypatch, HTTPS_PROXY=dead, NO_PROXY="ovok-proxy.test")
    with ovok.Client() as client:
        assert _connection_error(client).startswith("could not resolve the host")


def test_a_socks_proxy_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _proxy_environment(monkeypatch, https_proxy="socks5h://user:Secr3t@127.0.0.1:1080")
    with ovok.Client() as client:
        message = _connection_error(client)
    assert "https_proxy" in message and "SOCKS" in message
    assert "Secr3t" not in message


# --- User-Agent -------------------------------------------------------------------------


def _user_agent(client: ovok.Client, fake_server: str) -> str:
    # The fake server answers 401 quoting the User-Agent it received.
    with pytest.raises(ovok.AuthenticationError) as caught:
        client_login(client, fake_server + "/user-agent")
    return caught.value.message


def test_user_agent_suffix(fake_server: str) -> None:
    with ovok.Client() as plain, ovok.Client(user_agent_suffix="myapp/2.1") as suffixed:
        assert f"[ovok/{ovok.__version__}]" in _user_agent(plain, fake_server)
        assert f"[ovok/{ovok.__version__} myapp/2.1]" in _user_agent(suffixed, fake_server)


# --- options libovok refuses ------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"total_timeout": 0}, "total timeout"),
        ({"total_timeout": 601}, "total timeout"),
        ({"total_timeout": -1}, "total timeout"),
        ({"total_timeout": float("nan")}, "total timeout"),
        ({"connect_timeout": 0.0001}, "connect timeout"),
        ({"connect_timeout": 1e300}, "connect timeout"),
        ({"proxy": "nonsense"}, "proxy"),
        ({"proxy": "socks9://127.0.0.1:1"}, "proxy"),
        ({"ca_pem": b"not a certificate"}, "ca_pem"),
        ({"ca_pem": ""}, "ca_pem"),
        ({"user_agent_suffix": "caf\u00e9/1"}, "user agent suffix"),
        ({"user_agent_suffix": "x" * 300}, "user agent suffix"),
        ({"ca_pem": "x\0y"}, "ca_pem"),
        ({"proxy": "http://\0"}, "proxy"),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, dict) else "",
)
def test_refused_options_are_invalid_argument_naming_the_problem(
    options: dict[str, Any], named: str
) -> None:
    with pytest.raises(ovok.InvalidArgumentError) as caught:
        ovok.Client(**options)
    assert caught.value.status is ovok.OvokStatus.INVALID_ARGUMENT
    assert caught.value.http_status == 0
    assert named in caught.value.message


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    with pytest.raises(ovok.InvalidArgumentError) as caught:
        ovok.Client(ca_file=missing)
    assert str(missing) in caught.value.message


def test_a_ca_file_without_certificates_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("nothing here\n", encoding="ascii")
    with pytest.raises(ovok.InvalidArgumentError) as caught:
        ovok.Client(ca_file=empty)
    assert str(empty) in caught.value.message


def test_platform_trust_and_added_cas_exclude_each_other(tls_emulator: TLSEmulator) -> None:
    with pytest.raises(ovok.InvalidArgumentError) as caught:
        ovok.Client(ca_file=tls_emulator.ca_file, platform_trust=True)
    assert "platform" in caught.value.message


def test_bundled_roots_are_refused_by_the_default_build() -> None:
    # The wheel's libovok is built without the bundled-roots cargo feature.
    with pytest.raises(ovok.InvalidArgumentError) as caught:
        ovok.Client(platform_trust=False)
    assert "cargo feature bundled-roots" in caught.value.message
    with ovok.Client(platform_trust=None) as client:
        assert "platform_trust" not in repr(client)
    with ovok.Client(platform_trust=True) as client:
        assert "platform_trust=True" in repr(client)


def test_a_proxy_password_never_shows() -> None:
    secret = "pr0xy-s3cret"
    proxy = f"http://user:{secret}@127.0.0.1:{closed_port()}"
    with ovok.Client(proxy=proxy) as client:
        assert secret not in repr(client)
        with pytest.raises(ovok.ConnectionError) as caught:
            client_login(client, _UNRESOLVABLE)
    assert "refused" in str(caught.value), "the login went to the proxy"
    assert secret not in str(caught.value) and secret not in repr(caught.value)
    with pytest.raises(ovok.InvalidArgumentError) as refused:
        ovok.Client(proxy=f"nonsense://user:{secret}@")
    assert secret not in str(refused.value)


@pytest.mark.parametrize(
    "options",
    [
        {"connect_timeout": "10"},
        {"total_timeout": True},
        {"total_timeout": b"1"},
        {"ca_file": 42},
        {"ca_file": b"/etc/ssl/cert.pem"},
        {"ca_pem": 42},
        {"platform_trust": 1},
        {"platform_trust": "yes"},
        {"proxy": b"http://127.0.0.1:1"},
        {"proxy_from_env": "no"},
        {"user_agent_suffix": 2},
    ],
    ids=lambda options: next(iter(options)),
)
def test_wrong_types_are_type_error(options: dict[str, Any]) -> None:
    name = next(iter(options))
    with pytest.raises(TypeError, match=name):
        ovok.Client(**options)


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        ovok.Client(5)  # type: ignore[misc]


# --- lifetime ---------------------------------------------------------------------------


def test_close_is_idempotent_and_calls_after_it_raise_value_error(emulator: str) -> None:
    client = ovok.Client()
    assert not client.closed
    assert "open" in repr(client)
    client.close()
    client.close()
    assert client.closed
    assert "closed" in repr(client)
    with pytest.raises(ValueError, match="closed"):
        client_login(client, emulator)
    with pytest.raises(ValueError, match="closed"):
        client.refresh("token", base_url=emulator)
    with pytest.raises(ValueError, match="closed"):
        asyncio.run(
            client.login_async(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator)
        )


def test_the_context_manager_closes_even_on_error(emulator: str) -> None:
    with pytest.raises(ovok.AuthenticationError):
        with ovok.Client() as client:
            client.login(DEMO_EMAIL, "wrong", DEMO_CLIENT_ID, base_url=emulator)
    assert client.closed


def test_close_waits_for_calls_in_flight(fake_server: str) -> None:
    client = ovok.Client()
    outcome: list[object] = []
    thread = threading.Thread(
        target=lambda: outcome.append(client_login(client, fake_server + "/slow/0.5"))
    )
    thread.start()
    time.sleep(0.2)  # the call is in libovok now
    client.close()  # must not free the client under it
    assert client.closed
    thread.join()
    assert isinstance(outcome[0], ovok.LoginResult)
    with pytest.raises(ValueError):
        client_login(client, fake_server)


def test_an_unclosed_client_is_freed_when_collected() -> None:
    client = ovok.Client()
    # The finalizer is private; reaching for it is the only way to watch it run.
    finalizer: Any = getattr(client, "_Managed__finalizer")
    assert finalizer.alive
    del client
    gc.collect()
    assert not finalizer.alive


def test_one_client_from_many_threads(fake_server: str) -> None:
    calls = 16
    barrier = threading.Barrier(calls)

    def one(client: ovok.Client) -> ovok.LoginResult:
        barrier.wait()
        return client_login(client, fake_server + "/slow/0.5")

    with ovok.Client(total_timeout=10) as client, ThreadPoolExecutor(calls) as pool:
        started = time.monotonic()
        results = list(pool.map(one, [client] * calls))
        elapsed = time.monotonic() - started
    assert all(r.profile.display == "Max Mustermann" for r in results)
    # In parallel: about one delay in all, not 16 in a row (8 s).
    assert 0.5 <= elapsed < 4, elapsed
