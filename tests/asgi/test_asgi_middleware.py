"""add/remove/list-asgi-middleware and regenerate-asgi on generated projects (no server)."""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.errors import ThibaudCliError
from thibaud_cli.project.answers import ANSWERS_FILENAME

PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"
CORRELATION = "asgi_correlation_id:CorrelationIdMiddleware"
MakeProject = Callable[..., Path]


def invoke(runner: CliRunner, project: Path, *args: str) -> Result:
    return runner.invoke(main, [*args, "--project-dir", str(project)])


def asgi(project: Path, name: str = "mysite") -> str:
    return (project / name / "asgi.py").read_text()


#: Where the bundled template's asgi.py starts the chain; the request guard above it is
#: the template's own, around Thibaud's handler whatever the chain.
CHAIN_MARKER = "# ASGI middleware, managed by"


def wrap_calls(source: str) -> list[str]:
    """The names the chain wraps ``application`` in, innermost first (in a module with
    the bundled template's marker, the wraps after it)."""
    lines = source.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith(CHAIN_MARKER)), 0)
    names = []
    for node in ast.parse(source).body:
        if (
            node.lineno > start
            and isinstance(node, ast.Assign)
            and getattr(node.targets[0], "id", None) == "application"
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.args
            and getattr(node.value.args[0], "id", None) == "application"
        ):
            names.append(node.value.func.id)
    return names


def test_add_records_the_chain_and_wraps_after_the_application(
    runner: CliRunner, project: Path
) -> None:
    result = invoke(
        runner, project, "add-asgi-middleware", PROXY, "--option", 'trusted_hosts=["10.0.0.1"]'
    )
    assert result.exit_code == 0, result.output
    result = invoke(runner, project, "add-asgi-middleware", CORRELATION.replace(":", "."))
    assert result.exit_code == 0, result.output
    source = asgi(project)
    assert wrap_calls(source) == ["ProxyHeadersMiddleware", "CorrelationIdMiddleware"]
    lines = source.splitlines()
    app_line = lines.index("application = get_asgi_application()")
    settings_line = lines.index(
        'os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "mysite.settings")'
    )
    import_lines = [
        i for i, line in enumerate(lines) if line.startswith("from ") and "noqa: E402" in line
    ]
    assert len(import_lines) == 2 and min(import_lines) > app_line > settings_line
    assert 'application = ProxyHeadersMiddleware(application, trusted_hosts=["10.0.0.1"])' in lines
    document = yaml.safe_load((project / ANSWERS_FILENAME).read_text())
    assert document["asgi_middleware"] == [
        {"spec": PROXY, "options": {"trusted_hosts": '["10.0.0.1"]'}},
        {"spec": CORRELATION},
    ]
    listing = invoke(runner, project, "list-asgi-middleware")
    assert listing.output.splitlines() == [
        f'1. {PROXY} (trusted_hosts=["10.0.0.1"])',
        f"2. {CORRELATION}",
    ]


def test_remove_unwraps_and_an_empty_chain_is_the_fresh_file(
    runner: CliRunner, project: Path
) -> None:
    fresh = asgi(project)
    assert invoke(runner, project, "add-asgi-middleware", PROXY).exit_code == 0
    assert invoke(runner, project, "add-asgi-middleware", CORRELATION).exit_code == 0
    result = invoke(runner, project, "remove-asgi-middleware", PROXY)
    assert result.exit_code == 0, result.output
    assert wrap_calls(asgi(project)) == ["CorrelationIdMiddleware"]
    assert "proxy_headers" not in asgi(project)
    assert invoke(runner, project, "remove-asgi-middleware", CORRELATION).exit_code == 0
    assert asgi(project) == fresh
    assert invoke(runner, project, "list-asgi-middleware").output == "No ASGI middleware.\n"


