"""add-asgi-middleware checks the middleware's contract in the project's interpreter, with
real middleware, before anything is written: options bind to its signature, and a
framework middleware (get_response) is sent where it belongs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.support.trees import tree_snapshot
from thibaud_cli.cli import main

PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"


def add(runner: CliRunner, project: Path, spec: str, *options: str) -> tuple[int, str]:
    args = ["add-asgi-middleware", spec, "--project-dir", str(project)]
    for option in options:
        args += ["--option", option]
    result = runner.invoke(main, args)
    return result.exit_code, result.output


def test_a_misspelt_option_names_the_accepted_ones_closest_first(
    runner: CliRunner, make_project
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    before = tree_snapshot(project)
    code, output = add(runner, project, PROXY, "trusted_host='\"127.0.0.1\"'")
    assert code == 2, output
    assert len(output.strip().splitlines()) == 1, output
    assert "--option trusted_host: " in output
    assert "(it takes: trusted_hosts" in output  # the closest first
    assert tree_snapshot(project) == before


def test_options_that_bind_are_accepted(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    code, output = add(runner, project, PROXY, "trusted_hosts='[\"127.0.0.1\"]'")
    assert code == 0, output
    assert "ProxyHeadersMiddleware(" in (project / "mysite" / "asgi.py").read_text()


def test_a_framework_middleware_is_sent_to_the_middleware_setting(
    runner: CliRunner, make_project
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    asgi = (project / "mysite" / "asgi.py").read_bytes()
    answers = (project / ".thibaud-answers.yml").read_bytes()
    code, output = add(runner, project, "thibaud.middleware.gzip.GZipMiddleware")
    assert code == 0, output
    assert "takes get_response" in output and "Doing that." in output
    assert "Added thibaud.middleware.gzip.GZipMiddleware to MIDDLEWARE" in output
    settings = (project / "mysite" / "settings.py").read_text()
    # The framework's documented order: right after SecurityMiddleware, before sessions.
    assert (
        '    "thibaud.middleware.security.SecurityMiddleware",\n'
        '    "thibaud.middleware.gzip.GZipMiddleware",\n'
        '    "thibaud.contrib.sessions.middleware.SessionMiddleware",\n'
    ) in settings
    assert (project / "mysite" / "asgi.py").read_bytes() == asgi
    assert (project / ".thibaud-answers.yml").read_bytes() == answers
    # With an option it is refused: a MIDDLEWARE entry takes none.
    before = tree_snapshot(project)
    code, output = add(runner, project, "thibaud.middleware.locale.LocaleMiddleware", "x=1")
    assert code == 2 and "takes no --option" in output
    assert tree_snapshot(project) == before


def test_a_required_argument_left_out_is_refused(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    # Starlette's TrustedHostMiddleware has only optional options; a class of the
    # project's own with a required one shows the binding check.
    project = make_project()
    (project / "mysite" / "needs.py").write_text(
        "class Needs:\n    def __init__(self, app, *, secret):\n        self.app = app\n\n"
        "    async def __call__(self, scope, receive, send):\n"
        "        await self.app(scope, receive, send)\n"
    )
    before = tree_snapshot(project)
    code, output = add(runner, project, "mysite.needs:Needs")
    assert code == 2, output
    assert "cannot be called with these options" in output and "secret" in output
    assert tree_snapshot(project) == before
    code, output = add(runner, project, "mysite.needs:Needs", "secret='\"s\"'")
    assert code == 0, output
