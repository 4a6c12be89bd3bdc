"""Our temporary files and directories: one naming scheme, one sweeper.

Every temporary name holds the pid of the process that made it, so that one left
behind by a run killed before it could remove it (SIGKILL, a power cut) is known as
ours and removed by a later run:

- scratch directories in the system's temporary directory,
  ``thibaud-<kind>-<pid>-<random>`` (:func:`scratch_directory`): the temporary
  directory is swept once a process, when the first one is made;
- temporaries beside what they replace or become (an atomic write's file, a new
  project's staging directory), ``.thibaud-tmp-<pid>-<random>``
  (:func:`temporary_prefix`): the command that writes there sweeps that directory.

Only names of those exact forms, owned by the current user and made by a process
that is gone, are ever removed (:func:`remove_stale`, the one sweeper).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: What each scratch directory is for: rendering a file or a tree again, checking
#: that middleware imports, rendering an update's two versions, validating a
#: template, merging a file with git, keeping a project's files while the template's
#: tasks run in it.
KINDS = ("render", "verify", "update", "validate", "merge", "snapshot")
#: How a temporary beside its target begins (its pid follows).
TEMP_PREFIX = ".thibaud-tmp-"
_OURS = re.compile(
    rf"(?:(?P<scratch>thibaud-(?:{'|'.join(KINDS)}))|{re.escape(TEMP_PREFIX[:-1])})-(?P<pid>\d+)-.+"
)
_swept = False


@contextmanager
def scratch_directory(kind: str) -> Iterator[Path]:
    """A new private directory ``thibaud-<kind>-<pid>-...``, removed whatever happens."""
    if kind not in KINDS:
        raise ValueError(f"unknown scratch directory kind {kind!r}")
    global _swept
    if not _swept:
        _swept = True
        remove_stale(Path(tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(prefix=f"thibaud-{kind}-{os.getpid()}-") as name:
        yield Path(name)


def temporary_prefix() -> str:
    """The start of the name of a temporary this process makes beside its target."""
    return f"{TEMP_PREFIX}{os.getpid()}-"


def find_stale(directory: Path) -> list[Path]:
    """Our temporaries and scratch directories in *directory* whose process is gone (a
    scratch name is only ever a directory; a temporary, a file or a directory)."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    found = []
    for entry in entries:
        match = _OURS.fullmatch(entry.name)
        if match is None or (match["scratch"] and not entry.is_dir(follow_symlinks=False)):
            continue
        try:
            owner = entry.stat(follow_symlinks=False).st_uid
        except OSError:
            continue
        if owner == os.getuid() and not process_alive(int(match["pid"])):
            found.append(Path(entry.path))
    return sorted(found)


def remove_stale(directory: Path) -> list[Path]:
    """Remove what :func:`find_stale` finds; return what was removed.

    These are only ever temporaries: a change that had begun to replace files in a
    project is undone from its journal (``fs.transaction``), not from them.
    """
    removed = []
    for path in find_stale(directory):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        if not os.path.lexists(path):
            removed.append(path)
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process *pid* exists (one of another user counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
