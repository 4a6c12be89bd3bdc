"""The generated deploy/nginx.conf under a real nginx (issue 25, item 7): it names no
version, and serves uploaded files so that they cannot run as the site: never sniffed
into another type, downloaded rather than shown, sandboxed if shown all the same.

The instance behind it is a plain HTTP server on 127.0.0.1: nginx only has to start and
proxy; what is checked is what nginx itself answers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cluster import nginx_balancer
from tests.support.servers import free_port, run_server
from tests.support.services import ServiceUnavailable, nginx_path
from thibaud_cli.operations.startproject import start_project

pytestmark = pytest.mark.servers

EVIL = "<script>document.title = document.cookie</script>\n"


@pytest.fixture(scope="module")
def balancer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(nginx's base URL, the instance's) for a project whose media holds an HTML file."""
    try:
        nginx_path()
    except ServiceUnavailable as error:
        pytest.skip(str(error))
    project = tmp_path_factory.mktemp("nginx-hardening") / "mysite"
    start_project("mysite", project)
    # Not under pytest's temporary directory, which nginx's workers (nobody, when the
    # tests run as root) cannot enter.
    root = Path(tempfile.mkdtemp(prefix="thibaud-test-media-"))
    media = root / "media"
    (media / "uploads").mkdir(parents=True)
    (media / "uploads" / "evil.html").write_text(EVIL, "utf-8")
    static = root / "static"
    static.mkdir()
    # nginx's workers may run as nobody: let them read the files.
    for path in (root, media, media / "uploads", static):
        path.chmod(0o755)
    (media / "uploads" / "evil.html").chmod(0o644)
    conf = project / "deploy" / "nginx.conf"
    text = conf.read_text("utf-8")
    assert "alias /srv/mysite/media/;" in text
    conf.write_text(text.replace("alias /srv/mysite/media/;", f"alias {media}/;"), "utf-8")
    port = free_port()
    instance = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    try:
        with run_server(instance, cwd=static, port=port) as upstream:
            with nginx_balancer(project, [port], static) as listen:
                yield f"http://127.0.0.1:{listen}", upstream.base_url
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_nginx_names_no_version(balancer: tuple[str, str]) -> None:
    url, _ = balancer
    missing = httpx.get(url + "/media/uploads/nothing-here.txt")
    assert missing.status_code == 404
    assert missing.headers["server"] == "nginx"
    assert "nginx/" not in missing.text
    version = subprocess.run(
        [str(nginx_path()), "-v"], capture_output=True, text=True, timeout=30, check=True
    ).stderr.strip()  # "nginx version: nginx/1.22.1"
    assert version.split("/")[-1] not in missing.text


def test_an_uploaded_html_file_is_downloaded_not_shown(balancer: tuple[str, str]) -> None:
    url, _ = balancer
    response = httpx.get(url + "/media/uploads/evil.html")
    assert response.status_code == 200 and response.text == EVIL
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == "attachment"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["server"] == "nginx"
