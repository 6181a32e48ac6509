"""Concurrent logins, and proof that ctypes releases the GIL during a call.

The proofs use the fake server's /slow/<s> route, which holds every request
for a fixed time before answering. It runs in its own process, so its
sleeping costs the test process nothing.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import ovok

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD

CONCURRENT = 32
SLOW_SECONDS = 0.5
SLOW_CALLS = 8


def _login(base_url: str, password: str = DEMO_PASSWORD) -> ovok.LoginResult:
    return ovok.login(DEMO_EMAIL, password, DEMO_CLIENT_ID, base_url=base_url)


def test_32_concurrent_logins_from_threads(emulator: str) -> None:
    barrier = threading.Barrier(CONCURRENT)

    def one(index: int) -> object:
        barrier.wait()
        if index % 4 == 3:  # a quarter fail, so both paths run concurrently
            try:
                _login(emulator, password="wrong")
            except ovok.AuthenticationError as error:
                return error
            raise AssertionError("a wrong password logged in")
        return _login(emulator)

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        outcomes = list(pool.map(one, range(CONCURRENT)))

    results = [o for o in outcomes if isinstance(o, ovok.LoginResult)]
    errors = [o for o in outcomes if isinstance(o, ovok.AuthenticationError)]
    assert len(results) == 24 and len(errors) == 8
    assert len({r.access_token for r in results}) == len(results)
    assert all(r.profile.display == "Max Mustermann" for r in results)
    assert all(e.http_status == 401 for e in errors)


def test_32_concurrent_logins_from_asyncio(emulator: str) -> None:
    async def main() -> list[ovok.LoginResult]:
        # The default executor has min(32, cpus + 4) threads; give it 32 so
        # that all the logins are really in flight together.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(CONCURRENT))
        return await asyncio.gather(
            *(
                ovok.login_async(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator)
                for _ in range(CONCURRENT)
            )
        )

    results = asyncio.run(main())
    assert len(results) == CONCURRENT
    assert len({r.access_token for r in results}) == CONCURRENT


def test_other_python_threads_run_during_a_call(fake_server: str) -> None:
    """While one thread is inside ovok_login, another keeps executing bytecode.

    If the GIL were held for the call, the ticker would be frozen for the whole
    second and record at most a tick or two.
    """
    ticks: list[float] = []
    done = threading.Event()

    def ticker() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        started = time.monotonic()
        _login(f"{fake_server}/slow/1.0")
        finished = time.monotonic()
    finally:
        done.set()
        thread.join()
    during = [t for t in ticks if started + 0.1 < t < finished - 0.1]
    assert finished - started >= 1.0
    # About 160 ticks fit in the window; a held GIL allows at most a tick or
    # two. 20 keeps that gap decisive on a loaded machine (36 were seen there).
    assert len(during) >= 20, f"only {len(during)} ticks in {finished - started:.2f} s"


def test_concurrent_slow_logins_overlap_in_time(fake_server: str) -> None:
    barrier = threading.Barrier(SLOW_CALLS)
    windows: list[tuple[float, float]] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        started = time.monotonic()
        _login(f"{fake_server}/slow/{SLOW_SECONDS}")
        finished = time.monotonic()
        with lock:
            windows.append((started, finished))

    threads = [threading.Thread(target=one) for _ in range(SLOW_CALLS)]
    wall_started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - wall_started

    assert len(windows) == SLOW_CALLS
    # Every call was in flight at one common moment...
    assert max(s for s, _ in windows) < min(f for _, f in windows)
    # ...so they took about one delay in all, not SLOW_CALLS delays in a row (4 s).
    assert SLOW_SECONDS <= wall < SLOW_SECONDS * SLOW_CALLS / 2


def test_async_logins_overlap_and_leave_the_event_loop_free(fake_server: str) -> None:
    calls = 4  # within the default executor's min(32, cpus + 4) threads

    async def main() -> tuple[float, int]:
        beats = 0
        stop = asyncio.Event()

        async def heartbeat() -> None:
            nonlocal beats
            while not stop.is_set():
                beats += 1
                await asyncio.sleep(0.01)

        beating = asyncio.create_task(heartbeat())
        started = time.monotonic()
        await asyncio.gather(
            *(
                ovok.login_async(
                    DEMO_EMAIL,
                    DEMO_PASSWORD,
                    DEMO_CLIENT_ID,
                    base_url=f"{fake_server}/slow/{SLOW_SECONDS}",
                )
                for _ in range(calls)
            )
        )
        elapsed = time.monotonic() - started
        stop.set()
        await beating
        return elapsed, beats

    elapsed, beats = asyncio.run(main())
    assert SLOW_SECONDS <= elapsed < SLOW_SECONDS * calls * 0.75
    assert beats >= 20, f"the event loop beat only {beats} times in {elapsed:.2f} s"
