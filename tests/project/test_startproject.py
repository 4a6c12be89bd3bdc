"""``thibaud-admin startproject``: the files, the answers, the refusals, the atomicity."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.fs.scratch import TEMP_PREFIX
from thibaud_cli.project.answers import ANSWERS_FILENAME, load_answers
from thibaud_cli.template.bundled import bundled_template_version

BIN = Path(sys.executable).parent
EXPECTED_FILES = {
    ".dockerignore",
    ".env.example",
    ".github/dependabot.yml",
    ".github/workflows/ci.yml",
    ".gitignore",
    ANSWERS_FILENAME,
    "Dockerfile",
    "README.md",
    "compose.yaml",
    "deploy/nginx.conf",
    "deploy/release.sh",
    "deploy/serve.sh",
    "deploy/systemd/mysite@.service",
    "manage.py",
    "pyproject.toml",
    "mysite/__init__.py",
    "mysite/asgi.py",
    "mysite/asgi_guard.py",
    "mysite/database_url.py",
    "mysite/drivers.py",
    "mysite/healthchecks.py",
    "mysite/settings.py",
    "mysite/urls.py",
    "mysite/views.py",
    "mysite/wsgi.py",
    "tests/conftest.py",
    "tests/test_database_url.py",
    "tests/test_drivers.py",
    "tests/test_health.py",
    "tests/test_project.py",
    ".python-version",
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory."""
    directory = tmp_path / "work"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _no_temporaries(*directories: Path) -> None:
    for directory in directories:
        leftovers = [p.name for p in directory.iterdir() if p.name.startswith(TEMP_PREFIX)]
        assert leftovers == []


def _secret_key(project: Path, name: str = "mysite") -> str:
    settings = (project / name / "settings.py").read_text()
    match = re.search(r'"thibaud-insecure-([^"]+)"', settings)
    assert match is not None
    return match.group(1)


def test_creates_the_project_in_a_new_directory(
    runner: CliRunner, tmp_path: Path, workdir: Path
) -> None:
    cwd = workdir
    result = runner.invoke(main, ["startproject", "mysite"])
    assert result.exit_code == 0, result.output
    project = cwd / "mysite"
    assert _files(project) == EXPECTED_FILES
    assert "Created project 'mysite'" in result.output
    assert os.access(project / "manage.py", os.X_OK)
    # The scripts the README runs as they are.
    assert os.access(project / "deploy" / "serve.sh", os.X_OK)
    assert os.access(project / "deploy" / "release.sh", os.X_OK)
    _no_temporaries(cwd)


