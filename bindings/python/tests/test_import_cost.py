"""`import ovok` stays cheap: the slow standard modules load only when needed.

The target is `python -c "import ovok"` at least 3x faster than
`python -c "import requests"`; `make bench` measures the times. These tests
guard the cause deterministically instead: which modules `import ovok` pulls
in. Each runs a fresh interpreter, since this one has loaded everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD

# Each of these alone costs more than the rest of `import ovok`.
DEFERRED = ("asyncio", "dataclasses", "pathlib", "typing")


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout


def _loaded_by(code: str) -> list[str]:
    """The DEFERRED modules that running `code` loads (the interpreter's own
    start-up, e.g. a sitecustomize, is not counted)."""
    out = _run(
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"{code}\n"
        f"print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules and m not in before]))"
    )
    loaded: list[str] = json.loads(out)
    return loaded


def test_import_ovok_loads_none_of_the_slow_modules() -> None:
    assert _loaded_by("import ovok") == []


def test_import_ovok_loads_neither_http_library() -> None:
    """httpx and requests are optional extras: only `ovok.httpx` and `ovok.requests` load them."""
    out = _run(
        "import sys, ovok\n"
        "ovok.AsyncSession('a@b.c', 'pw', 'client').session.close()\n"
        "print(sorted(m for m in ('httpx', 'requests', 'anyio', 'asyncio') if m in sys.modules))"
    )
    assert out == "[]\n"


def test_a_client_and_a_session_load_none_of_them_either() -> None:
    code = (
        "import ovok\n"
        "ovok.Client(connect_timeout=5).close()\n"
        f"ovok.Session({DEMO_EMAIL!r}, {DEMO_PASSWORD!r}, {DEMO_CLIENT_ID!r}).close()"
    )
    assert _loaded_by(code) == []


@pytest.mark.parametrize(
    "statement",
    [
        "from ovok import LoginResult, Reference, TokenResult",
        "import ovok; LoginResult, Reference, TokenResult = "
        "ovok.LoginResult, ovok.Reference, ovok.TokenResult",
        "from ovok import *",
    ],
)
def test_the_result_classes_load_on_first_use(statement: str) -> None:
    out = _run(
        f"{statement}\n"
        "import dataclasses, ovok, ovok._tokens as t\n"
        "assert (LoginResult, Reference, TokenResult) == "
        "(t.LoginResult, t.Reference, t.TokenResult)\n"
        "assert issubclass(LoginResult, TokenResult) and dataclasses.is_dataclass(LoginResult)\n"
        "assert {'LoginResult', 'Reference', 'TokenResult'} <= set(dir(ovok))\n"
        "print('ok')"
    )
    assert out == "ok\n"


def test_a_login_result_is_an_instance_of_the_exported_classes(emulator: str) -> None:
    out = _run(
        "import ovok\n"
        f"result = ovok.login({DEMO_EMAIL!r}, {DEMO_PASSWORD!r}, {DEMO_CLIENT_ID!r}, "
        f"base_url={emulator!r})\n"
        "assert isinstance(result, ovok.LoginResult) and isinstance(result, ovok.TokenResult)\n"
        "assert isinstance(result.profile, ovok.Reference)\n"
        "print('ok')"
    )
    assert out == "ok\n"


def test_unknown_attributes_still_raise_attribute_error() -> None:
    out = _run(
        "import ovok\n"
        "try:\n"
        "    ovok.NoSuchThing\n"
        "except AttributeError as error:\n"
        "    print(error)"
    )
    assert out == "module 'ovok' has no attribute 'NoSuchThing'\n"
