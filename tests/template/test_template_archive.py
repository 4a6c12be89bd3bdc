"""Template archives: extracted as Thibaud does, but never outside their directory,
and downloaded within a size cap and a timeout, with one clear line on failure."""

from __future__ import annotations

import http.server
import io
import stat
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from thibaud_cli.errors import TemplateArchiveError, TemplateDownloadError
from thibaud_cli.template.classic.archive import extract_archive
from thibaud_cli.template.classic.download import download
from thibaud_cli.template.source import is_archive_url


def make_tar(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as bundle:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                bundle.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                bundle.addfile(info, io.BytesIO(data))
    return path


def symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


def make_zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            bundle.writestr(info, target)
    return path


def test_a_shared_top_directory_is_stripped_as_thibaud_does(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "repo-main.zip",
        {"repo-main/manage.py-tpl": b"x", "repo-main/project_name/__init__.py": b""},
    )
    out = tmp_path / "out"
    out.mkdir()
    extract_archive(archive, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "manage.py-tpl",
        "project_name",
        "project_name/__init__.py",
    ]


def test_links_inside_the_archive_are_kept(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "t.tar.gz", [("t/a.py", b"a"), symlink("t/b.py", "a.py")])
    out = tmp_path / "out"
    out.mkdir()
    extract_archive(archive, out)
    assert (out / "b.py").read_text() == "a"


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ([("../evil.py", b"x")], "climbs out"),
        ([("t/../../evil.py", b"x")], "climbs out"),
        ([("/tmp/evil.py", b"x")], "absolute path"),
        ([symlink("link", "/etc/passwd")], "leading out"),
        ([symlink("t/link", "../../outside")], "leading out"),
        # A link to a directory inside, then a file written through a link out.
        ([symlink("up", "."), symlink("up/escape", "../..")], "leading out"),
        ([symlink("d", "/tmp"), ("d/evil.py", b"x")], "leading out"),
        ([symlink("d", ".."), ("d/evil.py", b"x")], "leading out"),
    ],
)
def test_members_leading_out_are_refused(tmp_path: Path, members: list[Any], says: str) -> None:
    archive = make_tar(tmp_path / "bad.tgz", members)
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    with pytest.raises(TemplateArchiveError, match=says):
        extract_archive(archive, out)
    assert not (tmp_path / "evil.py").exists()
    assert not (tmp_path / "deep" / "evil.py").exists()
    assert not Path("/tmp/evil.py").exists()


def test_zip_links_leading_out_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "bad.zip", {"a.py": b"a"}, links={"b.py": "../../etc/passwd"})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TemplateArchiveError, match="leading out"):
        extract_archive(archive, out)


def test_a_hard_link_to_a_missing_member_is_one_line(tmp_path: Path) -> None:
    link = tarfile.TarInfo("t/b.py")
    link.type = tarfile.LNKTYPE
    link.linkname = "elsewhere/a.py"
    archive = make_tar(tmp_path / "hard.tgz", [("t/a.py", b"a"), link])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TemplateArchiveError, match="Cannot read 't/b.py'"):
        extract_archive(archive, out)


def test_devices_are_refused(tmp_path: Path) -> None:
    device = tarfile.TarInfo("t/null")
    device.type = tarfile.CHRTYPE
    archive = make_tar(tmp_path / "dev.tgz", [device])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TemplateArchiveError, match="neither a file"):
        extract_archive(archive, out)


def test_size_and_member_count_are_bounded(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", {"a.py": b"0" * 5000, "b.py": b"1"})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TemplateArchiveError, match="too large"):
        extract_archive(archive, out, max_bytes=1000)
    with pytest.raises(TemplateArchiveError, match="more than the 1"):
        extract_archive(archive, out, max_members=1)


def test_a_corrupt_archive_is_one_line(tmp_path: Path) -> None:
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(b"not gzip at all")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TemplateArchiveError, match="Cannot read the archive") as caught:
        extract_archive(archive, out)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/o/r/archive/main.zip", True),
        ("https://github.com/o/r/archive/refs/tags/v1.tar.gz", True),
        ("http://127.0.0.1:8000/t/project_template.tgz/", True),
        ("https://github.com/o/r.git", False),
        ("https://github.com/o/r", False),
        ("file:///tmp/t.zip", False),
    ],
)
def test_archive_urls(url: str, expected: bool) -> None:
    assert is_archive_url(url) is expected


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/slow.zip":
            time.sleep(2)
        if self.path == "/missing.zip":
            self.send_error(404)
            return
        body = b"0" * 4096
        self.send_response(200)
        if self.path != "/chunked.zip":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that stops reading (the size cap) is expected here


@contextmanager
def serving() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_downloads_are_bounded_and_fail_in_one_line(tmp_path: Path) -> None:
    with serving() as base:
        path = download(f"{base}/ok.zip", tmp_path, user_agent="Thibaud/x")
        assert path.name == "ok.zip" and path.stat().st_size == 4096
        cases = [
            (f"{base}/ok.zip", {"max_bytes": 1000}, "larger than"),
            (f"{base}/chunked.zip", {"max_bytes": 1000}, "larger than"),
            (f"{base}/missing.zip", {}, "answered 404"),
            (f"{base}/slow.zip", {"timeout": 0.3}, "timed out|no answer"),
        ]
        for url, limits, says in cases:
            target = tmp_path / url.rsplit("/", 1)[1]
            target.unlink(missing_ok=True)
            with pytest.raises(TemplateDownloadError, match=says) as caught:
                download(url, tmp_path, user_agent="Thibaud/x", **limits)
            assert "\n" not in str(caught.value)
    with pytest.raises(TemplateDownloadError, match="Could not download"):
        download(f"{base}/gone.zip", tmp_path, user_agent="Thibaud/x", timeout=2)
