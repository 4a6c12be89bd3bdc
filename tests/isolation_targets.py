"""Functions run by tests/test_isolation.py in a render process (importable by name)."""

from __future__ import annotations

import time

from thibaud_cli.errors import TemplateError


def add(left: int, right: int) -> int:
    return left + right


def allocate(mebibytes: int) -> int:
    block = bytearray(mebibytes * 1024 * 1024)
    return len(block)


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def fail() -> None:
    raise TemplateError("broken at line 3", template_file="a.jinja", line=3)


def spin() -> None:
    while True:
        pass
