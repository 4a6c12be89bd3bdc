"""Every benchmark module imports: the benchmarks run rarely (``nox -s bench``), so a
moved helper would otherwise break them unseen."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent


@pytest.mark.parametrize(
    "module",
    sorted(path.stem for path in BENCH.glob("*.py") if not path.stem.startswith(("test_", "__"))),
)
def test_every_benchmark_module_imports(module: str) -> None:
    importlib.import_module(f"bench.{module}")
