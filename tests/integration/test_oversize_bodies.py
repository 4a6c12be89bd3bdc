"""Issue hardening-2, "Request bodies": a body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused
before it is read, under every server of the generated README, and nothing over the limit
reaches the server's temporary directory.

Each server runs the generated project (production settings, with the guard its asgi.py applies)
with ``TMPDIR`` set to a fresh directory, whose use is polled while a raw-socket client
sends (a) the headers of a 300 MiB body and then a trickle of it, (b) a 100 MiB chunked
body, (c) a 100 MiB chunked body that also says ``Content-Length: 5``. The client sends
piece by piece and reads all along, so it knows how much it had sent when the answer
came. Daphne buffers every body before it calls the application, so under Daphne the
guard cannot help; the tests pin that, and that nginx's ``client_max_body_size`` in front
of it does (nginx is then needed, and the case is skipped without it).

At most about 260 MiB cross the loopback in the whole module, most of it the 100 MiB that
Daphne takes in full, alone and again refused by nginx before it reaches Daphne.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.test_hostile_requests import (
    BODY_LIMIT,
    GUARD_LINE,
    HOST,
    behind_tls_proxy,
    headers,
    hostile_project,
    one_worker,
)
from tests.support.deploy import (
    readme_command,
    readme_production_env,
    serve_readme_command,
)
from tests.support.hostile import (
    Streamed,
    TempSpace,
    chunked_pieces,
    repeated,
    request_head,
    stream_request,
)
from tests.support.servers import RunningServer, free_port, run_server

pytestmark = pytest.mark.servers

MiB = 1024 * 1024
DECLARED = 300 * MiB
CHUNKED = 100 * MiB
# The client's bytes in flight (its socket's buffer, the server's, the last piece) are
# counted as sent; an answer given when the limit is crossed comes well before this.
ANSWERED_BEFORE = 2 * BODY_LIMIT
# The trickle after the headers of the declared body: 1 KiB every 50 ms, for 2 s.
TRICKLE = 1024
TRICKLE_PACE = 0.05
TRICKLE_PIECES = 40


@dataclass(frozen=True)
class Server:
    """A README server line (found by its heading and first word), and whether it
    holds the promise or is Daphne, which buffers a body before the application runs."""

    heading: str
    starts_with: str
    buffers_bodies: bool = False


SERVERS = {
    "uvicorn": Server("Uvicorn", "uvicorn "),
    "hypercorn": Server("Hypercorn", "hypercorn "),
    "daphne": Server("Daphne", "daphne ", buffers_bodies=True),
    "gunicorn-uvicorn-worker": Server("Gunicorn with the Uvicorn worker", "gunicorn "),
    "gunicorn-wsgi": Server("Gunicorn (WSGI)", "gunicorn "),
}


@dataclass
class Served:
    """A running server, the temporary directories it writes in, and its session's id
    (every process it starts shares it)."""

    server: Server
    port: int
    watched: list[tuple[Path, int]]

    def space(self) -> TempSpaces:
        return TempSpaces([TempSpace(directory, session) for directory, session in self.watched])


class TempSpaces:
    """Several :class:`TempSpace` polled at once; ``peak`` is the sum of their peaks."""

    def __init__(self, spaces: list[TempSpace]) -> None:
        self.spaces = spaces

    def __enter__(self) -> TempSpaces:
        for space in self.spaces:
            space.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for space in self.spaces:
            space.__exit__(*exc_info)

    @property
    def peak(self) -> int:
        return sum(space.peak for space in self.spaces)


@pytest.fixture(scope="module")
def guarded_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as generated: asgi.py wraps Thibaud's handler in the guard."""
    directory = hostile_project(tmp_path_factory.mktemp("oversize"))
    assert GUARD_LINE in (directory / "mysite" / "asgi.py").read_text("utf-8")
    return directory


@pytest.fixture(scope="module")
def production_env(guarded_project: Path) -> dict[str, str]:
    return behind_tls_proxy(readme_production_env(guarded_project))


NGINX_CONF = """\
# Workers as this user, who owns the temporary directories (ignored unless root).
user {user};
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        # The project's DATA_UPLOAD_MAX_MEMORY_SIZE, as the README says.
        client_max_body_size {limit};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
        }}
    }}
}}
"""


@contextlib.contextmanager
def serve(
    server: Server, guarded_project: Path, env: dict[str, str], tmpdir: Path
) -> Iterator[RunningServer]:
    """The server's README line, one worker, its TMPDIR *tmpdir*; always stopped."""
    line = one_worker(readme_command(guarded_project, server.heading, server.starts_with))
    with serve_readme_command(
        line, guarded_project, env={**env, "TMPDIR": str(tmpdir)}, host_header=HOST
    ) as running:
        yield running


