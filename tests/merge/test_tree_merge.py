"""The per-file decisions of a whole-project three-way merge."""

from __future__ import annotations

from thibaud_cli.merge.tree import Action, FileChange, TemplateFile, merge_trees

BASE = "one\ntwo\nthree\nfour\nfive\n"


def tf(text: str, mode: int = 0o644) -> TemplateFile:
    return TemplateFile(text.encode(), mode)


def decide(
    base: str | None, ours: str | None, theirs: str | None, path: str = "f.py"
) -> FileChange | None:
    changes = merge_trees(
        {path: tf(base)} if base is not None else {},
        {path: ours.encode()} if ours is not None else {},
        {path: tf(theirs)} if theirs is not None else {},
    )
    assert len(changes) <= 1
    return changes[0] if changes else None


def test_untouched_file_takes_the_template_change() -> None:
    change = decide(BASE, BASE, BASE.replace("two", "TWO"))
    assert change is not None
    assert change.action is Action.UPDATE
    assert change.after == BASE.replace("two", "TWO").encode()


def test_edits_apart_merge() -> None:
    change = decide(BASE, BASE.replace("five", "5"), BASE.replace("one", "1"))
    assert change is not None
    assert change.action is Action.UPDATE
    assert change.after == b"1\ntwo\nthree\nfour\n5\n"
    assert change.diff() == (
        "--- a/f.py\n+++ b/f.py\n@@ -1,4 +1,4 @@\n-one\n+1\n two\n three\n four\n"
    )


def test_overlapping_edits_conflict_with_markers() -> None:
    change = decide(BASE, BASE.replace("three", "mine"), BASE.replace("three", "theirs"))
    assert change is not None
    assert change.action is Action.CONFLICT
    assert change.after == (
        b"one\ntwo\n<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> template\nfour\nfive\n"
    )
    assert change.describe_conflicts() == (
        "f.py:3:\n<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> template\n"
    )


def test_nothing_to_do_is_left_out() -> None:
    assert decide(BASE, BASE.replace("one", "1"), BASE) is None  # template unchanged
    assert decide(BASE, "mine\n", "mine\n") is None  # the user made the template's change
    assert decide(BASE, None, None) is None  # deleted by both
    assert decide(None, None, None) is None


def test_deleted_by_the_user_stays_deleted() -> None:
    change = decide(BASE, None, BASE.replace("one", "1"))
    assert change is not None
    assert change.action is Action.KEEP_DELETED
    assert not change.writes and change.diff() == ""
    assert decide(BASE, None, BASE) is None


def test_new_template_file_is_added_with_its_mode() -> None:
    change = merge_trees({}, {}, {"run.sh": tf("#!/bin/sh\n", 0o755)})[0]
    assert (change.action, change.after, change.mode) == (Action.ADD, b"#!/bin/sh\n", 0o755)
    assert change.diff() == "--- /dev/null\n+++ b/run.sh\n@@ -0,0 +1 @@\n+#!/bin/sh\n"


def test_file_added_by_both_differently_conflicts() -> None:
    change = decide(None, "mine\n", "theirs\n")
    assert change is not None
    assert change.action is Action.CONFLICT
    assert decide(None, "same\n", "same\n") is None


def test_dropped_file_is_removed_only_if_unchanged() -> None:
    removed = decide(BASE, BASE, None)
    assert removed is not None and removed.action is Action.DELETE
    assert removed.diff().startswith("--- a/f.py\n+++ /dev/null\n@@ -1,5 +0,0 @@\n-one\n")
    kept = decide(BASE, BASE + "mine\n", None)
    assert kept is not None and kept.action is Action.KEEP_CHANGED
    assert not kept.writes


def test_binary_file_changed_on_both_sides_conflicts_without_markers() -> None:
    changes = merge_trees(
        {"logo.png": TemplateFile(b"\x89PNG\xff1")},
        {"logo.png": b"\x89PNG\xff2"},
        {"logo.png": TemplateFile(b"\x89PNG\xff3")},
    )
    assert changes[0].action is Action.CONFLICT
    assert changes[0].after is None
    assert changes[0].describe_conflicts() == (
        "logo.png: binary file changed both by you and by the template\n"
    )
    update = merge_trees(
        {"logo.png": TemplateFile(b"\x89PNG\xff1")},
        {"logo.png": b"\x89PNG\xff1"},
        {"logo.png": TemplateFile(b"\x89PNG\xff3")},
    )[0]
    assert update.action is Action.UPDATE
    assert update.diff() == "Binary file logo.png: update\n"