def test_dry_run_prints_the_diff_and_writes_nothing(runner: CliRunner, project: Path) -> None:
    before = tree_snapshot(project)
    result = invoke(runner, project, "add-asgi-middleware", PROXY, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("--- a/mysite/asgi.py\n+++ b/mysite/asgi.py\n")
    assert "+application = ProxyHeadersMiddleware(application)" in result.output
    assert tree_snapshot(project) == before
    assert invoke(runner, project, "add-asgi-middleware", PROXY).exit_code == 0
    before = tree_snapshot(project)
    removal = invoke(runner, project, "remove-asgi-middleware", PROXY, "--dry-run")
    assert "-application = ProxyHeadersMiddleware(application)" in removal.output
    assert tree_snapshot(project) == before


def test_a_development_key_in_a_dry_runs_context_is_masked(
    runner: CliRunner, project: Path
) -> None:
    # The user keeps a development key right above MIDDLEWARE: the diff's context.
    key = "k3y-of-the-developer-0123456789abcdefghijklmnopqrst"
    settings = project / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text().replace(
            "MIDDLEWARE = [", f'FALLBACK_KEY = "thibaud-insecure-{key}"\nMIDDLEWARE = [', 1
        )
    )
    before = tree_snapshot(project)
    result = invoke(
        runner, project, "add-middleware", "thibaud.middleware.gzip.GZipMiddleware", "--dry-run"
    )
    assert result.exit_code == 0, result.output
    assert ' FALLBACK_KEY = "thibaud-insecure-******"\n MIDDLEWARE = [\n' in result.output
    assert key not in result.output
    assert tree_snapshot(project) == before


def test_user_edits_above_inside_and_below_the_block_survive(
    runner: CliRunner, project: Path
) -> None:
    path = project / "mysite" / "asgi.py"
    assert invoke(runner, project, "add-asgi-middleware", PROXY).exit_code == 0
    assert invoke(runner, project, "add-asgi-middleware", CORRELATION).exit_code == 0
    source = path.read_text()
    source = source.replace(
        "import os\n", "import logging\nimport os\n\nlogger = logging.getLogger(__name__)\n"
    )
    source = source.replace(
        "application = ProxyHeadersMiddleware(application)\n",
        "application = ProxyHeadersMiddleware(application)\n# my note inside the block\n",
    )
    source += "\n\ndef answer() -> int:\n    return 42\n"
    path.write_text(source)
    edits = ["logger = logging.getLogger(__name__)", "# my note inside the block", "    return 42"]

    assert (
        invoke(runner, project, "add-asgi-middleware", "servestatic:ServeStaticASGI").exit_code == 0
    )
    after_add = path.read_text()
    assert all(edit in after_add for edit in edits)
    assert wrap_calls(after_add) == [
        "ProxyHeadersMiddleware",
        "CorrelationIdMiddleware",
        "ServeStaticASGI",
    ]

    assert (
        invoke(runner, project, "remove-asgi-middleware", "servestatic.ServeStaticASGI").exit_code
        == 0
    )
    after_remove = path.read_text()
    assert all(edit in after_remove for edit in edits)
    assert wrap_calls(after_remove) == ["ProxyHeadersMiddleware", "CorrelationIdMiddleware"]
    ast.parse(after_remove)


def test_a_conflict_writes_nothing_and_shows_the_hunk(runner: CliRunner, project: Path) -> None:
    assert invoke(runner, project, "add-asgi-middleware", PROXY).exit_code == 0
    path = project / "mysite" / "asgi.py"
    path.write_text(
        path.read_text().replace(
            "application = ProxyHeadersMiddleware(application)",
            'application = ProxyHeadersMiddleware(application, trusted_hosts="*")',
        )
    )
    before = tree_snapshot(project)
    result = invoke(runner, project, "remove-asgi-middleware", PROXY)
    assert result.exit_code == 1
    assert "conflicts with your edits" in result.output and "nothing was written" in result.output
    assert "<<<<<<< ours" in result.output and ">>>>>>> template" in result.output
    assert 'trusted_hosts="*"' in result.output
    assert tree_snapshot(project) == before


