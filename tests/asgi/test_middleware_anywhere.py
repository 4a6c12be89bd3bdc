"""The middleware commands on projects no template of ours wrote (issue 23).

The framework's stock ``startproject`` output and the layouts real templates use
(``tests/support/foreign_projects.py``), with real middleware checked in the project's
interpreter. Served under Uvicorn in ``tests/integration/test_middleware_anywhere_servers.py``.
"""

from __future__ import annotations

import ast
import difflib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.support import foreign_projects
from tests.support.real_templates import django_like_template
from tests.support.trees import git, git_commit_all, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.project.chain_record import RECORD_FILENAME

PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"
GZIP = "thibaud.middleware.gzip.GZipMiddleware"


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each layout made once a module (the framework's startproject runs in a subprocess)."""
    made = {}
    for name, make in foreign_projects.LAYOUTS.items():
        made[name] = make(tmp_path_factory.mktemp(name))
        git_commit_all(made[name], "as made")
    return made


def copy_of(layouts: dict[str, Path], name: str, tmp_path: Path) -> Path:
    destination = tmp_path / name
    shutil.copytree(layouts[name], destination, symlinks=True)
    return destination


def run(runner: CliRunner, project: Path, *args: str) -> Result:
    return runner.invoke(main, [*args, "--project-dir", str(project)])


def ok(runner: CliRunner, project: Path, *args: str) -> Result:
    result = run(runner, project, *args)
    assert result.exit_code == 0, result.output
    return result


def asgi_path(project: Path, layout: str) -> Path:
    module, root, _ = foreign_projects.ENTRY[layout]
    return project / root / (module.replace(".", "/") + ".py")


def status(project: Path) -> str:
    return git(project, "status", "--porcelain", "--untracked-files=all")


@pytest.mark.parametrize("layout", list(foreign_projects.LAYOUTS))
def test_add_add_list_remove_remove_gives_the_module_back_byte_for_byte(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path, layout: str
) -> None:
    project = copy_of(layouts, layout, tmp_path)
    _, _, package = foreign_projects.ENTRY[layout]
    asgi = asgi_path(project, layout)
    original = asgi.read_bytes()

    ok(runner, project, "add-asgi-middleware", PROXY, "-o", 'trusted_hosts=["127.0.0.1"]')
    ok(runner, project, "add-asgi-middleware", f"{package}.chain:AddHeader", "-o", 'value="x"')
    listed = ok(runner, project, "list-asgi-middleware")
    assert listed.output == (
        f'1. {PROXY} (trusted_hosts=["127.0.0.1"])\n2. {package}.chain:AddHeader (value="x")\n'
    )
    text = asgi.read_text()
    tree = ast.parse(text)
    # The two wraps are the module's last two bindings of application, the later outermost.
    wraps = [
        ast.unparse(node)
        for node in tree.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "application"
    ]
    assert wraps[-2:] == [
        "application = ProxyHeadersMiddleware(application, trusted_hosts=['127.0.0.1'])",
        "application = AddHeader(application, value='x')",
    ]
    # Every line of the original is still there, in order: only lines were added.
    diff = difflib.unified_diff(original.decode().splitlines(), text.splitlines(), n=0)
    changed = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert all(line.startswith("+") for line in changed), changed
    assert sorted(line[1:] for line in changed) == sorted(
        [
            "from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware",
            "",  # the project's own imports in a group of their own
            f"from {package}.chain import AddHeader",
            *(["", ""] if layout == "config" else []),  # after a function: two blank lines
            'application = ProxyHeadersMiddleware(application, trusted_hosts=["127.0.0.1"])',
            'application = AddHeader(application, value="x")',
        ]
    )
    record = yaml.safe_load((project / RECORD_FILENAME).read_text())
    assert [entry["spec"] for entry in record["asgi_middleware"]] == [
        PROXY,
        f"{package}.chain:AddHeader",
    ]
    assert record["entry_points"]["asgi"] == foreign_projects.ENTRY[layout][0]

    ok(runner, project, "remove-asgi-middleware", PROXY)
    assert ok(runner, project, "list-asgi-middleware").output.startswith(
        f"1. {package}.chain:AddHeader"
    )
    ok(runner, project, "remove-asgi-middleware", f"{package}.chain.AddHeader")
    assert asgi.read_bytes() == original
    assert not (project / RECORD_FILENAME).exists()
    assert ok(runner, project, "list-asgi-middleware").output == "No ASGI middleware.\n"
    # Nothing else changed but the dependency added to a pyproject.toml (kept on remove).
    assert status(project) == (" M pyproject.toml\n" if layout == "src" else "")


def test_the_wraps_go_after_the_last_binding_and_the_imports_with_the_imports(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "config", tmp_path)
    ok(runner, project, "add-asgi-middleware", PROXY)
    text = (project / "config" / "asgi.py").read_text()
    # With the module's first imports, not after the late websocket import.
    assert (
        "from thibaud.core.asgi import get_asgi_application\n"
        "from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware\n\n"
        "# This allows easy placement"
    ) in text
    # After the function bound to application, two blank lines apart.
    assert text.endswith(
        "        raise NotImplementedError(msg)\n\n\n"
        "application = ProxyHeadersMiddleware(application)\n"
    )
    hand = copy_of(layouts, "hand_wrapped", tmp_path)
    ok(runner, hand, "add-asgi-middleware", PROXY)
    hand_text = (hand / "mysite" / "asgi.py").read_text()
    assert hand_text.endswith(
        '    application, root=Path(__file__).resolve().parent / "static", prefix="static/"\n'
        ")\napplication = ProxyHeadersMiddleware(application)\n"
    )
    # The hand wrap is not the chain's: listing shows only what was added.
    assert ok(runner, hand, "list-asgi-middleware").output == f"1. {PROXY}\n"


def test_dry_run_is_a_patch_git_apply_reproduces(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "src", tmp_path)
    # A module without a final newline: the patch says so, as git does.
    asgi = project / "src" / "mysite" / "asgi.py"
    asgi.write_text(asgi.read_text().rstrip("\n"))
    git_commit_all(project, "no final newline")
    original = asgi.read_bytes()
    before = tree_snapshot(project)
    patch = ok(runner, project, "add-asgi-middleware", PROXY, "--dry-run").output
    assert tree_snapshot(project) == before
    assert "--- /dev/null\n+++ b/.thibaud-middleware.yml\n" in patch
    assert "+++ b/pyproject.toml\n" in patch and '+    "uvicorn>=' in patch
    assert "\\ No newline at end of file\n" in patch
    applied = copy_of({"src": project}, "src", tmp_path / "applied")
    subprocess.run(["git", "apply"], input=patch.encode(), cwd=applied, check=True)
    ok(runner, project, "add-asgi-middleware", PROXY)
    for name in ("src/mysite/asgi.py", RECORD_FILENAME, "pyproject.toml"):
        assert (applied / name).read_bytes() == (project / name).read_bytes(), name
    # And the removal's patch, which deletes the record, applies too.
    patch = ok(runner, project, "remove-asgi-middleware", PROXY, "--dry-run").output
    assert "+++ /dev/null" in patch
    subprocess.run(["git", "apply"], input=patch.encode(), cwd=applied, check=True)
    assert not (applied / RECORD_FILENAME).exists()
    assert (applied / "src/mysite/asgi.py").read_bytes() == original


STARLETTE_GZIP = "starlette.middleware.gzip:GZipMiddleware"
ADAPTER = "mysite.asgi_headers:LowercaseHeaderNames"


def test_the_header_name_adapter_comes_and_goes_with_the_middleware_that_needs_it(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "src", tmp_path)
    asgi = project / "src" / "mysite" / "asgi.py"
    adapter = project / "src" / "mysite" / "asgi_headers.py"
    original = asgi.read_bytes()
    ok(runner, project, "add-asgi-middleware", PROXY)
    before = tree_snapshot(project)
    patch = ok(runner, project, "add-asgi-middleware", STARLETTE_GZIP, "--dry-run").output
    assert tree_snapshot(project) == before
    assert "--- /dev/null\n+++ b/src/mysite/asgi_headers.py\n" in patch
    applied = copy_of({"src": project}, "src", tmp_path / "applied")
    subprocess.run(["git", "apply"], input=patch.encode(), cwd=applied, check=True)
    added = ok(runner, project, "add-asgi-middleware", STARLETTE_GZIP).output
    assert "(src/mysite/asgi_headers.py) lowercases them, innermost." in added
    for name in ("src/mysite/asgi.py", "src/mysite/asgi_headers.py", RECORD_FILENAME):
        assert (applied / name).read_bytes() == (project / name).read_bytes(), name
    # Innermost, under the middleware added before it.
    assert ok(runner, project, "list-asgi-middleware").output == (
        f"1. {ADAPTER}\n2. {PROXY}\n3. {STARLETTE_GZIP}\n"
    )
    assert asgi.read_text().endswith(
        "application = LowercaseHeaderNames(application)\n"
        "application = ProxyHeadersMiddleware(application)\n"
        "application = GZipMiddleware(application)\n"
    )
    # The project imports it, and it lowercases the names of a response's headers.
    check = (
        "import asyncio; from mysite.asgi_headers import LowercaseHeaderNames as L\n"
        "async def app(scope, receive, send):\n"
        "    await send({'type': 'http.response.start', 'status': 200,"
        " 'headers': [(b'Content-Length', b'0')]})\n"
        "sent = []\n"
        "async def send(message): sent.append(message)\n"
        "asyncio.run(L(app)({'type': 'http'}, None, send))\n"
        "print(sent[0]['headers'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", check], cwd=project / "src", capture_output=True, text=True
    )
    assert out.stdout == "[(b'content-length', b'0')]\n", out.stderr
    # Deleted by hand: regenerate-asgi writes it again.
    written = adapter.read_bytes()
    adapter.unlink()
    ok(runner, project, "regenerate-asgi")
    assert adapter.read_bytes() == written
    # It goes with the last middleware that needs it, and asgi.py comes back byte for byte.
    ok(runner, project, "remove-asgi-middleware", STARLETTE_GZIP)
    assert not adapter.exists()
    assert ok(runner, project, "list-asgi-middleware").output == f"1. {PROXY}\n"
    ok(runner, project, "remove-asgi-middleware", PROXY)
    assert asgi.read_bytes() == original
    # A module of that name of the user's own: refused, nothing written.
    adapter.write_text("MINE = 1\n")
    mine = tree_snapshot(project)
    refused = run(runner, project, "add-asgi-middleware", STARLETTE_GZIP)
    assert refused.exit_code == 1 and refused.output.count("\n") == 1, refused.output
    assert "src/mysite/asgi_headers.py exists and is not thibaud-admin's" in refused.output
    assert tree_snapshot(project) == mine


