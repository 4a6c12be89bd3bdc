"""Checks of a rendered project that read its files without running them.

Each returns one :class:`~thibaud_cli.checks.results.CheckResult`; when several files fail
the same check, the first one gives the file and line and the message lists them all.
"""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from thibaud_cli.checks.results import CheckResult
from thibaud_cli.fs.walk import walk_files, walk_files_typed
from thibaud_cli.project.contract import EntryPoints, module_file, settings_defaults
from thibaud_cli.project.framework import project_targets_django
from thibaud_cli.template.engine.origins import Origin, source_line
from thibaud_cli.template.syntax import TemplateSyntax


def _files(root: Path) -> Iterator[Path]:
    # A symlink is checked where it leads inside the project (the render refuses
    # one that leads outside), not a second time through the link.
    return (path for path, is_link in walk_files_typed(root) if not is_link)


def _summarise(
    name: str, problems: list[tuple[str, int | None, str]], passed: str, started: float
) -> CheckResult:
    duration = time.perf_counter() - started
    if not problems:
        return CheckResult(name, "passed", passed, duration=duration)
    # The first problem's place is the check's file and line; the others say their own.
    file, line, message = problems[0]
    for where, at, what in problems[1:]:
        message += f"; {where}:{at}: {what}" if at else f"; {where}: {what}"
    return CheckResult(name, "failed", message, file=file, line=line, duration=duration)


def unreadable(path: Path, error: OSError) -> str:
    """Why a rendered file cannot be read: a template may keep a symlink as it is
    (_preserve_symlinks) that leads nowhere; say where it leads."""
    link = f" (a symlink to {os.readlink(path)})" if path.is_symlink() else ""
    return f"cannot be read{link}: {error.strerror or error}"


def _syntax_error_at(
    relative: str,
    source: bytes,
    error: SyntaxError,
    origins: Mapping[str, Origin] | None,
    syntax: TemplateSyntax,
) -> tuple[str, int | None, str]:
    """Where the author fixes a syntax error: the template file and its line (found from
    the rendered line), else the rendered file's."""
    what = f"{type(error).__name__}: {error.msg}"
    origin = (origins or {}).get(relative)
    if origin is None or error.lineno is None:
        return relative, error.lineno, what
    line = source_line(origin, source.decode("utf-8", "replace"), error.lineno, syntax)
    if line is None:
        return relative, error.lineno, what
    return origin.source, line, f"{what} (rendered into {relative})"


def check_compiles(
    project_dir: Path,
    origins: Mapping[str, Origin] | None = None,
    syntax: TemplateSyntax | None = None,
) -> CheckResult:
    """Every ``.py`` file is valid Python. A syntax error is reported at the template
    file it came from (*origins*, rendered with *syntax*), at the line of that file."""
    started = time.perf_counter()
    problems: list[tuple[str, int | None, str]] = []
    count = 0
    for path in walk_files(project_dir):
        if path.suffix != ".py":
            continue
        if path.is_symlink() and path.exists():
            continue  # checked where it leads, inside the project (the render refuses out)
        count += 1
        relative = str(path.relative_to(project_dir))
        try:
            source = path.read_bytes()
            compile(source, relative, "exec", dont_inherit=True)
        except SyntaxError as error:
            problems.append(
                _syntax_error_at(relative, source, error, origins, syntax or TemplateSyntax())
            )
        except ValueError as error:  # e.g. a null byte in the source
            problems.append((relative, None, f"cannot be compiled: {error}"))
        except OSError as error:
            problems.append((relative, None, unreadable(path, error)))
    return _summarise("compile", problems, f"{count} Python files compile", started)


def _top_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Module-level statements, including those under top-level if/try blocks."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        statement = pending.pop(0)
        yield statement
        if isinstance(statement, ast.If | ast.Try):
            pending.extend(statement.body)
            pending.extend(statement.orelse)
            if isinstance(statement, ast.Try):
                pending.extend(statement.finalbody)
                for handler in statement.handlers:
                    pending.extend(handler.body)


def _defines(tree: ast.Module, name: str) -> bool:
    for statement in _top_level(tree):
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
            targets = [statement.target]
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if statement.name == name:
                return True
            continue
        elif isinstance(statement, ast.Import | ast.ImportFrom):
            if any((alias.asname or alias.name) == name for alias in statement.names):
                return True
            continue
        else:
            continue
        for target in targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            if any(isinstance(node, ast.Name) and node.id == name for node in names):
                return True
    return False


