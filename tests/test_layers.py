"""The package's layers, pinned: cli -> operations -> engine, never back up.

Read from the source with ``ast`` (imports inside functions and under
``TYPE_CHECKING`` count too), so a lazy import cannot hide an upward arrow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "thibaud_cli"
ENGINE = ("template", "project", "asgi", "merge", "fs", "checks", "vcs", "formats")
#: Higher imports lower; ``errors`` is the floor every layer may stand on.
LAYERS = {"cli": 3, "operations": 2, **dict.fromkeys(ENGINE, 1), "errors": 0}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(module: str, path: Path) -> Iterator[str]:
    """Every module *module* imports, absolute."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _ours(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ours *name* is or lies in (``thibaud_cli.x.attr`` -> ``thibaud_cli.x``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name if name.startswith("thibaud_cli.") else None


def _family(module: str) -> str:
    return module.split(".")[1]


def _arrows() -> set[tuple[str, str]]:
    modules = _modules()
    return {
        (module, target)
        for module, path in modules.items()
        for name in _imports(module, path)
        if (target := _ours(name, modules)) is not None and target != module
    }


def test_every_module_is_in_a_layer() -> None:
    families = {_family(module) for module in _modules() if module.count(".")}
    assert families - {"__main__"} <= set(LAYERS), families - set(LAYERS)


def test_no_arrow_runs_back_up() -> None:
    upward = sorted(
        f"{source} -> {target}"
        for source, target in _arrows()
        if source.count(".")
        and _family(source) in LAYERS
        and LAYERS[_family(target)] > LAYERS[_family(source)]
    )
    assert upward == []


def test_operations_never_import_each_other() -> None:
    sideways = sorted(
        f"{source} -> {target}"
        for source, target in _arrows()
        if source.startswith("thibaud_cli.operations.")
        and target.startswith("thibaud_cli.operations.")
    )
    assert sideways == []


def test_the_engine_packages_form_no_cycle() -> None:
    graph: dict[str, set[str]] = {family: set() for family in ENGINE}
    for source, target in _arrows():
        if source.count(".") and _family(source) in ENGINE and _family(target) in ENGINE:
            if _family(source) != _family(target):
                graph[_family(source)].add(_family(target))
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:  # pragma: no cover - the failure message
        pytest.fail(f"engine packages import each other in a circle: {error.args[1]}")
    assert set(order) == set(ENGINE)


def _third_party(package: str) -> set[str]:
    return {
        module
        for module, path in _modules().items()
        for name in _imports(module, path)
        if name.split(".")[0] == package
    }


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        # copier (and plumbum, its git runner) is confined to the engine: its API changes
        # touch nothing else.
        ("copier", {m for m in _modules() if m.startswith("thibaud_cli.template.engine.")}),
        ("plumbum", {m for m in _modules() if m.startswith("thibaud_cli.template.engine.")}),
        ("click", {"thibaud_cli.cli.app"} | {m for m in _modules() if ".cli." in m}),
        # YAML is read and written in one module (its safe loader, limits, errors and the
        # files' dumper); the serializer filters write it into rendered files.
        ("yaml", {"thibaud_cli.formats.yaml", "thibaud_cli.template.sandbox.filters"}),
    ],
)
def test_libraries_stay_in_their_layer(library: str, allowed: set[str]) -> None:
    assert _third_party(library) <= allowed


def test_no_package_folder_holds_more_than_twelve_modules() -> None:
    folders: dict[Path, int] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__init__.py":
            folders[path.parent] = folders.get(path.parent, 0) + 1
    crowded = sorted(str(folder) for folder, count in folders.items() if count > 12)
    assert crowded == []


def test_no_function_is_over_80_lines() -> None:
    """A long operation is short named steps (the boot scripts, run on their own, aside)."""
    long = sorted(
        f"{module}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for module, path in _modules().items()
        if module not in BOOT_SCRIPTS
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 80
    )
    assert long == []


def test_fs_stands_on_the_standard_library_vcs_and_merge_on_fs() -> None:
    # merge runs git through vcs's one runner in a scratch directory of fs's; vcs walks
    # a tree with fs's one walker.
    allowed = {
        "fs": {"fs"},
        "formats": {"formats"},
        "vcs": {"vcs", "fs"},
        "merge": {"merge", "vcs", "fs"},
    }
    for source, target in _arrows():
        if source.count(".") and _family(source) in allowed:
            assert _family(target) in allowed[_family(source)] | {"errors"}, f"{source} -> {target}"