def test_duplicates_are_refused_unless_allowed(runner: CliRunner, project: Path) -> None:
    assert invoke(runner, project, "add-asgi-middleware", PROXY).exit_code == 0
    before = tree_snapshot(project)
    refused = invoke(runner, project, "add-asgi-middleware", PROXY.replace(":", "."))
    assert refused.exit_code == 1
    assert "already in the chain" in refused.output and "--allow-duplicate" in refused.output
    assert tree_snapshot(project) == before
    allowed = invoke(runner, project, "add-asgi-middleware", PROXY, "--allow-duplicate")
    assert allowed.exit_code == 0, allowed.output
    assert wrap_calls(asgi(project)) == ["ProxyHeadersMiddleware", "ProxyHeadersMiddleware"]
    assert invoke(runner, project, "remove-asgi-middleware", PROXY).exit_code == 0
    assert wrap_calls(asgi(project)) == ["ProxyHeadersMiddleware"]


def test_removing_an_absent_middleware_lists_the_chain(runner: CliRunner, project: Path) -> None:
    assert invoke(runner, project, "add-asgi-middleware", PROXY).exit_code == 0
    before = tree_snapshot(project)
    result = invoke(runner, project, "remove-asgi-middleware", CORRELATION)
    assert result.exit_code == 1
    assert f"{CORRELATION} is not in the chain (1. {PROXY})" in result.output
    assert tree_snapshot(project) == before


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (
            "nosuchpackage_xyz.middleware:Thing",
            "Module 'nosuchpackage_xyz.middleware' was not found",
        ),
        (
            "uvicorn.middleware.proxy_headers:NoSuchMiddleware",
            "has no attribute 'NoSuchMiddleware'",
        ),
        ("mysite.broken:Middleware", "failed to import: ZeroDivisionError"),
    ],
)
def test_verification_names_what_is_missing(
    runner: CliRunner, project: Path, spec: str, fragment: str
) -> None:
    (project / "mysite" / "broken.py").write_text("1 / 0\n")
    before = tree_snapshot(project)
    result = invoke(runner, project, "add-asgi-middleware", spec)
    assert result.exit_code == 1
    assert fragment in result.output
    assert tree_snapshot(project) == before


def test_missing_module_suggests_installing_it(runner: CliRunner, project: Path) -> None:
    result = invoke(
        runner, project, "add-asgi-middleware", "sentry_sdk_xyz.integrations.asgi.Sentry"
    )
    assert "pip install sentry-sdk-xyz" in result.output


def test_verification_imports_in_a_subprocess_not_in_the_cli(
    runner: CliRunner, project: Path
) -> None:
    marker = project / "imported-by.txt"
    (project / "mysite" / "sideeffect.py").write_text(
        "import os, pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text(str(os.getpid()))\n"
        "class Middleware:\n"
        "    def __init__(self, app):\n        self.app = app\n"
        "    async def __call__(self, scope, receive, send):\n"
        "        await self.app(scope, receive, send)\n"
    )
    result = invoke(runner, project, "add-asgi-middleware", "mysite.sideeffect.Middleware")
    assert result.exit_code == 0, result.output
    import os

    assert marker.read_text() != str(os.getpid())
    assert "mysite.sideeffect" not in sys.modules


def test_no_verify_skips_the_check(runner: CliRunner, project: Path) -> None:
    result = invoke(runner, project, "add-asgi-middleware", "not_installed_yet.mw:M", "--no-verify")
    assert result.exit_code == 0, result.output
    assert "from not_installed_yet.mw import M  # noqa: E402" in asgi(project)


def test_references_become_imports_and_are_verified(runner: CliRunner, project: Path) -> None:
    (project / "mysite" / "hooks.py").write_text("def on_request(span, scope):\n    pass\n")
    result = invoke(
        runner,
        project,
        "add-asgi-middleware",
        CORRELATION,
        "-o",
        "generator=@mysite.hooks.on_request",
    )
    assert result.exit_code == 0, result.output
    source = asgi(project)
    assert "from mysite.hooks import on_request  # noqa: E402" in source
    assert "application = CorrelationIdMiddleware(application, generator=on_request)" in source
    missing = invoke(runner, project, "add-asgi-middleware", PROXY, "-o", "x=@mysite.hooks.nothing")
    assert missing.exit_code == 1 and "has no attribute 'nothing'" in missing.output


