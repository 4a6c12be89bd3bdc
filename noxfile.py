"""Development sessions: ``nox -s tests``, ``lint``, ``typecheck``, ``build``, ``templates``,
``docs``, ``copier``, ``load``, ``bench``.

Every session runs on the interpreter nox itself runs on (Python 3.12+).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "build", "tests", "templates"]
nox.options.error_on_missing_interpreters = True

LINT_TOOLS = ["ruff==0.17.6"]
TYPECHECK_TOOLS = ["mypy==2.4.1", "types-PyYAML"]


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite, real servers included."""
    session.install("-e", ".[test]")
    # One worker per core; a module's tests stay on one worker, so its module-scoped
    # servers and projects start once.
    session.run("pytest", "-n", "auto", "--dist", "loadscope", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*LINT_TOOLS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and the wheel, and check them as PyPI would (twine check --strict)."""
    session.install("build", "twine")
    out = session.create_tmp()
    session.run("python", "-m", "build", "--outdir", out)
    session.run("twine", "check", "--strict", *(f"{out}/{name}" for name in _dists(out)))


def _dists(directory: str) -> list[str]:
    import os

    names = [name for name in os.listdir(directory) if name.endswith((".whl", ".tar.gz"))]
    if len(names) != 2:
        raise RuntimeError(f"expected one sdist and one wheel in {directory}, found {names}")
    return names


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install(*TYPECHECK_TOOLS, "-e", ".")
    session.run("mypy", "--strict", "thibaud_cli")


@nox.session
def templates(session: nox.Session) -> None:
    """thibaud-admin validate-template on the bundled template: every variant rendered
    and booted through ASGI, WSGI and manage.py check."""
    # The variants are booted in this interpreter: it needs what they import.
    session.install("-e", ".[template-runtime]")
    session.run("thibaud-admin", "validate-template", "templates/project", *session.posargs)


#: The oldest and the newest copier our requirement allows (pyproject.toml): the engine
#: leans on names copier keeps private (template/engine/copier_private.py), so the range
#: we declare is the range we test. (9.19.0 was in it, and failed here on every tagged git
#: template with git 2.39: the requirement starts at 9.19.1.)
COPIER_VERSIONS = ["9.19.1"]
#: The tests that render with copier: the engine, startproject, updates, validation.
COPIER_TESTS = [
    "tests/template",
    "tests/update",
    "tests/project/test_startproject.py",
    "tests/checks/test_validate_template.py",
]


@nox.session
@nox.parametrize("copier", COPIER_VERSIONS, ids=COPIER_VERSIONS)
def copier(session: nox.Session, copier: str) -> None:
    """The tests that render with copier, on each copier version our requirement allows
    (``nox -s copier``; not in the default run, which tests the newest)."""
    session.install("-e", ".[test]", f"copier=={copier}")
    session.run("pytest", *(session.posargs or COPIER_TESTS))


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, built strictly into build/docs/ (the tests session checks
    the same build)."""
    session.install("-e", ".[docs]")
    session.run(
        *("python", "-m", "sphinx", "-E", "-W", "--keep-going", "-n", "-b", "html"),
        *("-c", "docs", ".", "build/docs"),
        *session.posargs,
    )


@nox.session
def load(session: nox.Session) -> None:
    """The load tests (20,000 requests per case through Uvicorn), figures printed."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "load", "--load", "-rA", *session.posargs)


#: The peers and load tools the benchmarks need, and nothing else needs.
BENCH_TOOLS = ["django", "cookiecutter", "uvicorn", "httpx"]


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the peers; writes bench/RESULTS.md (``-- --quick`` to try it)."""
    # The generated projects measured (the scale-out ones with PostgreSQL and Redis) import
    # the template's runtime dependencies.
    session.install(*BENCH_TOOLS, "-e", ".[template-runtime]")
    # Thibaud installs a thibaud-admin script too: reinstalling ours last makes
    # sure the script measured is thibaud-cli's (the harness checks it).
    session.install("--no-deps", "--force-reinstall", "-e", ".")
    session.run("python", "-m", "bench", *session.posargs)
