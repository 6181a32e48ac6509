"""`ovok.login` against the emulator and the scripted fake server."""

from __future__ import annotations

import asyncio
import builtins
import os
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import ovok
from ovok import _ffi

from conftest import (
    DEMO_CLIENT_ID,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_PROFILE,
    DEMO_PROJECT,
    closed_port,
)

UNKNOWN_CLIENT_ID = "00000000-0000-4000-8000-000000000000"


def demo_login(base_url: str, **overrides: str) -> ovok.LoginResult:
    arguments = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "client_id": DEMO_CLIENT_ID}
    arguments.update(overrides)
    return ovok.login(
        arguments["email"], arguments["password"], arguments["client_id"], base_url=base_url
    )


# --- success ---------------------------------------------------------------------------


def test_success_fields(emulator: str) -> None:
    before = datetime.now(timezone.utc)
    result = demo_login(emulator)
    after = datetime.now(timezone.utc)

    assert isinstance(result, ovok.LoginResult)
    assert result.access_token.count(".") == 2  # a JWT
    assert result.refresh_token is not None and result.refresh_token.count(".") == 2
    assert result.refresh_token != result.access_token
    assert result.expires_in == 3600
    assert result.expires_at is not None
    assert result.expires_at.tzinfo is not None
    assert result.expires_at.utcoffset() == timedelta(0)
    slack = timedelta(seconds=2)
    assert before + timedelta(seconds=3600) - slack <= result.expires_at
    assert result.expires_at <= after + timedelta(seconds=3600) + slack
    assert result.project == ovok.Reference(*DEMO_PROJECT)
    assert result.profile == ovok.Reference(*DEMO_PROFILE)
    assert result.profile.reference == DEMO_PROFILE[0]
    assert result.profile.display == "Max Mustermann"


def test_result_is_frozen(emulator: str) -> None:
    result = demo_login(emulator)
    with pytest.raises(AttributeError):
        result.access_token = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.project.display = "x"  # type: ignore[misc]


def test_repr_and_str_never_show_a_whole_token(emulator: str) -> None:
    result = demo_login(emulator)
    assert result.refresh_token is not None
    for text in (repr(result), str(result), f"{result}", repr([result])):
        assert result.access_token not in text
        assert result.refresh_token not in text
        assert result.access_token[:8] in text  # enough to tell tokens apart
        assert "Max Mustermann" in text


def test_two_logins_give_different_tokens(emulator: str) -> None:
    assert demo_login(emulator).access_token != demo_login(emulator).access_token


def test_base_url_with_trailing_slash(emulator: str) -> None:
    assert demo_login(emulator + "/").profile.display == "Max Mustermann"


def test_absent_optional_fields_become_none(fake_server: str) -> None:
    result = demo_login(fake_server + "/minimal")
    assert result.refresh_token is None
    assert result.expires_in is None
    assert result.expires_at is None
    assert result.profile.display == "Max Mustermann"


def test_login_async(emulator: str) -> None:
    async def main() -> ovok.LoginResult:
        return await ovok.login_async(
            DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator
        )

    assert asyncio.run(main()).project.display == "My Medical Project"


def test_login_async_raises_the_same_errors(emulator: str) -> None:
    async def main() -> None:
        await ovok.login_async(DEMO_EMAIL, "wrong", DEMO_CLIENT_ID, base_url=emulator)

    with pytest.raises(ovok.AuthenticationError) as caught:
        asyncio.run(main())
    assert caught.value.http_status == 401


# --- errors from the emulator ------------------------------------------------------------


def _assert_error(
    error: ovok.OvokError,
    cls: type[ovok.OvokError],
    status: ovok.OvokStatus,
    http_status: int,
) -> None:
    assert type(error) is cls
    assert error.status is status
    assert error.http_status == http_status
    assert error.message and str(error) == error.message


def test_wrong_password_is_authentication_error_401(emulator: str) -> None:
    password = "hunter2-not-the-password"
    with pytest.raises(ovok.AuthenticationError) as caught:
        demo_login(emulator, password=password)
    error = caught.value
    _assert_error(error, ovok.AuthenticationError, ovok.OvokStatus.UNAUTHORIZED, 401)
    for text in (str(error), repr(error), repr(error.args)):
        assert password not in text


