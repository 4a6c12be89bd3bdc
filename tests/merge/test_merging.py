"""The generic three-way merge of one text file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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


# --- git merge-file: narrow conflicts --------------------------------------------------


def test_an_edit_one_line_above_a_conflict_stays_out_of_it(
    make_project: Callable[..., Path],
) -> None:
    # The bundled template's real settings.py: the user set TIME_ZONE, one line (a blank
    # one) above USE_I18N, and annotated USE_I18N, which the template turns off.
    base = (make_project() / "mysite" / "settings.py").read_text("utf-8")
    assert '\nTIME_ZONE = "UTC"\n\nUSE_I18N = True\n' in base
    ours = base.replace('TIME_ZONE = "UTC"', 'TIME_ZONE = "Europe/Paris"').replace(
        "USE_I18N = True", "USE_I18N = True  # the site is translated"
    )
    theirs = base.replace("USE_I18N = True", "USE_I18N = False")
    result = merge_texts(base, ours, theirs)
    (conflict,) = result.conflicts
    assert conflict.ours == ("USE_I18N = True  # the site is translated\n",)
    assert conflict.theirs == ("USE_I18N = False\n",)
    assert conflict.base == ("USE_I18N = True\n",)
    assert not any("TIME_ZONE" in line for line in conflict.ours + conflict.theirs + conflict.base)
    assert ours.splitlines()[conflict.line - 1].startswith("USE_I18N = True")
    assert 'TIME_ZONE = "Europe/Paris"' in result.text
    markers = result.text_with_markers
    assert markers.index('TIME_ZONE = "Europe/Paris"') < markers.index("<<<<<<< ours")
    assert 'TIME_ZONE = "UTC"' not in markers


def test_lines_both_sides_added_alike_stay_out_of_the_conflict() -> None:
    # git's zdiff3: both sides added the same comment and changed the line below it
    # differently; only that line conflicts (merge3 and --diff3 took the comment in).
    base = 'TIME_ZONE = "UTC"\n\nUSE_I18N = True\n\nUSE_TZ = True\n'
    ours = 'TIME_ZONE = "UTC"\n\n# Translations\nUSE_I18N = "yes"\n\nUSE_TZ = True\n'
    theirs = 'TIME_ZONE = "UTC"\n\n# Translations\nUSE_I18N = False\n\nUSE_TZ = True\n'
    result = merge_texts(base, ours, theirs)
    (conflict,) = result.conflicts
    assert (conflict.line, conflict.ours, conflict.theirs) == (
        4,
        ('USE_I18N = "yes"\n',),
        ("USE_I18N = False\n",),
    )
    assert result.text_with_markers == (
        'TIME_ZONE = "UTC"\n\n# Translations\n<<<<<<< ours\nUSE_I18N = "yes"\n=======\n'
        "USE_I18N = False\n>>>>>>> template\n\nUSE_TZ = True\n"
    )


def test_conflicts_report_their_line_in_ours_after_changes_of_both_sides() -> None:
    base = "".join(f"line {n}\n" for n in range(1, 21))
    # Ours drops lines 2-4 and changes 15; the template inserts three lines after
    # line 8 and changes 15 and 19 differently from ours.
    ours = base.replace("line 2\nline 3\nline 4\n", "").replace("line 15", "ours 15")
    ours = ours.replace("line 19", "ours 19")
    theirs = base.replace("line 8\n", "line 8\nnew a\nnew b\nnew c\n")
    theirs = theirs.replace("line 15", "theirs 15").replace("line 19", "theirs 19")
    result = merge_texts(base, ours, theirs)
    our_lines = ours.splitlines(keepends=True)
    assert [c.line for c in result.conflicts] == [12, 16]
    for conflict in result.conflicts:
        assert tuple(our_lines[conflict.line - 1 :][: len(conflict.ours)]) == conflict.ours
    assert "new a\nnew b\nnew c\n" in result.text and "line 2\n" not in result.text


# --- Inputs git is particular about ------------------------------------------------


def test_marker_like_lines_in_the_inputs_are_text() -> None:
    marker_lines = "<<<<<<< ours\n||||||||||\n=======\n>>>>>>>>>>>> template\n"
    base = f"a\n{marker_lines}b\nc\n"
    ours = f"a\n{marker_lines}B\nc\n"
    theirs = f"a\n{marker_lines}T\nc\n"
    result = merge_texts(base, ours, theirs)
    (conflict,) = result.conflicts
    assert (conflict.line, conflict.ours, conflict.theirs) == (6, ("B\n",), ("T\n",))
    assert result.text == ours
    assert result.text_with_markers == (
        f"a\n{marker_lines}<<<<<<< ours\nB\n=======\nT\n>>>>>>> template\nc\n"
    )
    # A clean merge keeps them, wherever they are.
    clean = merge_texts(base, f"x\n{marker_lines}b\nc\n", f"a\n{marker_lines}b\nC\n")
    assert clean.clean and clean.text == f"x\n{marker_lines}b\nC\n"


def test_a_missing_final_newline_is_kept_or_changed_as_each_side_says() -> None:
    assert merge_texts("a\nb\nc", "A\nb\nc", "a\nb\nC").text == "A\nb\nC"
    # The template adds the final newline, the user edited elsewhere.
    assert merge_texts("a\nb\nc", "A\nb\nc", "a\nb\nc\n").text == "A\nb\nc\n"
    # The user removed it, the template edited elsewhere.
    assert merge_texts("a\nb\nc\n", "a\nb\nc", "A\nb\nc\n").text == "A\nb\nc"


def test_a_conflict_on_a_last_line_without_newline() -> None:
    result = merge_texts("a\nb\nc", "a\nb\nOURS", "a\nb\nTHEIRS")
    (conflict,) = result.conflicts
    assert (conflict.line, conflict.ours, conflict.theirs, conflict.base) == (
        3,
        ("OURS",),
        ("THEIRS",),
        ("c",),
    )
    assert result.text == "a\nb\nOURS"
    assert result.text_with_markers == (
        "a\nb\n<<<<<<< ours\nOURS\n=======\nTHEIRS\n>>>>>>> template\n"
    )
    # The same line with and without a newline differs, as for git.
    assert not merge_texts("a\nb\n", "a\nB\n", "a\nb").clean


def test_crlf_lines_keep_their_endings_and_markers_follow_them() -> None:
    result = merge_texts("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n", "a\r\nT\r\nc\r\n")
    (conflict,) = result.conflicts
    assert (conflict.line, conflict.ours) == (2, ("B\r\n",))
    assert result.text == "a\r\nB\r\nc\r\n"
    assert result.text_with_markers == (
        "a\r\n<<<<<<< ours\r\nB\r\n=======\r\nT\r\n>>>>>>> template\r\nc\r\n"
    )
    clean = merge_texts("a\r\nb\r\nc\r\n", "A\r\nb\r\nc\r\n", "a\r\nb\r\nC\r\n")
    assert clean.text == "A\r\nb\r\nC\r\n"


def test_empty_texts() -> None:
    # Both sides created the file with different contents.
    (conflict,) = merge_texts("", "ours\n", "theirs\n").conflicts
    assert (conflict.line, conflict.ours, conflict.theirs, conflict.base) == (
        1,
        ("ours\n",),
        ("theirs\n",),
        (),
    )
    # The user emptied the file, the template changed it.
    result = merge_texts("a\nb\n", "", "a\nB\n")
    (conflict,) = result.conflicts
    assert (conflict.line, conflict.ours) == (1, ())
    assert result.text == ""
    assert result.text_with_markers == "<<<<<<< ours\n=======\na\nB\n>>>>>>> template\n"
    assert merge_texts("a\n", "a\n", "").text == ""


def test_non_ascii_and_lines_ending_only_at_newlines() -> None:
    # \u2028, \x0c and a lone \r end no line for git: these are three-line texts.
    base = "héllo\nzwei\u2028drei\x0cvier\rfünf\n日本\n"
    ours = base.replace("héllo", "HÉLLO")
    theirs = base.replace("日本", "日本語")
    assert merge_texts(base, ours, theirs).text == "HÉLLO\nzwei\u2028drei\x0cvier\rfünf\n日本語\n"
    result = merge_texts(base, base.replace("日本", "ours"), theirs)
    assert [c.line for c in result.conflicts] == [3]
    # A str that is not valid UTF-8 (a lone surrogate) goes through unchanged.
    lone = "a\n\udcff\nc\n"
    assert merge_texts(lone, lone.replace("a", "A"), lone.replace("c", "C")).text == (
        "A\n\udcff\nC\n"
    )


def test_a_text_with_a_nul_character_is_binary_to_git_so_one_conflict() -> None:
    result = merge_texts("a\0\n", "b\0\n", "c\0\n")
    (conflict,) = result.conflicts
    assert (conflict.line, conflict.ours, conflict.theirs) == (1, ("b\0\n",), ("c\0\n",))
    assert result.text == "b\0\n"
