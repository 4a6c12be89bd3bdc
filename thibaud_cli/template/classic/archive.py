"""Template archives: extraction that stays inside its directory.

Thibaud's ``startproject`` accepts a ``.zip`` or tar archive, by path or by URL,
and strips the one directory every member shares (GitHub's ``repo-main/``). We
keep those semantics and add what it lacks: a member may not be absolute, climb
out with ``..``, or be a link leading out; devices are refused; the download and
the extracted size are bounded, and a failure is one line.

The bounds hold while the archive is read, not after: a tar archive's members are
counted, and their declared sizes summed, as each header arrives (a stream of tiny
headers, or one member declaring gigabytes that would be decompressed to be
skipped, stops at the limit); a zip's entry count is read from its end record before
its central directory is parsed; a link member is refused past a path's length
before its target is read; and the whole extraction runs under the render's memory
ceiling.
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
from thibaud_cli.template.sandbox.memory import MEMORY_CEILING, memory_ceiling
from thibaud_cli.template.source import ARCHIVE_SUFFIXES, archive_suffix

#: A project template is source text: far below these, a larger one is a mistake or a bomb.
MAX_EXTRACTED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 20_000
#: The longest link target a member may have (Linux's PATH_MAX).
MAX_LINK_BYTES = 4096
_CHUNK = 64 * 1024
#: A zip's end-of-central-directory record: its signature, and how far from the end.
_ZIP_END = b"PK\x05\x06"
_ZIP_END_SEARCH = 22 + 65535


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
        with memory_ceiling():
            if suffix == ".zip":
                _refuse_many_zip_entries(archive, max_members)
                with zipfile.ZipFile(archive) as bundle:
                    _extract_zip(bundle, destination, max_bytes, max_members, archive)
            else:
                with tarfile.open(archive) as bundle:
                    _extract_tar(bundle, destination, max_bytes, max_members, archive)
    except MemoryError as error:
        raise TemplateArchiveError(
            f"The archive '{archive}' needs more than {MEMORY_CEILING // (1024 * 1024)} MiB "
            "of memory to read, too much for a project template: refused."
        ) from error
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        if isinstance(error, OSError) and error.filename is not None:
            raise
        reason = " ".join(str(error).split()) or type(error).__name__
        raise TemplateArchiveError(f"Cannot read the archive '{archive}': {reason}.") from error


def _refuse_many_zip_entries(archive: Path, max_members: int) -> None:
    """Read the entry count from the zip's end record, before zipfile parses them all."""
    with open(archive, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - _ZIP_END_SEARCH))
        tail = handle.read()
    at = tail.rfind(_ZIP_END)
    if at < 0 or len(tail) < at + 12:
        return  # not a zip: zipfile says so in its own words
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")  # 0xFFFF: zip64, more
    if entries > max_members:
        raise _too_many(origin=archive, max_members=max_members)


def _too_many(*, origin: Path, max_members: int) -> TemplateArchiveError:
    return TemplateArchiveError(
        f"The archive '{origin}' has more than the {max_members} members a project "
        "template may have: refused."
    )


def _too_big(origin: Path, max_bytes: int) -> TemplateArchiveError:
    return TemplateArchiveError(
        f"The archive '{origin}' extracts to more than {max_bytes // (1024 * 1024)} MiB, "
        "too large for a project template: refused."
    )


def _link_too_long(name: str, origin: Path) -> TemplateArchiveError:
    return TemplateArchiveError(
        f"The archive '{origin}' holds a link '{name[:200]}' whose target is longer than "
        f"{MAX_LINK_BYTES} bytes, longer than any path: refused."
    )


def _extract_zip(
    bundle: zipfile.ZipFile, destination: Path, max_bytes: int, max_members: int, origin: Path
) -> None:
    infos = bundle.infolist()
    if len(infos) > max_members:
        raise _too_many(origin=origin, max_members=max_members)
    if sum(info.file_size for info in infos) > max_bytes:
        raise _too_big(origin, max_bytes)
    members = []
    for info in infos:
        mode = info.external_attr >> 16
        if info.is_dir():
            kind = "dir"
        elif stat.S_ISLNK(mode):
            kind = "link"
        else:
            kind = "file"
        link = ""
        if kind == "link":
            # Its target is its content: never read past a path's length.
            if info.file_size > MAX_LINK_BYTES:
                raise _link_too_long(info.filename, origin)
            with bundle.open(info) as handle:
                target = handle.read(MAX_LINK_BYTES + 1)
            if len(target) > MAX_LINK_BYTES:
                raise _link_too_long(info.filename, origin)
            link = target.decode("utf-8", "replace")
        members.append(_Member(info.filename, kind, info.file_size, mode & 0o777, link))
    opened = {info.filename: info for info in infos}
    _write_members(
        members, destination, max_bytes, max_members, origin, lambda m: bundle.open(opened[m.name])
    )


def _extract_tar(
    bundle: tarfile.TarFile, destination: Path, max_bytes: int, max_members: int, origin: Path
) -> None:
    members: list[_Member] = []
    by_name: dict[str, tarfile.TarInfo] = {}
    declared = 0
    # One header at a time (tarfile.getmembers would read them all first), counted and
    # summed as it arrives.
    for info in bundle:
        if len(members) >= max_members:
            raise _too_many(origin=origin, max_members=max_members)
        declared += info.size
        if declared > max_bytes:
            raise _too_big(origin, max_bytes)
        if len(info.linkname) > MAX_LINK_BYTES:
            raise _link_too_long(info.name, origin)
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
        raise _too_many(origin=origin, max_members=max_members)
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
                    raise _too_big(origin, max_bytes)
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
        f"The archive '{origin}' holds a link '{member.name[:200]}' -> '{member.link[:200]}' "
        "leading out of its directory: refused."
    )
