"""`ovok.refresh` and `TokenResult`, against the emulator."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import ovok
from ovok import _ffi

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD, start_emulator, stop


def fresh_refresh_token(base_url: str) -> str:
    token = ovok.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=base_url).refresh_token
    assert token is not None
    return token


def test_refresh_returns_new_tokens(emulator: str) -> None:
    old = fresh_refresh_token(emulator)
    before = datetime.now(timezone.utc)
    tokens = ovok.refresh(old, base_url=emulator)
    assert type(tokens) is ovok.TokenResult
    assert tokens.access_token.count(".") == 2
    assert tokens.refresh_token is not None and tokens.refresh_token != old
    assert tokens.expires_in == 3600
    assert tokens.expires_at is not None
    assert tokens.expires_at - before - timedelta(seconds=3600) < timedelta(seconds=5)


def test_refresh_tokens_rotate(emulator: str) -> None:
    first = fresh_refresh_token(emulator)
    second = ovok.refresh(first, base_url=emulator).refresh_token
    assert second is not None
    with pytest.raises(ovok.AuthenticationError) as caught:
        ovok.refresh(first, base_url=emulator)  # spent by the first refresh
    assert caught.value.http_status == 401
    assert first not in str(caught.value) and first not in repr(caught.value)
    # The replacement still works, once.
    assert ovok.refresh(second, base_url=emulator).access_token


def test_an_unknown_refresh_token_is_authentication_error(emulator: str) -> None:
    with pytest.raises(ovok.AuthenticationError) as caught:
        ovok.refresh("eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJyZWZyZXNoIn0.bm9wZQ", base_url=emulator)
    assert caught.value.status is ovok.OvokStatus.UNAUTHORIZED
    assert caught.value.http_status == 401


def test_an_expired_refresh_token_is_authentication_error() -> None:
    # exp has one-second resolution: after 2.1 s a 1 s refresh token is past it.
    server = start_emulator("--refresh-lifetime", "1")
    try:
        token = fresh_refresh_token(server.base_url)
        time.sleep(2.1)
        with pytest.raises(ovok.AuthenticationError):
            ovok.refresh(token, base_url=server.base_url)
    finally:
        stop(server)


def test_repr_never_shows_a_whole_token(emulator: str) -> None:
    tokens = ovok.refresh(fresh_refresh_token(emulator), base_url=emulator)
    assert tokens.refresh_token is not None
    for text in (repr(tokens), str(tokens), f"{tokens!r}", repr([tokens])):
        assert tokens.access_token not in text
        assert tokens.refresh_token not in text
        assert tokens.access_token[:8] in text
        assert text.startswith("TokenResult(") or text.startswith("[TokenResult(")


def test_token_result_is_frozen_and_login_result_is_one(emulator: str) -> None:
    login = ovok.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator)
    assert isinstance(login, ovok.TokenResult)
    assert [f.name for f in dataclasses.fields(ovok.LoginResult)] == [
        "access_token",
        "refresh_token",
        "expires_in",
        "expires_at",
        "project",
        "profile",
    ]
    assert login.refresh_token is not None
    tokens = ovok.refresh(login.refresh_token, base_url=emulator)
    with pytest.raises(AttributeError):
        tokens.access_token = "x"  # type: ignore[misc]


def test_refresh_async(emulator: str) -> None:
    token = fresh_refresh_token(emulator)

    async def main() -> ovok.TokenResult:
        return await ovok.refresh_async(token, base_url=emulator)

    assert asyncio.run(main()).refresh_token not in (None, token)


def test_the_expiry_falls_back_to_the_jwt_exp_claim(fake_server: str) -> None:
    before = datetime.now(timezone.utc)
    result = ovok.login(
        DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=fake_server + "/jwt-exp"
    )
    assert result.expires_in is None
    assert result.expires_at is not None
    assert abs(result.expires_at - before - timedelta(seconds=600)) < timedelta(seconds=5)


def test_without_expiry_or_exp_claim_the_expiry_is_unknown(fake_server: str) -> None:
    result = ovok.login(
        DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=fake_server + "/minimal"
    )
    assert result.expires_in is None and result.expires_at is None


class _NoCalls:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} was called although the arguments were bad")


@pytest.mark.parametrize("value", [None, b"token", 42])
def test_a_non_str_refresh_token_is_type_error(
    value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_ffi, "lib", _NoCalls())
    with pytest.raises(TypeError, match="refresh_token"):
        ovok.refresh(value)
    with pytest.raises(TypeError, match="refresh_token"):
        asyncio.run(ovok.refresh_async(value))


# libovok takes refresh tokens of up to 16 KiB (src/request.rs, MAX_TOKEN_LEN).
@pytest.mark.parametrize(
    "value", ["", "x\0y", "x" * (16 * 1024 + 1)], ids=["empty", "nul", "over-16-KiB"]
)
def test_unusable_refresh_tokens_are_invalid_argument(value: str) -> None:
    with pytest.raises(ovok.InvalidArgumentError) as caught:
        ovok.refresh(value, base_url="http://127.0.0.1:1")
    assert caught.value.status is ovok.OvokStatus.INVALID_ARGUMENT
    assert "refresh" in caught.value.message