def test_unknown_client_id_is_not_found_404(emulator: str) -> None:
    with pytest.raises(ovok.NotFoundError) as caught:
        demo_login(emulator, client_id=UNKNOWN_CLIENT_ID)
    _assert_error(caught.value, ovok.NotFoundError, ovok.OvokStatus.NOT_FOUND, 404)


def test_unknown_path_is_not_found_404(emulator: str) -> None:
    with pytest.raises(ovok.NotFoundError) as caught:
        demo_login(emulator + "/no/such/prefix")
    _assert_error(caught.value, ovok.NotFoundError, ovok.OvokStatus.NOT_FOUND, 404)


@pytest.mark.parametrize(
    "overrides",
    [{"email": "not-an-email"}, {"client_id": "not-a-uuid"}],
    ids=["invalid-email", "non-uuid-client-id"],
)
def test_invalid_fields_are_validation_error_422(emulator: str, overrides: dict[str, str]) -> None:
    with pytest.raises(ovok.ValidationError) as caught:
        demo_login(emulator, **overrides)
    _assert_error(caught.value, ovok.ValidationError, ovok.OvokStatus.UNPROCESSABLE, 422)


# --- errors the emulator never gives, from the fake server ---------------------------------


@pytest.mark.parametrize(
    ("code", "cls", "status"),
    [
        (400, ovok.BadRequestError, ovok.OvokStatus.BAD_REQUEST),
        (401, ovok.AuthenticationError, ovok.OvokStatus.UNAUTHORIZED),
        (404, ovok.NotFoundError, ovok.OvokStatus.NOT_FOUND),
        (422, ovok.ValidationError, ovok.OvokStatus.UNPROCESSABLE),
        (500, ovok.ServerError, ovok.OvokStatus.SERVER_ERROR),
        (503, ovok.ServerError, ovok.OvokStatus.SERVER_ERROR),
        (302, ovok.UnexpectedStatusError, ovok.OvokStatus.HTTP_ERROR),
        (418, ovok.UnexpectedStatusError, ovok.OvokStatus.HTTP_ERROR),
    ],
)
def test_http_status_maps_to_its_class(
    fake_server: str, code: int, cls: type[ovok.OvokError], status: ovok.OvokStatus
) -> None:
    with pytest.raises(cls) as caught:
        demo_login(f"{fake_server}/status/{code}")
    _assert_error(caught.value, cls, status, code)


def test_non_json_success_is_invalid_response(fake_server: str) -> None:
    with pytest.raises(ovok.InvalidResponseError) as caught:
        demo_login(fake_server + "/garbage")
    _assert_error(
        caught.value, ovok.InvalidResponseError, ovok.OvokStatus.INVALID_RESPONSE, 200
    )


def test_a_server_quoting_the_password_does_not_leak_it(fake_server: str) -> None:
    password = "s3cret-quoted-back"
    with pytest.raises(ovok.AuthenticationError) as caught:
        demo_login(fake_server + "/reflect", password=password)
    for text in (str(caught.value), repr(caught.value), repr(caught.value.args)):
        assert password not in text


def test_refused_connection_is_connection_error() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(ovok.ConnectionError) as caught:
        demo_login(base_url)
    _assert_error(caught.value, ovok.ConnectionError, ovok.OvokStatus.CONNECTION, 0)
    # The builtin names still catch it.
    try:
        demo_login(base_url)
    except builtins.ConnectionError as error:
        assert isinstance(error, OSError)
    else:
        pytest.fail("no ConnectionError")


def test_tls_to_a_plain_http_server_is_tls_error(fake_server: str) -> None:
    with pytest.raises(ovok.TLSError) as caught:
        demo_login(fake_server.replace("http://", "https://"))
    _assert_error(caught.value, ovok.TLSError, ovok.OvokStatus.TLS, 0)


