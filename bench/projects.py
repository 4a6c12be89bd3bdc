"""The projects under test: ours and the stock one, each given the same hello views."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BIN_DIR = Path(sys.executable).parent
THIBAUD_ADMIN = str(BIN_DIR / "thibaud-admin")

HELLO_VIEWS = '''"""Hello views added by the benchmark: the same in every project."""

from thibaud.http import HttpRequest, HttpResponse


def hello_sync(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello world!", content_type="text/plain")


async def hello_async(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello world!", content_type="text/plain")
'''

HELLO_URLS = """
from thibaud.urls import path as _bench_path

from . import benchviews

urlpatterns += [
    _bench_path("hello/sync/", benchviews.hello_sync),
    _bench_path("hello/async/", benchviews.hello_async),
]
"""

#: Project-local ASGI middleware that does nothing but call the next application,
#: written the way STYLE.md asks (app first, no buffering): its cost is the cost
#: of a link in the chain that ``add-asgi-middleware`` generates.
PASS_THROUGH = '''"""Pass-through ASGI middleware added by the benchmark."""

from typing import Any


class _PassThrough:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class First(_PassThrough):
    pass


class Second(_PassThrough):
    pass


class Third(_PassThrough):
    pass
'''
PASS_THROUGH_CLASSES = ("First", "Second", "Third")


@dataclass(frozen=True)
class Project:
    """A generated project ready to serve: where it is, and its package name."""

    label: str
    root: Path
    package: str

    @property
    def application(self) -> str:
        return f"{self.package}.asgi:application"


def add_hello_views(project: Project) -> None:
    package = project.root / project.package
    (package / "benchviews.py").write_text(HELLO_VIEWS, "utf-8")
    with (package / "urls.py").open("a", encoding="utf-8") as urls:
        urls.write(HELLO_URLS)


def run(argv: list[str], cwd: Path) -> None:
    completed = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{completed.stdout}{completed.stderr}")


def ours(workdir: Path, package: str = "ours") -> Project:
    workdir.mkdir(parents=True, exist_ok=True)
    run([THIBAUD_ADMIN, "startproject", package], workdir)
    project = Project("thibaud-admin startproject", workdir / package, package)
    add_hello_views(project)
    return project


def stock(
    workdir: Path, package: str = "stock", label: str = "python -m thibaud startproject"
) -> Project:
    workdir.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "thibaud", "startproject", package], workdir)
    project = Project(label, workdir / package, package)
    add_hello_views(project)
    return project


def ours_with_middleware(workdir: Path, package: str = "chained") -> Project:
    """Our project with three pass-through middleware added by add-asgi-middleware."""
    project = ours(workdir, package)
    (project.root / package / "passthrough.py").write_text(PASS_THROUGH, "utf-8")
    for name in PASS_THROUGH_CLASSES:
        run([THIBAUD_ADMIN, "add-asgi-middleware", f"{package}.passthrough:{name}"], project.root)
    return Project("thibaud-admin + 3 pass-through middleware", project.root, package)
