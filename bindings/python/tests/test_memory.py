"""Long login loops must not grow the process: every result is freed.

The bounds are set from what a leak costs. Skipping `ovok_result_free` on
each of 20,000 calls grew RSS by about 17 MiB for successes (two JWTs and
four references per result) and about 2.9 MiB for 401 failures (the struct
and a short message), against well under 0.5 MiB of noise with the wrapper
as written.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
from collections.abc import Callable

import pytest

import ovok

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD, TLSEmulator

WARM_UP = 1_000
LOOP = 20_000
ERROR_LOOP = 20_000
MIB = 1024 * 1024
BOUND = 4 * MIB
ERROR_BOUND = 3 * MIB // 2


def _rss_bytes() -> int:
    """The current resident set size; the peak where /proc is not available."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def _measure(call: Callable[[], None], count: int, warm_up: int = WARM_UP) -> tuple[int, int]:
    for _ in range(warm_up):
        call()
    gc.collect()
    before = _rss_bytes()
    for _ in range(count):
        call()
    gc.collect()
    return before, _rss_bytes()


def _report(figures: list[str], what: str, count: int, before: int, after: int, bound: int) -> None:
    figures.append(
        f"RSS over {count:,} {what}: {before / MIB:.1f} MiB after warm-up, "
        f"{after / MIB:.1f} MiB at the end, growth {(after - before) / 1024:+.0f} KiB "
        f"(bound {bound / MIB:.1f} MiB)"
    )


def test_20000_logins_do_not_grow_rss(emulator: str, figures: list[str]) -> None:
    def call() -> None:
        result = ovok.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator)
        assert result.access_token

    before, after = _measure(call, LOOP)
    _report(figures, "successful logins", LOOP, before, after, BOUND)
    assert after - before < BOUND


def test_20000_failed_logins_do_not_grow_rss(emulator: str, figures: list[str]) -> None:
    def call() -> None:
        with pytest.raises(ovok.AuthenticationError):
            ovok.login(DEMO_EMAIL, "wrong-password", DEMO_CLIENT_ID, base_url=emulator)

    before, after = _measure(call, ERROR_LOOP)
    _report(figures, "failed (401) logins", ERROR_LOOP, before, after, ERROR_BOUND)
    assert after - before < ERROR_BOUND


# --- configured clients and refresh ----------------------------------------------------------
#
# Leaking instead of freeing, measured the same way: a client that logged in
# once over plain HTTP and was never freed kept about 250 KiB (its pool and
# settings); a builder holding a CA about 0.8 KiB; a refresh result about
# 0.7 KiB. So a leak would overshoot each bound several times over.

CLIENT_LOOP = 400
REFUSED_LOOP = 10_000
REFRESH_LOOP = 10_000


def test_configured_clients_are_freed(tls_emulator: TLSEmulator, figures: list[str]) -> None:
    pem = tls_emulator.ca_file.read_bytes()

    def call() -> None:
        with ovok.Client(ca_pem=pem, user_agent_suffix="memory-test/1") as client:
            client.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=tls_emulator.base_url)

    before, after = _measure(call, CLIENT_LOOP, warm_up=100)
    _report(figures, "clients, each logging in once over TLS", CLIENT_LOOP, before, after, BOUND)
    assert after - before < BOUND


def test_refused_clients_free_their_builder(
    tls_emulator: TLSEmulator, figures: list[str]
) -> None:
    pem = tls_emulator.ca_file.read_bytes()

    def call() -> None:
        # The CA is added to the builder before the proxy is refused.
        with pytest.raises(ovok.InvalidArgumentError):
            ovok.Client(ca_pem=pem, proxy="nonsense")

    before, after = _measure(call, REFUSED_LOOP)
    _report(figures, "refused clients", REFUSED_LOOP, before, after, ERROR_BOUND)
    assert after - before < ERROR_BOUND


def test_refresh_results_are_freed(emulator: str, figures: list[str]) -> None:
    with ovok.Client() as client:
        login = client.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator)
        token = [login.refresh_token]

        def call() -> None:
            assert token[0] is not None
            token[0] = client.refresh(token[0], base_url=emulator).refresh_token

        before, after = _measure(call, REFRESH_LOOP)
    _report(figures, "refreshes (each rotating)", REFRESH_LOOP, before, after, ERROR_BOUND)
    assert after - before < ERROR_BOUND
