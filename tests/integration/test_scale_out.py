"""Past one machine: three instances of a generated project behind a real nginx, sharing
a real PostgreSQL and Redis, restarted one by one under traffic with no failed request.

The project is generated with ``database=postgresql`` and ``cache=redis``; its instances
are started with its own ``deploy/serve.sh`` (Uvicorn, Gunicorn with Uvicorn workers,
Hypercorn), its release step with ``deploy/release.sh``, and nginx with its own
``deploy/nginx.conf``. Everything runs on 127.0.0.1 and is stopped afterwards; traffic
is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cluster import Instance, Traffic, cluster_project, get, nginx_balancer
from tests.support.deploy import readme_blocks
from tests.support.services import postgres_server, redis_server

pytestmark = pytest.mark.servers

NAME = "shop"
ADMIN = ("admin", "a-long-test-password-9")
#: The instances: the README's "Start N instances" lines, and one more server.
EXTRA_SERVER = "hypercorn"

#: Views added to the project for the test: a value in the cache, a message, a slow page.
TEST_VIEWS = """\
import time

from thibaud.contrib import messages
from thibaud.core.cache import cache
from thibaud.http import HttpResponse, JsonResponse


def cache_set(request):
    cache.set(request.GET["key"], request.GET["value"], timeout=300)
    return HttpResponse("stored")


def cache_get(request):
    return JsonResponse({"value": cache.get(request.GET["key"])})


def message_add(request):
    messages.info(request, request.GET["text"])
    return HttpResponse("added")


def message_read(request):
    return JsonResponse({"messages": [str(message) for message in messages.get_messages(request)]})


def slow(request):
    time.sleep(float(request.GET.get("seconds", "3")))
    return HttpResponse("finished")
"""
TEST_URLS = """
from thibaud.urls import path as _path

from . import scaleout_views as _views

urlpatterns += [
    _path("t/cache/set", _views.cache_set),
    _path("t/cache/get", _views.cache_get),
    _path("t/message/add", _views.message_add),
    _path("t/message/read", _views.message_read),
    _path("t/slow", _views.slow),
]
"""


@dataclass
class Cluster:
    project_dir: Path
    env: dict[str, str]
    instances: list[Instance]
    balancer: int


def readme_steps(project_dir: Path) -> tuple[list[str], list[str]]:
    """The README's "Scaling out" commands: (release step, the servers it starts)."""
    release, start = readme_blocks(project_dir)["Scaling out"]
    servers = []
    for line in start:
        match = re.fullmatch(r"deploy/serve\.sh ([\w-]+) \d+ &", line)
        assert match, line
        servers.append(match.group(1))
    (step,) = release
    return step.split("#")[0].split(), servers


