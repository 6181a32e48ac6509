"""The README's examples run, against the emulator."""

from __future__ import annotations

import re
import subprocess
import sys

import ovok

from conftest import DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD, REPO_ROOT, TESTS_DIR

README = TESTS_DIR.parent / "README.md"
EXAMPLE_URL = "http://127.0.0.1:8080"


def test_the_readme_example_is_five_lines_and_works(emulator: str) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    example = blocks[0]
    assert len([line for line in example.splitlines() if line.strip()]) == 4
    assert len(example.splitlines()) == 5
    assert EXAMPLE_URL in example
    completed = subprocess.run(
        [sys.executable, "-c", example.replace(EXAMPLE_URL, emulator)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert completed.stdout.startswith("Max Mustermann ")
    assert completed.stdout.rstrip().endswith("+00:00")


def test_the_session_example_works(emulator: str) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    [example] = [block for block in blocks if "ovok.Session(" in block]
    namespace: dict[str, object] = {
        "ovok": ovok,
        "email": DEMO_EMAIL,
        "password": DEMO_PASSWORD,
        "client_id": DEMO_CLIENT_ID,
        "url": emulator,
    }
    exec(example, namespace)
    session = namespace["session"]
    headers = namespace["headers"]
    assert isinstance(session, ovok.Session)
    assert isinstance(headers, dict) and headers["Authorization"].startswith("Bearer ey")
    assert session.authorization_header() != headers  # invalidated, so renewed


def test_the_top_level_readme_shows_httpx_in_five_lines(emulator: str) -> None:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    python_section = text.split("## Using it from Python", 1)[1].split("\n## ", 1)[0]
    [example] = [b for b in re.findall(r"```python\n(.*?)```", python_section, re.S) if "httpx" in b]
    assert len(example.splitlines()) == 5
    completed = subprocess.run(
        [sys.executable, "-c", f"import ovok\nurl = {emulator!r}\n{example}"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert completed.stdout == "200\n"
