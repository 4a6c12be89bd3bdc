"""Scratch directories in the system's temporary directory, and the stale ones of killed runs.

Each is named ``thibaud-<kind>-<pid>-<random>``: a run killed before it could
remove its own (SIGKILL, a power cut) leaves one behind, and the next run that
makes one removes those whose process is gone. Only names of that exact form,
owned by the current user and made by a dead process, are ever removed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from thibaud_cli.fs.atomic import process_alive

#: What each scratch directory is for: rendering a file or a tree again, checking
#: that middleware imports, rendering an update's two versions, validating a template.
KINDS = ("render", "verify", "update", "validate")
_STALE = re.compile(rf"thibaud-(?:{'|'.join(KINDS)})-(\d+)-[^/]+")
_swept = False


@contextmanager
def scratch_directory(kind: str) -> Iterator[Path]:
    """A new private directory ``thibaud-<kind>-<pid>-...``, removed whatever happens."""
    if kind not in KINDS:
        raise ValueError(f"unknown scratch directory kind {kind!r}")
    global _swept
    if not _swept:
        _swept = True
        remove_stale_scratch()
    with tempfile.TemporaryDirectory(prefix=f"thibaud-{kind}-{os.getpid()}-") as name:
        yield Path(name)


def stale_scratch(parent: Path | None = None) -> list[Path]:
    """Scratch directories in *parent* (the temporary directory) of processes that are gone."""
    parent = Path(tempfile.gettempdir()) if parent is None else parent
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    stale = []
    for entry in entries:
        match = _STALE.fullmatch(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            owner = entry.stat(follow_symlinks=False).st_uid
        except OSError:
            continue
        if owner == os.getuid() and not process_alive(int(match.group(1))):
            stale.append(Path(entry.path))
    return sorted(stale)


def remove_stale_scratch(parent: Path | None = None) -> list[Path]:
    """Remove what :func:`stale_scratch` finds; return what was removed."""
    removed = []
    for path in stale_scratch(parent):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            removed.append(path)
    return removed
