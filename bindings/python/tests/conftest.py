"""Fixtures: the emulator and the scripted fake server, each started once per session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Optional

import pytest

if TYPE_CHECKING:
    import ovok

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parents[2]

DEMO_EMAIL = "john.doe@mail.com"
DEMO_PASSWORD = "password1234"
DEMO_CLIENT_ID = "5e505642-9024-474d-9434-e5a44f505cc5"
DEMO_PROJECT = ("Project/f6f4da8d-93e8-8a08-220e-03b7810451d3", "My Medical Project")
DEMO_PROFILE = ("Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498", "Max Mustermann")


def closed_port() -> int:
    """A loopback port that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# Lines printed at the end of the run (e.g. the RSS figures), by `figures`.
_FIGURES: list[str] = []


@dataclass
class Server:
    process: subprocess.Popen[str]
    base_url: str
    log: IO[str]


def _first_line(process: subprocess.Popen[str], log: IO[str], what: str, timeout: float) -> str:
    """The first stdout line of `process`, or a failure that says what went wrong."""
    stdout = process.stdout
    assert stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stdout.readline()))
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    if not line or not line[0].strip():
        process.kill()
        process.wait(timeout=10)
        log.seek(0)
        pytest.fail(f"{what} printed no base URL within {timeout} s; stderr:\n{log.read()}")
    return line[0].strip()


def _start(command: list[str], what: str) -> Server:
    # stderr goes to a file, not a pipe: nobody reads it while the server
    # runs, and a full pipe would block the server.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
    )
    return Server(process, _first_line(process, log, what, timeout=30), log)


def stop(server: Server) -> None:
    if server.process.stdin is not None:
        server.process.stdin.close()
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.log.close()


def emulator_path() -> Path:
    configured: Optional[str] = os.environ.get("OVOK_EMULATOR")
    if configured:
        return Path(configured)
    name = "ovok-emulator.exe" if sys.platform == "win32" else "ovok-emulator"
    return REPO_ROOT / "target" / "release" / name


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """The base URL of an ovok-emulator on a free loopback port."""
    server = start_emulator()
    yield server.base_url
    stop(server)


@pytest.fixture
def session(emulator: str) -> Iterator[ovok.Session]:
    """A session of the demo user against `emulator`, closed afterwards."""
    import ovok

    with ovok.Session(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=emulator) as made:
        yield made


def start_emulator(*options: str) -> Server:
    path = emulator_path()
    if not path.is_file():
        pytest.fail(
            f"ovok-emulator not found at {path}: run `cargo build --release -p ovok-emulator` "
            "or set OVOK_EMULATOR"
        )
    return _start([str(path), "--listen", "127.0.0.1:0", "--quiet", *options], "ovok-emulator")


# Access tokens from `short_lived_emulator` live this long.
SHORT_TOKEN_LIFETIME = 3


@pytest.fixture(scope="session")
def short_lived_emulator() -> Iterator[str]:
    """An emulator whose access tokens expire after SHORT_TOKEN_LIFETIME seconds."""
    server = start_emulator("--token-lifetime", str(SHORT_TOKEN_LIFETIME))
    yield server.base_url
    stop(server)


@dataclass
class TLSEmulator:
    base_url: str
    """``https://127.0.0.1:<port>``"""
    ca_file: Path
    """The PEM certificate of the throwaway CA that signed the emulator's certificate."""


def _openssl(*arguments: str, cwd: Path) -> None:
    completed = subprocess.run(
        ["openssl", *arguments], cwd=cwd, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        pytest.fail(f"openssl {' '.join(arguments)} failed:\n{completed.stderr}")


def make_test_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost that it signed.

    Returns (CA certificate, server certificate, server key), all PEM.
    """
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=ovok test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )
    _openssl(
        "req", *curve, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
        cwd=directory,
    )
    (directory / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n",
        encoding="ascii",
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
        cwd=directory,
    )
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


@pytest.fixture(scope="session")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSEmulator]:
    """An emulator serving HTTPS with a certificate from a throwaway CA (needs `openssl`)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a throwaway CA")
    ca, certificate, key = make_test_ca(tmp_path_factory.mktemp("ca"))
    server = start_emulator("--tls-cert", str(certificate), "--tls-key", str(key))
    assert server.base_url.startswith("https://"), server.base_url
    yield TLSEmulator(server.base_url, ca)
    stop(server)


@pytest.fixture(scope="session")
def fake_server() -> Iterator[str]:
    """The base URL of tests/fake_server.py, run in its own Python process."""
    server = _start([sys.executable, str(TESTS_DIR / "fake_server.py")], "fake_server.py")
    yield server.base_url
    stop(server)


@pytest.fixture(scope="session")
def figures() -> list[str]:
    """Append a line here to have it printed in the summary at the end of the run."""
    return _FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("ovok figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


def renewals(before: dict[str, int], after: dict[str, int]) -> tuple[int, int]:
    """(refreshes, logins) between two `emulator_stats` readings.

    After a revocation the renewal is one refused refresh and one new login
    (when the session has the password).
    """
    refreshes = after["refreshRequests"] - before["refreshRequests"]
    return refreshes, after["loginRequests"] - before["loginRequests"]


def emulator_stats(base_url: str) -> dict[str, int]:
    """The emulator's request counts (`GET /_emulator/stats`), e.g. ``refreshRequests``."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/_emulator/stats", timeout=30) as reply:
        counts: dict[str, int] = json.loads(reply.read())
    return counts


def revoke(base_url: str, access_token: str) -> None:
    """Logs out behind the session's back: the emulator then refuses this access
    token (401) and the refresh token of its login."""
    import urllib.request

    request = urllib.request.Request(
        f"{base_url}/auth/logout",
        method="POST",
        headers={"Authorization": f"Bearer {access_token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 204


@pytest.fixture(scope="session")
def slow_emulator() -> Iterator[str]:
    """An emulator that waits SLOW_EMULATOR_LATENCY_MS before every answer but the stats."""
    server = start_emulator("--latency", str(SLOW_EMULATOR_LATENCY_MS))
    yield server.base_url
    stop(server)


SLOW_EMULATOR_LATENCY_MS = 1500


def fresh_tokens(base_url: str) -> tuple[str, str]:
    """(access token, refresh token) of a new login of the demo user."""
    import ovok

    result = ovok.login(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID, base_url=base_url)
    assert result.refresh_token is not None
    return result.access_token, result.refresh_token


def refused_access_token(base_url: str) -> str:
    """An access token of another login, which the emulator now refuses (logged out)."""
    access, _ = fresh_tokens(base_url)
    revoke(base_url, access)
    return access


def expired_access_token(base_url: str) -> str:
    """An access token the emulator refuses because it expired (short-lived emulators only)."""
    import time
    import urllib.error
    import urllib.request

    access, _ = fresh_tokens(base_url)
    request = urllib.request.Request(
        f"{base_url}/auth/me", headers={"Authorization": f"Bearer {access}"}
    )
    while True:  # until its `exp` has passed, as the emulator judges it
        try:
            urllib.request.urlopen(request, timeout=30).close()
        except urllib.error.HTTPError as error:
            assert error.code == 401
            return access
        time.sleep(0.25)
