"""asgi.py rendered from as little of the template as renders it the same
(``template/partial/one_file.py``): each case compares, byte for byte, with copier rendering
the whole template from a clone, and shows what was read (the scratch copy, the
sources rendered, the git commands run). Every git template is given both ways: as a
local path, and at a ``file://`` URL (standing in for a remote: served with the
filter a host such as GitHub allows, so the cached clone really lacks its blobs).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.large_template import LargeTemplate
from tests.support.trees import build_file_tree, copy_bundled_template, git, git_commit_all
from thibaud_cli.asgi.spec import MiddlewareEntry, ObjectPath
from thibaud_cli.operations.startproject import start_project
from thibaud_cli.project.answers import Answers, load_answers
from thibaud_cli.project.contract import EntryPoints
from thibaud_cli.template.data import regeneration_data
from thibaud_cli.template.engine.render import render_template
from thibaud_cli.template.partial.entry_point import EntryPointRenderer, asgi_renderer, only_path
from thibaud_cli.template.source import resolve_template

ASGI = "{{ project_name }}/asgi.py.jinja"
CHAINS = ((), (MiddlewareEntry(ObjectPath.parse("shop.passthrough:First")),))


@pytest.fixture(name="form", params=["path", "url"])
def form_fixture(request: pytest.FixtureRequest) -> str:
    """How the project records its git template: a local path, or a ``file://`` URL."""
    return str(request.param)


def recorded(template: Path, form: str) -> str:
    """*template* as a project records it in *form*. A URL's repository serves
    partial clones (uploadpack.allowFilter), as the hosts of remote templates do."""
    if form == "path":
        return str(template)
    git(template, "config", "uploadpack.allowFilter", "true")
    git(template, "config", "uploadpack.allowAnySHA1InWant", "true")
    return f"file://{template}"


def whole_render(answers: Answers, chain: tuple[MiddlewareEntry, ...], scratch: Path) -> str:
    """asgi.py as copier renders it from the whole template (a clone, for git)."""
    relative = answers.modules.relpath(answers.modules.asgi or "")
    destination = scratch / "whole"
    shutil.rmtree(destination, ignore_errors=True)
    render_template(
        resolve_template(answers.template),
        destination,
        data=regeneration_data(answers, chain),
        run_tasks=False,
        vcs_ref=answers.template_commit,
        exclude=only_path(relative),
    )
    return (destination / relative).read_text("utf-8")


def assert_same_as_whole(answers: Answers, scratch: Path) -> tuple[EntryPointRenderer, list[str]]:
    """Every chain renders as the whole template renders it. Returns the renderer
    after its last render, and the files of its git copy (if any)."""
    with asgi_renderer(answers) as renderer:
        for chain in CHAINS:
            assert renderer.render(chain) == whole_render(answers, chain, scratch)
        rendered = [
            path.relative_to(renderer.scratch).as_posix()
            for path in renderer.scratch.glob("project-*/**/*")
            if path.is_file()
        ]
        # Only asgi.py is written, once per render.
        assert sorted(rendered) == [f"project-{n}/shop/asgi.py" for n in (1, 2)]
        copied = renderer.scratch / "source" / "template"
        listing = sorted(
            path.relative_to(copied).as_posix() for path in copied.rglob("*") if path.is_file()
        )
    return renderer, listing


def git_template(tmp_path: Path, files: dict[str, str], remove: tuple[str, ...] = ()) -> Path:
    """The bundled template with *files* written and *remove* removed, committed as v1."""
    template = copy_bundled_template(tmp_path / "template")
    build_file_tree(template, files)
    for name in remove:
        (template / name).unlink()
    git_commit_all(template, "v1", tag="v1")
    return template


def project_answers(template: Path, tmp_path: Path, form: str = "path") -> Answers:
    project = tmp_path / "project"
    start_project("shop", project, template=recorded(template, form))
    return load_answers(project)


def bare_answers(template: Path, form: str = "path") -> Answers:
    """Answers for a template that is not a whole project (asgi.py alone)."""
    return Answers(
        template=recorded(template, form),
        project_name="shop",
        template_commit="v1",
        entry_points=EntryPoints(asgi="shop.asgi"),
    )


