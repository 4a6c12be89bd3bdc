"""Middleware chains served by a real uvicorn, checked over HTTP after each change."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.support.cli import BIN_DIR
from tests.support.servers import RunningServer, free_port, run_server
from thibaud_cli.cli import main

pytestmark = pytest.mark.servers

PROBE_VIEWS = """
from thibaud.http import JsonResponse


def client(request):
    return JsonResponse({"remote_addr": request.META["REMOTE_ADDR"], "secure": request.is_secure()})
"""

HEADER_MIDDLEWARE = '''
class AddHeader:
    """Appends one value to a response header: the order shows the chain's order."""

    def __init__(self, app, name="x-chain", value="mw"):
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("name and value must be strings")
        self.app = app
        self.name = name.encode("latin-1")
        self.value = value.encode("latin-1")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (self.name, self.value)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)


class AddHeaderAgain(AddHeader):
    pass
'''


@pytest.fixture
def served_project(make_project: Callable[..., Path]) -> Path:
    project = make_project()
    (project / "mysite" / "probe.py").write_text(PROBE_VIEWS)
    (project / "mysite" / "chain.py").write_text(HEADER_MIDDLEWARE)
    urls = project / "mysite" / "urls.py"
    urls.write_text(
        urls.read_text()
        + "\nfrom . import probe  # noqa: E402\n\nurlpatterns += [path('probe/', probe.client)]\n"
    )
    return project


def serve(project: Path) -> AbstractContextManager[RunningServer]:
    port = free_port()
    # uvicorn's own proxy-header handling is off, so only our generated wrap applies it.
    return run_server(
        [
            str(BIN_DIR / "uvicorn"),
            "mysite.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-proxy-headers",
        ],
        cwd=project,
        port=port,
    )


def change(runner: CliRunner, project: Path, *args: str) -> None:
    result = runner.invoke(main, [*args, "--project-dir", str(project)])
    assert result.exit_code == 0, result.output


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def test_chain_changes_are_served_in_order(runner: CliRunner, served_project: Path) -> None:
    project = served_project
    with serve(project) as server:
        plain = httpx.get(server.base_url + "/probe/", headers=FORWARDED).json()
        assert plain == {"remote_addr": "127.0.0.1", "secure": False}
        assert "x-chain" not in httpx.get(server.base_url + "/").headers

    change(
        runner,
        project,
        "add-asgi-middleware",
        "uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware",
        "--option",
        'trusted_hosts=["127.0.0.1"]',
    )
    change(
        runner,
        project,
        "add-asgi-middleware",
        "mysite.chain:AddHeader",
        "--option",
        'value="inner"',
    )
    change(
        runner,
        project,
        "add-asgi-middleware",
        "mysite.chain:AddHeaderAgain",
        "--option",
        'value="outer"',
    )
    with serve(project) as server:
        proxied = httpx.get(server.base_url + "/probe/", headers=FORWARDED).json()
        assert proxied == {"remote_addr": "203.0.113.9", "secure": True}
        response = httpx.get(server.base_url + "/")
        assert response.status_code == 200
        assert response.headers.get_list("x-chain") == ["inner", "outer"]
        assert httpx.get(server.base_url + "/nowhere/").status_code == 404

    change(runner, project, "remove-asgi-middleware", "mysite.chain.AddHeader")
    change(
        runner,
        project,
        "remove-asgi-middleware",
        "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware",
    )
    with serve(project) as server:
        assert (
            httpx.get(server.base_url + "/probe/", headers=FORWARDED).json()["remote_addr"]
            == "127.0.0.1"
        )
        assert httpx.get(server.base_url + "/").headers.get_list("x-chain") == ["outer"]
    # uvicorn re-raises the SIGTERM it handled once it has shut down gracefully.
    assert server.exit_code in (0, -15)
    assert "Finished server process" in server.log()
    assert "Traceback" not in server.log()


def test_starlettes_gzip_compresses_the_projects_pages(
    runner: CliRunner, served_project: Path
) -> None:
    project = served_project
    (project / "mysite" / "big.py").write_text(
        "from thibaud.http import HttpResponse\n\n\n"
        "def page(request):\n    return HttpResponse('thibaud ' * 500)\n"
    )
    urls = project / "mysite" / "urls.py"
    urls.write_text(
        urls.read_text()
        + "\nfrom . import big  # noqa: E402\n\nurlpatterns += [path('big/', big.page)]\n"
    )
    asgi = project / "mysite" / "asgi.py"
    original = asgi.read_bytes()
    change(runner, project, "add-asgi-middleware", "starlette.middleware.gzip:GZipMiddleware")
    text = asgi.read_text()
    # The header-name adapter innermost of the chain: right around Thibaud's handler as
    # asgi.py builds it (wrapped in the request guard), inside GZip.
    assert text.index("= RequestGuard(") < text.index("= LowercaseHeaderNames(")
    assert text.index("= LowercaseHeaderNames(") < text.index("= GZipMiddleware(")
    with serve(project) as server:
        with httpx.stream(
            "GET", server.base_url + "/big/", headers={"Accept-Encoding": "gzip"}
        ) as response:
            body = b"".join(response.iter_raw())
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers.get_list("content-length") == [str(len(body))]
        assert gzip.decompress(body) == b"thibaud " * 500
    assert "Traceback" not in server.log() and "LocalProtocolError" not in server.log()
    change(runner, project, "remove-asgi-middleware", "starlette.middleware.gzip.GZipMiddleware")
    assert asgi.read_bytes() == original
    assert not (project / "mysite" / "asgi_headers.py").exists()
