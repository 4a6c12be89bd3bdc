"""The documentation cannot drift: the site builds strictly, every command it shows is
accepted by the real command line, and the README's table of the bundled template's
questions is the template's own.

The pages are the ones the site is built from (``docs/conf.py``). The commands are read
from their code blocks and inline code: wherever ``thibaud-admin`` or ``thibaud-cli``
stands where a shell would run it (at the start, after ``&&``, ``|``, ``$(``, a
``run:`` key...), the words after it, up to the end of that shell command, are parsed by
click's parser for our commands and by Thibaud's own argparse parser for the ones
thibaud-admin forwards. Nothing is run.
"""

from __future__ import annotations

import enum
import functools
import json
import os
import re
import runpy
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
import yaml

from thibaud_cli.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "docs" / "conf.py"
PROGRAMS = ("thibaud-admin", "thibaud-cli")

# --- the pages and the commands they show ----------------------------------------------


def documents() -> list[Path]:
    """The site's pages: the README and every page ``docs/conf.py`` lists."""
    pages = runpy.run_path(str(CONF))["PAGES"]
    return [ROOT / "README.md", *(ROOT / f"{page}.md" for page in pages)]


@dataclass(frozen=True)
class Shown:
    """A command as a page shows it: *whole* in a code block, a mention in inline code."""

    document: str
    line: int
    text: str
    whole: bool

    def __str__(self) -> str:
        return f"{self.document}:{self.line}: {self.text!r}"


_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w-]*)")
#: Code blocks in these languages (or none) hold commands; others (jinja, toml...) do not.
_SHELL_LIKE = {"", "sh", "bash", "shell", "console", "yaml", "yml"}
_INLINE = re.compile(r"(`+)(.+?)\1")
_PROGRAM = re.compile(r"(?<![\w.@-])(?:[\w./-]*/)?(thibaud-admin|thibaud-cli)(?![\w./@-])")
# What may stand before a command: the start, a shell operator, a YAML key that runs it,
# environment assignments.
_COMMAND_POSITION = re.compile(
    r"(?:^|&&|\|\||[|;(`]|\$\(|\b(?:run|entry):|\bthen|\bdo)\s*(?:-\s+)?(?:[A-Z_]+=\S*\s+)*$"
)


def shown_commands(path: Path) -> Iterator[Shown]:
    name = str(path.relative_to(ROOT))
    fence: str | None = None
    logical = ""
    start = 0
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        opening = _FENCE.match(line)
        if fence is None:
            if opening:
                fence = opening[1] if opening[2].lower() in _SHELL_LIKE else opening[1] + "!"
                continue
            for span in _INLINE.finditer(line):
                yield from _commands_in(span[2].strip(), name, number, whole=False)
            continue
        if opening and line.strip().startswith(fence.rstrip("!")) and not opening[2]:
            fence = None
            continue
        if fence.endswith("!"):
            continue
        # A line ending in a backslash goes on on the next one, as in a shell.
        if not logical:
            start = number
        logical += line.rstrip("\\") + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            yield from _commands_in(logical, name, start, whole=True)
            logical = ""


def _commands_in(text: str, document: str, line: int, *, whole: bool) -> Iterator[Shown]:
    for found in _PROGRAM.finditer(text):
        if _COMMAND_POSITION.search(text[: found.start()]):
            yield Shown(document, line, text[found.start() :], whole)


def command_words(text: str) -> list[str]:
    """The words of the shell command *text* starts with, after the program's name.

    Placeholders read as values: ``<name>`` as ``name``; ``[DIRECTORY]`` and ``...``
    (optional or repeated ones) are left out.
    """
    text = re.sub(r"<([A-Za-z][\w -]*)>", lambda match: match[1].replace(" ", "_"), text)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words: list[str] = []
    for word in iter(lexer.get_token, None):
        if word.startswith("#") or (word and set(word) <= set("();<>|&")):
            break
        if not (word.startswith("[") and word.endswith("]")) and word not in ("...", "…"):
            words.append(word)
    return words[1:]


# --- what the command line accepts ---------------------------------------------------------


