"""Every command our messages tell the user to run works in a project's own venv.

There, ``thibaud-admin`` is the framework's script (the project depends on Thibaud,
which installs it), so a hint saying ``thibaud-admin update`` answers "Unknown
command". Our hints say ``thibaud-cli``, a name nothing else installs (issue 22).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import thibaud_cli
from thibaud_cli.cli import main

PACKAGE = Path(thibaud_cli.__file__).parent
#: Texts that name a command under that name on purpose, and tell nobody to run it: the
#: note that our commands are *not* available as ``thibaud-admin`` any more, and the
#: names validate-template's JUnit and JSON reports carry (what CI pages and
#: merge-reports already read). ``""``: at module level.
ABOUT_THE_NAME = {
    ("cli/output.py", "script_taken_back"),
    ("checks/reports.py", "junit_xml"),
    ("checks/reports.py", ""),
}


def _messages(path: Path) -> list[tuple[str, int, str]]:
    """Every string literal of *path* but docstrings, with its enclosing function."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
            )
            found.append((function, node.lineno, text))
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                found.append((function, node.lineno, node.value))
            return
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "")
    return found


def test_no_message_tells_the_user_to_run_our_commands_as_thibaud_admin() -> None:
    names = sorted(main.commands, key=len, reverse=True)  # type: ignore[attr-defined]
    ours = "|".join(re.escape(name) for name in names)
    wrong = re.compile(rf"thibaud-admin\s+({ours})\b")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for function, line, text in _messages(path):
            if wrong.search(text) and (relative, function) not in ABOUT_THE_NAME:
                found.append(f"{relative}:{line}: {text!r}")
    assert found == []


def test_the_scan_sees_the_hints_it_is_about() -> None:
    texts = [text for _f, _l, text in _messages(PACKAGE / "operations" / "update.py")]
    assert any("'thibaud-cli update --project-dir {}'" in text for text in texts)