def test_a_large_git_template_copies_out_only_what_asgi_py_renders_from(
    large_template: LargeTemplate, tmp_path: Path, form: str
) -> None:
    answers = load_answers(large_template.project)
    answers = Answers(**{**answers.__dict__, "template": recorded(large_template.template, form)})
    renderer, listing = assert_same_as_whole(answers, tmp_path)  # at v1, though HEAD is v2
    copied = listing
    assert renderer.source.copied == frozenset(copied)
    assert "copier.yml" in copied and ASGI in copied
    # The bundled template's files that a name could render to asgi.py (a templated
    # last part): none of the thousand generated ones.
    assert len(copied) <= 8 and not any("generated" in name or "docs" in name for name in copied)
    assert renderer.source.sources is not None and ASGI in renderer.source.sources


def test_no_clone_or_checkout_runs(tmp_path: Path) -> None:
    template = git_template(tmp_path, {})
    project = tmp_path / "project"
    start_project("shop", project, template=str(template))
    log = tmp_path / "git.log"
    bin_dir = build_file_tree(
        tmp_path / "bin",
        {"git": f'#!/bin/sh\necho "$1" >> {log}\nexec {shutil.which("git")} "$@"\n'},
    )
    (bin_dir / "git").chmod(stat.S_IRWXU)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    completed = run_cli(
        "regenerate-asgi", "--project-dir", str(project), cwd=project, env=env, module=True
    )
    assert completed.returncode == 0, completed.stderr
    commands = log.read_text().split()
    assert "cat-file" in commands and "ls-tree" in commands
    assert "clone" not in commands and "checkout" not in commands