@pytest.mark.parametrize(
    "hostile",
    ['"); import os; os.system("id', "line\nbreak", "'; import os #", '\\"', "${HOME}`id`"],
)
def test_hostile_option_values_end_up_as_string_literals(
    runner: CliRunner, project: Path, hostile: str
) -> None:
    result = invoke(
        runner, project, "add-asgi-middleware", CORRELATION, "-o", f"header_name={hostile!r}"
    )
    assert result.exit_code == 0, result.output
    tree = ast.parse(asgi(project))
    calls = [
        n.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
    ]
    keyword = calls[-1].keywords[0]
    assert isinstance(keyword.value, ast.Constant) and keyword.value.value == hostile
    assert not any(
        isinstance(n, ast.Import) and n.names[0].name == "os" and n.lineno > 20 for n in tree.body
    )


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["add-asgi-middleware", "NoModule"], 2, "needs a module and a name"),
        (["add-asgi-middleware", "a.b:C:D"], 2, "use one ':' at most"),
        (["add-asgi-middleware", "a.b.C", "-o", "noequals"], 2, "expected KEY=VALUE"),
        (
            ["add-asgi-middleware", "a.b.C", "-o", "bad-key=1"],
            2,
            "not a valid keyword argument name",
        ),
        (["add-asgi-middleware", "a.b.C", "-o", "x=bare"], 2, "neither a Python literal"),
        (["add-asgi-middleware", "a.b.C", "-o", "x=1", "-o", "x=2"], 2, "given twice"),
        (["remove-asgi-middleware", "x"], 2, "needs a module and a name"),
    ],
)
def test_bad_specs_and_options_are_refused(
    runner: CliRunner, project: Path, args: list[str], code: int, fragment: str
) -> None:
    before = tree_snapshot(project)
    result = invoke(runner, project, *args)
    assert result.exit_code == code, result.output
    assert fragment in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert tree_snapshot(project) == before


def test_outside_a_project(runner: CliRunner, tmp_path: Path) -> None:
    # No answers file, and no module that binds application: nothing to find, nothing written.
    for command in (
        ["add-asgi-middleware", PROXY],
        ["remove-asgi-middleware", PROXY],
        ["list-asgi-middleware"],
        ["regenerate-asgi"],
        ["add-middleware", "thibaud.middleware.gzip.GZipMiddleware"],
        ["remove-middleware", "thibaud.middleware.gzip.GZipMiddleware"],
        ["list-middleware"],
    ):
        result = invoke(runner, tmp_path, *command)
        assert result.exit_code == 1, command
        assert result.output.count("\n") == 1, result.output
        if command[0].endswith("-asgi-middleware") or command[0] == "regenerate-asgi":
            assert result.output.startswith("Error: No ASGI module found in"), result.output
            assert "--asgi-module" in result.output
        else:
            # The MIDDLEWARE setting's commands need the settings module only.
            assert result.output.startswith("Error: No settings module found in"), result.output
            assert "--project-dir DIR" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("_template: [unclosed\n", "is not valid YAML"),
        ("- a list\n", "must be a YAML mapping"),
        ("_template: bundled\n", "'project_name' is missing"),
        ("_template: bundled\nproject_name: mysite\nasgi_middleware: {}\n", "must be a list"),
        (
            "_template: bundled\nproject_name: mysite\nasgi_middleware: [{spec: 'x'}]\n",
            "asgi_middleware[0]",
        ),
        (
            "_template: bundled\nproject_name: mysite\n"
            "asgi_middleware: [{spec: 'a.B', options: {x: 'os.system(1)'}}]\n",
            "neither a Python literal",
        ),
    ],
)
def test_a_corrupt_answers_file_is_one_clear_line(
    runner: CliRunner, project: Path, content: str, fragment: str
) -> None:
    (project / ANSWERS_FILENAME).write_text(content)
    before = tree_snapshot(project)
    result = invoke(runner, project, "add-asgi-middleware", PROXY)
    assert result.exit_code == 1
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert tree_snapshot(project) == before


