"""Downloading a template archive: bounded in size and time, one line on failure.

The time bound is a wall-clock deadline on the whole download (connecting, the
headers, every byte of the body), whatever the server's pace: a server that sends one
byte every few seconds never trips the per-read timeout, so a watchdog shuts the
connection's sockets down when the deadline passes, which wakes a read blocked on
them at once.
"""

from __future__ import annotations

import contextlib
import http.client
import posixpath
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import IO, Any

from thibaud_cli.errors import TemplateDownloadError
from thibaud_cli.template.sandbox.limits import seconds_from_environment
from thibaud_cli.template.source import archive_suffix

#: A project template is source text: a larger download is a mistake or an attack.
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
#: Seconds without progress (connect, or between reads) before a download is abandoned.
DOWNLOAD_TIMEOUT = 30.0
#: Seconds for the whole download: a server trickling bytes cannot hold it for ever.
DOWNLOAD_DEADLINE = 300.0
#: Overrides DOWNLOAD_DEADLINE, in seconds (a slow link may need more; tests, less).
DEADLINE_VARIABLE = "THIBAUD_DOWNLOAD_DEADLINE"
_CHUNK = 64 * 1024
_CONTENT_TYPE_SUFFIXES = {
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/gzip": ".tar.gz",
    "application/x-gzip": ".tar.gz",
    "application/x-tar": ".tar",
    "application/x-bzip2": ".tar.bz2",
    "application/x-xz": ".tar.xz",
}


def download_deadline() -> float:
    """The whole download's time limit: THIBAUD_DOWNLOAD_DEADLINE seconds, else the default."""
    return seconds_from_environment(
        DEADLINE_VARIABLE,
        DOWNLOAD_DEADLINE,
        what="download time limit",
        example=600,
        error=TemplateDownloadError,
    )


def download(
    url: str,
    directory: Path,
    *,
    user_agent: str,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    timeout: float = DOWNLOAD_TIMEOUT,
    deadline: float | None = None,
) -> Path:
    """Download *url* into *directory*; return the file, named so its suffix is known."""
    limit = download_deadline() if deadline is None else deadline
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    fallback = posixpath.basename(urllib.parse.urlsplit(url).path.rstrip("/")) or "template"
    watchdog = _Watchdog()
    opener = urllib.request.build_opener(*watchdog.handlers())
    try:
        with watchdog.running(limit), opener.open(request, timeout=timeout) as response:
            name = _file_name(response.headers, fallback)
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise TemplateDownloadError(_too_large(url, max_bytes))
            path = directory / name
            with open(path, "wb") as target:
                _copy_bounded(response, target, max_bytes, url)
            if watchdog.expired:  # the shut socket read as the end of the body
                raise _too_slow(url, limit)
    except TemplateDownloadError:
        raise
    except Exception as error:
        if watchdog.expired:
            raise _too_slow(url, limit) from error
        raise TemplateDownloadError(
            f"Could not download {url}: {_reason(error, timeout)}."
        ) from error
    return path


def _too_slow(url: str, limit: float) -> TemplateDownloadError:
    return TemplateDownloadError(
        f"Could not download {url}: it took longer than {limit:g} seconds "
        f"({DEADLINE_VARIABLE} sets the limit)."
    )


def _reason(error: Exception, timeout: float) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} seconds"
    if isinstance(error, http.client.HTTPException):
        # Malformed chunked encoding, a broken status line...
        return f"the server's answer is malformed ({type(error).__name__})"
    if isinstance(error, OSError | ValueError):
        return " ".join(str(error).split())[:300] or type(error).__name__
    raise error  # a bug of ours


class _Watchdog:
    """Shuts down every socket of one download when its deadline passes."""

    def __init__(self) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def handlers(self) -> tuple[urllib.request.BaseHandler, ...]:
        watchdog = self

        class Watched(http.client.HTTPConnection):
            def connect(self) -> None:
                super().connect()
                watchdog.watch(self.sock)

        class WatchedTLS(http.client.HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                watchdog.watch(self.sock)

        class HTTP(urllib.request.HTTPHandler):
            def http_open(self, req: Any) -> Any:
                return self.do_open(Watched, req)

        class HTTPS(urllib.request.HTTPSHandler):
            def https_open(self, req: Any) -> Any:
                return self.do_open(WatchedTLS, req, context=self._context)  # type: ignore[attr-defined]

        return HTTP(), HTTPS()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shut(sock)

    @contextlib.contextmanager
    def running(self, seconds: float) -> Iterator[None]:
        timer = threading.Timer(seconds, self._expire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # socket.socket's own shutdown, also for a TLS socket: a read blocked in
        # another thread returns at once, and the TLS object is left to its owner.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _too_large(url: str, max_bytes: int) -> str:
    return (
        f"Could not download {url}: it is larger than {max_bytes // (1024 * 1024)} MiB, "
        "too large for a project template."
    )


def _copy_bounded(source: IO[bytes], target: IO[bytes], max_bytes: int, url: str) -> None:
    received = 0
    while chunk := source.read(_CHUNK):
        received += len(chunk)
        if received > max_bytes:
            raise TemplateDownloadError(_too_large(url, max_bytes))
        target.write(chunk)


def _file_name(headers: Message, fallback: str) -> str:
    # As Thibaud does: the server's file name, else the URL's, plus a suffix from the type.
    name = headers.get_filename() or fallback
    name = posixpath.basename(name.replace("\\", "/")).lstrip(".") or "template"
    # A NUL or another control character names no file.
    name = "".join(c for c in name if c.isprintable()) or "template"
    if archive_suffix(name) is None:
        name += _CONTENT_TYPE_SUFFIXES.get(headers.get_content_type(), "")
    return name
