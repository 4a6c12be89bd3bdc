"""Our copier Worker renders exactly what copier renders, only faster.

The shortcuts in ``template/engine/render.py`` (literal path parts returned as they are,
compiled strings reused, the answers file's name rendered once, a clone's ``.git``
never walked, no git subprocess per file) must not change a byte of the output.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.support.large_template import LargeTemplate, build_template
from tests.support.trees import tree_snapshot
from thibaud_cli.template.engine.render import render_template
from thibaud_cli.template.source import bundled_template_path, resolve_template

DATA = {
    "project_name": "shop",
    "secret_key": "not-secret",
    "asgi_middleware_imports": ["from shop.middleware import Timing"],
    "asgi_middleware_wraps": ["application = Timing(application)"],
}


def plain_copier(
    source: str, destination: Path, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> None:
    import copier
    import copier._main
    import copier._tools
    from copier._settings import SettingsModel

    # After each file copier runs git to fix the mode of files git tracks in the
    # destination; a new directory has none, and 1,000 subprocesses take half a minute.
    monkeypatch.setattr(copier._main, "is_git_available", lambda: False)
    # Our worker replaces copier's walk of the template; plain copier gets its own back.
    monkeypatch.setattr(copier._main, "scantree", copier._tools.scantree)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_copy(
            source,
            destination,
            data=DATA,
            defaults=True,
            quiet=True,
            settings=SettingsModel(),
            skip_tasks=True,
            **options,
        )


def assert_same_render(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> int:
    render_template(
        resolve_template(source), tmp_path / "ours", data=DATA, run_tasks=False, **options
    )
    plain_copier(source, tmp_path / "copier", monkeypatch, **options)
    ours, theirs = tree_snapshot(tmp_path / "ours"), tree_snapshot(tmp_path / "copier")
    assert ours == theirs, sorted(set(ours.items()) ^ set(theirs.items()))[:10]
    return len(ours)


def test_the_bundled_template_renders_as_copier_renders_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert assert_same_render(str(bundled_template_path()), tmp_path, monkeypatch) > 10


def test_a_large_template_renders_as_copier_renders_it(
    large_template: LargeTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain directory (git aside): the path parts, literal or templated, are the point.
    plain = tmp_path / "template"
    shutil.copytree(large_template.template, plain, ignore=shutil.ignore_patterns(".git"))
    assert assert_same_render(str(plain), tmp_path, monkeypatch) > 1000


def test_a_git_template_renders_as_copier_renders_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = build_template(tmp_path / "template", 40)
    source = f"git+file://{template}"
    assert assert_same_render(source, tmp_path, monkeypatch, vcs_ref="v1") > 40


def test_yield_and_odd_path_parts_render_as_copier_renders_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.trees import build_file_tree

    template = build_file_tree(
        tmp_path / "template",
        {
            "copier.yml": "_templates_suffix: .jinja\nproject_name:\n  type: str\n",
            "{% yield n from range(3) %}d{{ n }}{% endyield %}/plain/{{ project_name }}.txt": "x",
            "{% yield n from range(2) %}f{{ n }}{% endyield %}.txt.jinja": "{{ n }}\n",
            "{# a comment #}kept.txt": "comment in the name\n",
            "{{ '' }}skipped/never.txt": "an empty part drops the path\n",
            "literal}}name%}.txt": "closing markers alone are text\n",
            "sub/.copier-answers.yml.jinja": "{{ project_name }}\n",
            "plain.jinja.txt": "a suffix in the middle\n",
        },
    )
    assert assert_same_render(str(template), tmp_path, monkeypatch) > 5


# One compiled cache for several renders (validate-template's variants) ---------------


def render_twice_with_one_cache(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> int:
    """The second render takes every compiled source from the first one's cache, and
    still renders what copier renders."""
    from thibaud_cli.template.engine.compiled import CompiledCache

    compiled = CompiledCache()
    render_template(
        resolve_template(source), tmp_path / "first", data=DATA, run_tasks=False, compiled=compiled
    )
    cached = len(compiled)
    assert cached > 0
    render_template(
        resolve_template(source), tmp_path / "ours", data=DATA, run_tasks=False, compiled=compiled
    )
    assert len(compiled) == cached, "the second render compiled sources the first had not"
    plain_copier(source, tmp_path / "copier", monkeypatch)
    ours, theirs = tree_snapshot(tmp_path / "ours"), tree_snapshot(tmp_path / "copier")
    assert ours == theirs, sorted(set(ours.items()) ^ set(theirs.items()))[:10]
    assert tree_snapshot(tmp_path / "first") == ours
    return len(ours)


def test_a_render_from_a_shared_compiled_cache_renders_as_copier_renders_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = str(bundled_template_path())
    assert render_twice_with_one_cache(source, tmp_path, monkeypatch) > 10


def test_yield_paths_render_from_a_shared_compiled_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """copier's yield tag is forgotten when a string is compiled: a cached compile must
    forget it too, or the plain paths after a yield would repeat."""
    from tests.support.trees import build_file_tree

    template = build_file_tree(
        tmp_path / "template",
        {
            "copier.yml": "_templates_suffix: .jinja\nproject_name:\n  type: str\n",
            "{% yield n from range(3) %}d{{ n }}{% endyield %}/{{ project_name }}.txt": "x",
            "{{ project_name }}/{% yield n from range(2) %}f{{ n }}{% endyield %}.txt.jinja": (
                "{{ n }}\n"
            ),
            "{{ project_name }}/after.txt.jinja": "{{ project_name }}\n",
        },
    )
    assert render_twice_with_one_cache(str(template), tmp_path, monkeypatch) > 5


def test_templates_with_other_delimiters_never_share_compiled_code(tmp_path: Path) -> None:
    """The same file, name and source, compiled with other delimiters: other code."""
    from tests.support.trees import build_file_tree
    from thibaud_cli.template.engine.compiled import CompiledCache

    template = build_file_tree(
        tmp_path / "template", {"out.txt.jinja": "[[ project_name ]] {{ project_name }}\n"}
    )
    configs = {
        "plain": "project_name: a\n",
        "brackets": (
            "project_name: a\n_envops:\n  variable_start_string: '[['\n"
            "  variable_end_string: ']]'\n"
        ),
    }
    expected = {"plain": "[[ project_name ]] a\n", "brackets": "a {{ project_name }}\n"}
    compiled = CompiledCache()
    for run, config in enumerate(("plain", "brackets", "plain")):
        (template / "copier.yml").write_text(configs[config], "utf-8")
        destination = tmp_path / f"out-{run}"
        render_template(resolve_template(str(template)), destination, data={}, compiled=compiled)
        assert (destination / "out.txt").read_text("utf-8") == expected[config]


def test_a_cached_compile_runs_the_extensions_preprocess_hooks() -> None:
    """copier forgets a path's yield tag in its extension's preprocess hook, which
    Jinja runs on every compile: a compile served from the cache runs it too."""
    from copier._jinja_ext import YieldExtension, get_yield_context
    from jinja2.sandbox import SandboxedEnvironment

    from thibaud_cli.template.engine.compiled import CompiledCache

    compiled = CompiledCache()
    source = "{% yield n from items %}{{ n }}{% endyield %}"
    for _ in range(2):
        environment = SandboxedEnvironment(extensions=[YieldExtension])
        compiled.share(environment)
        context = get_yield_context(environment)
        context.yield_name = "left over"
        template = environment.from_string(source)
        assert context.yield_name is None
        template.render(items=[1, 2])
        assert (context.yield_name, context.yield_iterable) == ("n", [1, 2])
    assert len(compiled) == 1