def _entry_point_problems(
    project_dir: Path, relative: str, settings_variable: str, root: Path
) -> list[tuple[str, int | None, str]]:
    path = project_dir / relative
    if not path.is_file():
        return [(relative, None, "is missing")]
    try:
        tree = ast.parse(path.read_bytes(), relative)
    except (SyntaxError, ValueError) as error:
        return [(relative, getattr(error, "lineno", None), "does not compile")]
    problems: list[tuple[str, int | None, str]] = []
    defaults = settings_defaults(tree)
    ours = [(line, value) for line, variable, value in defaults if variable == settings_variable]
    if not ours:
        expected = f"os.environ.setdefault({settings_variable!r}, ...)"
        others = [(line, variable) for line, variable, _ in defaults]
        hint = (
            f" ({others[0][1]} is set, but the installed Thibaud reads {settings_variable})"
            if others
            else ""
        )
        problems.append(
            (relative, others[0][0] if others else None, f"does not call {expected}{hint}")
        )
    elif module_file(root, ours[-1][1]) is None:
        line, value = ours[-1]
        problems.append(
            (relative, line, f"defaults {settings_variable} to {value!r}, a module it lacks")
        )
    if not _defines(tree, "application"):
        problems.append((relative, None, "does not define `application`"))
    return problems


def check_entry_points(project_dir: Path, entry_points: EntryPoints) -> CheckResult:
    """The project has a settings module, and ASGI and WSGI modules that set the settings
    default the installed Thibaud reads to a module of the project and define
    ``application``. *entry_points* are the declared or discovered modules."""
    from thibaud.conf import ENVIRONMENT_VARIABLE

    started = time.perf_counter()
    root = entry_points.root_dir(project_dir)
    problems: list[tuple[str, int | None, str]] = []
    declare = "declare it in copier.yml (_thibaud: {%s: package.module})"
    if entry_points.settings is None:
        problems.append(
            (
                "manage.py",
                None,
                f"no settings module found (manage.py sets no {ENVIRONMENT_VARIABLE} "
                f"default): {declare % 'settings'}",
            )
        )
    elif module_file(root, entry_points.settings) is None:
        problems.append(
            (entry_points.relpath(entry_points.settings), None, "the settings module is missing")
        )
    for kind in ("asgi", "wsgi"):
        module = getattr(entry_points, kind)
        if module is None and kind == "asgi" and entry_points.wsgi is not None:
            continue  # a WSGI-only project: nothing to serve over ASGI, nothing to declare
        if module is None:
            factory = f"get_{kind}_application()"
            problems.append(
                (
                    f"{kind}.py",
                    None,
                    f"no module binds `application` with {factory}: {declare % kind}",
                )
            )
            continue
        found = module_file(root, module)
        relative = (
            str(found.relative_to(project_dir))
            if found is not None
            else entry_points.relpath(module)
        )
        problems += _entry_point_problems(project_dir, relative, ENVIRONMENT_VARIABLE, root)
    if entry_points.asgi is None:
        passed = (
            f"settings {entry_points.settings}, WSGI {entry_points.wsgi} (WSGI only: nothing to "
            f"serve over ASGI): it sets {ENVIRONMENT_VARIABLE} and defines application"
        )
    else:
        passed = (
            f"settings {entry_points.settings}, ASGI {entry_points.asgi}, WSGI "
            f"{entry_points.wsgi}: both set {ENVIRONMENT_VARIABLE} and define application"
        )
    return _summarise("entry-points", problems, passed, started)


def check_framework(project_dir: Path) -> CheckResult:
    """The project targets Thibaud, not Django (decided by
    :func:`~thibaud_cli.project.framework.project_targets_django`).

    Whatever the interpreter has installed: with Django there, a Django project would
    boot and pass every later check, served by Django."""
    started = time.perf_counter()
    found = project_targets_django(project_dir)
    duration = time.perf_counter() - started
    if found is None:
        return CheckResult("framework", "passed", "targets Thibaud", duration=duration)
    return CheckResult(
        "framework",
        "failed",
        found.describe("template"),
        file=found.file,
        line=found.line,
        duration=duration,
    )