def test_the_contract_check_and_the_dependency_hold_on_these_projects(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "src", tmp_path)
    before = tree_snapshot(project)
    misspelt = run(runner, project, "add-asgi-middleware", PROXY, "-o", "trusted_host=1")
    assert misspelt.exit_code == 2 and "(it takes: trusted_hosts" in misspelt.output
    missing = run(runner, project, "add-asgi-middleware", "mysite.nowhere:Thing")
    assert missing.exit_code == 1 and "mysite.nowhere" in missing.output
    itself = run(runner, project, "add-asgi-middleware", "mysite.asgi:application")
    assert itself.exit_code == 2 and "cannot wrap itself" in itself.output
    assert tree_snapshot(project) == before
    added = ok(runner, project, "add-asgi-middleware", PROXY)
    assert "Added uvicorn>=" in added.output
    pyproject = (project / "pyproject.toml").read_text()
    assert '    # The framework.\n    "Thibaud>=6.0a1",\n    "uvicorn>=' in pyproject
    # The check runs in the project's own environment, at its root above src/: one
    # without uvicorn says so, and nothing is written.
    import venv

    venv.create(project / ".venv", with_pip=False)
    before = tree_snapshot(project)
    bare = run(runner, project, "add-asgi-middleware", "uvicorn.middleware.wsgi:WSGIMiddleware")
    assert bare.exit_code == 1, bare.output
    assert f"was not found by {project / '.venv' / 'bin' / 'python'}" in bare.output
    assert tree_snapshot(project) == before


