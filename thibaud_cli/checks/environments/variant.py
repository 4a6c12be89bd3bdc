"""A variant's ``install`` check: its declared dependencies, the framework and what the
checks need, in the cached environment of that set (``cache.py``)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from thibaud_cli.checks.environments.cache import InstallOptions, ensure_environment
from thibaud_cli.checks.environments.declared import declared_dependencies, normalized
from thibaud_cli.checks.results import INSTALL_CHECK, CheckResult
from thibaud_cli.errors import DependencyFileError, InstallError
from thibaud_cli.project.contract import dependency_dir, find_root
from thibaud_cli.project.declared import declared_requirements

#: Added to every set: the framework the checks boot (the boot probe needs nothing else).
FRAMEWORK = "thibaud"
#: How a failure says a package is missing: the boot probe's own words, Python's, and
#: those of settings that stop without a driver (the bundled template's).
_MISSING_WORDS = ("not installed", "No module named")


def install_variant(
    project_dir: Path, options: InstallOptions, *, root: str = ".", server: str | None = None
) -> tuple[CheckResult, Path | None]:
    """The install check of the project in *project_dir*, and the interpreter of its
    environment (None when the install failed: the check says why). What it declares
    is read where it is: the directory of its ``manage.py`` (*root*) or above."""
    started = time.monotonic()
    declaring = dependency_dir(project_dir, root)

    def failed(why: object, file: str | None) -> tuple[CheckResult, None]:
        message = f"the dependencies did not install: {why}"
        return CheckResult(
            INSTALL_CHECK, "failed", message, file=file, duration=time.monotonic() - started
        ), None

    try:
        declared = declared_dependencies(declaring)
    except DependencyFileError as error:
        return failed(error, None)
    if declared.source is not None:  # named from the project's top, as the report names files
        declared = replace(declared, source=_shown(declaring, project_dir, declared.source))
    added = [FRAMEWORK, *([server] if server else [])]
    requirements = tuple(sorted({*declared.requirements, *normalized(added, "the checks")}))
    try:
        environment = ensure_environment(requirements, options)
    except InstallError as error:
        return failed(error, declared.source)
    source = (
        f"{len(declared.requirements)} requirement(s) from {declared.source}"
        if declared.source
        else "no requirements declared (pyproject.toml or requirements.txt)"
    )
    how = "built" if environment.built else "reused from the cache"
    message = f"{source}, with {', '.join(added)}: environment {how} ({environment.python})"
    return CheckResult(
        INSTALL_CHECK, "passed", message, duration=time.monotonic() - started
    ), environment.python


def _shown(directory: Path, project_dir: Path, name: str) -> str:
    return (directory.relative_to(project_dir) / name).as_posix()


def failed_on_declared(project_dir: Path, checks: Iterable[CheckResult]) -> bool:
    """Whether one of *checks* failed on a missing package that the project in
    *project_dir* declares: one ``--install`` would have installed for it."""
    messages = [
        check.message
        for check in checks
        if check.status == "failed" and any(word in check.message for word in _MISSING_WORDS)
    ]
    if not messages:
        return False
    from packaging.utils import canonicalize_name

    where = dependency_dir(project_dir, find_root(project_dir))
    declared = {canonicalize_name(found.name) for found in declared_requirements(where)}
    named = {
        canonicalize_name(word)
        for message in messages
        for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", message)
    }
    return not declared.isdisjoint(named)


def check_installed_framework(
    project_dir: Path, python: Path, *, root: str = "."
) -> CheckResult | None:
    """The ``framework`` check failed, when the environment *python* of the project in
    *project_dir* (built by :func:`install_variant`) holds Django: naming the declared
    requirement that brought it in. None when it holds no Django."""
    from thibaud_cli.checks.environments.django_dependency import django_brought_in_by
    from thibaud_cli.project.framework import describe_django_dependency

    started = time.monotonic()
    declaring = dependency_dir(project_dir, root)
    try:
        declared = declared_dependencies(declaring)
    except DependencyFileError:
        return None  # the install check said it already
    by = django_brought_in_by(python, declared.requirements)
    if by is None:
        return None
    source = _shown(declaring, project_dir, declared.source) if declared.source else None
    return CheckResult(
        "framework",
        "failed",
        describe_django_dependency(by, source),
        file=source,
        duration=time.monotonic() - started,
    )
