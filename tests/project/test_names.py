from __future__ import annotations

import keyword
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.cli import run_cli
from thibaud_cli.errors import InvalidProjectName
from thibaud_cli.project.names import suggest_identifier, validate_project_name


@pytest.mark.parametrize("name", ["mysite", "my_site", "Site2", "_private", "blog_project"])
def test_valid_names_pass(name: str) -> None:
    validate_project_name(name)


@pytest.mark.parametrize(
    ("name", "reason", "suggestion"),
    [
        ("my-site", "must be a Python identifier", "'my_site'"),
        ("my site", "must be a Python identifier", "'my_site'"),
        ("1site", "must be a Python identifier", "'project_1site'"),
        ("café", "must be a Python identifier", "'caf'"),
        ("class", "is a Python keyword", "'class_project'"),
        ("__init__", "dunder names are reserved", "'init'"),
        ("os", "existing Python module", "'os_project'"),
        ("json", "existing Python module", "'json_project'"),
        ("thibaud", "existing Python module", "'thibaud_project'"),
        ("click", "existing Python module", "'click_project'"),
        ("", "is empty", "'mysite'"),
    ],
)
def test_invalid_names_say_why_and_suggest_a_fix(name: str, reason: str, suggestion: str) -> None:
    with pytest.raises(InvalidProjectName) as caught:
        validate_project_name(name)
    message = str(caught.value)
    assert reason in message
    assert suggestion in message
    assert "\n" not in message


def test_an_importable_module_is_found_without_being_imported() -> None:
    # find_spec must not execute the module: 'antigravity' opens a web browser when
    # imported, so being refused without that proves nothing ran.
    with pytest.raises(InvalidProjectName):
        validate_project_name("antigravity")
    assert "antigravity" not in sys.modules


@given(st.text(max_size=30))
def test_validation_never_crashes_and_accepts_only_identifiers(name: str) -> None:
    try:
        validate_project_name(name)
    except InvalidProjectName as error:
        assert str(error)
    else:
        assert name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


@given(st.text(max_size=30))
def test_suggestions_are_identifiers(name: str) -> None:
    suggestion = suggest_identifier(name)
    assert suggestion.isidentifier() and suggestion.isascii()
    assert not keyword.iskeyword(suggestion)


def test_a_folder_outside_the_libraries_is_not_an_existing_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As under `python -m`: the current directory is first on sys.path.
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "api").mkdir()
    (cwd / "plain_module.py").write_text("raise ImportError\n")
    # Nor does a directory a test runner or an editable install puts on sys.path: the
    # repository's own mysite/, left by the README's first command.
    repository = tmp_path / "repository"
    (repository / "mysite").mkdir(parents=True)
    (repository / "mysite" / "__init__.py").write_text("")
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "path", ["", str(cwd), *sys.path, str(repository)])
    for name in ("api", "mysite", "plain_module"):
        validate_project_name(name)
    for name in ("os", "json", "thibaud"):
        with pytest.raises(InvalidProjectName, match="existing Python module"):
            validate_project_name(name)


def test_python_m_startproject_beside_a_folder_of_the_same_name(tmp_path: Path) -> None:
    cwd = tmp_path / "work"
    (cwd / "api").mkdir(parents=True)
    done = run_cli("startproject", "api", "../x", cwd=cwd, module=True)
    assert done.returncode == 0, done.stderr
    assert (cwd.parent / "x" / "api" / "settings.py").is_file()
    for name in ("os", "json", "thibaud"):
        refused = run_cli("startproject", name, f"../{name}", cwd=cwd, module=True)
        assert refused.returncode == 2
        assert f"'{name}' conflicts with the name of an existing Python module" in refused.stderr
        assert not (cwd.parent / name).exists()
