"""Downloading a template archive: bounded in size and time, one line on failure."""

from __future__ import annotations

import posixpath
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path
from typing import IO

from thibaud_cli.errors import TemplateDownloadError
from thibaud_cli.template.source import archive_suffix

#: A project template is source text: a larger download is a mistake or an attack.
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
#: Seconds without progress (connect, or between reads) before a download is abandoned.
DOWNLOAD_TIMEOUT = 30.0
#: Seconds for the whole download: a server trickling bytes cannot hold it for ever.
DOWNLOAD_DEADLINE = 300.0
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


def download(
    url: str,
    directory: Path,
    *,
    user_agent: str,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    timeout: float = DOWNLOAD_TIMEOUT,
    deadline: float = DOWNLOAD_DEADLINE,
) -> Path:
    """Download *url* into *directory*; return the file, named so its suffix is known."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    fallback = posixpath.basename(urllib.parse.urlsplit(url).path.rstrip("/")) or "template"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            name = _file_name(response.headers, fallback)
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise TemplateDownloadError(_too_large(url, max_bytes))
            path = directory / name
            with open(path, "wb") as target:
                _copy_bounded(response, target, max_bytes, url, time.monotonic() + deadline)
    except TemplateDownloadError:
        raise
    except urllib.error.HTTPError as error:
        raise TemplateDownloadError(
            f"Could not download {url}: the server answered {error.code} {error.reason}."
        ) from error
    except urllib.error.URLError as error:
        raise TemplateDownloadError(f"Could not download {url}: {error.reason}.") from error
    except TimeoutError as error:
        raise TemplateDownloadError(
            f"Could not download {url}: no answer within {timeout:g} seconds."
        ) from error
    except OSError as error:
        raise TemplateDownloadError(f"Could not download {url}: {error}.") from error
    return path


def _too_large(url: str, max_bytes: int) -> str:
    return (
        f"Could not download {url}: it is larger than {max_bytes // (1024 * 1024)} MiB, "
        "too large for a project template."
    )


def _copy_bounded(
    source: IO[bytes], target: IO[bytes], max_bytes: int, url: str, deadline: float
) -> None:
    received = 0
    while chunk := source.read(_CHUNK):
        received += len(chunk)
        if received > max_bytes:
            raise TemplateDownloadError(_too_large(url, max_bytes))
        if time.monotonic() > deadline:
            raise TemplateDownloadError(f"Could not download {url}: it is taking too long.")
        target.write(chunk)


def _file_name(headers: Message, fallback: str) -> str:
    # As Thibaud does: the server's file name, else the URL's, plus a suffix from the type.
    name = headers.get_filename() or fallback
    name = posixpath.basename(name.replace("\\", "/")).lstrip(".") or "template"
    if archive_suffix(name) is None:
        name += _CONTENT_TYPE_SUFFIXES.get(headers.get_content_type(), "")
    return name
