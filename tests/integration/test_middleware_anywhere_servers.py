"""The middleware commands on projects no template of ours wrote, served by a real Uvicorn:
the stock ``startproject`` output and the layouts of ``tests/support/foreign_projects.py``, and a
template without hooks after an ``update``. Each project is served once or twice: the
response shows the chain (a header each middleware appends, in order) and GZip."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.support import foreign_projects
from tests.support.cli import BIN_DIR
from tests.support.real_templates import django_like_template
from tests.support.servers import free_port, project_env, run_server
from tests.support.trees import git_commit_all
from thibaud_cli.cli import main

pytestmark = pytest.mark.servers

GZIP = "thibaud.middleware.gzip.GZipMiddleware"


@contextmanager
def served(project: Path, layout: str) -> Iterator[str]:
    """The project under Uvicorn, as its users serve it; yields the base URL."""
    module, app_dir, _ = foreign_projects.ENTRY[layout]
    port = free_port()
    argv = [str(BIN_DIR / "uvicorn"), f"{module}:application", "--port", str(port)]
    argv += ["--host", "127.0.0.1", "--app-dir", str(project / app_dir)]
    with run_server(argv, cwd=project, port=port, env=project_env(project / app_dir)) as server:
        yield server.base_url
    assert "Traceback" not in server.log(), server.log()


def change(runner: CliRunner, project: Path, *args: str) -> None:
    result = runner.invoke(main, [*args, "--project-dir", str(project)])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        name: make(tmp_path_factory.mktemp(name)) for name, make in foreign_projects.LAYOUTS.items()
    }


def test_the_stock_project_serves_its_chain_and_its_setting(
    runner: CliRunner, made: dict[str, Path]
) -> None:
    project = made["stock"]
    change(runner, project, "add-asgi-middleware", "plain.chain.AddHeader", "-o", 'value="in"')
    change(
        runner, project, "add-asgi-middleware", "plain.chain.AddHeaderAgain", "-o", 'value="out"'
    )
    change(runner, project, "add-middleware", GZIP)
    with served(project, "stock") as url:
        response = httpx.get(url + "/big/")
        assert response.headers.get_list("x-chain") == ["in", "out"]
        assert response.headers["content-encoding"] == "gzip"
        assert response.text == "thibaud " * 500
    change(runner, project, "remove-middleware", GZIP)
    change(runner, project, "remove-asgi-middleware", "plain.chain.AddHeader")
    with served(project, "stock") as url:
        response = httpx.get(url + "/big/")
        assert response.headers.get_list("x-chain") == ["out"]
        assert "content-encoding" not in response.headers


@pytest.mark.parametrize("layout", ["config", "router", "hand_wrapped", "src"])
def test_each_layout_serves_the_middleware_added(
    runner: CliRunner, made: dict[str, Path], layout: str
) -> None:
    project = made[layout]
    _, _, package = foreign_projects.ENTRY[layout]
    change(runner, project, "add-asgi-middleware", f"{package}.chain.AddHeader", "-o", 'value="a"')
    change(runner, project, "add-asgi-middleware", f"{package}.chain.AddHeaderAgain")
    if layout == "config":
        change(runner, project, "add-middleware", GZIP)  # into config/settings/base.py
    with served(project, layout) as url:
        response = httpx.get(url + "/big/")
        assert response.status_code == 200
        assert response.headers.get_list("x-chain") == ["a", "mw"]
        if layout == "config":
            assert response.headers["content-encoding"] == "gzip"  # base.py's setting
            assert "x-elapsed" in response.headers  # local.py's MIDDLEWARE += still applies
        if layout == "hand_wrapped":  # the hand wrap still serves, inside the chain
            static = httpx.get(url + "/static/hello.txt")
            assert static.text == "hello from static\n"
            assert static.headers.get_list("x-chain") == ["a", "mw"]


def test_a_template_without_hooks_serves_its_chain_after_an_update(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = django_like_template(tmp_path / "repo", hooks=False)
    git_commit_all(repo, "v1", tag="v1")
    project = tmp_path / "p"
    created = runner.invoke(
        main,
        ["startproject", "shop", str(project), "--template", f"file://{repo}", "--vcs-ref", "v1"],
    )
    assert created.exit_code == 0, created.output
    (project / "shop" / "chain.py").write_text(foreign_projects.HEADER_MIDDLEWARE)
    git_commit_all(project, "generated")
    change(runner, project, "add-asgi-middleware", "shop.chain.AddHeader", "-o", 'value="kept"')
    git_commit_all(project, "header")
    template_asgi = repo / "config" / "asgi.py.jinja"
    template_asgi.write_text('"""The ASGI entry point (v2)."""\n' + template_asgi.read_text())
    git_commit_all(repo, "v2", tag="v2")
    change(runner, project, "update")
    assert (project / "config" / "asgi.py").read_text().startswith('"""The ASGI entry point (v2)')
    port = free_port()
    argv = [str(BIN_DIR / "uvicorn"), "config.asgi:application", "--port", str(port)]
    with run_server(argv, cwd=project, port=port) as server:
        response = httpx.get(server.base_url + "/")
        assert response.text == "home"
        assert response.headers.get_list("x-chain") == ["kept"]


STARLETTE_GZIP = "starlette.middleware.gzip.GZipMiddleware"


def gzipped_page(url: str) -> tuple[httpx.Response, bytes]:
    """A page over 500 bytes asked for with gzip, and its body as sent (still compressed)."""
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        return response, b"".join(response.iter_raw())


def test_starlettes_gzip_compresses_the_stock_projects_pages(
    runner: CliRunner, tmp_path: Path
) -> None:
    project = foreign_projects.stock(tmp_path)
    asgi = project / "plain" / "asgi.py"
    original = asgi.read_bytes()
    change(runner, project, "add-asgi-middleware", STARLETTE_GZIP)
    # Thibaud's handler sends `Content-Length`; the adapter lowercases it under GZip.
    adapter = project / "plain" / "asgi_headers.py"
    assert "application = LowercaseHeaderNames(application)\n" in asgi.read_text()
    with served(project, "stock") as url:
        response, body = gzipped_page(url + "/big/")
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers.get_list("content-length") == [str(len(body))]
        assert gzip.decompress(body) == b"thibaud " * 500
    listed = runner.invoke(main, ["list-asgi-middleware", "--project-dir", str(project)])
    assert listed.output == (
        f"1. plain.asgi_headers:LowercaseHeaderNames\n2. {STARLETTE_GZIP.replace('.G', ':G')}\n"
    )
    change(runner, project, "remove-asgi-middleware", STARLETTE_GZIP)
    assert asgi.read_bytes() == original
    assert not adapter.exists()
