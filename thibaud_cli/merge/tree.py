"""Three-way merge of a whole project tree, file by file.

*base* is the project as its recorded template version rendered it, *theirs* as the
newer version renders it, *ours* the files on disk. Each file is decided on its own
(``merging.merge_texts`` does the text merge), and nothing here touches the disk:
the caller gets every file's new content first and writes only once all of them are
known, so a conflict or an error can still leave the project as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from thibaud_cli.merge.text import Conflict, merge_texts, unified_diff


@dataclass(frozen=True)
class TemplateFile:
    """A file as a template renders it."""

    content: bytes
    #: Permission bits, given to the file when the update creates it.
    mode: int = 0o644


class Action(StrEnum):
    """What an update does to one file."""

    #: The template's change is written (replaced, or merged with the user's edits).
    UPDATE = "update"
    #: The template has a new file; it is written.
    ADD = "add"
    #: The template dropped the file and the user never changed it; it is removed.
    DELETE = "delete"
    #: The user's edits and the template's change overlap.
    CONFLICT = "conflict"
    #: The user deleted the file; the template changed it, and it stays deleted.
    KEEP_DELETED = "keep-deleted"
    #: The template dropped the file, but the user changed it; it is kept.
    KEEP_CHANGED = "keep-changed"


@dataclass(frozen=True)
class FileChange:
    """The decision for one file of the project (paths use ``/``)."""

    path: str
    action: Action
    #: The file on disk, or None if there is none.
    before: bytes | None
    #: The file after the update: None when it is removed or left alone. For a
    #: conflict, the merge with git-style markers (None for a binary file).
    after: bytes | None
    mode: int = 0o644
    conflicts: tuple[Conflict, ...] = ()

    @property
    def writes(self) -> bool:
        """Whether applying the change touches the disk (conflicts aside)."""
        return self.action in (Action.UPDATE, Action.ADD, Action.DELETE)

    def diff(self) -> str:
        """The unified diff of what applying the change writes ("" if it writes nothing)."""
        if self.action in (Action.KEEP_DELETED, Action.KEEP_CHANGED):
            return ""
        before, after = _text(self.before), _text(self.after)
        if (self.before is not None and before is None) or (
            self.after is not None and after is None
        ):
            return f"Binary file {self.path}: {self.action}\n"
        diff = unified_diff(before or "", after or "", self.path)
        # As git shows them: a file that appears or goes is diffed against /dev/null.
        if self.before is None:
            diff = diff.replace(f"--- a/{self.path}\n", "--- /dev/null\n", 1)
        if self.after is None:
            diff = diff.replace(f"+++ b/{self.path}\n", "+++ /dev/null\n", 1)
        return diff

    def describe_conflicts(self, *, ours_label: str = "ours", with_markers: bool = False) -> str:
        """Each conflicting hunk, headed by file and line, as git shows them: the line
        in the file as it is, or, *with_markers*, in the file written with markers."""
        if not self.conflicts:
            return f"{self.path}: binary file changed both by you and by the template\n"
        return "".join(
            conflict.describe(self.path, ours_label=ours_label, with_markers=with_markers)
            for conflict in self.conflicts
        )


def _text(content: bytes | None) -> str | None:
    if content is None:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def merge_trees(
    base: Mapping[str, TemplateFile],
    ours: Mapping[str, bytes],
    theirs: Mapping[str, TemplateFile],
) -> tuple[FileChange, ...]:
    """Decide every file the template renders, in either version; sorted by path.

    *ours* needs only the files of *base* and *theirs* that exist on disk: files the
    template never rendered are the user's own and never touched. Files nothing
    happens to are left out of the result.
    """
    changes = []
    for path in sorted(set(base) | set(theirs)):
        change = _merge_file(path, base.get(path), ours.get(path), theirs.get(path))
        if change is not None:
            changes.append(change)
    return tuple(changes)


def _merge_file(
    path: str, base: TemplateFile | None, ours: bytes | None, theirs: TemplateFile | None
) -> FileChange | None:
    if theirs is None:
        if base is None or ours is None:
            return None
        if ours == base.content:
            return FileChange(path, Action.DELETE, before=ours, after=None)
        return FileChange(path, Action.KEEP_CHANGED, before=ours, after=None)
    if ours is None:
        if base is None:
            return FileChange(path, Action.ADD, before=None, after=theirs.content, mode=theirs.mode)
        if base.content == theirs.content:
            return None
        return FileChange(path, Action.KEEP_DELETED, before=None, after=None)
    if ours == theirs.content:
        return None
    # A file new in the template that the user also wrote: both added it, so
    # every differing line is theirs against ours (an empty base).
    base_content = base.content if base is not None else b""
    if base_content == theirs.content:
        return None
    if ours == base_content:
        return FileChange(path, Action.UPDATE, before=ours, after=theirs.content)
    base_text, our_text, their_text = _text(base_content), _text(ours), _text(theirs.content)
    if base_text is None or our_text is None or their_text is None:
        return FileChange(path, Action.CONFLICT, before=ours, after=None)
    merged = merge_texts(base_text, our_text, their_text)
    if merged.clean:
        if merged.text == our_text:
            return None
        return FileChange(path, Action.UPDATE, before=ours, after=merged.text.encode("utf-8"))
    return FileChange(
        path,
        Action.CONFLICT,
        before=ours,
        after=merged.text_with_markers.encode("utf-8"),
        conflicts=merged.conflicts,
    )
