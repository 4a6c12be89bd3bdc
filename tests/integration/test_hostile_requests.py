"""Issue 7, item 4: hostile requests against a generated project with the README's
production settings and guard, under each ASGI server of the README. Each gets the
right status, leaks no traceback or setting, and the server keeps serving afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.deploy import (
    generate_project,
    readme_command,
    readme_production_env,
    serve_readme_command,
)
from tests.support.hostile import (
    RawResponse,
    abandon_mid_body,
    chunked,
    exchange,
    request_head,
)
from tests.support.servers import RunningServer

pytestmark = pytest.mark.servers

HOST = "example.com"

# Views a user adds: one that reads the body, one that reads the query string.
HOSTILE_MODULE = '''\
"""Views that read what a client sends."""

from thibaud.http import HttpRequest, HttpResponse, JsonResponse
from thibaud.views.decorators.csrf import csrf_exempt


@csrf_exempt
def body_length(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"length": len(request.body)})


def query(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"q": request.GET.get("q", "")})
'''

HOSTILE_URLS = """
from . import hostile  # noqa: E402

urlpatterns += [
    path("hostile/body-length/", hostile.body_length),
    path("hostile/query/", hostile.query),
]
"""

# Thibaud's default DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB), which the generated settings keep.
BODY_LIMIT = 2_621_440
OVER_LIMIT = BODY_LIMIT + 512 * 1024

# What no response may contain: the server's or Thibaud's inner workings.
REVEALING = (
    "Traceback",
    'File "',
    "ALLOWED_HOSTS",
    "DisallowedHost",
    "SECRET_KEY",
    "THIBAUD_",
    "settings.py",
    "RequestDataTooBig",
    "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "UnicodeDecodeError",
    "ValueError",
    "boom-detail",
)


def hostile_project(root: Path) -> Path:
    """A generated project with the views above."""
    directory = generate_project(root)
    package = directory / "mysite"
    (package / "hostile.py").write_text(HOSTILE_MODULE, "utf-8")
    with open(package / "urls.py", "a", encoding="utf-8") as urls:
        urls.write(HOSTILE_URLS)
    return directory


#: The line of the generated asgi.py that wraps Thibaud's handler in the guard.
GUARD_LINE = "application = RequestGuard(application)\n"


@pytest.fixture(scope="module")
def guarded_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as generated: its asgi.py wraps Thibaud's handler in the guard, as
    the README's section on it says, with nothing to add."""
    directory = hostile_project(tmp_path_factory.mktemp("hostile"))
    readme = " ".join((directory / "README.md").read_text("utf-8").split())
    assert "`asgi.py` wraps Thibaud's handler in it" in readme
    assert GUARD_LINE in (directory / "mysite" / "asgi.py").read_text()
    return directory


def behind_tls_proxy(production_env: dict[str, str]) -> dict[str, str]:
    # The servers listen on 127.0.0.1 for a TLS proxy in front, as the README says;
    # the tests send the proxy's X-Forwarded-Proto, which this tells Thibaud to trust.
    return {**production_env, "THIBAUD_BEHIND_TLS_PROXY": "1"}


@pytest.fixture(scope="module")
def production_env(guarded_project: Path) -> dict[str, str]:
    return behind_tls_proxy(readme_production_env(guarded_project))


def one_worker(line: str) -> str:
    """The README line with a single worker process: "keeps serving" then means the
    process that took the hostile request, not a sibling or a restarted one."""
    return line.replace("--workers 4", "--workers 1")


@pytest.fixture(scope="module", params=["Uvicorn", "Hypercorn", "Daphne"])
def server(
    request: pytest.FixtureRequest, guarded_project: Path, production_env: dict[str, str]
) -> Iterator[RunningServer]:
    heading: str = request.param
    line = one_worker(readme_command(guarded_project, heading, heading.lower() + " "))
    with serve_readme_command(
        line, guarded_project, env=production_env, host_header=HOST
    ) as running:
        yield running


