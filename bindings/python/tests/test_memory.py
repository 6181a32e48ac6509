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

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD

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


def _measure(call: Callable[[], None], count: int) -> tuple[int, int]:
    for _ in range(WARM_UP):
        call()
    gc.collect()
    before = _rss_bytes()
    for _ in range(count):
        call()
    gc.collect()
    return before, _rss_bytes()


def _report(figures: list[str], what: str, count: int, before: int, after: int, bound: int) -> None:
    figures.append(
        f"RSS over {count:,} {what}: {before / MIB:.1f} MiB after {WARM_UP:,} warm-up, "
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
