"""copier's private names we use are all in the installed copier, all listed in one
place, and a copier without one is refused before anything renders. ``nox -s copier``
runs this (and the engine's tests) on the oldest and the newest copier we allow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from thibaud_cli.errors import ThibaudCliError
from thibaud_cli.template.engine import copier_private
from thibaud_cli.template.engine.render import render_template
from thibaud_cli.template.engine.worker import fresh_destination_worker, interactive_worker
from thibaud_cli.template.source import resolve_template


@pytest.fixture
def fresh_check() -> Iterator[None]:
    copier_private.missing_names.cache_clear()
    yield
    copier_private.missing_names.cache_clear()


def test_the_installed_copier_has_every_name_we_use(fresh_check: None) -> None:
    assert copier_private.missing_names() == ()


def test_every_override_of_copiers_worker_is_listed() -> None:
    from copier._main import Worker

    ours = {
        name
        for worker in (fresh_destination_worker(), interactive_worker())
        for cls in worker.__mro__
        if cls.__module__.startswith("thibaud_cli.")
        for name in vars(cls)
        if hasattr(Worker, name) and not name.startswith("__")
    }
    assert ours == set(copier_private.WORKER_OVERRIDES)


def test_a_copier_without_a_name_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, fresh_check: None
) -> None:
    from copier._main import Worker

    monkeypatch.delattr(Worker, "_render_folder")
    with pytest.raises(ThibaudCliError) as refused:
        copier_private.require_copier_surface()
    message = str(refused.value)
    assert "copier._main.Worker._render_folder" in message and "\n" not in message


def test_copiers_walk_is_replaced_only_while_a_render_runs(tmp_path: Path) -> None:
    import copier._main
    import copier._tools

    render_template(resolve_template(None), tmp_path / "out", data={"project_name": "shop"})
    assert (tmp_path / "out" / "shop" / "settings.py").is_file()
    assert copier._main.scantree is copier._tools.scantree  # type: ignore[attr-defined]