#: Run in a process of its own: Thibaud's settings, configured once there as a default
#: project's (the apps whose commands it has), never in this test run's process.
_THIBAUD_PARSER = """
import json, sys
from thibaud.conf import settings
settings.configure(
    INSTALLED_APPS=[f"thibaud.contrib.{app}" for app in
                    ("admin", "auth", "contenttypes", "sessions", "messages", "staticfiles")],
    DATABASES={"default": {"ENGINE": "thibaud.db.backends.sqlite3", "NAME": ":memory:"}},
    STATIC_URL="static/",
)
import thibaud
thibaud.setup()
from thibaud.core.management import CommandError, get_commands, load_command_class
commands = get_commands()
problems = []
for name, words in json.load(sys.stdin):
    if name not in commands:
        problems.append(f"no command {name!r}, ours or Thibaud's")
        continue
    parser = load_command_class(commands[name], name).create_parser("thibaud-admin", name)
    try:
        parser.parse_args(words)
        problems.append(None)
    except CommandError as error:
        problems.append(str(error))
json.dump({"commands": sorted(commands), "problems": problems}, sys.stdout)
"""


def _thibaud(requests: list[tuple[str, list[str]]]) -> tuple[list[str], list[str | None]]:
    """Thibaud's commands, and what its parsers say of each (command, words) request."""
    done = subprocess.run(
        [sys.executable, "-c", _THIBAUD_PARSER],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.endswith("_SETTINGS_MODULE")},
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    return answer["commands"], answer["problems"]


@functools.cache
def thibaud_commands() -> frozenset[str]:
    return frozenset(_thibaud([])[0])


def refusals(shown: list[Shown]) -> list[str | None]:
    """Why the real command line would refuse each of *shown* (None: it accepts it)."""
    answers: list[str | None] = []
    forwarded: list[tuple[int, str, list[str]]] = []
    for index, item in enumerate(shown):
        problem, rest = _refusal_by_click(item)
        if rest is not None:
            forwarded.append((index, rest[0], rest[1:]))
        answers.append(problem)
    if forwarded:
        _, problems = _thibaud([(name, words) for _, name, words in forwarded])
        for (index, _, _), problem in zip(forwarded, problems, strict=True):
            answers[index] = problem
    return answers


def refusal(shown: Shown) -> str | None:
    return refusals([shown])[0]


def _refusal_by_click(shown: Shown) -> tuple[str | None, list[str] | None]:
    """What click says of *shown*, and the words Thibaud's parser must read, if any."""
    try:
        words = command_words(shown.text)
    except ValueError as error:  # an unbalanced quote
        return f"unreadable ({error})", None
    context = click.Context(main, info_name="thibaud-admin")
    problem = _click_refusal(main, words, context, whole=shown.whole)
    if problem is not None or not words or words[0].startswith("-"):
        return problem, None
    name, *rest = words
    if name in main.commands and name != "help":
        return _click_refusal(main.commands[name], rest, context, whole=shown.whole), None
    if name == "help":
        topics = [word for word in rest if not word.startswith("-")]
        unknown = [topic for topic in topics[:1] if topic not in _known_commands()]
        return (f"help about an unknown command {unknown[0]!r}" if unknown else None), None
    return None, words


def _known_commands() -> set[str]:
    return set(main.commands) | set(thibaud_commands())


def _click_refusal(
    command: click.Command, words: list[str], parent: click.Context, *, whole: bool
) -> str | None:
    context = click.Context(command, info_name=command.name, parent=parent)
    parser = command.make_parser(context)
    if isinstance(command, click.Group):
        # The group's own options, up to the subcommand.
        parser.allow_interspersed_args = False
    try:
        parsed, arguments, order = parser.parse_args(list(words))
    except click.UsageError as error:
        return error.format_message()
    # What the words gave: click 8.3 marks the rest with an enum sentinel (UNSET).
    values = {
        name: value
        for name, value in parsed.items()
        if value is not None and not isinstance(value, enum.Enum)
    }
    for param in order:
        value = values.get(param.name) if param.name else None
        if value is None or isinstance(param.type, click.Path | click.File):
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            try:
                param.type.convert(item, param, context)
            except click.BadParameter as error:
                return f"{param.name}: {error.format_message()}"
    if isinstance(command, click.Group):
        if arguments and arguments[0] not in _known_commands():
            return f"no command {arguments[0]!r}"
        return None
    if arguments:
        return f"unexpected argument(s) {arguments}"
    # Inline code may name a command without its arguments ("`thibaud-admin update`
    # writes..."); a code block shows a command to run, whole.
    if not whole or values.keys() & {"help", "version"}:
        return None
    missing = [
        param.human_readable_name
        for param in command.params
        if isinstance(param, click.Argument) and param.required and not values.get(param.name)
    ]
    return f"missing argument(s) {', '.join(missing)}" if missing else None


# --- the tests ------------------------------------------------------------------------------


def all_shown() -> list[Shown]:
    return [shown for path in documents() for shown in shown_commands(path)]


