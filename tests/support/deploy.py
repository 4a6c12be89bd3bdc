"""What the deployment tests share: the generated README's commands, and the views a
user would add to a generated project to see how each server runs their code."""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import BIN_DIR
from tests.support.servers import RunningServer, free_port, project_env, run_server, stop_process
from thibaud_cli.operations.startproject import start_project

#: The port every command of the generated README listens on; tests swap in a free one.
README_PORT = "8000"

# A module the user writes: what each server does with a sync view, an async view, an
# async view calling the ORM, the client's address and scheme, and an error.
CHECKS_MODULE = '''\
"""Views that show how the server runs the project's code."""

import asyncio

from thibaud.conf import settings
from thibaud.contrib.auth.models import User
from thibaud.http import HttpRequest, HttpResponse, JsonResponse


def in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def sync_view(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"view": "sync", "in_event_loop": in_event_loop()})


async def async_view(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"view": "async", "in_event_loop": in_event_loop()})


async def async_orm_view(request: HttpRequest) -> HttpResponse:
    try:
        User.objects.count()
    except Exception as exc:
        return JsonResponse({"error": type(exc).__name__})
    return JsonResponse({"error": None})


def whoami(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        {
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "secure": request.is_secure(),
            "settings_module": settings.SETTINGS_MODULE,
            "debug": settings.DEBUG,
        }
    )


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom-detail-" + settings.SECRET_KEY)
'''

CHECKS_URLS = """
from . import checks  # noqa: E402

urlpatterns += [
    path("checks/sync/", checks.sync_view),
    path("checks/async/", checks.async_view),
    path("checks/async-orm/", checks.async_orm_view),
    path("checks/whoami/", checks.whoami),
    path("checks/boom/", checks.boom),
]
"""


def generate_project(root: Path, name: str = "mysite") -> Path:
    """A project from the bundled template, with the user's ``checks`` views added
    next to the start page (which stays at ``/``)."""
    directory = root / name
    start_project(name, directory)
    package = directory / name
    (package / "checks.py").write_text(CHECKS_MODULE, "utf-8")
    with open(package / "urls.py", "a", encoding="utf-8") as urls:
        urls.write(CHECKS_URLS)
    return directory


def readme_blocks(project_dir: Path, language: str = "sh") -> dict[str, list[list[str]]]:
    """The *language* code blocks of the project's README, by the heading above them:
    ``{heading: [[line, ...], ...]}``."""
    text = (project_dir / "README.md").read_text("utf-8")
    blocks: dict[str, list[list[str]]] = {}
    heading = ""
    in_block = False
    for line in text.splitlines():
        if in_block:
            if line.startswith("```"):
                in_block = False
            else:
                blocks[heading][-1].append(line)
        elif line == "```" + language:
            in_block = True
            blocks.setdefault(heading, []).append([])
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    return blocks


def readme_command(project_dir: Path, heading: str, starts_with: str, block: int = 0) -> str:
    """The one line of block *block* under *heading* that starts with *starts_with*."""
    lines = readme_blocks(project_dir)[heading][block]
    matches = [line for line in lines if line.startswith(starts_with)]
    if len(matches) != 1:
        raise AssertionError(f"expected one {starts_with!r} line under {heading!r}: {lines}")
    return matches[0]


def on_port(command: str, port: int) -> str:
    """*command* with the README's port swapped for *port*; nothing else changes."""
    swapped, count = re.subn(rf"(?<=[ :]){README_PORT}\b", str(port), command)
    if count != 1:
        raise AssertionError(f"expected the port {README_PORT} once in {command!r}")
    return swapped


@dataclass(frozen=True)
class ShellCommand:
    """A README line split into its leading ``NAME=value`` assignments and argv."""

    env: dict[str, str]
    argv: list[str]

    @classmethod
    def parse(cls, line: str) -> ShellCommand:
        words = shlex.split(line)
        env: dict[str, str] = {}
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        return cls(env=env, argv=words)


@contextlib.contextmanager
def serve_readme_command(
    line: str,
    project_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/",
    host_header: str | None = None,
) -> Iterator[RunningServer]:
    """Run a server line of the README (on a free port) in the project, always stopped."""
    port = free_port()
    command = ShellCommand.parse(on_port(line, port))
    with run_server(
        command.argv,
        cwd=project_dir,
        port=port,
        env=project_env(project_dir, {**command.env, **(env or {})}),
        ready_path=ready_path,
        host_header=host_header,
    ) as server:
        yield server


def run_readme_line(
    line: str, project_dir: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a non-server README line in the project with this test run's interpreter."""
    command = ShellCommand.parse(line)
    return subprocess.run(
        command.argv,
        cwd=project_dir,
        env=project_env(project_dir, {**command.env, **(env or {})}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def pip_install_offline(line: str, project_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run a README ``pip install ...`` line against this test run's environment, offline
    and without changing it: it proves each package named is the one installed here."""
    command = ShellCommand.parse(line)
    if command.argv[:2] != ["pip", "install"]:
        raise AssertionError(f"not a pip install line: {line!r}")
    return subprocess.run(
        [str(BIN_DIR / "pip"), "install", "--dry-run", "--no-index", *command.argv[2:]],
        cwd=project_dir,
        env=project_env(project_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass(frozen=True)
class Exited:
    """How a process that was expected to stop on its own ended."""

    returncode: int
    output: str


def run_until_exit(
    argv: list[str], project_dir: Path, env: Mapping[str, str], timeout: float = 60.0
) -> Exited:
    """Run *argv* in its own process group; a process still running after *timeout* is
    a hang: it is stopped (all of it) and the test fails."""
    process = subprocess.Popen(
        argv,
        cwd=project_dir,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_process(process)
        raise AssertionError(f"{argv} still running after {timeout}s") from None
    finally:
        stop_process(process)
    return Exited(process.returncode, output.decode("utf-8", errors="replace"))


def readme_production_env(project_dir: Path) -> dict[str, str]:
    """The ``THIBAUD_*`` variables the README's production block exports, evaluated by
    the shell exactly as a reader pasting them would."""
    block = readme_blocks(project_dir)["Production settings"][0]
    exports = [line for line in block if line.startswith("export ")]
    script = "\n".join(
        [
            "set -e",
            *exports,
            'python -c "import json, os; print(json.dumps({k: v for k, v in os.environ.items()'
            " if k.startswith('THIBAUD_')}))\"",
        ]
    )
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=project_dir,
        env=project_env(project_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    variables: dict[str, str] = json.loads(result.stdout)
    return variables