def port_of(server: RunningServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


@pytest.fixture(scope="module", params=[*SERVERS, "daphne-behind-nginx"])
def served(
    request: pytest.FixtureRequest,
    guarded_project: Path,
    production_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    name: str = request.param
    tmpdir = tmp_path_factory.mktemp(f"tmpdir-{name}")
    if name != "daphne-behind-nginx":
        with serve(SERVERS[name], guarded_project, production_env, tmpdir) as running:
            yield Served(SERVERS[name], port_of(running), [(tmpdir, running.process.pid)])
        return
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is not installed")
    prefix = tmp_path_factory.mktemp("nginx")
    with serve(SERVERS["daphne"], guarded_project, production_env, tmpdir) as daphne:
        port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                user=pwd.getpwuid(os.getuid()).pw_name,
                dir=prefix,
                port=port,
                limit=BODY_LIMIT,
                upstream=port_of(daphne),
            )
        )
        argv = [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        with run_server(
            [*argv, "-g", "daemon off;"], cwd=prefix, port=port, host_header=HOST
        ) as proxy:
            yield Served(
                Server("nginx, then Daphne", "", buffers_bodies=False),
                port,
                [(tmpdir, daphne.process.pid), (prefix / "client_body", proxy.process.pid)],
            )


def post_head(**extra: str) -> bytes:
    return request_head(
        "POST",
        "/hostile/body-length/",
        headers(Content_Type="application/octet-stream", **extra),
    )


def report(served: Served, case: str, result: Streamed, peak: int) -> None:
    # Shown with -rP (or -s): the figures the README and SECURITY.md quote.
    print(
        f"{served.server.heading} {case}: status {result.status}, sent "
        f"{result.sent_when_answered:,} bytes when answered ({result.sent:,} in all, "
        f"finished: {result.finished_sending}), peak temporary {peak:,} bytes"
    )


def test_a_declared_length_over_the_limit_is_refused_from_the_headers(served: Served) -> None:
    with served.space() as space:
        result = stream_request(
            served.port,
            post_head(Content_Length=str(DECLARED)),
            repeated(b"x" * TRICKLE, TRICKLE * TRICKLE_PIECES),
            pace=TRICKLE_PACE,
        )
    report(served, "(a) Content-Length: 300 MiB, a trickle", result, space.peak)
    if served.server.buffers_bodies:
        # Daphne waits for the whole body before calling the application: no answer.
        assert result.status == 0, result.raw[:300]
        assert result.finished_sending
    else:
        assert result.status == 413, result.raw[:300]
        # Answered on the headers, before the trickle ended.
        assert not result.finished_sending
    assert space.peak <= BODY_LIMIT


def test_a_chunked_body_over_the_limit_is_refused_once_over_it(served: Served) -> None:
    with served.space() as space:
        result = stream_request(
            served.port, post_head(Transfer_Encoding="chunked"), chunked_pieces(CHUNKED)
        )
    report(served, "(b) chunked 100 MiB", result, space.peak)
    assert result.status == 413, result.raw[:300]
    if served.server.buffers_bodies:
        # What the README and SECURITY.md say of Daphne: the whole body, to disk,
        # before the guard can refuse it.
        assert result.finished_sending
        assert space.peak > CHUNKED * 9 // 10
    else:
        assert result.sent_when_answered < ANSWERED_BEFORE
        assert not result.finished_sending
        assert space.peak <= BODY_LIMIT


def test_a_chunked_body_that_also_declares_a_length_is_refused(served: Served) -> None:
    with served.space() as space:
        result = stream_request(
            served.port,
            post_head(Transfer_Encoding="chunked", Content_Length="5"),
            chunked_pieces(CHUNKED),
        )
    report(served, "(c) chunked 100 MiB and Content-Length: 5", result, space.peak)
    # Which length is the body's? Every server refuses to guess, on the headers: Daphne
    # and Gunicorn's parser themselves, the guard under Uvicorn and Hypercorn.
    assert result.status == 400, result.raw[:300]
    assert result.sent_when_answered < ANSWERED_BEFORE
    assert not result.finished_sending
    assert space.peak <= BODY_LIMIT


@pytest.mark.parametrize("framing", ["Content-Length", "chunked"])
def test_a_body_under_the_limit_is_read(served: Served, framing: str) -> None:
    """The control: the limit refuses, not the encoding or the server. Under Gunicorn
    (WSGI) a chunked body reaches the view too: the guard hands it on with its length,
    where Thibaud's WSGI handler alone reads it as empty."""
    size = BODY_LIMIT - 1
    if framing == "chunked":
        head, body = post_head(Transfer_Encoding="chunked"), chunked_pieces(size)
    else:
        head, body = post_head(Content_Length=str(size)), repeated(b"x" * 65536, size)
    result = stream_request(served.port, head, body)
    assert result.status == 200, result.raw[:300]
    assert f'"length": {size}'.encode() in result.raw
