"""What the memory ceiling costs a render: the bundled template rendered in-process with
and without it, interleaved, medians (``python -m bench.memory_ceiling``)."""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from thibaud_cli.template.data import generate_secret_key, render_data
from thibaud_cli.template.engine import render
from thibaud_cli.template.source import resolve_template


@contextlib.contextmanager
def _no_ceiling() -> Iterator[None]:
    yield


def _render_once(root: Path, index: int) -> float:
    data = render_data({}, project_name="mysite", secret_key=generate_secret_key())
    started = time.perf_counter()
    render.render_template(resolve_template(None), root / f"p{index}", data=data)
    return time.perf_counter() - started


def main(runs: int = 20) -> None:
    real = render.memory_ceiling
    with_ceiling: list[float] = []
    without: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        _render_once(root, -1)  # warm: imports, compiled templates
        for index in range(runs):
            pairs = [(real, with_ceiling), (_no_ceiling, without)]
            # Alternate which goes first: the second of a pair runs on warmer caches.
            for ceiling, figures in pairs if index % 2 else reversed(pairs):
                render.memory_ceiling = ceiling  # type: ignore[assignment]
                figures.append(_render_once(root, index * 2 + len(figures)))
    render.memory_ceiling = real  # type: ignore[assignment]
    on, off = statistics.median(with_ceiling), statistics.median(without)
    print(f"bundled template, {runs} interleaved renders each:")
    print(f"  with the memory ceiling: {on * 1000:.1f} ms (median)")
    print(f"  without it:              {off * 1000:.1f} ms (median)")
    print(f"  ratio: {on / off:.3f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
