"""Renders run in a child process the kernel bounds: memory and time (real processes)."""

from __future__ import annotations

import time

import pytest

from tests import isolation_targets as targets
from thibaud_cli.errors import TemplateError
from thibaud_cli.template.isolation import MEMORY_CEILING, render_timeout, run_isolated


def test_the_result_comes_back() -> None:
    assert run_isolated(targets.add, 2, right=40) == 42


def test_memory_past_the_ceiling_is_refused_with_one_line() -> None:
    # Well within this machine's memory, far past the ceiling.
    with pytest.raises(TemplateError, match=r"more than 512 MiB of memory"):
        run_isolated(targets.allocate, 2 * MEMORY_CEILING // (1024 * 1024))


def test_memory_under_the_ceiling_is_fine() -> None:
    assert run_isolated(targets.allocate, 64) == 64 * 1024 * 1024


def test_a_render_past_the_time_limit_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THIBAUD_RENDER_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(TemplateError, match=r"longer than 1 s"):
        run_isolated(targets.spin)
    assert time.monotonic() - started < 15


def test_the_template_error_arrives_whole() -> None:
    with pytest.raises(TemplateError) as raised:
        run_isolated(targets.fail)
    assert (str(raised.value), raised.value.template_file, raised.value.line) == (
        "broken at line 3",
        "a.jinja",
        3,
    )


@pytest.mark.parametrize("value", ["0", "-3", "soon", "1e9"])
def test_a_bad_timeout_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("THIBAUD_RENDER_TIMEOUT", value)
    with pytest.raises(TemplateError, match="THIBAUD_RENDER_TIMEOUT"):
        render_timeout()


def test_the_default_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THIBAUD_RENDER_TIMEOUT", raising=False)
    assert render_timeout() == 30.0
    monkeypatch.setenv("THIBAUD_RENDER_TIMEOUT", "2.5")
    assert render_timeout() == 2.5