def test_a_missing_asgi_py_is_reported_and_regenerated(runner: CliRunner, project: Path) -> None:
    assert invoke(runner, project, "add-asgi-middleware", PROXY).exit_code == 0
    expected = asgi(project)
    (project / "mysite" / "asgi.py").unlink()
    result = invoke(runner, project, "add-asgi-middleware", CORRELATION)
    assert result.exit_code == 1
    assert "mysite/asgi.py is missing" in result.output and "regenerate-asgi" in result.output
    regenerated = invoke(runner, project, "regenerate-asgi")
    assert regenerated.exit_code == 0, regenerated.output
    assert asgi(project) == expected
    again = invoke(runner, project, "regenerate-asgi")
    assert again.output == "mysite/asgi.py is up to date.\n"


@pytest.mark.parametrize("interrupted", [1, 2], ids=["first-rename", "second-rename"])
def test_an_interrupt_at_either_rename_leaves_both_files_as_they_were(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch, interrupted: int
) -> None:
    # asgi.py and the answers file are replaced by two renames: Ctrl-C at either
    # undoes the other before the command ends (the fault suite covers every write).
    before = tree_snapshot(project)
    real_replace = os.replace
    renames = []

    def replace(source: object, destination: object) -> None:
        if "transaction/new" in str(source):  # a move into the project, not an undo
            renames.append(destination)
            if len(renames) == interrupted:
                raise KeyboardInterrupt
        real_replace(source, destination)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", replace)
        result = invoke(runner, project, "add-asgi-middleware", PROXY, "--no-verify")
    assert result.exit_code == 1
    assert len(renames) == interrupted
    assert tree_snapshot(project) == before
    assert invoke(runner, project, "list-asgi-middleware").output == "No ASGI middleware.\n"


CUSTOM_TEMPLATE = {
    "copier.yml": "_templates_suffix: .jinja\n",
    "{{ project_name }}/__init__.py": "",
    "{{ project_name }}/settings.py.jinja": 'SECRET_KEY = "{{ secret_key }}"\n',
    "{{ project_name }}/asgi.py.jinja": (
        "import os\n\nfrom thibaud.core.asgi import get_asgi_application\n\n"
        'os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "{{ project_name }}.settings")\n'
        "application = get_asgi_application()\n"
        "# middleware:\n"
        "{% for line in asgi_middleware_imports %}{{ line }}\n{% endfor %}"
        "{% for line in asgi_middleware_wraps %}{{ line }}\n{% endfor %}"
        "# end\n"
    ),
}


def test_works_on_a_project_from_a_custom_template(
    runner: CliRunner, make_project: MakeProject, tmp_path: Path
) -> None:
    template = build_file_tree(tmp_path / "custom", CUSTOM_TEMPLATE)
    project = make_project("shop", template=str(template))
    path = project / "shop" / "asgi.py"
    path.write_text(path.read_text() + "# tail kept\n")
    assert invoke(runner, project, "add-asgi-middleware", PROXY).exit_code == 0
    assert invoke(runner, project, "add-asgi-middleware", CORRELATION).exit_code == 0
    assert wrap_calls(path.read_text()) == ["ProxyHeadersMiddleware", "CorrelationIdMiddleware"]
    assert invoke(runner, project, "remove-asgi-middleware", PROXY).exit_code == 0
    assert wrap_calls(path.read_text()) == ["CorrelationIdMiddleware"]
    assert path.read_text().endswith("# end\n# tail kept\n")


def test_library_errors_are_the_projects_own(project: Path) -> None:
    from thibaud_cli import add_asgi_middleware

    with pytest.raises(ThibaudCliError):
        add_asgi_middleware(project, "nosuch_pkg.mw:M")