@pytest.mark.skipif(
    os.environ.get("OVOK_SLOW_TESTS") != "1",
    reason="waits out the default 30 s total timeout; set OVOK_SLOW_TESTS=1 to run "
    "(test_client.py checks timeouts with a 0.3 s Client)",
)
def test_the_default_total_timeout_is_30_s(fake_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(builtins.TimeoutError) as caught:
        demo_login(fake_server + "/hang")
    elapsed = time.monotonic() - started
    assert isinstance(caught.value, ovok.TimeoutError)
    _assert_error(caught.value, ovok.TimeoutError, ovok.OvokStatus.TIMEOUT, 0)
    assert 25 < elapsed < 40


# --- bad inputs --------------------------------------------------------------------------


NON_STR_CASES = [
    pytest.param(argument, value, id=f"{argument}-{type(value).__name__}")
    for argument in ("email", "password", "client_id", "base_url")
    for value in (None, b"bytes", 42)
    # base_url=None is allowed: it means the sandbox.
    if not (argument == "base_url" and value is None)
]


@pytest.mark.parametrize(("argument", "value"), NON_STR_CASES)
def test_non_str_arguments_raise_type_error(
    argument: str, value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _forbid_c_calls(monkeypatch)
    arguments: dict[str, Any] = {
        "email": DEMO_EMAIL,
        "password": DEMO_PASSWORD,
        "client_id": DEMO_CLIENT_ID,
        "base_url": "http://127.0.0.1:1",
    }
    arguments[argument] = value
    with pytest.raises(TypeError, match=argument):
        ovok.login(
            arguments["email"],
            arguments["password"],
            arguments["client_id"],
            base_url=arguments["base_url"],
        )
    with pytest.raises(TypeError, match=argument):
        asyncio.run(
            ovok.login_async(
                arguments["email"],
                arguments["password"],
                arguments["client_id"],
                base_url=arguments["base_url"],
            )
        )


class _NoCalls:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} was called although the arguments were bad")


def _forbid_c_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ffi, "lib", _NoCalls())


@pytest.mark.parametrize("argument", ["email", "password", "client_id", "base_url"])
@pytest.mark.parametrize(
    "bad", ["before\0after", "lone \ud800 surrogate"], ids=["nul", "surrogate"]
)
def test_unrepresentable_strings_raise_invalid_argument_before_any_c_call(
    argument: str, bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _forbid_c_calls(monkeypatch)
    arguments = {
        "email": DEMO_EMAIL,
        "password": DEMO_PASSWORD,
        "client_id": DEMO_CLIENT_ID,
        "base_url": "http://127.0.0.1:1",
    }
    arguments[argument] = bad
    with pytest.raises(ovok.InvalidArgumentError) as caught:
        ovok.login(
            arguments["email"],
            arguments["password"],
            arguments["client_id"],
            base_url=arguments["base_url"],
        )
    error = caught.value
    assert error.status is ovok.OvokStatus.INVALID_ARGUMENT
    assert error.http_status == 0
    assert argument in error.message
    assert bad not in str(error) and bad not in repr(error)


@pytest.mark.parametrize(
    ("overrides", "base_url"),
    [
        ({"email": ""}, None),
        ({"password": ""}, None),
        ({"client_id": ""}, None),
        ({"email": "x" * 5000}, None),
        ({}, "ftp://127.0.0.1/"),
        ({}, "http://127.0.0.1:1/?query=1"),
        ({}, "http://user:pw@127.0.0.1:1/"),
        ({}, "http://example.invalid/"),  # plain http only for loopback
    ],
)
def test_arguments_the_library_rejects(
    overrides: dict[str, str], base_url: str | None
) -> None:
    arguments = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "client_id": DEMO_CLIENT_ID}
    arguments.update(overrides)
    with pytest.raises(ovok.InvalidArgumentError) as caught:
        ovok.login(
            arguments["email"], arguments["password"], arguments["client_id"],
            base_url=base_url or "http://127.0.0.1:1",
        )
    assert caught.value.status is ovok.OvokStatus.INVALID_ARGUMENT
    assert caught.value.http_status == 0