def test_asgi_and_wsgi_are_what_the_seed_page_describes(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    for module, factory in (("asgi", "get_asgi_application"), ("wsgi", "get_wsgi_application")):
        source = (project / "mysite" / f"{module}.py").read_text()
        tree = ast.parse(source)
        assert ast.get_docstring(tree)
        assert f"from thibaud.core.{module} import {factory}" in source
        assert 'os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "mysite.settings")' in source
        assigned = [
            node
            for node in tree.body
            if isinstance(node, ast.Assign)
            and getattr(node.targets[0], "id", None) == "application"
        ]
        assert ast.unparse(assigned[0].value) == f"{factory}()"
        # Any later binding wraps it, as the seed page's "Applying ASGI middleware"
        # shows (asgi.py's request guard).
        for node in assigned[1:]:
            assert isinstance(node.value, ast.Call)
            assert ast.unparse(node.value.args[0]) == "application"


def test_the_settings_variable_is_the_one_thibaud_reads(make_project) -> None:  # type: ignore[no-untyped-def]
    from thibaud.conf import ENVIRONMENT_VARIABLE

    project = make_project()
    for path in ("manage.py", "mysite/asgi.py", "mysite/wsgi.py"):
        assert f'"{ENVIRONMENT_VARIABLE}", "mysite.settings"' in (project / path).read_text()


def test_settings_have_what_thibauds_own_template_has(make_project) -> None:  # type: ignore[no-untyped-def]
    import thibaud

    stock = (
        Path(thibaud.__file__).parent / "conf/project_template/project_name/settings.py-tpl"
    ).read_text()
    stock_names = set(re.findall(r"^([A-Z_]+) = ", stock, re.MULTILINE))
    ours = (make_project() / "mysite" / "settings.py").read_text()
    our_names = set(re.findall(r"^([A-Z_]+) = ", ours, re.MULTILINE))
    assert stock_names <= our_names
    for app in re.findall(r"'(thibaud\.contrib\.\w+)'", stock):
        assert f'"{app}"' in ours
    for middleware in re.findall(r"'(thibaud\.(?:middleware|contrib)\.[\w.]+Middleware)'", stock):
        assert f'"{middleware}"' in ours


def test_secret_key_is_long_random_and_only_in_settings(runner: CliRunner, tmp_path: Path) -> None:
    keys = []
    for name in ("one", "two"):
        result = runner.invoke(main, ["startproject", name, str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        key = _secret_key(tmp_path / name, name)
        assert len(key) >= 50
        keys.append(key)
        assert key not in result.output
        for path in (tmp_path / name).rglob("*"):
            if path.is_file() and path.name != "settings.py":
                assert key not in path.read_text()
    assert keys[0] != keys[1]


def test_the_answers_file_records_the_template_and_answers(make_project) -> None:  # type: ignore[no-untyped-def]
    from importlib.metadata import version

    project = make_project(description="My site")
    document = yaml.safe_load((project / ANSWERS_FILENAME).read_text())
    assert document["_template"] == "bundled"
    assert document["_template_version"] == bundled_template_version()
    assert document["_thibaud_cli_version"] == version("thibaud-cli")
    assert document["_thibaud_version"] == version("Thibaud")
    assert document["project_name"] == "mysite"
    assert document["asgi_middleware"] == []
    assert document["description"] == "My site"
    assert "secret_key" not in document
    assert "site-packages" not in (project / ANSWERS_FILENAME).read_text()
    assert load_answers(project).project_name == "mysite"


def test_generated_project_is_lint_clean_and_passes_check(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        result = subprocess.run(
            [str(BIN / command[0]), *command[1:]], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
    env = {k: v for k, v in os.environ.items() if k != "THIBAUD_SETTINGS_MODULE"}
    check = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=project, capture_output=True, text=True, env=env
    )
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout


def test_data_answers_questions(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project(description='Say "hi"', python_version="3.13")
    pyproject = (project / "pyproject.toml").read_text()
    import tomllib

    parsed = tomllib.loads(pyproject)
    assert parsed["project"]["description"] == 'Say "hi"'
    assert parsed["project"]["requires-python"] == ">=3.13"
    assert "Thibaud>=6.0a1" in parsed["project"]["dependencies"]
    assert any(dep.startswith("uvicorn") for dep in parsed["project"]["dependencies"])


def test_dry_run_lists_and_writes_nothing(runner: CliRunner, tmp_path: Path, workdir: Path) -> None:
    before = tree_snapshot(tmp_path)
    cwd = workdir
    inside = tree_snapshot(cwd)
    result = runner.invoke(main, ["startproject", "mysite", "--dry-run"])
    assert result.exit_code == 0, result.output
    for path in EXPECTED_FILES:
        assert path in result.output
    assert tree_snapshot(cwd) == inside
    assert set(tree_snapshot(tmp_path)) - set(before) <= {cwd.name}


def test_into_an_existing_directory_keeps_other_files(runner: CliRunner, tmp_path: Path) -> None:
    target = build_file_tree(
        tmp_path / "existing", {"notes.txt": "mine\n", "docs/index.md": "# docs\n"}
    )
    result = runner.invoke(main, ["startproject", "mysite", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "notes.txt").read_text() == "mine\n"
    assert _files(target) == EXPECTED_FILES | {"notes.txt", "docs/index.md"}
    _no_temporaries(target, tmp_path)


def test_an_existing_name_directory_is_refused(
    runner: CliRunner, tmp_path: Path, workdir: Path
) -> None:
    cwd = workdir
    build_file_tree(cwd, {"mysite/keep.txt": "x"})
    before = tree_snapshot(cwd)
    result = runner.invoke(main, ["startproject", "mysite"])
    assert result.exit_code == 1
    assert "'mysite' already exists" in result.output
    assert tree_snapshot(cwd) == before


def test_clashing_files_are_refused_before_anything_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = build_file_tree(tmp_path / "existing", {"manage.py": "# my own\n", "other.txt": "x"})
    before = tree_snapshot(target)
    result = runner.invoke(main, ["startproject", "mysite", str(target)])
    assert result.exit_code == 1
    assert "manage.py" in result.output and "nothing was written" in result.output
    assert tree_snapshot(target) == before
    _no_temporaries(tmp_path)


def test_a_file_as_directory_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = runner.invoke(main, ["startproject", "mysite", str(tmp_path / "file")])
    assert result.exit_code == 1
    assert "is not a directory" in result.output


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["startproject", "my-site"], 2, "Try 'my_site'"),
        (["startproject", "json"], 2, "existing Python module"),
        (["startproject", "mysite", "--data", "novalue"], 2, "expected KEY=VALUE"),
        (["startproject", "mysite", "--data", "project_name=x"], 2, "NAME argument"),
        (["startproject", "mysite", "--data", "secret_key=x"], 2, "sets 'secret_key' itself"),
        (["startproject", "mysite", "--template", "/does/not/exist"], 2, "does not exist"),
        (["startproject", "mysite", "--data", "python_version=2.7"], 2, "python_version"),
        (["startproject"], 2, "Missing argument 'NAME'"),
    ],
)
def test_bad_input_is_one_clear_line(
    runner: CliRunner, tmp_path: Path, workdir: Path, args: list[str], code: int, fragment: str
) -> None:
    cwd = workdir
    result = runner.invoke(main, args)
    assert result.exit_code == code, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert list(cwd.iterdir()) == []


def test_a_directory_that_is_not_a_template_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    build_file_tree(tmp_path / "nota", {"README.md": "x"})
    result = runner.invoke(
        main,
        ["startproject", "mysite", str(tmp_path / "out"), "--template", str(tmp_path / "nota")],
    )
    assert result.exit_code == 2, result.output
    assert "is neither a copier template (it has no copier.yml) nor a Django-style one" in (
        result.output
    )
    assert not (tmp_path / "out").exists()


CUSTOM_TEMPLATE = {
    "copier.yml": "_templates_suffix: .jinja\nflavour:\n  type: str\n  default: vanilla\n",
    "manage.py.jinja": "# {{ project_name }} manage\n",
    "{{ project_name }}/__init__.py": "",
    "{{ project_name }}/asgi.py.jinja": (
        '"""Custom ASGI for {{ project_name }}."""\n\nimport os\n\n'
        "from thibaud.core.asgi import get_asgi_application\n\n"
        'os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "{{ project_name }}.settings")\n\n'
        "application = get_asgi_application()\n"
        "{% for line in asgi_middleware_imports %}{{ line }}\n{% endfor %}"
        "{% for line in asgi_middleware_wraps %}{{ line }}\n{% endfor %}"
    ),
    "{{ project_name }}/settings.py.jinja": (
        'SECRET_KEY = "{{ secret_key }}"\nFLAVOUR = "{{ flavour }}"\n'
    ),
}


def test_a_custom_template_gets_an_answers_file(runner: CliRunner, tmp_path: Path) -> None:
    template = build_file_tree(tmp_path / "tpl", CUSTOM_TEMPLATE)
    target = tmp_path / "out"
    result = runner.invoke(
        main,
        [
            "startproject",
            "shop",
            str(target),
            "--template",
            str(template),
            "--data",
            "flavour=mint",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (target / "shop/settings.py").read_text().startswith('SECRET_KEY = "')
    assert 'FLAVOUR = "mint"' in (target / "shop/settings.py").read_text()
    answers = load_answers(target)
    assert answers.template == str(template.resolve())
    assert answers.template_answers == {"flavour": "mint"}
    assert answers.project_name == "shop"


def test_a_template_failing_midway_leaves_nothing(runner: CliRunner, tmp_path: Path) -> None:
    spec = dict(CUSTOM_TEMPLATE)
    spec["zz_last.txt.jinja"] = "line one\n{{ undefined_variable.attribute }}\n"
    template = build_file_tree(tmp_path / "tpl", spec)
    result = runner.invoke(
        main, ["startproject", "shop", str(tmp_path / "out"), "--template", str(template)]
    )
    assert result.exit_code == 1
    assert "zz_last.txt.jinja:2" in result.output
    assert not (tmp_path / "out").exists()
    _no_temporaries(tmp_path)


def test_a_jinja_syntax_error_names_file_and_line(runner: CliRunner, tmp_path: Path) -> None:
    spec = dict(CUSTOM_TEMPLATE)
    spec["broken.txt.jinja"] = "ok\nok\n{% if %}\n"
    template = build_file_tree(tmp_path / "tpl", spec)
    existing = build_file_tree(tmp_path / "existing", {"keep.txt": "k"})
    before = tree_snapshot(existing)
    result = runner.invoke(
        main, ["startproject", "shop", str(existing), "--template", str(template)]
    )
    assert result.exit_code == 1
    assert "broken.txt.jinja:3" in result.output and "syntax error" in result.output
    assert tree_snapshot(existing) == before


def test_no_prompt_without_stdin_or_tty(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "thibaud-admin"), "startproject", "mysite"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mysite" / "mysite" / "asgi.py").is_file()


@pytest.mark.parametrize("scheme", ["file://", "git+file://"])
def test_a_git_url_template_is_rendered_at_its_latest_tag(
    runner: CliRunner, tmp_path: Path, scheme: str
) -> None:
    from tests.support.trees import git_commit_all

    repo = build_file_tree(tmp_path / "repo", CUSTOM_TEMPLATE)
    git_commit_all(repo, "first", tag="v1")
    (repo / "{{ project_name }}" / "settings.py.jinja").write_text(
        'SECRET_KEY = "{{ secret_key }}"\nV = 2\n'
    )
    git_commit_all(repo, "second", tag="v2")
    url = f"{scheme}{repo}"
    result = runner.invoke(main, ["startproject", "shop", str(tmp_path / "out"), "--template", url])
    assert result.exit_code == 0, result.output
    assert "V = 2" in (tmp_path / "out" / "shop" / "settings.py").read_text()
    answers = load_answers(tmp_path / "out")
    assert answers.template == url
    assert answers.template_commit == "v2"
    assert answers.template_version == "2"