def test_the_project_stays_ruff_clean_with_its_own_and_third_party_middleware(
    runner: CliRunner, project: Path
) -> None:
    import subprocess

    ruff = str(Path(sys.executable).parent / "ruff")
    for spec in ("mysite.asgi_guard.RequestGuard", PROXY, CORRELATION):
        assert invoke(runner, project, "add-asgi-middleware", spec).exit_code == 0
    source = asgi(project)
    # isort's sections: third-party imports, a blank line, then the project's own.
    assert (
        "from asgi_correlation_id import CorrelationIdMiddleware  # noqa: E402\n"
        "from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware  # noqa: E402\n"
        "\n"
        "from mysite.asgi_guard import RequestGuard  # noqa: E402\n"
    ) in source
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *command], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    # And with the header-name adapter the command writes for Starlette's GZip.
    gzip = "starlette.middleware.gzip.GZipMiddleware"
    assert invoke(runner, project, "add-asgi-middleware", gzip).exit_code == 0
    assert (project / "mysite" / "asgi_headers.py").is_file()
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *command], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_template_trusted_at_generation_needs_trust_again_to_re_render(
    runner: CliRunner, make_project: MakeProject, tmp_path: Path
) -> None:
    spec = dict(CUSTOM_TEMPLATE)
    spec["copier.yml"] += "_jinja_extensions:\n  - jinja2.ext.debug\n"
    template = build_file_tree(tmp_path / "with-extension", spec)
    generated = runner.invoke(
        main,
        ["startproject", "shop", str(tmp_path / "shop"), "--template", str(template), "--trust"],
    )
    assert generated.exit_code == 0, generated.output
    project = tmp_path / "shop"
    before = tree_snapshot(project)
    refused = invoke(runner, project, "add-asgi-middleware", PROXY)
    assert refused.exit_code == 1
    assert "jinja_extensions" in refused.output and "pass --trust" in refused.output
    assert tree_snapshot(project) == before
    trusted = invoke(runner, project, "add-asgi-middleware", PROXY, "--trust")
    assert trusted.exit_code == 0, trusted.output
    assert wrap_calls((project / "shop" / "asgi.py").read_text()) == ["ProxyHeadersMiddleware"]


GUARD = "mysite.asgi_guard.RequestGuard"
# Imports the project's application and counts the request guards a request goes
# through, following each layer's wrapped application.
COUNT_GUARDS = """
import mysite.asgi
from mysite.asgi_guard import RequestGuard

layer, guards = mysite.asgi.application, 0
while layer is not None:
    guards += isinstance(layer, RequestGuard)
    layer = getattr(layer, "app", None) or getattr(layer, "application", None)
print(guards)
"""


