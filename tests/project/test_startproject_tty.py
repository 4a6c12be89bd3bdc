"""``startproject`` on a terminal asks the template's questions, through a real pseudo-terminal.

The prompts are copier's (questionary): each shows its question's ``help``, so the
tests recognise a question by the help text in ``templates/project/copier.yml`` and
answer whatever questions the bundled template has, whichever version it is.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from thibaud_cli.project.answers import ANSWERS_FILENAME, DEFAULT_NAME_QUESTION, load_answers
from thibaud_cli.template.data import RESERVED_DATA_KEYS

COPIER_YML = Path(__file__).resolve().parents[2] / "templates" / "project" / "copier.yml"
QUESTIONS: dict[str, dict[str, Any]] = {
    name: spec
    for name, spec in yaml.safe_load(COPIER_YML.read_text("utf-8")).items()
    if not name.startswith("_")
}
#: The questions a person is asked: not the ones thibaud-admin answers, not hidden ones.
ASKED = [
    name
    for name, spec in QUESTIONS.items()
    # project_name is the bundled template's name question: NAME answers it.
    if name not in RESERVED_DATA_KEYS | {DEFAULT_NAME_QUESTION}
    and spec.get("when", True) is not False
]
DOWN = "\x1b[B"
#: The terminal control sequences prompt_toolkit draws with.
CONTROL_SEQUENCE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TIMEOUT = 60


def _prompt_pattern(name: str) -> str:
    # The start of the help is enough to tell the questions apart, and fits on one line.
    return re.escape(" ".join(str(QUESTIONS[name]["help"]).split())[:30])


def _choices(spec: dict[str, Any]) -> list[Any]:
    choices = spec["choices"]
    return list(choices.values()) if isinstance(choices, dict) else list(choices)


def _answer(child: Any, name: str) -> Any:
    """Answer question *name* at its prompt, not with its default where the type allows;
    return the answer it should record."""
    spec = QUESTIONS[name]
    if "choices" in spec:
        choices = _choices(spec)
        child.send(DOWN + "\r")  # the one after the default, highlighted first
        return choices[(choices.index(spec.get("default", choices[0])) + 1) % len(choices)]
    if spec.get("type", "str") == "bool":
        default = bool(spec.get("default", False))
        child.send("n" if default else "y")  # a confirm prompt takes one key
        return not default
    if spec.get("type", "str") == "str":
        child.sendcontrol("u")  # the default is typed in already: clear it
        child.send(f"Answer to {name}\r")
        return f"Answer to {name}"
    child.send("\r")
    return spec.get("default")


@contextmanager
def _on_a_terminal(cwd: Path, *args: str, shell: str | None = None) -> Iterator[Any]:
    """``python -m thibaud_cli startproject ARGS`` on a pseudo-terminal (standard input,
    output and error); with *shell*, run by ``sh -c SHELL`` with the command as ``$@``."""
    argv = [sys.executable, "-m", "thibaud_cli", "startproject", *args]
    if shell is not None:
        argv = ["sh", "-c", shell, "sh", *argv]
    env = {
        **os.environ,
        "TERM": "xterm",
        # pexpect does not answer the cursor position request prompt_toolkit sends;
        # without this, it waits for the answer and prints a warning.
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    with warnings.catch_warnings():
        # The child execs at once: the fork-with-threads deadlock cannot happen.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        child = pexpect.spawn(
            argv[0],
            argv[1:],
            cwd=str(cwd),
            env=env,
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(50, 200),
        )
    try:
        yield child
    finally:
        child.close(force=True)


def _answer_every_question(child: Any) -> tuple[list[str], dict[str, Any]]:
    """Answer the questions as they come until the command ends: (asked, answers)."""
    names = list(QUESTIONS)
    patterns = [_prompt_pattern(name) for name in names]
    asked: list[str] = []
    answers: dict[str, Any] = {}
    while (index := child.expect([*patterns, pexpect.EOF])) < len(names):
        name = names[index]
        assert name in ASKED, f"thibaud-admin's own question {name!r} was asked"
        if name in asked:
            continue  # the prompt drawn again as it takes the answer
        asked.append(name)
        answers[name] = _answer(child, name)
    child.close()
    return asked, answers


def _recorded(project: Path) -> dict[str, Any]:
    return dict(load_answers(project).template_answers)


def _defaults(names: Sequence[str]) -> dict[str, Any]:
    return {name: QUESTIONS[name].get("default") for name in names}


def test_the_bundled_template_has_a_choice_to_make() -> None:
    # What the tests below rely on: something to ask, and a non-default choice to pick.
    assert "description" in ASKED
    assert any("choices" in QUESTIONS[name] for name in ASKED)


def test_on_a_terminal_every_question_is_asked_and_answered(tmp_path: Path) -> None:
    with _on_a_terminal(tmp_path, "mysite") as child:
        asked, answers = _answer_every_question(child)
        output = child.before
    assert child.exitstatus == 0, output
    assert asked == ASKED
    assert "Created project 'mysite'" in output
    recorded = _recorded(tmp_path / "mysite")
    assert {name: recorded[name] for name in ASKED} == answers
    chosen = [name for name in ASKED if "choices" in QUESTIONS[name]]
    assert all(answers[name] != QUESTIONS[name].get("default") for name in chosen)
    assert answers["description"] in (tmp_path / "mysite" / "pyproject.toml").read_text("utf-8")


def test_an_answer_given_with_data_is_not_asked(tmp_path: Path) -> None:
    with _on_a_terminal(tmp_path, "mysite", "--data", "description=Given") as child:
        asked, answers = _answer_every_question(child)
    assert child.exitstatus == 0
    assert asked == [name for name in ASKED if name != "description"]
    recorded = _recorded(tmp_path / "mysite")
    assert recorded["description"] == "Given"
    assert {name: recorded[name] for name in asked} == answers


def test_defaults_on_a_terminal_asks_nothing(tmp_path: Path) -> None:
    with _on_a_terminal(tmp_path, "mysite", "--defaults") as child:
        asked, _ = _answer_every_question(child)
        output = child.before
    assert child.exitstatus == 0, output
    assert asked == []
    assert "Created project 'mysite'" in output
    assert _recorded(tmp_path / "mysite") == _defaults(ASKED)


def test_a_dry_run_on_a_terminal_asks_and_writes_nothing(tmp_path: Path) -> None:
    with _on_a_terminal(tmp_path, "mysite", "--dry-run") as child:
        asked, _ = _answer_every_question(child)
        output = child.before
    assert child.exitstatus == 0, output
    assert asked == ASKED
    assert "Would create project 'mysite'" in output and ANSWERS_FILENAME in output
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_at_the_first_question_leaves_nothing(tmp_path: Path) -> None:
    with _on_a_terminal(tmp_path, "mysite") as child:
        child.expect(_prompt_pattern(ASKED[0]))
        child.sendcontrol("c")
        child.expect(pexpect.EOF)
        output = CONTROL_SEQUENCE.sub("", child.before)
        child.close()
    assert child.exitstatus == 1
    message = f"Error: Stopped at the question '{ASKED[0]}': nothing was written."
    assert [line for line in output.splitlines() if "Error" in line] == [message]
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == []  # no project, no staging directory


def test_end_of_input_at_a_question_says_how_to_answer(tmp_path: Path) -> None:
    with _on_a_terminal(tmp_path, "mysite") as child:
        child.expect(_prompt_pattern(ASKED[0]))
        child.sendcontrol("u")
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        output = child.before
        child.close()
    assert child.exitstatus == 1
    assert "end of input): nothing was written" in output and "--defaults" in output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "shell",
    ['exec "$@" <&-', 'exec "$@" > out.txt'],
    ids=["standard-input-closed", "standard-output-to-a-file"],
)
def test_with_either_stream_not_a_terminal_nothing_is_asked(tmp_path: Path, shell: str) -> None:
    with _on_a_terminal(tmp_path, "mysite", shell=shell) as child:
        asked, _ = _answer_every_question(child)
    assert child.exitstatus == 0
    assert asked == []
    assert _recorded(tmp_path / "mysite") == _defaults(ASKED)
    if (out := tmp_path / "out.txt").exists():
        assert out.read_text("utf-8").startswith("Created project 'mysite'")


def test_no_terminal_and_no_standard_input_asks_nothing(tmp_path: Path) -> None:
    # As CI runs it: standard input closed, output captured.
    result = subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", sys.executable, "-m", "thibaud_cli"]
        + ["startproject", "mysite"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert _recorded(tmp_path / "mysite") == _defaults(ASKED)


def test_time_spent_answering_does_not_count_against_the_render_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copier._main

    from thibaud_cli.operations.startproject import start_project

    asked: list[str] = []

    def thoughtful_person(questions: list[dict[str, Any]], answers: dict[str, Any]) -> Any:
        # As questionary does, a question whose `when` says no is not shown: its default.
        when = questions[0].get("when", True)
        if callable(when) and not when(answers):
            return answers
        asked.append(questions[0]["name"])
        time.sleep(1.5)
        return answers  # the default

    monkeypatch.setattr("thibaud_cli.template.sandbox.limits.RENDER_TIMEOUT_SECONDS", 2.0)
    monkeypatch.setattr(copier._main, "unsafe_prompt", thoughtful_person)
    start_project("mysite", tmp_path / "mysite", interactive=True)
    assert asked == ASKED  # each once: rendering did not ask again
    assert _recorded(tmp_path / "mysite") == _defaults(ASKED)