def logging_git(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose ``git`` logs each command line (one a line), then runs git."""
    log = tmp_path / "git-args.log"
    bin_dir = build_file_tree(
        tmp_path / "logging-bin",
        {"git": f'#!/bin/sh\necho "$*" >> {log}\nexec {shutil.which("git")} "$@"\n'},
    )
    (bin_dir / "git").chmod(stat.S_IRWXU)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, log


def git_runs(log: Path) -> list[list[str]]:
    """The git command lines logged, each without the options before the command."""
    runs = []
    for line in log.read_text().splitlines() if log.exists() else []:
        words = line.split()
        while words and words[0].startswith("-"):
            words = words[2:] if words[0] == "-c" else words[1:]
        runs.append(words)
    log.unlink(missing_ok=True)
    return runs


def test_a_url_template_is_cloned_once_without_blobs_or_checkout(tmp_path: Path) -> None:
    template = git_template(tmp_path, {})
    project = tmp_path / "project"
    start_project("shop", project, template=recorded(template, "url"))
    env, log = logging_git(tmp_path)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")

    def regenerate() -> list[list[str]]:
        completed = run_cli(
            "regenerate-asgi", "--project-dir", str(project), cwd=project, env=env, module=True
        )
        assert completed.returncode == 0, completed.stderr
        return git_runs(log)

    first = regenerate()
    commands = [run[0] for run in first]
    assert "cat-file" in commands and "ls-tree" in commands
    assert "checkout" not in commands and "worktree" not in commands  # no work tree at all
    clones = [run for run in first if run[0] == "clone"]
    assert len(clones) == 1 and {"--bare", "--filter=blob:none"} <= set(clones[0])
    # The clone in the user's cache lacks the blobs of every file it did not render from.
    (cached,) = (tmp_path / "cache" / "thibaud-cli" / "templates").glob("*.git")
    missing = git(cached, "rev-list", "--objects", "--all", "--missing=print").split()
    assert sum(line.startswith("?") for line in missing) > 10
    # Again: the commit is in the cache, its blobs too: nothing is fetched.
    again = [run[0] for run in regenerate()]
    assert "clone" not in again and "fetch" not in again
    # A commit the cache lacks is fetched, not cloned again.
    git_commit_all(template, "v2", tag="v2")
    answers = project / ".thibaud-answers.yml"
    answers.write_text(answers.read_text().replace("_template_commit: v1", "_template_commit: v2"))
    later = [run[0] for run in regenerate()]
    assert "clone" not in later and later.count("fetch") >= 1


def test_a_url_git_cannot_reach_is_named_in_one_line(tmp_path: Path) -> None:
    template = git_template(tmp_path, {})
    project = tmp_path / "project"
    start_project("shop", project, template=recorded(template, "url"))
    shutil.rmtree(template)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    before = (project / "shop" / "asgi.py").read_bytes()
    completed = run_cli(
        "regenerate-asgi", "--project-dir", str(project), cwd=project, env=env, module=True
    )
    assert completed.returncode == 1
    assert f"git could not fetch the template from file://{template}:" in completed.stderr
    assert "Traceback" not in completed.stderr and len(completed.stderr.splitlines()) == 1
    assert (project / "shop" / "asgi.py").read_bytes() == before


def test_the_bundled_template_renders_its_candidates_in_place(tmp_path: Path) -> None:
    answers = project_answers(Path(copy_bundled_template(tmp_path / "bundled")), tmp_path)
    answers = Answers(**{**answers.__dict__, "template": "bundled"})
    renderer, listing = assert_same_as_whole(answers, tmp_path)
    assert renderer.source.copied is None
    assert renderer.source.sources is not None
    assert ASGI in renderer.source.sources and "manage.py.jinja" not in renderer.source.sources


def test_a_plain_directory_template_renders_its_candidates_in_place(tmp_path: Path) -> None:
    template = copy_bundled_template(tmp_path / "template")
    renderer, listing = assert_same_as_whole(project_answers(template, tmp_path), tmp_path)
    assert renderer.source.copied is None
    assert renderer.source.sources is not None and ASGI in renderer.source.sources


def test_a_templated_asgi_file_name_is_a_candidate(tmp_path: Path, form: str) -> None:
    config = (copy_bundled_template(tmp_path / "read") / "copier.yml").read_text()
    template = git_template(
        tmp_path,
        {
            "copier.yml": config + "\nasgi_module:\n  type: str\n  default: asgi\n",
            "{{ project_name }}/{{ asgi_module }}.py.jinja": (
                Path(tmp_path / "read" / ASGI).read_text()
            ),
        },
        remove=(ASGI,),
    )
    renderer, listing = assert_same_as_whole(project_answers(template, tmp_path, form), tmp_path)
    assert "{{ project_name }}/{{ asgi_module }}.py.jinja" in listing


def test_a_template_included_by_name_is_copied_out(tmp_path: Path, form: str) -> None:
    source = (copy_bundled_template(tmp_path / "read") / ASGI).read_text()
    config = (tmp_path / "read" / "copier.yml").read_text()
    template = git_template(
        tmp_path,
        {
            "copier.yml": config.replace("  - .DS_Store\n", "  - .DS_Store\n  - partials\n"),
            ASGI: '{% include "partials/header.jinja" %}\n' + source,
            "partials/header.jinja": (
                '{% from "partials/macros.jinja" import hello with context %}{{ hello() }}\n'
            ),
            "partials/macros.jinja": (
                "{% macro hello() %}# Hello from {{ project_name }}{% endmacro %}"
            ),
        },
    )
    renderer, listing = assert_same_as_whole(project_answers(template, tmp_path, form), tmp_path)
    assert {"partials/header.jinja", "partials/macros.jinja"} <= set(listing)


def test_a_computed_include_renders_from_copiers_clone(tmp_path: Path, form: str) -> None:
    source = (copy_bundled_template(tmp_path / "read") / ASGI).read_text()
    template = git_template(
        tmp_path,
        {
            ASGI: '{% set part = "header" %}{% include "partials/" ~ part ~ ".jinja" %}\n' + source,
            "partials/header.jinja": "# {{ project_name }}\n",
        },
    )
    renderer, listing = assert_same_as_whole(project_answers(template, tmp_path, form), tmp_path)
    assert renderer.source.copied is None
    assert renderer.source.template.kind == ("local" if form == "path" else "git")
    assert renderer.source.vcs_ref == "v1"  # copier's clone, at the recorded commit


def test_both_chains_render_from_one_clone_of_copiers(tmp_path: Path, form: str) -> None:
    """A template only copier's clone renders: add-asgi-middleware renders the old and
    the new chain from one checkout of it, not one each."""
    source = (copy_bundled_template(tmp_path / "read") / ASGI).read_text()
    template = git_template(
        tmp_path,
        {ASGI: '{% set part = "header" %}{% include "partials/" ~ part ~ ".jinja" %}\n' + source},
    )
    build_file_tree(template, {"partials/header.jinja": "# {{ project_name }}\n"})
    git_commit_all(template, "v1 with its partial", tag="v1.1")
    project = tmp_path / "project"
    start_project("shop", project, template=recorded(template, form))
    env, log = logging_git(tmp_path)
    completed = run_cli(
        "add-asgi-middleware",
        "--no-verify",
        "shop.passthrough:First",
        "--project-dir",
        str(project),
        cwd=project,
        env=env,
        module=True,
    )
    assert completed.returncode == 0, completed.stderr
    assert "application = First(application)" in (project / "shop" / "asgi.py").read_text()
    runs = git_runs(log)
    # copier's clone: a local one checked out, a remote one's cached mirror as a worktree.
    checkouts = [run for run in runs if run[0] == "checkout" or run[:2] == ["worktree", "add"]]
    assert len(checkouts) == 1, runs


def test_an_include_the_copy_lacks_falls_back_to_copiers_clone(tmp_path: Path, form: str) -> None:
    # Other delimiters: the include is not seen by name, so the copy lacks it and the
    # render fails with TemplateNotFound, then renders from copier's clone.
    template = build_file_tree(
        tmp_path / "template",
        {
            "copier.yml": (
                "_envops:\n  block_start_string: '[%'\n  block_end_string: '%]'\n"
                "  variable_start_string: '[['\n  variable_end_string: ']]'\n"
                "_exclude: [copier.yml, partials]\n"
                "project_name: {type: str}\n"
                "asgi_middleware_imports: {type: yaml, default: []}\n"
            ),
            "[[ project_name ]]/asgi.py.jinja": (
                '[% include "partials/body.jinja" %][% for line in asgi_middleware_imports %]'
                "\n[[ line ]][% endfor %]\n"
            ),
            "partials/body.jinja": "application = '[[ project_name ]]'\n",
        },
    )
    git_commit_all(template, "v1", tag="v1")
    answers = bare_answers(template, form)
    with asgi_renderer(answers) as renderer:
        assert renderer.source.copied is not None
        assert "partials/body.jinja" not in renderer.source.copied
        first = renderer.render(())
        assert renderer.source.copied is None  # the fallback, kept for the next chain
        second = renderer.render(CHAINS[1])
    assert first == whole_render(answers, (), tmp_path)
    assert first.startswith("application = 'shop'\n")
    assert second == whole_render(answers, CHAINS[1], tmp_path)
    assert "import First" in second


def test_a_subdirectory_template(tmp_path: Path, form: str) -> None:
    bundled = copy_bundled_template(tmp_path / "read")
    template = tmp_path / "template"
    shutil.copytree(bundled, template / "template")
    (template / "template" / "copier.yml").rename(template / "copier.yml")
    with (template / "copier.yml").open("a") as config:
        config.write("\n_subdirectory: template\n")
    # Outside the subdirectory: copied (copier's sibling check looks there), not rendered.
    build_file_tree(template, {"docs/asgi.py.jinja": "not the project's\n"})
    git_commit_all(template, "v1", tag="v1")
    renderer, listing = assert_same_as_whole(project_answers(template, tmp_path, form), tmp_path)
    assert renderer.source.sources is not None and ASGI in renderer.source.sources
    assert "docs/asgi.py.jinja" not in renderer.source.sources
    assert f"template/{ASGI}" in listing


def test_attributes_that_change_a_checkout_render_from_copiers_clone(
    tmp_path: Path, form: str
) -> None:
    source = (copy_bundled_template(tmp_path / "read") / ASGI).read_text()
    # git writes the blob's id into $Id$ on checkout (the ident attribute).
    template = git_template(
        tmp_path, {".gitattributes": "*.jinja ident\n", ASGI: "# $Id$\n" + source}
    )
    answers = project_answers(template, tmp_path, form)
    renderer, _ = assert_same_as_whole(answers, tmp_path)
    assert renderer.source.copied is None
    assert whole_render(answers, (), tmp_path).startswith("# $Id: ")  # a copy would lack it


def test_copier_conf_renders_from_copiers_clone(tmp_path: Path, form: str) -> None:
    source = (copy_bundled_template(tmp_path / "read") / ASGI).read_text()
    template = git_template(tmp_path, {ASGI: "# {{ _copier_conf.vcs_ref_hash }}\n" + source})
    renderer, listing = assert_same_as_whole(project_answers(template, tmp_path, form), tmp_path)
    assert renderer.source.copied is None


def test_a_symlink_in_the_tree_renders_the_whole_template(tmp_path: Path, form: str) -> None:
    template = copy_bundled_template(tmp_path / "template")
    (template / "docs").mkdir()
    (template / "docs" / "readme.md").symlink_to("../README.md.jinja")
    git_commit_all(template, "v1", tag="v1")
    renderer, listing = assert_same_as_whole(project_answers(template, tmp_path, form), tmp_path)
    assert renderer.source.copied is None and renderer.source.sources is None


def test_copiers_answers_file_is_not_copied_out(tmp_path: Path, form: str) -> None:
    # It reads _copier_answers (the commit, the source): were it a candidate, the
    # copy could not be used.
    answers_file = "{{ _copier_conf.answers_file }}.jinja"
    template = git_template(tmp_path, {answers_file: "{{ _copier_answers|to_nice_yaml }}"})
    renderer, listing = assert_same_as_whole(project_answers(template, tmp_path, form), tmp_path)
    assert renderer.source.copied is not None and answers_file not in listing