def guards_in(project: Path) -> int:
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(project), "THIBAUD_DEBUG": "0"}
    env.pop("THIBAUD_SETTINGS_MODULE", None)
    env["THIBAUD_SECRET_KEY"] = "k" * 50
    result = subprocess.run(
        [sys.executable, "-c", COUNT_GUARDS],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def test_the_guard_is_built_in_and_added_again_checks_once(
    runner: CliRunner, project: Path
) -> None:
    """asgi.py wraps Thibaud's handler in the guard, for every server; the guard added
    with add-asgi-middleware too (as the README once said to) takes its place rather
    than checking each request twice, and removing it leaves the built-in one."""
    assert "application = RequestGuard(application)\n" in asgi(project)
    assert wrap_calls(asgi(project)) == []
    assert guards_in(project) == 1
    assert invoke(runner, project, "add-asgi-middleware", GUARD).exit_code == 0
    assert wrap_calls(asgi(project)) == ["RequestGuard"]
    assert guards_in(project) == 1
    assert invoke(runner, project, "remove-asgi-middleware", GUARD).exit_code == 0
    assert guards_in(project) == 1


def test_regenerate_puts_back_a_wrap_deleted_by_hand(runner: CliRunner, project: Path) -> None:
    # Not the request guard: asgi.py wraps the application in it outside the chain.
    for spec in (CORRELATION, PROXY):
        assert invoke(runner, project, "add-asgi-middleware", spec).exit_code == 0
    added = asgi(project)
    path = project / "mysite" / "asgi.py"
    # As `sed -i '/= CorrelationIdMiddleware(/d'`, with an edit of the user's elsewhere.
    edited = added.replace("application = CorrelationIdMiddleware(application)\n", "")
    path.write_text(edited + "# my own line\n")
    listed = invoke(runner, project, "list-asgi-middleware")
    assert "no longer has 'application = CorrelationIdMiddleware(application)'" in listed.output
    assert "or run regenerate-asgi" in listed.output
    regenerated = invoke(runner, project, "regenerate-asgi")
    assert regenerated.exit_code == 0, regenerated.output
    assert "up to date" not in regenerated.output
    assert asgi(project) == added + "# my own line\n"
    assert "Warning" not in invoke(runner, project, "list-asgi-middleware").output
    assert invoke(runner, project, "regenerate-asgi").output == "mysite/asgi.py is up to date.\n"
    # Both wraps and their imports gone: all of it comes back.
    bare = added.replace("application = CorrelationIdMiddleware(application)\n", "")
    for line in added.splitlines(keepends=True):
        if "ProxyHeadersMiddleware" in line or "CorrelationIdMiddleware" in line:
            bare = bare.replace(line, "")
    path.write_text(bare)
    assert invoke(runner, project, "regenerate-asgi").exit_code == 0
    assert asgi(project) == added
    # An option changed by hand is the user's edit: kept, while a deleted wrap comes back.
    changed = added.replace(
        "ProxyHeadersMiddleware(application)",
        'ProxyHeadersMiddleware(application, trusted_hosts="*")',
    )
    path.write_text(changed.replace("application = CorrelationIdMiddleware(application)\n", ""))
    assert invoke(runner, project, "regenerate-asgi").exit_code == 0
    assert asgi(project) == changed


# Sends the project's whole application a declared body over the limit and a websocket
# handshake, in-process, and prints what it answered: the status, the close code.
REFUSALS = """
import asyncio
import mysite.asgi


async def answer(scope, *messages):
    sent = []

    async def receive():
        return messages[0]

    async def send(message):
        sent.append(message)

    await mysite.asgi.application(scope, receive, send)
    return sent[0].get("status", sent[0].get("code"))


http = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
    "scheme": "http", "path": "/", "raw_path": b"/", "query_string": b"", "root_path": "",
    "headers": [(b"host", b"localhost"), (b"content-length", b"999999999")],
    "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
}
websocket = {**http, "type": "websocket", "scheme": "ws", "headers": [(b"host", b"localhost")]}
del websocket["method"], websocket["http_version"]
print(asyncio.run(answer(http, {"type": "http.request", "body": b"", "more_body": True})))
print(asyncio.run(answer(websocket, {"type": "websocket.connect"})))
"""


def test_a_guard_added_after_other_middleware_is_a_second_one_that_refuses_alike(
    runner: CliRunner, project: Path
) -> None:
    """Only a guard directly around the built-in one takes its place (docs/deploying.md
    says "first in the chain"): added after another middleware, as a version 2 project's
    chain may have it, there are two, and a request over the limit or a websocket
    handshake is refused as with one."""
    env = {**os.environ, "PYTHONPATH": str(project), "THIBAUD_DEBUG": "0"}
    env.pop("THIBAUD_SETTINGS_MODULE", None)
    env["THIBAUD_SECRET_KEY"] = "k" * 50

    def refusals() -> list[str]:
        import subprocess

        result = subprocess.run(
            [sys.executable, "-c", REFUSALS],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    alone = refusals()
    assert alone == ["413", "1008"]
    for middleware in (PROXY, GUARD):
        assert invoke(runner, project, "add-asgi-middleware", middleware).exit_code == 0
    assert wrap_calls(asgi(project)) == ["ProxyHeadersMiddleware", "RequestGuard"]
    assert guards_in(project) == 2
    assert refusals() == alone