def _run(project_dir: Path, env: dict[str, str], *argv: str) -> str:
    completed = subprocess.run(
        argv,
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("scale-out")
    project_dir = cluster_project(root, NAME)
    (project_dir / NAME / "scaleout_views.py").write_text(TEST_VIEWS, "utf-8")
    with open(project_dir / NAME / "urls.py", "a", encoding="utf-8") as urls:
        urls.write(TEST_URLS)
    # Readable by nginx's workers, which run as nobody when nginx is started as root.
    static_root = Path(tempfile.mkdtemp(prefix="thibaud-test-static-"))
    static_root.chmod(0o755)
    with postgres_server() as postgres, redis_server() as redis, contextlib.ExitStack() as stack:
        import os

        stack.callback(shutil.rmtree, static_root, ignore_errors=True)
        env = {
            **os.environ,
            "THIBAUD_DEBUG": "0",
            "THIBAUD_SECRET_KEY": "scale-out-test-key-" + "x" * 40,
            "THIBAUD_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback: no TLS redirect, cookies over HTTP.
            "THIBAUD_SECURE_SSL_REDIRECT": "0",
            "THIBAUD_SESSION_COOKIE_SECURE": "0",
            "THIBAUD_CSRF_COOKIE_SECURE": "0",
            "THIBAUD_STATIC_ROOT": str(static_root),
            "DATABASE_URL": postgres.create_database(NAME),
            "REDIS_URL": redis.url,
            "THIBAUD_SUPERUSER_PASSWORD": ADMIN[1],
            "THIBAUD_GRACEFUL_TIMEOUT": "20",
            "WEB_CONCURRENCY": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            # The project's scripts run `python`, `uvicorn`...: this environment's.
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        }
        env.pop("THIBAUD_SETTINGS_MODULE", None)
        release, servers = readme_steps(project_dir)
        # The release step, once, before any instance starts.
        _run(project_dir, env, *release)
        _run(
            project_dir,
            env,
            sys.executable,
            "manage.py",
            "createsuperuser",
            "--noinput",
            "--username",
            ADMIN[0],
            "--email",
            "admin@example.com",
        )
        log_dir = root / "logs"
        log_dir.mkdir()
        instances = [
            Instance(f"{index}-{server}", server, project_dir, env, log_dir)
            for index, server in enumerate(dict.fromkeys([*servers, EXTRA_SERVER]), start=1)
        ]
        for instance in instances:
            stack.callback(instance.stop)
            instance.start()
        for instance in instances:
            instance.wait_ready()
        balancer = stack.enter_context(
            nginx_balancer(project_dir, [instance.port for instance in instances], static_root)
        )
        env["THIBAUD_CSRF_TRUSTED_ORIGINS"] = f"http://127.0.0.1:{balancer}"
        yield Cluster(project_dir, env, instances, balancer)


class Browser:
    """Cookies kept across requests to any port, as one browser's would be."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(
        self,
        port: int,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    cookie = http.cookies.SimpleCookie(value)
                    self.cookies.update({key: morsel.value for key, morsel in cookie.items()})
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    def login_form(self, port: int) -> str:
        status, _, page = self.request(port, "GET", "/admin/login/")
        assert status == 200
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1)

    def log_in(self, form_port: int, post_port: int) -> int:
        token = self.login_form(form_port)
        status, headers, _ = self.request(
            post_port,
            "POST",
            "/admin/login/?next=/admin/",
            {
                "csrfmiddlewaretoken": token,
                "username": ADMIN[0],
                "password": ADMIN[1],
                "next": "/admin/",
            },
        )
        return status


def test_a_login_through_the_balancer_is_valid_on_every_instance(cluster: Cluster) -> None:
    browser = Browser()
    assert browser.log_in(cluster.balancer, cluster.balancer) == 302
    assert "sessionid" in browser.cookies
    for instance in cluster.instances:
        status, headers, page = browser.request(instance.port, "GET", "/admin/")
        # Without the session, /admin/ redirects to the login page.
        assert status == 200, (instance.name, status, headers.get("Location"))
        assert "Site administration" in page


def test_a_csrf_token_from_one_instance_is_accepted_by_another(cluster: Cluster) -> None:
    first, second, third = cluster.instances
    for issuer, receiver in ((first, second), (second, third), (third, first)):
        browser = Browser()
        assert browser.log_in(issuer.port, receiver.port) == 302, (issuer.name, receiver.name)
    forged = Browser()
    forged.login_form(first.port)
    forged.cookies["csrftoken"] = "x" * 32
    status, _, _ = forged.request(
        second.port,
        "POST",
        "/admin/login/",
        {"csrfmiddlewaretoken": "y" * 32, "username": ADMIN[0], "password": ADMIN[1]},
    )
    assert status == 403  # the check is real: a token that matches nothing is refused


def test_the_cache_and_messages_are_shared(cluster: Cluster) -> None:
    first, second, third = cluster.instances
    assert get(first.port, "/t/cache/set?key=colour&value=teal")[0] == 200
    for instance in (second, third):
        status, _, body = get(instance.port, "/t/cache/get?key=colour")
        assert (status, body) == (200, b'{"value": "teal"}')
    browser = Browser()
    assert browser.request(second.port, "GET", "/t/message/add?text=saved")[0] == 200
    status, _, body = browser.request(third.port, "GET", "/t/message/read")
    assert (status, body) == (200, '{"messages": ["saved"]}')


def _slow_request(port: int, outcome: list[object]) -> None:
    try:
        outcome.append(get(port, "/t/slow?seconds=3", timeout=30)[::2])
    except Exception as error:  # noqa: BLE001 - recorded for the assertion
        outcome.append(error)


def test_a_rolling_restart_under_traffic_fails_no_request(cluster: Cluster) -> None:
    with Traffic(cluster.balancer, "/", clients=4, max_seconds=240) as traffic:
        for instance in cluster.instances:
            before = traffic.total
            # A slow request in flight when its instance is told to stop completes.
            outcome: list[object] = []
            slow = threading.Thread(target=_slow_request, args=(instance.port, outcome))
            slow.start()
            threading.Event().wait(0.8)
            # A clean exit, or (Uvicorn) the signal re-raised once shutdown is complete.
            assert instance.terminate() in (0, -signal.SIGTERM), instance.log_tail()
            slow.join(timeout=30)
            assert outcome == [(200, b"finished")], (instance.name, instance.log_tail())
            instance.start()
            instance.wait_ready()
            assert traffic.total > before  # the others took the traffic meanwhile
        threading.Event().wait(1.0)
    print(f"\nrolling restart: {dict(traffic.results)} through nginx")
    assert traffic.total >= 100
    assert dict(traffic.results) == {"200": traffic.total}


def test_a_killed_instance_costs_at_most_its_requests_in_flight(cluster: Cluster) -> None:
    victim = cluster.instances[1]
    with Traffic(cluster.balancer, "/", clients=4, max_seconds=120) as traffic:
        threading.Event().wait(1.0)
        victim.kill()
        threading.Event().wait(2.0)
        victim.start()
        victim.wait_ready()
        threading.Event().wait(1.0)
    print(f"\nSIGKILL: {dict(traffic.results)} through nginx")
    failed = traffic.total - traffic.results["200"]
    # nginx retries GETs on the next instance: at most the requests in flight fail.
    assert failed <= traffic.clients
    assert traffic.results["200"] >= 50


def test_health_probes_answer_the_balancer_with_any_host(cluster: Cluster) -> None:
    instance = cluster.instances[0]
    for path in ("/health/live", "/health/ready"):
        status, _, _ = get(instance.port, path, headers={"Host": "10.1.2.3:8000"})
        assert status == 200
    assert get(instance.port, "/", headers={"Host": "10.1.2.3:8000"})[0] == 400


def test_the_balancer_serves_the_collected_static_files(cluster: Cluster) -> None:
    import json

    static_root = Path(cluster.env["THIBAUD_STATIC_ROOT"])
    manifest = json.loads((static_root / "staticfiles.json").read_text("utf-8"))
    hashed = manifest["paths"]["admin/css/base.css"]
    status, headers, body = get(cluster.balancer, f"/static/{hashed}")
    assert status == 200
    assert body == (static_root / hashed).read_bytes()
    # nginx's own answer (its mime type, its cache header), not the instances' copy.
    assert headers["Content-Type"] == "text/css"
    assert "public, immutable" in headers["Cache-Control"]
    # A file nginx cannot find on its disk is asked of the instances.
    assert get(cluster.balancer, "/static/no-such-file.css")[0] == 404
