"""The project contract: where a rendered project keeps its settings, ASGI and WSGI modules.

Templates keep them in many places (``<name>/``, ``config/``, ``core/settings/``, a
``project_slug`` package), so they are found, not assumed: a template may declare
them (``_thibaud`` in its ``copier.yml``, see :mod:`thibaud_cli.template.contract`);
what it does not declare is discovered in the rendered files:

- the Python root: the directory of ``manage.py`` (the project's root, or the shallowest
  directory below it that has one, as in templates that render a ``<repo_name>/``
  directory); module names are relative to it;
- the settings module: the literal ``os.environ.setdefault(<settings variable>, "...")``
  of ``manage.py`` (else of the ASGI or WSGI module);
- the ASGI (WSGI) module: a module that binds ``application`` at its top level and
  calls ``get_asgi_application`` (``get_wsgi_application``); ``asgi.py`` (``wsgi.py``)
  first, then the shallowest.

Where the project declares its dependencies is found from its root too: the directory of
``manage.py`` or the nearest one above it with a dependency file (:func:`dependency_dir`).

Read with ``ast``: nothing of the project is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from thibaud_cli.errors import DependencyFileError
from thibaud_cli.fs.walk import walk_files
from thibaud_cli.project.declared import PYPROJECT, project_table

#: The variables a settings default may be set with: Thibaud's, then Django's name.
SETTINGS_VARIABLES = ("THIBAUD_SETTINGS_MODULE", "DJANGO_SETTINGS_MODULE")
#: Directories never searched: environments, caches, version control.
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv", "env", "site-packages"})
#: How deep below the project root an entry point may be (``src/pkg/config/asgi.py``).
_MAX_DEPTH = 4
_FACTORIES = {"asgi": "get_asgi_application", "wsgi": "get_wsgi_application"}
#: The files a directory declares a project's dependencies in.
_DECLARING = (PYPROJECT, "setup.py", "requirements*.txt")


@dataclass(frozen=True)
class EntryPoints:
    """A project's settings, ASGI and WSGI modules (dotted names), where known, and the
    directory they are relative to (the project's, unless ``manage.py`` is deeper)."""

    settings: str | None = None
    asgi: str | None = None
    wsgi: str | None = None
    root: str = "."

    def to_data(self) -> dict[str, str]:
        data = {key: value for key, value in self.__dict__.items() if value is not None}
        if self.root == ".":
            del data["root"]
        return data

    def root_dir(self, project_dir: Path) -> Path:
        """The directory Python runs the project from (its ``sys.path`` entry)."""
        return project_dir / self.root

    def relpath(self, module: str) -> str:
        """The project-relative path of *module*'s file as a plain module."""
        relative = module_relpath(module)
        return relative if self.root == "." else f"{self.root}/{relative}"

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> EntryPoints:
        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        return cls(
            settings=text("settings"),
            asgi=text("asgi"),
            wsgi=text("wsgi"),
            root=text("root") or ".",
        )

    @classmethod
    def legacy(cls, package: str) -> EntryPoints:
        """What projects of the first template contract have: all in package *package*."""
        return cls(f"{package}.settings", f"{package}.asgi", f"{package}.wsgi")


def module_file(project_dir: Path, module: str) -> Path | None:
    """The file of dotted *module* in the project (``a/b.py`` or ``a/b/__init__.py``)."""
    relative = Path(*module.split("."))
    for candidate in (relative.with_suffix(".py"), relative / "__init__.py"):
        if (project_dir / candidate).is_file():
            return project_dir / candidate
    return None


def module_relpath(module: str) -> str:
    """The path of *module*'s file as a plain module (``config.asgi`` -> ``config/asgi.py``)."""
    return "/".join(module.split(".")) + ".py"


def _python_files(project_dir: Path) -> Iterator[Path]:
    def pruned(directory: Path) -> bool:
        depth = len(directory.relative_to(project_dir).parts)
        name = directory.name
        return depth > _MAX_DEPTH or name.startswith(".") or name in _SKIPPED_DIRS

    # As fs.walk does for every walk: a symlink is never followed (it may lead nowhere,
    # or out).
    for path in walk_files(project_dir, prune=pruned):
        if path.name.endswith(".py") and not path.is_symlink():
            yield path


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), str(path))
    except (SyntaxError, ValueError, OSError):
        return None


