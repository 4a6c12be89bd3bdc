"""A few files of a git template at one commit, copied out without a checkout.

copier renders a git template from a clone: ``git clone --filter=blob:none`` and
``git checkout`` of every file, which grows with the template. Re-rendering one file
needs its source, ``copier.yml`` and whatever those read, so :class:`GitTree` lists
the commit's tree once (``git ls-tree``) and :meth:`GitTree.copy` writes only the
blobs asked for (``git cat-file --batch``), each inside the destination.

A blob is written as git stores it. :meth:`GitTree.checkout_converts` tells when a
checkout could write something else (attributes, ``core.autocrlf``): callers then
let copier check out as before. Every git process runs hardened (``vcs.git``).

The repository is the template's own work tree, or, for a template at a URL, the
cached bare clone without blobs (``vcs.partial_clone``): there the blobs asked for
are fetched first, in one transfer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from thibaud_cli.vcs.git import run_git, run_git_bytes
from thibaud_cli.vcs.partial_clone import fetch_blobs, git_dir_args, missing_objects

_BLOB_MODES = frozenset({"100644", "100755"})
#: ``core.autocrlf`` values that leave a checkout's line endings alone.
_NO_CRLF = frozenset({"", "false", "no", "off", "0", "input"})


class GitCopyUnavailable(Exception):
    """git could not say or give what was asked: render the way copier does."""


@dataclass(frozen=True)
class GitTree:
    """The tree of commit *commit* of the repository whose work tree is *repository*
    (or which is *repository*, a cached partial clone: *partial*)."""

    repository: Path
    commit: str
    #: Every entry by path: (mode, object id). Symlinks (120000) and submodules
    #: (160000) are listed as entries, not followed.
    entries: dict[str, tuple[str, str]]
    #: A bare clone without blobs (``vcs.partial_clone``).
    partial: bool = False
    #: The blobs of the tree a partial clone does not hold yet.
    _missing: set[str] = field(default_factory=set, repr=False, compare=False)

    @classmethod
    def at(cls, repository: Path, ref: str, *, partial: bool = False) -> GitTree:
        """The tree of *ref* (a tag, a commit, ``git describe`` output)."""
        if ref.startswith("-"):
            raise GitCopyUnavailable(ref)
        resolved = run_git(
            _on(repository, partial, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"),
            cwd=repository,
        )
        commit = resolved.stdout.strip()
        if resolved.returncode != 0 or not commit:
            raise GitCopyUnavailable(ref)
        listing = run_git_bytes(
            _on(repository, partial, "ls-tree", "-r", "-z", "--full-tree", commit), cwd=repository
        )
        if listing.returncode != 0:
            raise GitCopyUnavailable(listing.stderr.decode("utf-8", "replace"))
        entries: dict[str, tuple[str, str]] = {}
        for record in filter(None, listing.stdout.split(b"\0")):
            meta, _, name = record.partition(b"\t")
            mode, _kind, sha = meta.decode("ascii").split(" ")
            entries[name.decode("utf-8", "surrogateescape")] = (mode, sha)
        missing = set(missing_objects(repository, commit)) if partial else set()
        return cls(repository, commit, entries, partial, missing)

    def _args(self, *args: str) -> list[str]:
        return _on(self.repository, self.partial, *args)

    @property
    def files(self) -> list[str]:
        return list(self.entries)

    @property
    def links(self) -> list[str]:
        """Symlinks and submodules: entries whose contents lie elsewhere."""
        return [path for path, (mode, _) in self.entries.items() if mode not in _BLOB_MODES]

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The contents of the regular files *paths* (absent ones are left out)."""
        wanted = [path for path in dict.fromkeys(paths) if path in self.entries]
        if any(self.entries[path][0] not in _BLOB_MODES for path in wanted):
            raise GitCopyUnavailable("a symlink or a submodule")
        if not wanted:
            return {}
        # Object ids, not <commit>:<path>: a file name may hold a newline.
        shas = [self.entries[path][1] for path in wanted]
        if absent := self._missing.intersection(shas):
            # All at once: a partial clone would otherwise fetch them one by one.
            fetch_blobs(self.repository, absent)
            self._missing.difference_update(absent)
        request = "".join(f"{sha}\n" for sha in shas).encode("ascii")
        batch = run_git_bytes(
            self._args("cat-file", "--batch"),
            cwd=self.repository,
            stdin=request,
            network=self.partial,
        )
        if batch.returncode != 0:
            raise GitCopyUnavailable(batch.stderr.decode("utf-8", "replace"))
        contents: dict[str, bytes] = {}
        output, position = batch.stdout, 0
        for path in wanted:
            header_end = output.index(b"\n", position)
            _sha, kind, size = output[position:header_end].decode("ascii").split(" ")
            if kind != "blob":
                raise GitCopyUnavailable(f"{path} is a {kind}")
            start = header_end + 1
            contents[path] = output[start : start + int(size)]
            position = start + int(size) + 1  # the blob, then a newline
        return contents

    def copy(self, contents: dict[str, bytes], destination: Path) -> None:
        """Write *contents* (from :meth:`read`) under *destination*, with git's modes."""
        root = destination.resolve()
        for path, data in contents.items():
            target = root.joinpath(*_safe_parts(path))
            target.parent.mkdir(parents=True, exist_ok=True)
            # Only directories we made lie on the way: nothing can lead outside root.
            if not target.parent.resolve().is_relative_to(root):
                raise GitCopyUnavailable(path)
            target.write_bytes(data)
            if self.entries[path][0] == "100755":
                os.chmod(target, 0o755)

    def checkout_converts(self, paths: Iterable[str], *, scratch: Path) -> bool:
        """Whether checking *paths* out could write other bytes than the blobs:
        ``.gitattributes`` in the tree on their way, attributes from the repository's
        ``info/attributes`` or the user's and system's files, or ``core.autocrlf``.
        *scratch*: an empty directory of ours."""
        wanted = list(paths)
        for path in wanted:
            for parent in PurePosixPath(path).parents:
                prefix = "" if parent == PurePosixPath(".") else f"{parent}/"
                if f"{prefix}.gitattributes" in self.entries:
                    return True
        autocrlf = run_git(self._args("config", "--get", "core.autocrlf"), cwd=self.repository)
        if autocrlf.stdout.strip().lower() not in _NO_CRLF:
            return True
        # --cached, with an index that does not exist: the attributes of every file
        # but the work tree's (the tree's were looked at above).
        request = "".join(f"{path}\0" for path in wanted).encode("utf-8", "surrogateescape")
        attributes = run_git_bytes(
            self._args("check-attr", "--cached", "--all", "-z", "--stdin"),
            cwd=self.repository,
            stdin=request,
            env={"GIT_INDEX_FILE": str(scratch / "absent-index")},
        )
        return attributes.returncode != 0 or bool(attributes.stdout.strip(b"\0"))


def _on(repository: Path, partial: bool, *args: str) -> list[str]:
    """``git *args`` on *repository*: found from the working directory, or, for a
    partial clone (bare), named."""
    return git_dir_args(repository, *args) if partial else list(args)


def _safe_parts(path: str) -> tuple[str, ...]:
    """*path*'s parts, refusing any that could step out of the destination, or make
    the copy a git repository (git's own checks refuse such trees; a crafted one may not)."""
    parts = PurePosixPath(path).parts
    if (
        not parts
        or PurePosixPath(path).is_absolute()
        or any(part in {"..", "."} or part.lower() == ".git" for part in parts)
    ):
        raise GitCopyUnavailable(path)
    return parts
