"""Template repositories as an attacker would shape them: real git repositories, real
commands. A project's version-control metadata is never written from a template, and
no repository configuration makes git run a program without --trust."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.trees import build_file_tree, git, git_commit_all, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.errors import TemplateError
from thibaud_cli.project.answers import ANSWERS_FILENAME
from thibaud_cli.vcs.git import SAFE_GIT_CONFIG, git_environment
from thibaud_cli.vcs.metadata import is_vcs_metadata

# A real template sets its own _exclude, which replaces copier's default (.git included).
COPIER = "_templates_suffix: .jinja\n_exclude: ['*.bak']\n"
TEMPLATE = {
    "copier.yml": COPIER,
    "{{ project_name }}/__init__.py": "",
    "{{ project_name }}/asgi.py.jinja": "application = None\n",
    "README.md.jinja": "# {{ project_name }}\n",
}


def vcs_paths(root: Path) -> list[str]:
    return sorted(path for path in tree_snapshot(root) if is_vcs_metadata(path))


def start(runner: CliRunner, template: Path | str, target: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(
        main, ["startproject", "shop", str(target), "--template", str(template), *extra]
    )
    return result.exit_code, result.output


# 1. A project's .git is never touched by rendering ---------------------------------


def test_a_git_template_with_its_own_exclude_gives_no_history(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = build_file_tree(tmp_path / "template", TEMPLATE)
    git_commit_all(repo, "v1", tag="v1")
    code, output = start(runner, repo, tmp_path / "shop")
    assert code == 0, output
    assert vcs_paths(tmp_path / "shop") == []
    # Not a clone of the template: no repository at all until the user makes one.
    assert git_status_fails(tmp_path / "shop")
    code, output = start(runner, repo, tmp_path / "dry", "--dry-run")
    assert code == 0 and ".git" not in output


def git_status_fails(directory: Path) -> bool:
    import subprocess

    result = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=directory, capture_output=True, text=True
    )
    return result.returncode != 0 or Path(result.stdout.strip()) != directory.resolve()


@pytest.mark.parametrize(
    ("files", "exclude"),
    [
        ({".hg/hgrc": "[hooks]\n"}, "['*.bak']"),
        ({".svn/entries": "12\n"}, "['*.bak']"),
        ({".bzr/branch-format": "x\n"}, "['*.bak']"),
        ({".GIT/config": "[core]\n"}, "['*.bak']"),
        ({"sub/.git/config": "[core]\n"}, "['*.bak']"),
        ({".git": "gitdir: /etc\n"}, "['*.bak']"),
        # The template's own negation cannot bring .git back.
        ({".git/config": "[core]\n"}, "['*.bak', '!.git', '!.git/**']"),
        # A name that renders to .git.
        ({"{{ '.g' ~ 'it' }}/config": "[core]\n"}, "[]"),
        ({"{{ '.g' ~ 'it' }}.jinja": "gitdir: /etc\n"}, "[]"),
        # HFS+ ignores a zero-width non-joiner: this is .git on macOS (CVE-2014-9390).
        ({".g\u200cit/config": "[core]\n"}, "['*.bak']"),
        # copier's default exclusions do not apply under _subdirectory at all.
        ({"sub/.git/config": "[core]\n", "sub/README.md": "x\n"}, "['*.bak']\n_subdirectory: sub"),
        # copier writes its answers file where _answers_file says.
        (
            {"{{ _copier_conf.answers_file }}.jinja": "#!/bin/sh\ntouch pwned\n"},
            "['*.bak']\n_answers_file: .git/hooks/post-commit",
        ),
    ],
)
def test_vcs_metadata_in_a_template_is_never_rendered(
    runner: CliRunner, tmp_path: Path, files: dict[str, str], exclude: str
) -> None:
    spec = {**TEMPLATE, "copier.yml": f"_templates_suffix: .jinja\n_exclude: {exclude}\n", **files}
    template = build_file_tree(tmp_path / "template", spec)
    code, output = start(runner, template, tmp_path / "shop")
    assert "Traceback" not in output
    if code == 0:
        assert vcs_paths(tmp_path / "shop") == []
    else:
        assert code == 1 and "version-control metadata" in output, output
        assert not (tmp_path / "shop").exists()


def classic_gitfile_template(tmp_path: Path, marker: Path) -> Path:
    """A Django-style template (no copier.yml) shipping a ``.git`` *file* that names a git
    directory of its own, whose configuration runs a program on ``git status``."""
    template = build_file_tree(
        tmp_path / "classic",
        {"manage.py-tpl": "# {{ project_name }}\n", "project_name/__init__.py-tpl": ""},
    )
    gitdir = tmp_path / "classic" / "project_name" / "hidden.git"
    git(tmp_path, "init", "--quiet", "--bare", str(gitdir))
    git(gitdir, "config", "core.bare", "false")
    git(gitdir, "config", "core.fsmonitor", str(program(tmp_path, marker)))
    (template / ".git").write_text(f"gitdir: {gitdir}\n")
    (template / "project_name" / ".git").write_text(f"gitdir: {gitdir}\n")
    return template


def plain_git_status(directory: Path) -> None:
    """What the user types first in a new project: their own git, none of our overrides."""
    import subprocess

    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(directory.parent)}
    subprocess.run(["git", "status"], cwd=directory, env=env, capture_output=True, check=False)


@pytest.mark.parametrize(
    "extra",
    [(), ("-x", "nothing"), ("-x", ".git"), ("-n", ".git")],
    ids=["no options", "-x", "-x .git", "-n .git"],
)
def test_a_django_style_gitfile_is_never_rendered(
    runner: CliRunner, tmp_path: Path, marker: Path, extra: tuple[str, ...]
) -> None:
    template = classic_gitfile_template(tmp_path, marker)
    # The control: plain git in the template itself does run the program.
    plain_git_status(template)
    assert marker.exists()
    marker.unlink()
    code, output = start(runner, template, tmp_path / "shop", *extra)
    assert code == 0, output
    assert vcs_paths(tmp_path / "shop") == []
    plain_git_status(tmp_path / "shop")
    plain_git_status(tmp_path / "shop" / "shop")
    assert not marker.exists(), marker.read_text()


@pytest.mark.parametrize("extra", [(), ("-x", "nothing")], ids=["no options", "-x"])
def test_django_style_vcs_metadata_is_never_rendered_whatever_x_says(
    runner: CliRunner, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    template = build_file_tree(
        tmp_path / "classic",
        {
            "manage.py-tpl": "# {{ project_name }}\n",
            ".hg/hgrc": "[hooks]\nupdate = touch pwned\n",
            ".svn/entries": "12\n",
            ".GIT/config": "[core]\n",
            ".bzr/branch-format": "x\n",
            ".Hg": "x\n",
            "project_name/.git/config": "[core]\n",
            "project_name/.svn": "x\n",
        },
    )
    code, output = start(runner, template, tmp_path / "shop", *extra)
    assert code == 0, output
    assert (tmp_path / "shop" / "manage.py").is_file()
    assert vcs_paths(tmp_path / "shop") == []


def test_update_never_touches_the_projects_git(runner: CliRunner, tmp_path: Path) -> None:
    repo = build_file_tree(tmp_path / "template", TEMPLATE)
    git(repo, "init", "-q", "-b", "master")
    git_commit_all(repo, "v1", tag="v1")
    project = tmp_path / "shop"
    code, output = start(runner, repo, project)
    assert code == 0, output
    git(project, "init", "-q", "-b", "master")
    git_commit_all(project, "generated")
    build_file_tree(repo, {"README.md.jinja": "# {{ project_name }}\n\nv2\n"})
    git_commit_all(repo, "v2", tag="v2")
    refs_before = (project / ".git" / "refs" / "heads" / "master").read_text()
    config_before = (project / ".git" / "config").read_text()
    result = runner.invoke(main, ["update", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert ".git" not in result.output
    assert (project / ".git" / "refs" / "heads" / "master").read_text() == refs_before
    assert (project / ".git" / "config").read_text() == config_before
    assert "origin" not in git(project, "remote")
    assert git(project, "log", "--format=%s").split() == ["generated"]
    assert "v2" in (project / "README.md").read_text()
    for path in (project / ".git").rglob("*"):
        if path.is_file():
            assert b"<<<<<<<" not in path.read_bytes(), path


def test_a_project_may_be_named_like_a_vcs_without_the_dot(
    runner: CliRunner, tmp_path: Path
) -> None:
    for name in ("cvs", "hg", "git"):
        result = runner.invoke(main, ["startproject", name, str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name / name / "asgi.py").is_file()


# 2. No code from a template without --trust ----------------------------------------


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "program-ran"


def program(tmp_path: Path, marker: Path) -> Path:
    """A program that leaves *marker* behind if anything runs it."""
    path = tmp_path / "evil.sh"
    path.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\nexit 0\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def evil_repo(tmp_path: Path, marker: Path, *, tagged: bool, dirty: bool) -> Path:
    """A template repository whose own git configuration runs a program: fsmonitor,
    hooks. Untagged, copier renders HEAD and runs ``git status`` in it."""
    evil = program(tmp_path, marker)
    repo = build_file_tree(tmp_path / "template", TEMPLATE)
    git_commit_all(repo, "v1", tag="v1" if tagged else None)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("pre-commit", "post-checkout", "post-commit", "reference-transaction"):
        (hooks / hook).symlink_to(evil)
    git(repo, "config", "core.fsmonitor", str(evil))
    git(repo, "config", "core.hooksPath", str(hooks))
    for hook in ("pre-commit", "post-checkout"):
        (repo / ".git" / "hooks" / hook).symlink_to(evil)
    if dirty:
        (repo / "README.md.jinja").write_text("# {{ project_name }}\n\nuncommitted\n")
    return repo


def test_the_repository_configuration_runs_without_us(tmp_path: Path, marker: Path) -> None:
    # The control: the same repository does run the program under plain git.
    repo = evil_repo(tmp_path, marker, tagged=False, dirty=True)
    git(repo, "status", "--porcelain")
    assert marker.exists()


def test_our_configuration_overrides_the_repositorys(tmp_path: Path, marker: Path) -> None:
    import subprocess

    repo = evil_repo(tmp_path, marker, tagged=False, dirty=True)
    env = {**os.environ, **git_environment()}
    for args in (["status", "--porcelain"], ["commit", "-qam", "x"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    assert not marker.exists()
    shown = subprocess.run(
        ["git", "config", "--show-scope", "--get", "core.fsmonitor"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.split() == ["command", "false"]
    # Settings the user passes the same way are kept, before ours.
    combined = git_environment({"GIT_CONFIG_COUNT": "1"})
    assert combined["GIT_CONFIG_COUNT"] == str(1 + len(SAFE_GIT_CONFIG))
    assert combined["GIT_CONFIG_KEY_1"] == SAFE_GIT_CONFIG[0][0]


@pytest.mark.parametrize(
    "extra",
    [[], ["--dry-run"]],
    ids=["startproject", "dry-run"],
)
@pytest.mark.parametrize("tagged", [False, True], ids=["untagged", "tagged"])
@pytest.mark.parametrize("dirty", [True, False], ids=["dirty", "clean"])
def test_startproject_runs_no_program_of_the_template_repository(
    runner: CliRunner, tmp_path: Path, marker: Path, extra: list[str], tagged: bool, dirty: bool
) -> None:
    repo = evil_repo(tmp_path, marker, tagged=tagged, dirty=dirty)
    code, output = start(runner, repo, tmp_path / "shop", *extra)
    # core.hooksPath names a program directory: refused as unvetted configuration.
    assert code == 1, output
    assert "pass --trust" in output and "core.hookspath" in output.lower()
    assert not marker.exists(), marker.read_text()


def test_fsmonitor_alone_is_overridden_not_refused(
    runner: CliRunner, tmp_path: Path, marker: Path
) -> None:
    # core.fsmonitor is refused too (an external program), but even with the check
    # skipped (--trust accepts the configuration) our override keeps it from running.
    repo = evil_repo(tmp_path, marker, tagged=False, dirty=True)
    git(repo, "config", "--unset", "core.hooksPath")
    code, output = start(runner, repo, tmp_path / "shop")
    assert code == 1 and "core.fsmonitor" in output
    code, output = start(runner, repo, tmp_path / "shop", "--trust")
    assert code == 0, output
    assert not marker.exists(), marker.read_text()
    assert "uncommitted" in (tmp_path / "shop" / "README.md").read_text()


def test_validate_template_runs_no_program_of_the_template_repository(
    runner: CliRunner, tmp_path: Path, marker: Path
) -> None:
    repo = evil_repo(tmp_path, marker, tagged=False, dirty=True)
    result = runner.invoke(main, ["validate-template", str(repo), "--no-boot"])
    assert result.exit_code == 1, result.output
    assert "pass --trust" in result.output
    assert not marker.exists()


def test_update_check_runs_no_program_of_the_template_repository(
    runner: CliRunner, tmp_path: Path, marker: Path
) -> None:
    # A project whose answers file points at a repository that turned hostile.
    repo = build_file_tree(tmp_path / "template", TEMPLATE)
    git_commit_all(repo, "v1", tag="v1")
    project = tmp_path / "shop"
    code, output = start(runner, repo, project)
    assert code == 0, output
    evil = program(tmp_path, marker)
    git(repo, "config", "core.fsmonitor", str(evil))
    (repo / "README.md.jinja").write_text("# {{ project_name }}\n\ndirty\n")
    git(project, "init", "-q")
    git(project, "config", "core.fsmonitor", str(evil))  # the project's own, too
    git_commit_all(project, "generated")
    marker.unlink()  # our own plain git above ran it: the control
    for args in (["update", "--check"], ["update", "--dry-run"], ["update"]):
        result = runner.invoke(main, [*args, "--project-dir", str(project)])
        assert result.exit_code == 1, result.output
        assert "pass --trust" in result.output
        assert not marker.exists(), (args, marker.read_text())


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("filter.evil.clean", "{evil}"),
        ("filter.evil.smudge", "{evil}"),
        ("filter.evil.process", "{evil}"),
        ("diff.evil.textconv", "{evil}"),
        ("core.sshCommand", "{evil}"),
        ("core.worktree", "/"),
        ("include.path", "../included.cfg"),
        ("includeIf.gitdir:/.path", "../included.cfg"),
        ("credential.helper", "!{evil}"),
        ("remote.origin.uploadpack", "{evil}"),
    ],
)
def test_unvetted_repository_settings_are_refused(
    runner: CliRunner, tmp_path: Path, marker: Path, setting: str, value: str
) -> None:
    evil = program(tmp_path, marker)
    repo = build_file_tree(
        tmp_path / "template", {**TEMPLATE, ".gitattributes": "* filter=evil diff=evil\n"}
    )
    git_commit_all(repo, "v1")
    git(repo, "config", setting, value.format(evil=evil))
    (repo / "README.md.jinja").write_text("dirty {{ project_name }}\n")
    (tmp_path / "out").mkdir()
    before = tree_snapshot(tmp_path / "out")
    code, output = start(runner, repo, tmp_path / "out" / "shop")
    assert code == 1, output
    assert setting.split(".")[0].lower() in output.lower() and "pass --trust" in output
    assert not marker.exists()
    assert tree_snapshot(tmp_path / "out") == before


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% {marker}",
        "ext::sh -c touch% {marker} x.git",
        "--upload-pack=touch {marker} x.git",
        "git+ext::sh -c touch% {marker}",
        # ssh option injection through the host name.
        "ssh://-oProxyCommand=touch {marker}/x.git",
    ],
)
def test_command_urls_run_nothing(
    runner: CliRunner, tmp_path: Path, marker: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even with a user configuration that would allow the ext transport.
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "protocol.ext.allow")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "always")
    code, output = start(runner, url.format(marker=marker), tmp_path / "shop")
    assert code in (1, 2), output
    assert "Traceback" not in output
    assert not marker.exists()
    assert not (tmp_path / "shop").exists()


def test_a_submodule_with_a_command_url_runs_nothing(
    runner: CliRunner, tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "protocol.ext.allow")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "always")
    repo = build_file_tree(tmp_path / "template", TEMPLATE)
    git_commit_all(repo, "v1")
    sub_commit = git(repo, "rev-parse", "HEAD").strip()
    build_file_tree(
        repo,
        {".gitmodules": f'[submodule "x"]\n\tpath = vendor\n\turl = ext::sh -c touch% {marker}\n'},
    )
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sub_commit},vendor")
    git_commit_all(repo, "with a submodule", tag="v1.1")
    code, output = start(runner, f"file://{repo}", tmp_path / "shop")
    assert "Traceback" not in output
    assert not marker.exists()
    if code == 0:
        assert vcs_paths(tmp_path / "shop") == []


def test_the_answers_file_is_still_written(runner: CliRunner, tmp_path: Path) -> None:
    repo = build_file_tree(tmp_path / "template", TEMPLATE)
    git_commit_all(repo, "v1", tag="v1")
    code, output = start(runner, repo, tmp_path / "shop")
    assert code == 0, output
    assert (tmp_path / "shop" / ANSWERS_FILENAME).is_file()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a repository to another user needs root")
def test_a_repository_of_another_user_is_never_run_by_git(
    runner: CliRunner, tmp_path: Path, marker: Path
) -> None:
    # safe.directory is left to git: we never widen it, so git refuses to work in a
    # repository someone else owns, and the template is read as a plain directory.
    import pwd
    import shutil

    repo = evil_repo(tmp_path, marker, tagged=False, dirty=True)
    nobody = pwd.getpwnam("nobody")
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, nobody.pw_uid, nobody.pw_gid)
    code, output = start(runner, repo, tmp_path / "shop")
    # Rendered as a plain directory, or refused for its symlinked hooks: never run.
    assert code in (0, 1) and len(output.strip().splitlines()) <= 2, output
    assert not marker.exists()
    assert vcs_paths(tmp_path / "shop") == []
    shutil.rmtree(repo)


@contextlib.contextmanager
def silent_host() -> Iterator[str]:
    """An http URL whose server accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/template.git"


@pytest.mark.parametrize("command", ["ls-remote", "clone"])
def test_a_host_that_never_answers_times_out_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    from thibaud_cli.template.classic.fetch import _git_checkout
    from thibaud_cli.vcs.remote import remote_tags

    monkeypatch.setattr("thibaud_cli.vcs.git.NETWORK_TIMEOUT", 2.0)
    with silent_host() as url, pytest.raises(TemplateError) as raised:
        if command == "ls-remote":  # update --check's question, asked of the host
            remote_tags(url)
        else:  # a Django-style template's repository, fetched
            _git_checkout(url, tmp_path / "clone")
    assert "timed out after 2" in str(raised.value) or "within 2 seconds" in str(raised.value)
    assert "\n" not in str(raised.value)