def port_of(server: RunningServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def headers(host: str = HOST, connection: str = "close", **extra: str) -> list[tuple[str, str]]:
    return [
        ("Host", host),
        ("X-Forwarded-Proto", "https"),
        ("Connection", connection),
        *[(name.replace("_", "-"), value) for name, value in extra.items()],
    ]


def get(server: RunningServer, target: bytes | str, host: str = HOST) -> RawResponse:
    return exchange(port_of(server), request_head("GET", target, headers(host)))


def assert_reveals_nothing(response: RawResponse, *also: str) -> None:
    for revealing in (*REVEALING, *also):
        assert revealing not in response.text, f"{revealing!r} in {response.text[:2000]!r}"


def assert_still_serving(server: RunningServer) -> None:
    response = get(server, "/")
    assert response.status == 200, response.text[:500]
    assert "mysite is running" in response.text
    assert server.process.poll() is None


def test_a_normal_request_is_served(server: RunningServer) -> None:
    """The control: the same raw request with an allowed host is answered."""
    response = get(server, "/hostile/query/?q=hello")
    assert response.status == 200
    assert '"q": "hello"' in response.text


@pytest.mark.parametrize("host", ["evil.com", "a:b:c", "[::1", "example.com.evil.com"])
def test_a_host_not_allowed_gets_400_without_echo(
    server: RunningServer, production_env: dict[str, str], host: str
) -> None:
    response = get(server, "/", host=host)
    assert response.status == 400
    assert_reveals_nothing(response, host, production_env["THIBAUD_SECRET_KEY"])
    assert_still_serving(server)


def test_a_body_over_the_limit_by_content_length_is_refused(server: RunningServer) -> None:
    body = b"x" * OVER_LIMIT
    head = request_head(
        "POST",
        "/hostile/body-length/",
        headers(Content_Type="application/octet-stream", Content_Length=str(len(body))),
    )
    response = exchange(port_of(server), head, body)
    # The guard's refusal, from the headers (it was Thibaud's 400, once the view had
    # read request.body, after the handler had read and spooled the whole body).
    assert response.status == 413, response.text[:500]
    assert_reveals_nothing(response)
    assert_still_serving(server)


def test_a_body_over_the_limit_by_chunked_encoding_is_refused(server: RunningServer) -> None:
    head = request_head(
        "POST",
        "/hostile/body-length/",
        headers(Content_Type="application/octet-stream", Transfer_Encoding="chunked"),
    )
    response = exchange(port_of(server), head, chunked(b"x" * OVER_LIMIT))
    # The guard's refusal: Thibaud itself checks only a Content-Length (see below).
    assert response.status == 413, response.text[:500]
    assert_reveals_nothing(response)
    assert_still_serving(server)


def test_a_body_under_the_limit_is_read_either_way(server: RunningServer) -> None:
    """The control for the two tests above: the limit, not the encoding, refuses."""
    body = b"x" * (BODY_LIMIT - 1)
    by_length = exchange(
        port_of(server),
        request_head(
            "POST",
            "/hostile/body-length/",
            headers(Content_Type="application/octet-stream", Content_Length=str(len(body))),
        ),
        body,
    )
    by_chunks = exchange(
        port_of(server),
        request_head(
            "POST",
            "/hostile/body-length/",
            headers(Content_Type="application/octet-stream", Transfer_Encoding="chunked"),
        ),
        chunked(body),
    )
    for response in (by_length, by_chunks):
        assert response.status == 200, response.text[:500]
        assert f'"length": {len(body)}' in response.text


def test_a_client_that_disconnects_mid_body_does_not_stop_the_server(
    server: RunningServer,
) -> None:
    head = request_head(
        "POST",
        "/hostile/body-length/",
        headers(Content_Type="application/octet-stream", Content_Length="1000000"),
    )
    for _ in range(3):
        abandon_mid_body(port_of(server), head, b"x" * 10_000)
    assert_still_serving(server)


def test_a_percent_encoded_non_utf8_query_is_answered(server: RunningServer) -> None:
    response = get(server, "/hostile/query/?q=%ff%fe")
    # Thibaud decodes the query with replacement characters rather than failing.
    assert response.status == 200, response.text[:500]
    assert '"q": "\\ufffd\\ufffd"' in response.text
    assert_still_serving(server)


def test_raw_non_utf8_bytes_in_the_query_are_refused_or_answered(server: RunningServer) -> None:
    response = get(server, b"/hostile/query/?q=\xff\xfe")
    # A server may refuse the bytes outright (400) or pass them on; never a 500.
    assert response.status in {200, 400}, response.text[:500]
    assert_reveals_nothing(response)
    assert_still_serving(server)


def test_a_websocket_handshake_is_refused(server: RunningServer) -> None:
    head = request_head(
        "GET",
        "/",
        headers(
            connection="Upgrade",
            Upgrade="websocket",
            Sec_WebSocket_Key="dGhlIHNhbXBsZSBub25jZQ==",
            Sec_WebSocket_Version="13",
        ),
    )
    response = exchange(port_of(server), head, timeout=10)
    # The guard closes the handshake before accepting it: every server answers 403,
    # and Thibaud's handler, which would raise, never sees it.
    assert response.status == 403, response.text[:500]
    assert_reveals_nothing(response)
    assert "Thibaud can only handle" not in server.log()
    assert_still_serving(server)


def test_a_view_that_raises_gets_a_generic_500(
    server: RunningServer, production_env: dict[str, str]
) -> None:
    response = get(server, "/checks/boom/")
    assert response.status == 500
    assert_reveals_nothing(response, production_env["THIBAUD_SECRET_KEY"], "RuntimeError")
    assert_still_serving(server)


@pytest.fixture(scope="module")
def unguarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The same project and production settings without the guard (its line taken out
    of asgi.py), under Uvicorn."""
    directory = hostile_project(tmp_path_factory.mktemp("unguarded"))
    asgi = directory / "mysite" / "asgi.py"
    source = asgi.read_text("utf-8")
    assert source.count(GUARD_LINE) == 1
    asgi.write_text(source.replace(GUARD_LINE, ""), "utf-8")
    env = behind_tls_proxy(readme_production_env(directory))
    line = one_worker(readme_command(directory, "Uvicorn", "uvicorn "))
    with serve_readme_command(line, directory, env=env, host_header=HOST) as running:
        yield running


class TestWithoutTheGuard:
    """Why asgi.py has the guard: what Thibaud's handler does on its own. If a
    Thibaud release fixes these, these tests fail and the guard can go."""

    def test_a_chunked_body_over_the_limit_reaches_the_view(self, unguarded: RunningServer) -> None:
        head = request_head(
            "POST",
            "/hostile/body-length/",
            headers(Content_Type="application/octet-stream", Transfer_Encoding="chunked"),
        )
        response = exchange(port_of(unguarded), head, chunked(b"x" * OVER_LIMIT))
        assert response.status == 200
        assert f'"length": {OVER_LIMIT}' in response.text

    def test_a_websocket_handshake_is_a_500_and_a_traceback(self, unguarded: RunningServer) -> None:
        head = request_head(
            "GET",
            "/",
            headers(
                connection="Upgrade",
                Upgrade="websocket",
                Sec_WebSocket_Key="dGhlIHNhbXBsZSBub25jZQ==",
                Sec_WebSocket_Version="13",
            ),
        )
        response = exchange(port_of(unguarded), head, timeout=10)
        assert response.status == 500
        assert "Thibaud can only handle ASGI/HTTP connections" in unguarded.log()
