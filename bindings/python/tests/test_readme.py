"""The example at the top of the README runs, against the emulator."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import TESTS_DIR

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