def binds_application(tree: ast.Module) -> bool:
    """Whether *tree* binds ``application`` at its top level (inside if/try too)."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.If | ast.Try):
            pending += [*node.body, *node.orelse]
            if isinstance(node, ast.Try):
                pending += node.finalbody
                for handler in node.handlers:
                    pending += handler.body
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        elif isinstance(node, ast.ImportFrom | ast.Import):
            if any((alias.asname or alias.name) == "application" for alias in node.names):
                return True
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == "application":
                return True
        for target in targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            if any(isinstance(name, ast.Name) and name.id == "application" for name in names):
                return True
    return False


def _calls(tree: ast.Module, function: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = node.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            if name == function:
                return True
    return False


def settings_defaults(tree: ast.Module) -> list[tuple[int, str, str]]:
    """(line, variable, value) of each ``os.environ.setdefault("VAR", "value")`` with
    literal arguments."""
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and ast.unparse(node.func.value) in {"os.environ", "environ"}
            and len(node.args) == 2
        ):
            continue
        variable, value = node.args
        if isinstance(variable, ast.Constant) and isinstance(variable.value, str):
            # A computed value (e.g. honouring another variable) is not the default.
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.append((node.lineno, variable.value, value.value))
    return found


def _module_name(project_dir: Path, path: Path) -> str:
    parts = path.relative_to(project_dir).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def find_entry_module(project_dir: Path, kind: str) -> str | None:
    """The ASGI (*kind* ``"asgi"``) or WSGI (``"wsgi"``) module of the project, or None."""
    factory = _FACTORIES[kind]
    best: tuple[int, int, str] | None = None
    for path in _python_files(project_dir):
        named = path.name == f"{kind}.py"
        text = path.read_text("utf-8", errors="replace")
        if factory not in text and not named:
            continue
        tree = _parse(path)
        if tree is not None and binds_application(tree) and _calls(tree, factory):
            rank = 0 if named else 1
        elif named and factory in text:
            rank = 2  # it is meant to be the entry point, and does not compile: checks say so
        else:
            continue
        key = (rank, len(path.relative_to(project_dir).parts), _module_name(project_dir, path))
        best = key if best is None or key < best else best
    return best[2] if best is not None else None


def _settings_from(path: Path | None) -> str | None:
    tree = _parse(path) if path is not None and path.is_file() else None
    if tree is None:
        return None
    values = {variable: value for _, variable, value in settings_defaults(tree)}
    for variable in SETTINGS_VARIABLES:
        if values.get(variable):
            return values[variable]
    return None


def find_root(project_dir: Path) -> str:
    """The directory of the project's ``manage.py``, relative: ``.`` when it is at the
    root (or nowhere), else the shallowest one at most two levels down."""
    if (project_dir / "manage.py").is_file():
        return "."
    found = sorted(
        (len(path.relative_to(project_dir).parts), path.parent.relative_to(project_dir).as_posix())
        for path in _python_files(project_dir)
        if path.name == "manage.py" and len(path.relative_to(project_dir).parts) <= 3
    )
    return found[0][1] if found else "."


def discover_entry_points(project_dir: Path, declared: EntryPoints | None = None) -> EntryPoints:
    """The project's entry points: what *declared* names, the rest discovered."""
    declared = declared or EntryPoints()
    root = declared.root if declared.root != "." else find_root(project_dir)
    base = project_dir / root
    asgi = declared.asgi or find_entry_module(base, "asgi")
    wsgi = declared.wsgi or find_entry_module(base, "wsgi")
    settings = declared.settings or _settings_from(base / "manage.py")
    for module in (asgi, wsgi):
        if settings is None and module is not None:
            settings = _settings_from(module_file(base, module))
    return EntryPoints(settings=settings, asgi=asgi, wsgi=wsgi, root=root)


def dependency_dir(project_dir: Path, root: str = ".") -> Path:
    """Where the project in *project_dir* declares what it needs: the directory of its
    ``manage.py`` (*root*, relative, as :class:`EntryPoints` records it) or the nearest
    one above it that holds a ``pyproject.toml``, ``setup.py`` or ``requirements*.txt``;
    *project_dir* when none does. A template that renders the project one level down
    (``{{ project_name }}/manage.py``) keeps its ``requirements.txt`` there too."""
    relative = PurePosixPath(root)
    for part in (relative, *relative.parents):
        directory = project_dir / part
        if any(next(directory.glob(pattern), None) for pattern in _DECLARING):
            return directory
    return project_dir


def install_arguments(project_dir: Path, root: str = ".") -> tuple[str, ...]:
    """What ``pip install``, run in *project_dir*, takes to install what the project
    declares: the project itself (``-e DIR``, a ``pyproject.toml`` with a ``[project]``
    table or a ``setup.py``), else its ``requirements.txt`` (``-r FILE``); nothing when
    it declares neither."""
    directory = dependency_dir(project_dir, root)
    relative = directory.relative_to(project_dir).as_posix()
    if (directory / "setup.py").is_file() or _has_project_table(directory / PYPROJECT):
        return ("-e", relative)
    if (directory / "requirements.txt").is_file():
        return ("-r", (PurePosixPath(relative) / "requirements.txt").as_posix())
    return ()


def _has_project_table(pyproject: Path) -> bool:
    try:
        return project_table(pyproject) is not None
    except DependencyFileError:
        # An unreadable one: pip is the one to say what is wrong with it.
        return pyproject.is_file()