def test_refusals_say_why_in_one_line_and_write_nothing(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "stock", tmp_path)
    asgi = project / "plain" / "asgi.py"
    cases = {
        "conditional": (
            asgi.read_text() + "\nif os.environ.get('DEBUG'):\n    application = f(application)\n",
            "binds `application` last inside an if block (line 18)",
        ),
        "unbound": (
            asgi.read_text().replace(
                "application = get_asgi_application()", "get_asgi_application()"
            ),
            "does not bind `application` at its top level",
        ),
        "broken": (asgi.read_text() + "\napplication = (\n", "is not valid Python"),
    }
    for name, (text, message) in cases.items():
        asgi.write_text(text)
        before = tree_snapshot(project)
        result = run(runner, project, "add-asgi-middleware", PROXY, "--asgi-module", "plain.asgi")
        assert result.exit_code == 1, (name, result.output)
        assert message in result.output and result.output.count("\n") == 1, result.output
        assert "Nothing was written" in result.output
        assert tree_snapshot(project) == before, name
    asgi.write_text(cases["conditional"][0])
    before = tree_snapshot(project)
    for option, message in (
        ("plain.nowhere", "there is no plain/nowhere.py"),
        ("plain/asgi.py", "not a dotted module name"),
    ):
        result = run(runner, project, "add-asgi-middleware", PROXY, "--asgi-module", option)
        assert message in result.output and result.output.count("\n") == 1, result.output
    assert tree_snapshot(project) == before


