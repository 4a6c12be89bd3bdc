"""The generic three-way merge of one text file."""

from __future__ import annotations

from thibaud_cli.merge.text import merge_texts, unified_diff

BASE = "a\nb\nc\nd\ne\n"


def test_changes_on_both_sides_that_do_not_touch_merge_cleanly() -> None:
    result = merge_texts(BASE, "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n")
    assert result.clean
    assert result.text == "A\nb\nc\nd\nE\n"


def test_a_conflict_keeps_ours_and_reports_where_it_is_in_ours() -> None:
    # The template replaced line 1 (a region ours did not touch) with two lines and
    # both sides changed line 4: the conflict is at line 4 of *ours*, not of theirs.
    ours = "a\nb\nc\nOURS\ne\n"
    theirs = "x\ny\nb\nc\nTHEIRS\ne\n"
    result = merge_texts(BASE, ours, theirs)
    assert not result.clean
    (conflict,) = result.conflicts
    assert conflict.line == 4
    assert conflict.ours == ("OURS\n",) and conflict.theirs == ("THEIRS\n",)
    assert result.text == "x\ny\nb\nc\nOURS\ne\n"
    assert "<<<<<<< ours\nOURS\n=======\nTHEIRS\n>>>>>>> template\n" in result.text_with_markers
    assert conflict.describe("f.py").startswith("f.py:4:\n<<<<<<< ours\n")


def test_the_same_change_on_both_sides_is_taken_once() -> None:
    result = merge_texts(BASE, "a\nB\nc\nd\ne\n", "a\nB\nc\nd\ne\n")
    assert result.clean and result.text == "a\nB\nc\nd\ne\n"


def test_unified_diff() -> None:
    assert unified_diff(BASE, BASE, "f.py") == ""
    diff = unified_diff(BASE, "a\nb\nC\nd\ne\n", "f.py")
    assert diff.startswith("--- a/f.py\n+++ b/f.py\n")
    assert "-c\n+C\n" in diff