def test_every_command_shown_is_accepted_by_the_command_line() -> None:
    shown = all_shown()
    refused = [
        f"{item}: {problem}"
        for item, problem in zip(shown, refusals(shown), strict=True)
        if problem
    ]
    assert refused == []


def test_the_pages_show_commands_in_code_blocks_and_inline_code() -> None:
    # The test above would pass on pages it cannot read: make sure it reads them.
    shown = all_shown()
    words = {tuple(command_words(item.text)[:1]) for item in shown if item.whole}
    for command in ("startproject", "add-asgi-middleware", "update", "validate-template"):
        assert (command,) in words
    assert any(not item.whole and item.document.startswith("docs/") for item in shown)
    assert any(item.document == "README.md" for item in shown)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("thibaud-admin startproject mysite --dry-runn", "No such option"),
        ("thibaud-admin update --conflict merge", "conflict"),
        ("thibaud-admin validate-template . --jobs 0", "jobs"),
        ("thibaud-admin startprojet mysite", "no command 'startprojet'"),
        ("thibaud-admin add-asgi-middleware", "missing argument(s) SPEC"),
        ("thibaud-admin list-asgi-middleware extra", "unexpected argument(s)"),
        ("thibaud-admin migrate --fake-it", "unrecognized arguments"),
        ("thibaud-admin help add-asgi-midleware", "unknown command"),
        ("thibaud-admin -v 0 update", "No such option"),
    ],
)
def test_a_command_the_command_line_refuses_is_caught(text: str, problem: str) -> None:
    refused = refusal(Shown("page.md", 1, text, whole=True))
    assert refused is not None and problem in refused, refused


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("python3 -m venv .venv && .venv/bin/thibaud-admin startproject mysite && cd mysite", []),
        ("thibaud-admin startproject NAME [DIRECTORY]", ["startproject", "NAME"]),
        ("  - run: thibaud-cli validate-template . --server uvicorn", ["validate-template", "."]),
        ('echo "m=$(thibaud-cli validate-template . --list-variants)" >> "$OUT"', None),
        ("thibaud-admin update --check   # exit 0: up to date", ["update", "--check"]),
        ('eval "$(_THIBAUD_ADMIN_COMPLETE=bash_source thibaud-admin)"', []),
        ("thibaud-admin add-asgi-middleware <name>.asgi_guard.RequestGuard", None),
        ('pip install "thibaud-cli @ git+https://example.com/thibaud-cli@v1"', "none"),
        ("ls .thibaud-admin/lock", "none"),
    ],
)
def test_commands_are_read_where_a_shell_would_run_them(
    line: str, words: list[str] | str | None
) -> None:
    found = list(_commands_in(line, "page.md", 1, whole=True))
    if words == "none":
        assert found == []
        return
    assert len(found) == 1
    if words is not None and words:
        assert command_words(found[0].text)[: len(words)] == words
    elif words == []:
        assert refusal(found[0]) is None


def test_the_readme_lists_every_question_of_the_bundled_template() -> None:
    """Each question the bundled template asks, in the README's table with its
    answers, default first."""
    questions = yaml.safe_load((ROOT / "templates/project/copier.yml").read_text("utf-8"))
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## The bundled template's questions", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0].strip("` "): cells[1]
        for line in section.splitlines()
        if line.startswith("| `") and len(cells := line.strip("|").split("|")) >= 3
    }
    asked = {
        name: spec
        for name, spec in questions.items()
        if not name.startswith("_") and name != "project_name" and spec.get("when") is not False
    }
    assert sorted(rows) == sorted(asked)
    for name, spec in asked.items():
        if spec.get("type") == "bool":
            answers = ["true", "false"] if spec["default"] else ["false", "true"]
        else:
            answers = [
                str(spec["default"]),
                *(c for c in spec.get("choices", []) if c != spec["default"]),
            ]
        shown = re.findall(r"`\"?([^`\"]*)\"?`", rows[name])
        assert shown == answers, name


def test_the_site_builds_with_every_warning_an_error(tmp_path: Path) -> None:
    """The strict build: a broken link, anchor or directive, or a page left out of the
    table of contents, fails it."""
    try:
        import myst_parser  # noqa: F401
        import sphinx  # noqa: F401
    except ImportError as error:
        pytest.fail(f"{error}: the docs extra is part of the test extras: pip install -e '.[test]'")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-n", "-q"]
        + ["-b", "html", "-c", str(CONF.parent), str(ROOT), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    assert (tmp_path / "html" / "README.html").is_file()
    assert (tmp_path / "html" / "docs" / "commands.html").is_file()
