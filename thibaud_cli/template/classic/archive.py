"""Template archives: extraction that stays inside its directory.

Thibaud's ``startproject`` accepts a ``.zip`` or tar archive, by path or by URL,
and strips the one directory every member shares (GitHub's ``repo-main/``). We
keep those semantics and add what it lacks: a member may not be absolute, climb
out with ``..``, or be a link leading out; devices are refused; the download and
the extracted size are bounded, and a failure is one line.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from thibaud_cli.errors import TemplateArchiveError
from thibaud_cli.template.source import ARCHIVE_SUFFIXES, archive_suffix

#: A project template is source text: far below these, a larger one is a mistake or a bomb.
MAX_EXTRACTED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 20_000
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class _Member:
    name: str
    kind: str  # "file", "dir" or "link"
    size: int
    mode: int
    link: str = ""


def extract_archive(
    archive: Path,
    destination: Path,
    *,
    max_bytes: int = MAX_EXTRACTED_BYTES,
    max_members: int = MAX_MEMBERS,
) -> None:
    """Extract *archive* into the existing directory *destination*, safely.

    A directory shared by every member is stripped, as Thibaud does. Nothing is
    written outside *destination*; symbolic links must point inside it.
    """
    suffix = archive_suffix(archive.name)
    if suffix is None:
        raise TemplateArchiveError(
            f"'{archive}' is not a template archive: expected one of {', '.join(ARCHIVE_SUFFIXES)}."
        )
    try:
        if suffix == ".zip":
            with zipfile.ZipFile(archive) as bundle:
                _extract_zip(bundle, destination, max_bytes, max_members, archive)
        else:
            with tarfile.open(archive) as bundle:
                _extract_tar(bundle, destination, max_bytes, max_members, archive)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        if isinstance(error, OSError) and error.filename is not None:
            raise
        reason = " ".join(str(error).split()) or type(error).__name__
        raise TemplateArchiveError(f"Cannot read the archive '{archive}': {reason}.") from error


def _extract_zip(
    bundle: zipfile.ZipFile, destination: Path, max_bytes: int, max_members: int, origin: Path
) -> None:
    infos = bundle.infolist()
    members = []
    for info in infos:
        mode = info.external_attr >> 16
        if info.is_dir():
            kind = "dir"
        elif stat.S_ISLNK(mode):
            kind = "link"
        else:
            kind = "file"
        link = bundle.read(info).decode("utf-8", "replace") if kind == "link" else ""
        members.append(_Member(info.filename, kind, info.file_size, mode & 0o777, link))
    opened = {info.filename: info for info in infos}
    _write_members(
        members, destination, max_bytes, max_members, origin, lambda m: bundle.open(opened[m.name])
    )


def _extract_tar(
    bundle: tarfile.TarFile, destination: Path, max_bytes: int, max_members: int, origin: Path
) -> None:
    infos = bundle.getmembers()
    members = []
    by_name = {}
    for info in infos:
        if info.isdir():
            member = _Member(info.name, "dir", 0, info.mode)
        elif info.issym():
            member = _Member(info.name, "link", 0, info.mode, info.linkname)
        elif info.islnk():
            # A hard link is a second name of a file earlier in the archive: copied.
            member = _Member(info.name, "file", info.size, info.mode)
        elif info.isfile():
            member = _Member(info.name, "file", info.size, info.mode)
        else:
            raise TemplateArchiveError(
                f"The archive '{origin}' holds '{info.name}', which is neither a file, a "
                "directory nor a link: refused."
            )
        members.append(member)
        by_name[info.name] = info

    def open_member(member: _Member) -> IO[bytes]:
        try:
            handle = bundle.extractfile(by_name[member.name])
        except KeyError:  # a hard link to a member the archive does not have
            handle = None
        if handle is None:
            raise TemplateArchiveError(f"Cannot read '{member.name}' in '{origin}'.")
        return handle

    _write_members(members, destination, max_bytes, max_members, origin, open_member)


def _write_members(
    members: list[_Member],
    destination: Path,
    max_bytes: int,
    max_members: int,
    origin: Path,
    open_member: Callable[[_Member], IO[bytes]],
) -> None:
    if len(members) > max_members:
        raise TemplateArchiveError(
            f"The archive '{origin}' has {len(members)} members, more than the "
            f"{max_members} a project template may have: refused."
        )
    names = [_safe_name(member.name, origin) for member in members]
    strip = _leading_directory(names, members)
    root = os.path.realpath(destination)
    written = 0
    for member, parts in zip(members, names, strict=True):
        relative = parts[1:] if strip else parts
        if not relative:
            continue
        target = os.path.join(root, *relative)
        _refuse_outside(os.path.dirname(target), root, member.name, origin)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        _refuse_outside(os.path.dirname(target), root, member.name, origin)
        if member.kind == "dir":
            os.makedirs(target, exist_ok=True)
            continue
        if os.path.lexists(target):
            os.unlink(target)  # a later member of the same name wins, as tar does
        if member.kind == "link":
            if os.path.isabs(member.link):
                raise TemplateArchiveError(_link_out(member, origin))
            os.symlink(member.link, target)
            continue
        # "x": never follow a link planted at this name.
        with open_member(member) as source, open(target, "xb") as output:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise TemplateArchiveError(
                        f"The archive '{origin}' extracts to more than "
                        f"{max_bytes // (1024 * 1024)} MiB, too large for a project "
                        "template: refused."
                    )
                output.write(chunk)
        if member.mode & stat.S_IROTH:
            # As Thibaud's extraction: the archive's mode when it is a plain one.
            os.chmod(target, (member.mode & 0o777) | stat.S_IWUSR)
    for member, parts in zip(members, names, strict=True):
        relative = parts[1:] if strip else parts
        if member.kind == "link" and relative:
            link = os.path.join(root, *relative)
            if os.path.islink(link):
                _refuse_outside(os.path.realpath(link), root, member.name, origin, link=member)


def _safe_name(name: str, origin: Path) -> tuple[str, ...]:
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        raise TemplateArchiveError(
            f"The archive '{origin}' holds an absolute path, '{name}': refused."
        )
    parts = tuple(part for part in normalized.split("/") if part not in ("", "."))
    if ".." in parts:
        raise TemplateArchiveError(
            f"The archive '{origin}' holds '{name}', which climbs out of its directory: refused."
        )
    return parts


def _leading_directory(names: list[tuple[str, ...]], members: list[_Member]) -> bool:
    """Whether every member is inside one top directory (stripped, as Thibaud does)."""
    tops = {parts[0] for parts in names if parts}
    if len(tops) != 1:
        return False
    return all(
        len(parts) > 1 or member.kind == "dir"
        for parts, member in zip(names, members, strict=True)
        if parts
    )


def _refuse_outside(
    path: str, root: str, name: str, origin: Path, *, link: _Member | None = None
) -> None:
    real = os.path.realpath(path)
    if real != root and not real.startswith(root + os.sep):
        if link is not None:
            raise TemplateArchiveError(_link_out(link, origin))
        raise TemplateArchiveError(
            f"The archive '{origin}' writes '{name}' through a link leading out of its "
            "directory: refused."
        )


def _link_out(member: _Member, origin: Path) -> str:
    return (
        f"The archive '{origin}' holds a link '{member.name}' -> '{member.link}' leading "
        "out of its directory: refused."
    )
