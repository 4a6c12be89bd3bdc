"""Issue 3, item 5: the generated ``asgi.py`` keeps ``application`` a plain module-level
name, so it can be wrapped by hand (as the seed page shows) or mounted inside another
ASGI application (as the generated README shows), both served by uvicorn."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest

from tests.support.deploy import (
    generate_project,
    readme_blocks,
    readme_command,
    serve_readme_command,
)
from tests.support.servers import free_port, project_env, run_server

pytestmark = pytest.mark.servers

# The seed page's `application = AmazingMiddleware(application)`, written by hand after
# the managed block of asgi.py, as a user would.
HAND_WRITTEN_WRAP = '''

class ServedByHeader:
    """Adds ``X-Served-By`` to every HTTP response; passes other scopes through."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-served-by", b"hand-wrapped")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)


application = ServedByHeader(application)
'''


def test_application_is_a_plain_module_level_assignment(tmp_path: Path) -> None:
    project = generate_project(tmp_path)
    tree = ast.parse((project / "mysite" / "asgi.py").read_text("utf-8"))
    assigned = [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]
    # Built, then wrapped in the request guard: still one plain name a server imports.
    assert assigned == ["application", "application"]


def test_application_wrapped_by_hand_in_asgi_py(tmp_path: Path) -> None:
    project = generate_project(tmp_path)
    with open(project / "mysite" / "asgi.py", "a", encoding="utf-8") as asgi:
        asgi.write(HAND_WRITTEN_WRAP)
    port = free_port()
    argv = ["uvicorn", "mysite.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    with run_server(argv, cwd=project, port=port, env=project_env(project)) as server:
        start_page = httpx.get(server.base_url + "/")
        sync = httpx.get(server.base_url + "/checks/sync/")
        missing = httpx.get(server.base_url + "/no-such-page/")
    assert start_page.status_code == 200
    assert "<h1>mysite is running</h1>" in start_page.text
    assert start_page.headers["x-served-by"] == "hand-wrapped"
    assert sync.json() == {"view": "sync", "in_event_loop": False}
    assert sync.headers["x-served-by"] == "hand-wrapped"
    assert missing.status_code == 404
    assert missing.headers["x-served-by"] == "hand-wrapped"


def test_application_mounted_in_starlette_as_the_readme_shows(tmp_path: Path) -> None:
    project = generate_project(tmp_path)
    (outer_source,) = readme_blocks(project, "python")["ASGI middleware"]
    (project / "mysite" / "outer.py").write_text("\n".join(outer_source) + "\n", "utf-8")
    line = readme_command(project, "ASGI middleware", "uvicorn ")
    with serve_readme_command(line, project, ready_path="/site/") as server:
        start_page = httpx.get(server.base_url + "/site/")
        async_view = httpx.get(server.base_url + "/site/checks/async/")
        orm = httpx.get(server.base_url + "/site/checks/async-orm/")
        thibaud_404 = httpx.get(server.base_url + "/site/no-such-page/")
        outside = httpx.get(server.base_url + "/")
    assert start_page.status_code == 200
    assert "<h1>mysite is running</h1>" in start_page.text
    assert async_view.json() == {"view": "async", "in_event_loop": True}
    assert orm.json() == {"error": "SynchronousOnlyOperation"}
    # Thibaud's own 404 page (DEBUG is on) knows the path it was mounted under.
    assert thibaud_404.status_code == 404
    assert "/site/no-such-page/" in thibaud_404.text
    # Starlette answers what is outside the mount.
    assert outside.status_code == 404
    assert outside.text == "Not Found"
