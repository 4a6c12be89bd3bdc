"""Projects no template of ours wrote, made as their users make them.

Each starts from the framework's own ``python -m thibaud startproject`` and is then laid
out the way published templates and tutorials lay theirs out (the fixtures are ours):

- ``stock``: the command's output as it is;
- ``config``: ``startproject config .`` (the documented trick), the settings turned into
  a package (``base``/``local``, ``from .base import *``, ``MIDDLEWARE +=`` in ``local``),
  and cookiecutter-django's ``config/asgi.py``: ``sys.path`` set up, a late import, and
  an ``async def application`` that dispatches HTTP and WebSocket;
- ``router``: ``application`` bound to a hand-written protocol router, called over
  several lines, after a late import;
- ``hand_wrapped``: ``application`` already wrapped by hand (ServeStatic's ASGI app);
- ``src``: the package under ``src/``, ``manage.py`` at the top putting ``src`` on the
  path, and a ``pyproject.toml`` with ``[project].dependencies``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

#: An ASGI middleware of the project's own: appends one value to a response header,
#: so the order of the chain shows in the response.
HEADER_MIDDLEWARE = '''\
class AddHeader:
    """Appends one value to the x-chain header of every HTTP response."""

    def __init__(self, app, value="mw"):
        self.app = app
        self.value = value.encode("latin-1")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-chain", self.value)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)


class AddHeaderAgain(AddHeader):
    pass
'''

#: A view whose body is long enough for GZip to compress it.
BIG_VIEW = """\
from thibaud.http import HttpResponse


def big(request):
    return HttpResponse("thibaud " * 500, content_type="text/plain")
"""

ROUTER = '''\
"""Routes each connection by protocol: the way channels' ProtocolTypeRouter does."""


class ProtocolRouter:
    def __init__(self, routes):
        self.routes = routes

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.routes[scope["type"]](scope, receive, send)
'''

CONFIG_ASGI = '''\
"""
ASGI config for shop project.

It exposes the ASGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.thibaudproject.com/en/dev/howto/deployment/asgi/

"""

import os
import sys
from pathlib import Path

from thibaud.core.asgi import get_asgi_application

# This allows easy placement of apps within the interior
# shop directory.
BASE_DIR = Path(__file__).resolve(strict=True).parent.parent
sys.path.append(str(BASE_DIR / "shop"))

# If THIBAUD_SETTINGS_MODULE is unset, default to the local settings
os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "config.settings.local")

# This application object is used by any ASGI server configured to use this file.
thibaud_application = get_asgi_application()

# Import websocket application here, so apps from thibaud_application are loaded first
from config.websocket import websocket_application  # noqa: E402


async def application(scope, receive, send):
    if scope["type"] == "http":
        await thibaud_application(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket_application(scope, receive, send)
    else:
        msg = f"Unknown scope type {scope['type']}"
        raise NotImplementedError(msg)
'''

WEBSOCKET = """\
async def websocket_application(scope, receive, send):
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif event["type"] == "websocket.disconnect":
            break
"""

ROUTER_ASGI_TAIL = """
thibaud_application = get_asgi_application()

from mysite.routing import ProtocolRouter  # noqa: E402

application = ProtocolRouter(
    {
        "http": thibaud_application,
        # "websocket": a consumer, once the project has one
    }
)
"""

HAND_WRAP_TAIL = """
# Static files straight from the ASGI server: ServeStatic, wrapped by hand.
from pathlib import Path  # noqa: E402

from servestatic import ServeStaticASGI  # noqa: E402

application = ServeStaticASGI(
    application, root=Path(__file__).resolve().parent / "static", prefix="static/"
)
"""

SRC_MANAGE = '''\
#!/usr/bin/env python
"""Thibaud's command-line utility for administrative tasks."""
import os
import sys
from pathlib import Path


def main():
    """Run administrative tasks."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    os.environ.setdefault('THIBAUD_SETTINGS_MODULE', 'mysite.settings')
    from thibaud.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == '__main__':
    main()
'''

SRC_PYPROJECT = """\
[project]
name = "mysite"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = [
    # The framework.
    "Thibaud>=6.0a1",
]
"""


#: ``python -m thibaud``, less this checkout on ``sys.path``: an editable install of
#: thibaud-cli puts the checkout there, and a project that the README's first command
#: created in it (``mysite/``) would be an existing module to the framework, which then
#: refuses the name.
_STOCK_ADMIN = f"""
import sys
sys.path[:] = [entry for entry in sys.path if entry != {str(Path(__file__).resolve().parents[2])!r}]
from thibaud.core.management import execute_from_command_line
execute_from_command_line(["thibaud-admin", *sys.argv[1:]])
"""


def startproject(name: str, directory: Path, *args: str) -> None:
    """The framework's own ``startproject``, run as its users run it."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-c", _STOCK_ADMIN, "startproject", name, *args],
        cwd=directory,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )


def _add_views(package: Path, urls: Path | None = None) -> None:
    """The header middleware and a big page, routed at /big/."""
    (package / "chain.py").write_text(HEADER_MIDDLEWARE)
    (package / "bigpage.py").write_text(BIG_VIEW)
    urls = urls or package / "urls.py"
    urls.write_text(
        urls.read_text()
        + f"\nfrom {package.name}.bigpage import big  # noqa: E402\n\n"
        + "urlpatterns += [path('big/', big)]\n"
    )


def stock(root: Path) -> Path:
    startproject("plain", root)
    project = root / "plain"
    _add_views(project / "plain")
    return project


def config(root: Path) -> Path:
    project = root / "shop"
    startproject("config", project, ".")
    settings = project / "config" / "settings.py"
    package = project / "config" / "settings"
    package.mkdir()
    (package / "__init__.py").write_text("")
    base = settings.read_text().replace(
        "BASE_DIR = Path(__file__).resolve().parent.parent",
        "BASE_DIR = Path(__file__).resolve().parent.parent.parent",
    )
    (package / "base.py").write_text(base)
    settings.unlink()
    (package / "local.py").write_text(
        '"""Local development settings."""\n\n'
        "from .base import *  # noqa: F403\n"
        "from .base import MIDDLEWARE\n\n"
        "DEBUG = True\n"
        'ALLOWED_HOSTS = ["127.0.0.1", "localhost"]\n\n'
        "# Timing, locally only.\n"
        'MIDDLEWARE += ["config.timing.TimingMiddleware"]\n'
    )
    (project / "config" / "timing.py").write_text(
        "import time\n\n\nclass TimingMiddleware:\n"
        "    def __init__(self, get_response):\n        self.get_response = get_response\n\n"
        "    def __call__(self, request):\n        started = time.monotonic()\n"
        "        response = self.get_response(request)\n"
        '        response["x-elapsed"] = f"{time.monotonic() - started:.6f}"\n'
        "        return response\n"
    )
    for name in ("manage.py", "config/wsgi.py"):
        path = project / name
        path.write_text(path.read_text().replace("'config.settings'", "'config.settings.local'"))
    (project / "config" / "asgi.py").write_text(CONFIG_ASGI)
    (project / "config" / "websocket.py").write_text(WEBSOCKET)
    (project / "shop").mkdir()
    _add_views(project / "config")
    return project


def router(root: Path) -> Path:
    startproject("mysite", root)
    project = root / "mysite"
    asgi = project / "mysite" / "asgi.py"
    head = asgi.read_text().split("application = get_asgi_application()")[0]
    asgi.write_text(head.rstrip("\n") + "\n" + ROUTER_ASGI_TAIL)
    (project / "mysite" / "routing.py").write_text(ROUTER)
    _add_views(project / "mysite")
    return project


def hand_wrapped(root: Path) -> Path:
    startproject("mysite", root)
    project = root / "mysite"
    asgi = project / "mysite" / "asgi.py"
    asgi.write_text(asgi.read_text() + HAND_WRAP_TAIL)
    (project / "mysite" / "static").mkdir()
    (project / "mysite" / "static" / "hello.txt").write_text("hello from static\n")
    _add_views(project / "mysite")
    return project


def src(root: Path) -> Path:
    project = root / "mysite"
    startproject("mysite", project / "src", ".")
    (project / "src" / "manage.py").unlink()
    (project / "manage.py").write_text(SRC_MANAGE)
    (project / "pyproject.toml").write_text(SRC_PYPROJECT)
    _add_views(project / "src" / "mysite")
    return project


LAYOUTS: dict[str, Callable[[Path], Path]] = {
    "stock": stock,
    "config": config,
    "router": router,
    "hand_wrapped": hand_wrapped,
    "src": src,
}
#: Each layout's ASGI module, the directory a server imports it from, and its package.
ENTRY = {
    "stock": ("plain.asgi", ".", "plain"),
    "config": ("config.asgi", ".", "config"),
    "router": ("mysite.asgi", ".", "mysite"),
    "hand_wrapped": ("mysite.asgi", ".", "mysite"),
    "src": ("mysite.asgi", "src", "mysite"),
}