def _imports_under(folder: str) -> Iterator[tuple[str, str]]:
    """``(file, imported module)`` for every import of every file under *folder*."""
    root = PACKAGE.parent
    for path in sorted((root / folder).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for name in _imports(module, path):
            yield str(path.relative_to(root)), name


def test_the_benchmarks_import_only_the_test_support() -> None:
    """bench/ -> tests.support, one way: the benchmarks measure with the tests' own
    servers, services and builders; no test depends on a benchmark."""
    stray = sorted(
        f"{file} -> {name}"
        for file, name in _imports_under("bench")
        if name.split(".")[0] == "tests" and not name.startswith("tests.support")
    )
    assert stray == []
    backwards = sorted(
        f"{file} -> {name}"
        for file, name in _imports_under("tests")
        if name.split(".")[0] == "bench"
    )
    assert backwards == []
    assert ("bench/scale_out.py", "tests.support.cluster") in set(_imports_under("bench"))


def test_the_test_support_imports_no_test_module() -> None:
    stray = sorted(
        f"{file} -> {name}"
        for file, name in _imports_under("tests/support")
        if name.split(".")[0] == "tests" and not name.startswith("tests.support")
    )
    assert stray == []


def _git_runs(path: Path) -> list[int]:
    """The lines of *path* that build a git command line (``["git", ...]``) or look
    git up on ``PATH`` (``which("git")``)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            first = node.elts[0]
            if isinstance(first, ast.Constant) and first.value == "git":
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            argument = node.args[0]
            if name == "which" and isinstance(argument, ast.Constant) and argument.value == "git":
                lines.append(node.lineno)
    return lines


def test_git_runs_only_in_vcs() -> None:
    """One runner for every git process (vcs/git.py): its configuration overrides, its
    isolation for merges and its timeouts cannot be skipped by a second one."""
    elsewhere = {
        module: lines
        for module, path in _modules().items()
        if not module.startswith("thibaud_cli.vcs") and (lines := _git_runs(path))
    }
    assert elsewhere == {}
    assert _git_runs(PACKAGE / "vcs" / "git.py")  # the checker sees git where it runs


#: Scripts run in an interpreter of their own, loaded by path: importing them from the
#: package would run their top level, or tie them to the package they must not need.
BOOT_SCRIPTS = {"thibaud_cli.checks.boot_probe", "thibaud_cli.checks.probe_zygote"}


def test_nothing_imports_the_boot_scripts() -> None:
    assert (
        sorted(f"{source} -> {target}" for source, target in _arrows() if target in BOOT_SCRIPTS)
        == []
    )


def test_trees_are_walked_only_by_the_one_walker() -> None:
    """fs/walk.py's symlink policy and pruning rule hold for every walk of ours."""
    walkers = sorted(
        module
        for module, path in _modules().items()
        if module != "thibaud_cli.fs.walk"
        and any(
            isinstance(node, ast.Attribute)
            and node.attr in {"walk", "scantree"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
        )
    )
    assert walkers == []


def test_the_checker_sees_arrows() -> None:
    # The tests above pass vacuously if no import is read: make sure some are.
    arrows = _arrows()
    assert ("thibaud_cli.operations.update", "thibaud_cli.merge.tree") in arrows
    assert ("thibaud_cli.cli.app", "thibaud_cli.errors") in arrows


def test_the_documents_link_nothing_outside_the_repository() -> None:
    import re

    root = PACKAGE.parent
    documents = [root / name for name in ("README.md", "CONTRIBUTING.md", "SECURITY.md")]
    for document in [*documents, *sorted((root / "docs").glob("*.md"))]:
        text = document.read_text("utf-8")
        links = re.findall(r"\]\((?!https?://|#)([^)]+)\)", text)
        assert links or document.parent.name == "docs", f"{document.name} links no document"
        for link in links:
            target = (document.parent / link.split("#")[0]).resolve()
            assert root in target.parents and target.exists(), (document, link)
        assert "shared/" not in text
    for name in ("ARCHITECTURE.md", "SECURITY.md", "CONTRIBUTING.md"):
        assert (root / name).is_file()


def test_the_architecture_document_names_every_subpackage() -> None:
    document = (PACKAGE.parent / "ARCHITECTURE.md").read_text("utf-8")
    subpackages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    missing = sorted(name for name in subpackages if f"### {name}/" not in document)
    assert missing == []


def test_the_documented_release_is_this_version() -> None:
    """The install lines and the pre-commit example name the tag of this version, and
    no older one."""
    import re
    import tomllib

    root = PACKAGE.parent
    version = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    readme = (root / "README.md").read_text("utf-8")
    install = (root / "docs" / "install.md").read_text("utf-8")
    templates = (root / "docs" / "templates.md").read_text("utf-8")
    hooks = (root / ".pre-commit-hooks.yaml").read_text("utf-8")
    assert f"rev: v{version}\n" in templates
    assert f"rev: v{version}\n" in hooks
    assert f"thibaud-cli@v{version}" in readme
    assert f"thibaud-cli@v{version}" in install
    documents = (root / "docs").glob("*.md"), (root / "examples").glob("*.yml")
    for document in (root / "README.md", *sorted(path for each in documents for path in each)):
        text = document.read_text("utf-8")
        tags = set(re.findall(r"(?:thibaud-cli@|rev: )v(\d+\.\d+\.\d+)", text))
        assert tags <= {version}, document
        assert "pip install thibaud-cli" not in text, document  # not on PyPI yet
