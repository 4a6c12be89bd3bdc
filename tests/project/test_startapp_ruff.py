"""``startapp`` keeps the generated project's CI green (issue 22).

The generated CI runs ``ruff check`` and ``ruff format --check`` with the project's own
ruff configuration. Thibaud's app template fails both (four imports nothing uses, F401;
single quotes in ``apps.py``): in a project we generated, ``startapp`` without
``--template`` renders ours, which passes, through Thibaud's own command. Real ruff.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.cli import BIN_DIR, run_cli


def _ruff(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN_DIR / "ruff"), *args, "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )


def test_ruff_passes_after_startapp(project: Path) -> None:
    # The project as generated is clean: the baseline the app must keep.
    assert _ruff(project, "check").returncode == 0
    created = run_cli("startapp", "blog", cwd=project)
    assert created.returncode == 0, created.stderr
    assert sorted(path.name for path in (project / "blog").iterdir()) == [
        "__init__.py", "admin.py", "apps.py", "migrations", "models.py", "tests.py", "views.py",
    ]  # fmt: skip
    # Thibaud's context, as its own template gets it.
    apps = (project / "blog" / "apps.py").read_text()
    assert "class BlogConfig(AppConfig):\n" in apps and 'name = "blog"\n' in apps
    checked = _ruff(project, "check")
    assert checked.returncode == 0, checked.stdout
    formatted = _ruff(project, "format", "--check")
    assert formatted.returncode == 0, formatted.stdout
    # And the app is an app: the project's checks take it in INSTALLED_APPS.
    settings = project / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text().replace("INSTALLED_APPS = [\n", 'INSTALLED_APPS = [\n    "blog",\n', 1)
    )
    check = subprocess.run(
        [str(BIN_DIR / "python"), "manage.py", "check"], cwd=project, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


def test_a_template_given_or_outside_a_generated_project_is_thibauds(
    project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    created = run_cli("startapp", "blog", cwd=elsewhere)
    assert created.returncode == 0, created.stderr
    # Thibaud's own template, unchanged (no formatter installed here).
    assert "from thibaud.db import models\n" in (elsewhere / "blog" / "models.py").read_text()
    template = tmp_path / "app_template"
    (template / "migrations").mkdir(parents=True)
    (template / "marker.py-tpl").write_text("# {{ app_name }}\n")
    given = run_cli("startapp", "--template", str(template), "shop", cwd=project)
    assert given.returncode == 0, given.stderr
    assert (project / "shop" / "marker.py").read_text() == "# shop\n"
    assert not (project / "shop" / "apps.py").exists()