def test_an_option_too_deep_for_the_parser_is_refused(
    runner: CliRunner, layouts: dict[str, Path], make_project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    deep = "[" * 200 + "]" * 200
    for project in (copy_of(layouts, "stock", tmp_path), make_project()):
        before = tree_snapshot(project)
        result = run(runner, project, "add-asgi-middleware", PROXY, "-o", f"trusted_hosts={deep}")
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1 and "nests more than 50 levels" in result.output
        assert tree_snapshot(project) == before


@pytest.mark.parametrize("depth", [51, 199])
def test_an_option_too_deep_for_later_edits_is_refused(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path, depth: int
) -> None:
    """Issue 25: 199 levels parsed, were written, and the next add-asgi-middleware hit
    libcst's recursion limit (an internal error)."""
    project = copy_of(layouts, "stock", tmp_path)
    before = tree_snapshot(project)
    deep = "[" * depth + "]" * depth
    result = run(runner, project, "add-asgi-middleware", PROXY, "--no-verify", "-o", f"x={deep}")
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "nests more than 50 levels" in result.output
    assert tree_snapshot(project) == before


def test_an_asgi_module_nested_too_deep_to_edit_is_one_line(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "stock", tmp_path)
    asgi = next(project.glob("*/asgi.py"))
    asgi.write_text(asgi.read_text() + "\nDEEP = " + "[" * 199 + "]" * 199 + "\n")
    before = tree_snapshot(project)
    result = run(runner, project, "add-asgi-middleware", PROXY, "--no-verify")
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and "too deeply" in result.output, result.output
    assert tree_snapshot(project) == before


def test_list_tells_a_wrap_changed_by_hand_and_regenerate_puts_it_back(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "router", tmp_path)
    asgi = project / "mysite" / "asgi.py"
    ok(runner, project, "add-asgi-middleware", PROXY, "-o", 'trusted_hosts=["127.0.0.1"]')
    ok(runner, project, "add-asgi-middleware", "mysite.chain.AddHeader")
    added = asgi.read_text()
    asgi.write_text(added.replace('["127.0.0.1"]', '["10.0.0.1"]') + "# my own line\n")
    listed = run(runner, project, "list-asgi-middleware")
    assert listed.exit_code == 0
    assert (
        "no longer has 'application = ProxyHeadersMiddleware(application, "
        'trusted_hosts=["127.0.0.1"])\'' in listed.output
    )
    assert "run regenerate-asgi" in listed.output
    ok(runner, project, "regenerate-asgi")
    assert asgi.read_text() == added + "# my own line\n"
    assert "Warning" not in ok(runner, project, "list-asgi-middleware").output
    assert "up to date" in ok(runner, project, "regenerate-asgi").output
    # A wrap deleted by hand: removing it takes it out of the record, and says so.
    asgi.write_text(added.replace("application = AddHeader(application)\n", ""))
    removed = ok(runner, project, "remove-asgi-middleware", "mysite.chain.AddHeader")
    assert "taken out of the recorded chain only" in removed.output
    asgi.unlink()
    missing = run(runner, project, "regenerate-asgi")
    assert missing.exit_code == 1 and "restore it from version control" in missing.output


@pytest.mark.parametrize("layout", ["stock", "router"])
def test_regenerate_reuses_the_import_a_deleted_wrap_left_behind(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path, layout: str
) -> None:
    project = copy_of(layouts, layout, tmp_path)
    _, _, package = foreign_projects.ENTRY[layout]
    asgi = asgi_path(project, layout)
    original = asgi.read_bytes()
    ok(runner, project, "add-asgi-middleware", PROXY)
    ok(runner, project, "add-asgi-middleware", f"{package}.chain:AddHeader", "-o", 'value="x"')
    added = asgi.read_text()
    # Both wraps deleted by hand: their imports stay behind, unused.
    deleted = added.replace("application = ProxyHeadersMiddleware(application)\n", "")
    asgi.write_text(deleted.replace('application = AddHeader(application, value="x")\n', ""))
    assert "Warning" in ok(runner, project, "list-asgi-middleware").output
    ok(runner, project, "regenerate-asgi")
    assert asgi.read_text() == added
    assert "Warning" not in ok(runner, project, "list-asgi-middleware").output
    ok(runner, project, "remove-asgi-middleware", f"{package}.chain:AddHeader")
    ok(runner, project, "remove-asgi-middleware", PROXY)
    assert asgi.read_bytes() == original


def test_add_middleware_edits_the_stock_setting_in_the_documented_order(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "stock", tmp_path)
    settings = project / "plain" / "settings.py"
    original = settings.read_bytes()
    ok(runner, project, "add-middleware", GZIP)
    ok(runner, project, "add-middleware", "thibaud.middleware.locale.LocaleMiddleware")
    ok(runner, project, "add-middleware", "thibaud.middleware.http.ConditionalGetMiddleware")
    ok(runner, project, "add-middleware", "plain.timing.Timing", "--no-verify")
    ok(runner, project, "add-middleware", "plain.first.First", "--no-verify", "--before", GZIP)
    listed = ok(runner, project, "list-middleware").stdout.splitlines()
    assert [line.split(". ", 1)[1].rsplit(".", 1)[1] for line in listed] == [
        "SecurityMiddleware",
        "First",
        "GZipMiddleware",
        "SessionMiddleware",
        "ConditionalGetMiddleware",
        "LocaleMiddleware",
        "CommonMiddleware",
        "CsrfViewMiddleware",
        "AuthenticationMiddleware",
        "MessageMiddleware",
        "XFrameOptionsMiddleware",
        "Timing",
    ]
    # The file's own quotes, one line each.
    assert "    'thibaud.middleware.gzip.GZipMiddleware',\n" in settings.read_text()
    twice = run(runner, project, "add-middleware", GZIP)
    assert twice.exit_code == 1 and "already in MIDDLEWARE" in twice.output
    nowhere = run(runner, project, "add-middleware", "x.Y", "--no-verify", "--after", "a.B")
    assert nowhere.exit_code == 2 and "--after a.B: not in MIDDLEWARE" in nowhere.output
    for dotted in ("plain.first.First", "plain.timing.Timing", GZIP):
        ok(runner, project, "remove-middleware", dotted)
    for dotted in (
        "thibaud.middleware.locale.LocaleMiddleware",
        "thibaud.middleware.http.ConditionalGetMiddleware",
    ):
        ok(runner, project, "remove-middleware", dotted)
    assert settings.read_bytes() == original
    assert status(project) == ""


def test_each_kind_of_middleware_is_sent_to_its_command(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "stock", tmp_path)
    wrapped = ok(runner, project, "add-middleware", PROXY)
    assert "is an ASGI middleware" in wrapped.output and "Doing that." in wrapped.output
    assert "ProxyHeadersMiddleware(application)" in (project / "plain" / "asgi.py").read_text()
    placed = ok(runner, project, "add-asgi-middleware", GZIP)
    assert "takes get_response" in placed.output
    assert GZIP in (project / "plain" / "settings.py").read_text()
    refused = run(
        runner,
        project,
        "add-middleware",
        "starlette.middleware.gzip.GZipMiddleware",
        "--after",
        GZIP,
    )
    assert refused.exit_code == 2 and "takes no --before or --after" in refused.output
    ok(runner, project, "remove-middleware", PROXY)
    ok(runner, project, "remove-asgi-middleware", GZIP)
    assert status(project) == ""


def test_a_settings_package_is_edited_where_the_list_is_written(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "config", tmp_path)
    ok(runner, project, "add-middleware", GZIP)
    assert status(project) == " M config/settings/base.py\n"
    local = project / "config" / "settings" / "local.py"
    local.write_text(local.read_text() + "MIDDLEWARE = [m for m in MIDDLEWARE if m]\n")
    before = tree_snapshot(project)
    computed = run(runner, project, "add-middleware", "thibaud.middleware.locale.LocaleMiddleware")
    assert computed.exit_code == 1 and computed.output.count("\n") == 1
    assert "MIDDLEWARE in config/settings/local.py is not a list of strings" in computed.output
    assert "add the middleware to it by hand" in computed.output
    assert tree_snapshot(project) == before


def test_the_setting_commands_need_the_settings_not_an_asgi_module(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    """A WSGI-only project (its asgi.py gone) still has MIDDLEWARE to edit."""
    project = copy_of(layouts, "stock", tmp_path)
    asgi_path(project, "stock").unlink()
    git_commit_all(project, "WSGI only")
    ok(runner, project, "add-middleware", GZIP)
    assert status(project) == " M plain/settings.py\n"
    assert GZIP in ok(runner, project, "list-middleware").stdout


def test_a_template_without_hooks_takes_middleware_and_update_keeps_the_chain(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = django_like_template(tmp_path / "repo", hooks=False)
    git_commit_all(repo, "v1", tag="v1")
    project = tmp_path / "p"
    url = f"file://{repo}"
    created = runner.invoke(
        main, ["startproject", "shop", str(project), "--template", url, "--vcs-ref", "v1"]
    )
    assert created.exit_code == 0, created.output
    git_commit_all(project, "generated")
    asgi = project / "config" / "asgi.py"
    ok(runner, project, "add-asgi-middleware", PROXY, "-o", 'trusted_hosts=["127.0.0.1"]')
    assert "application = ProxyHeadersMiddleware(application, trusted_hosts=" in asgi.read_text()
    answers = yaml.safe_load((project / ".thibaud-answers.yml").read_text())
    assert answers["asgi_middleware"][0]["spec"] == PROXY  # recorded where template projects record
    assert not (project / RECORD_FILENAME).exists()
    assert "Warning" not in ok(runner, project, "list-asgi-middleware").output
    git_commit_all(project, "proxy headers")
    # The template's next version changes asgi.py above the binding.
    template_asgi = repo / "config" / "asgi.py.jinja"
    template_asgi.write_text('"""The ASGI entry point (v2)."""\n' + template_asgi.read_text())
    git_commit_all(repo, "v2", tag="v2")
    ok(runner, project, "update")
    text = asgi.read_text()
    assert text.startswith('"""The ASGI entry point (v2)."""\n')
    assert "application = ProxyHeadersMiddleware(application, trusted_hosts=" in text
    assert "Warning" not in ok(runner, project, "list-asgi-middleware").output
    assert "up to date" in ok(runner, project, "regenerate-asgi").output
    # A wrap deleted by hand comes back, edited in as add-asgi-middleware put it.
    updated = asgi.read_text()
    asgi.write_text("".join(line for line in updated.splitlines(True) if "= Proxy" not in line))
    assert "or run regenerate-asgi" in ok(runner, project, "list-asgi-middleware").output
    ok(runner, project, "regenerate-asgi")
    assert asgi.read_text() == updated
    ok(runner, project, "remove-asgi-middleware", PROXY)
    assert "ProxyHeaders" not in asgi.read_text() and asgi.read_text().startswith('"""The ASGI')
    # A deleted asgi.py renders again, with the chain edited in.
    ok(runner, project, "add-asgi-middleware", PROXY)
    with_chain = asgi.read_text()
    asgi.unlink()
    ok(runner, project, "regenerate-asgi")
    assert asgi.read_text() == with_chain


def test_a_kill_at_every_write_of_an_edit_leaves_all_or_nothing(
    layouts: dict[str, Path], tmp_path: Path
) -> None:
    from tests.support.faults import run_with_fault

    pristine = copy_of(layouts, "stock", tmp_path)
    n, outcomes = 1, set()
    while True:
        project = tmp_path / f"killed-{n}"
        shutil.copytree(pristine, project)
        before = tree_snapshot(project)
        args = ["add-asgi-middleware", PROXY, "--no-verify", "--project-dir", str(project)]
        killed = run_with_fault("sigkill", n, args, tmp_path)
        if "FAULT-NOT-REACHED" in killed.stderr:
            break
        assert killed.returncode == -9
        repair = run_with_fault(
            "none", 10**6, ["list-middleware", "--project-dir", str(project)], tmp_path
        )
        assert repair.returncode == 0, repair.stderr  # reading never repairs, and needs not
        repaired = run_with_fault(
            "none", 10**6, ["regenerate-asgi", "--project-dir", str(project)], tmp_path
        )
        assert repaired.returncode == 0, repaired.stderr
        wrapped = "ProxyHeadersMiddleware(application)" in (project / "plain/asgi.py").read_text()
        assert wrapped == (project / RECORD_FILENAME).exists()  # both or neither
        outcomes.add(wrapped)
        if not wrapped:
            after = tree_snapshot(project)
            assert {k: v for k, v in after.items() if ".thibaud-admin" not in k} == {
                k: v for k, v in before.items() if ".thibaud-admin" not in k
            }
        n += 1
    assert n > 3 and outcomes == {False, True}


def test_asgi_module_names_a_module_discovery_does_not_find(
    runner: CliRunner, layouts: dict[str, Path], tmp_path: Path
) -> None:
    project = copy_of(layouts, "stock", tmp_path)
    # A second entry point of the project's own, that discovery does not pick.
    entry = project / "plain" / "entry.py"
    entry.write_text("from plain.asgi import application as inner\n\napplication = inner\n")
    ok(runner, project, "add-asgi-middleware", PROXY, "--asgi-module", "plain.entry")
    assert entry.read_text().endswith("application = ProxyHeadersMiddleware(application)\n")
    record = yaml.safe_load((project / RECORD_FILENAME).read_text())
    assert record["entry_points"]["asgi"] == "plain.entry"
    # Recorded: the next commands find it without the option, and refuse another one.
    assert ok(runner, project, "list-asgi-middleware").output == f"1. {PROXY}\n"
    other = run(runner, project, "list-asgi-middleware", "--asgi-module", "plain.asgi")
    assert other.exit_code == 2 and "recorded for plain.entry" in other.output
    ok(runner, project, "remove-asgi-middleware", PROXY)
    assert (
        entry.read_text() == "from plain.asgi import application as inner\n\napplication = inner\n"
    )
    assert status(project) == "?? plain/entry.py\n"
