"""Issue 25, item 7: the Docker image serves production with the request guard.

Docker cannot run here, so the image's own entry point is run as the image would run
it: the Dockerfile's CMD, word for word but for the address (a free port on
127.0.0.1) and one worker, with the environment its final stage sets (the paths under
/app and /data moved to a temporary directory) and the secret compose.yaml requires.
Under that real Uvicorn, the oversized and chunked bodies and the websocket handshake
the guard exists for are refused; a project whose asgi.py lost the guard's line
answers them as Thibaud's handler does, which is what the first test would see
without it.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.test_hostile_requests import BODY_LIMIT, GUARD_LINE, OVER_LIMIT
from tests.support.deploy import generate_project
from tests.support.hostile import chunked, exchange, request_head
from tests.support.servers import RunningServer, free_port, project_env, run_server

pytestmark = pytest.mark.servers

HOST = "example.com"


@dataclass(frozen=True)
class ImageRun:
    """What the final stage of the Dockerfile runs: its CMD and its ENV."""

    argv: list[str]
    env: dict[str, str]


def final_stage(dockerfile: str) -> list[str]:
    """The final stage's instructions, continuation lines joined."""
    text = dockerfile[dockerfile.rindex("\nFROM ") :].replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip()]


def image_run(project: Path) -> ImageRun:
    stage = final_stage((project / "Dockerfile").read_text("utf-8"))
    (cmd,) = [line for line in stage if line.startswith("CMD ")]
    argv = json.loads(cmd.removeprefix("CMD "))
    env: dict[str, str] = {}
    for line in stage:
        if line.startswith("ENV "):
            for word in shlex.split(line.removeprefix("ENV ")):
                name, _, value = word.partition("=")
                env[name] = value
    return ImageRun(argv, env)


def on_loopback(argv: list[str], port: int) -> list[str]:
    """*argv* listening on 127.0.0.1:*port* with one worker; nothing else changes."""
    replaced = {"--host": "127.0.0.1", "--port": str(port), "--workers": "1"}
    out: list[str] = []
    for index, word in enumerate(argv):
        previous = argv[index - 1] if index else ""
        out.append(replaced.get(previous, word))
    assert out != argv and out[0] == "uvicorn", argv
    return out


def serve_as_the_image(
    project: Path, scratch: Path
) -> contextlib.AbstractContextManager[RunningServer]:
    """The image's CMD, run in *project* with the image's environment."""
    run = image_run(project)
    env = {
        name: value.replace("/app/", f"{scratch}/app/").replace("////data/", f"///{scratch}/data/")
        for name, value in run.env.items()
        if name != "PATH"  # the image's venv; here, the test run's
    }
    (scratch / "app" / "staticfiles").mkdir(parents=True, exist_ok=True)
    (scratch / "data").mkdir(exist_ok=True)
    # What compose.yaml requires of the environment, and the host the tests ask for.
    env |= {"THIBAUD_SECRET_KEY": "image-test-" + "k" * 50, "THIBAUD_ALLOWED_HOSTS": HOST}
    port = free_port()
    return run_server(
        on_loopback(run.argv, port),
        cwd=project,
        port=port,
        env=project_env(project, env),
        ready_path="/health/live",
    )


def post_over_the_limit(server: RunningServer, *, chunked_body: bool) -> int:
    port = int(server.base_url.rsplit(":", 1)[1])
    framing = (
        {"Transfer-Encoding": "chunked"} if chunked_body else {"Content-Length": str(OVER_LIMIT)}
    )
    head = request_head(
        "POST",
        "/anything/",
        [
            ("Host", HOST),
            ("Content-Type", "application/octet-stream"),
            ("Connection", "close"),
            *framing.items(),
        ],
    )
    body = chunked(b"x" * OVER_LIMIT) if chunked_body else b"x" * OVER_LIMIT
    return exchange(port, head, body).status


def websocket_handshake(server: RunningServer) -> int:
    port = int(server.base_url.rsplit(":", 1)[1])
    head = request_head(
        "GET",
        "/",
        [
            ("Host", HOST),
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ],
    )
    return exchange(port, head, timeout=10).status


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_project(tmp_path_factory.mktemp("image"))


@pytest.fixture(scope="module")
def image(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serve_as_the_image(project, tmp_path_factory.mktemp("image-scratch")) as server:
        yield server


def test_the_image_runs_uvicorn_on_the_asgi_module_in_production(project: Path) -> None:
    run = image_run(project)
    assert run.argv[:2] == ["uvicorn", "mysite.asgi:application"]
    assert run.env["THIBAUD_DEBUG"] == "0"


@pytest.mark.parametrize("chunked_body", [False, True], ids=["content-length", "chunked"])
def test_the_image_refuses_a_body_over_the_limit(image: RunningServer, chunked_body: bool) -> None:
    assert OVER_LIMIT > BODY_LIMIT
    assert post_over_the_limit(image, chunked_body=chunked_body) == 413
    assert image.process.poll() is None


def test_the_image_refuses_a_websocket_handshake(image: RunningServer) -> None:
    assert websocket_handshake(image) == 403
    assert "Thibaud can only handle ASGI/HTTP connections" not in image.log()


def test_without_the_guard_line_the_same_requests_reach_thibaud(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The control: the image's entry point, its asgi.py without the guard's line,
    reads the declared body and answers as Thibaud does (no 413)."""
    project = generate_project(tmp_path_factory.mktemp("image-unguarded"))
    asgi = project / "mysite" / "asgi.py"
    asgi.write_text(asgi.read_text("utf-8").replace(GUARD_LINE, ""), "utf-8")
    with serve_as_the_image(project, tmp_path_factory.mktemp("image-unguarded-scratch")) as server:
        assert post_over_the_limit(server, chunked_body=False) != 413
        assert websocket_handshake(server) == 500
