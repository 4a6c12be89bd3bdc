"""add-asgi-middleware adds the middleware's distribution to the project's dependencies:
found in the project's interpreter, written with asgi.py in one change, the user's
pyproject.toml otherwise untouched."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement

from tests.support.cli import run_cli
from tests.support.trees import tree_snapshot as snapshot_with_git
from thibaud_cli.cli import main
from thibaud_cli.project.dependencies import requirement_for, with_dependency

TRUSTED_HOST = "starlette.middleware.trustedhost:TrustedHostMiddleware"
PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"


def add(runner: CliRunner, project: Path, spec: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        main, ["add-asgi-middleware", spec, "--project-dir", str(project), *args]
    )
    return result.exit_code, result.stdout, result.stderr


def tree_snapshot(project: Path) -> dict[str, str]:
    """The project's files, git's own data left out (git apply and checkout touch it)."""
    return {
        name: digest
        for name, digest in snapshot_with_git(project).items()
        if name.split("/")[0] != ".git"
    }


def declared(project: Path) -> dict[str, str]:
    document = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
    return {Requirement(line).name.lower(): line for line in document["project"]["dependencies"]}


def test_the_middleware_package_joins_the_dependencies_and_nothing_else_changes(
    runner: CliRunner, make_project
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    before = (project / "pyproject.toml").read_text("utf-8")
    assert "starlette" not in declared(project)
    code, out, err = add(runner, project, TRUSTED_HOST, "-o", "allowed_hosts=['*']")
    assert code == 0, out + err
    expected = f"starlette>={version('starlette')}"
    assert declared(project)["starlette"] == expected
    assert f"Added {expected} to the dependencies in pyproject.toml." in out
    after = (project / "pyproject.toml").read_text("utf-8")
    # One line added inside the list; the comments and every other line kept.
    assert [line for line in after.splitlines() if line not in before.splitlines()] == [
        f'    "{expected}",'
    ]
    assert set(before.splitlines()) <= set(after.splitlines())
    assert "# Static files served by the application" in after


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_the_added_line_has_the_files_line_endings(
    runner: CliRunner, make_project, newline: bytes
) -> None:  # type: ignore[no-untyped-def]
    # A CRLF pyproject.toml was written back all LF (read with universal newlines),
    # and a new line from tomlkit is LF whatever the file (issue 25).
    project = make_project()
    pyproject = project / "pyproject.toml"
    lines = pyproject.read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    pyproject.write_bytes(newline.join(lines))
    before = pyproject.read_bytes()
    code, out, err = add(runner, project, TRUSTED_HOST, "-o", "allowed_hosts=['*']")
    assert code == 0, out + err
    last = b'    "servestatic>=3",' + newline
    added = f'    "starlette>={version("starlette")}",'.encode() + newline
    assert before.count(last) == 1
    assert pyproject.read_bytes() == before.replace(last, last + added)


def test_a_new_dependencies_list_in_a_crlf_file_is_crlf() -> None:
    change = with_dependency('[project]\r\nname = "x"\r\n', "redis", "5.0.1")
    assert change is not None and change.text is not None
    assert change.text == '[project]\r\nname = "x"\r\ndependencies = ["redis>=5.0.1"]\r\n'
    mixed = '[project]\r\nname = "x"\n'  # mixed endings: kept, the new line LF
    change = with_dependency(mixed, "redis", "5.0.1")
    assert change is not None
    assert change.text == mixed + 'dependencies = ["redis>=5.0.1"]\n'


def test_a_package_already_declared_leaves_pyproject_alone(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    before = (project / "pyproject.toml").read_bytes()
    assert "uvicorn" in declared(project)  # the bundled template depends on it
    code, out, err = add(runner, project, PROXY)
    assert code == 0, out + err
    assert (project / "pyproject.toml").read_bytes() == before
    assert "pyproject.toml" not in out + err


def test_the_projects_own_middleware_is_no_dependency(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    (project / "mysite" / "passthrough.py").write_text(
        "class First:\n    def __init__(self, app):\n        self.app = app\n\n"
        "    async def __call__(self, scope, receive, send):\n"
        "        await self.app(scope, receive, send)\n"
    )
    before = (project / "pyproject.toml").read_bytes()
    code, out, err = add(runner, project, "mysite.passthrough:First")
    assert code == 0, out + err
    assert (project / "pyproject.toml").read_bytes() == before


def test_no_dependency_opts_out(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    before = (project / "pyproject.toml").read_bytes()
    code, out, err = add(runner, project, TRUSTED_HOST, "--no-dependency")
    assert code == 0, out + err
    assert (project / "pyproject.toml").read_bytes() == before
    assert "TrustedHostMiddleware(application)" in (project / "mysite" / "asgi.py").read_text()


def test_a_dry_run_patch_holds_both_files_and_applies_as_the_real_run_writes(
    runner: CliRunner, make_project
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "generated"], cwd=project, check=True)
    before = tree_snapshot(project)
    code, patch, err = add(runner, project, TRUSTED_HOST, "--dry-run")
    assert code == 0, err
    assert tree_snapshot(project) == before
    assert "+++ b/mysite/asgi.py" in patch and "+++ b/pyproject.toml" in patch
    assert f'+    "starlette>={version("starlette")}",' in patch
    subprocess.run(["git", "apply", "-"], cwd=project, input=patch.encode(), check=True)
    patched = tree_snapshot(project)
    subprocess.run(["git", "checkout", "--", "."], cwd=project, check=True)
    assert tree_snapshot(project) == before
    code, out, err = add(runner, project, TRUSTED_HOST)
    assert code == 0, out + err
    written = tree_snapshot(project)
    answers = ".thibaud-answers.yml"  # the chain: recorded by the real run only
    assert {k: v for k, v in written.items() if k != answers} == {
        k: v for k, v in patched.items() if k != answers
    }


def test_dynamic_dependencies_are_left_to_the_user_in_one_line(
    runner: CliRunner, make_project
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    start = text.index("dependencies = [")
    end = text.index("]\n", start) + 2
    dynamic = text[:start] + 'dynamic = ["dependencies"]\n' + text[end:]
    pyproject.write_text(dynamic, "utf-8")
    code, out, err = add(runner, project, TRUSTED_HOST)
    assert code == 0, out + err
    assert pyproject.read_text("utf-8") == dynamic
    assert err.strip().splitlines() == [
        f"Add starlette>={version('starlette')} to the project's dependencies yourself: "
        "pyproject.toml declares its dependencies dynamic."
    ]
    assert "TrustedHostMiddleware(application)" in (project / "mysite" / "asgi.py").read_text()


def test_a_conflict_writes_neither_file(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    asgi = project / "mysite" / "asgi.py"
    # An edit where the middleware block goes: the merge conflicts.
    asgi.write_text(
        asgi.read_text("utf-8").replace(
            "# End of ASGI middleware.",
            "application = application  # mine\n# End of ASGI middleware.",
        ),
        "utf-8",
    )
    before = tree_snapshot(project)
    code, out, err = add(runner, project, TRUSTED_HOST)
    assert code == 1, out + err
    assert tree_snapshot(project) == before


@pytest.mark.parametrize(
    ("installed", "expected"),
    [("3.1.0", "x>=3.1.0"), ("1.0+local.7", "x>=1.0"), ("6.0a1", "x>=6.0a1"), ("weird", "x")],
)
def test_the_requirement_is_at_least_the_installed_version(installed: str, expected: str) -> None:
    assert requirement_for("x", installed) == expected


def test_a_project_table_without_dependencies_gets_the_list() -> None:
    change = with_dependency('[project]\nname = "x"  # mine\n', "redis", "5.0.1")
    assert change is not None and change.text is not None
    assert tomllib.loads(change.text)["project"]["dependencies"] == ["redis>=5.0.1"]
    assert "# mine" in change.text


def test_the_project_itself_is_never_its_own_dependency() -> None:
    assert with_dependency('[project]\nname = "My_Site"\n', "my-site", "0.1.0") is None


def test_any_spelling_of_a_declared_name_counts() -> None:
    text = '[project]\nname = "x"\ndependencies = ["Dj_Database.URL[extra] ~= 2.0"]\n'
    assert with_dependency(text, "dj-database-url", "2.2.0") is None


def test_an_editable_install_of_the_project_is_not_taken_for_a_dependency(
    make_project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The project installed with pip install -e in its own .venv (which add-asgi-middleware
    checks with): its own package maps to its own distribution, never a dependency; a
    third-party one installed there does (at the version installed there), and the
    project, installed again, then requires it."""
    project = make_project()
    (project / "mysite" / "passthrough.py").write_text(
        "class First:\n    def __init__(self, app):\n        self.app = app\n"
    )
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--no-deps", "-e", "."], cwd=project, check=True)
    subprocess.run([*pip, "starlette"], cwd=project, check=True)
    starlette = subprocess.run(
        [str(python), "-c", "from importlib.metadata import version; print(version('starlette'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    own = run_cli("add-asgi-middleware", "mysite.passthrough:First", cwd=project, module=True)
    assert own.returncode == 0, own.stderr
    assert "pyproject.toml" not in own.stdout + own.stderr
    third = run_cli("add-asgi-middleware", TRUSTED_HOST, cwd=project, module=True)
    assert third.returncode == 0, third.stderr
    assert "Added starlette>=" in third.stdout
    subprocess.run([*pip, "--no-deps", "-e", "."], cwd=project, check=True)
    requires = subprocess.run(
        [str(python), "-c", "from importlib.metadata import requires; print(requires('mysite'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"starlette>={starlette}" in requires
