"""Environments made with uv, one per exact dependency set, kept in the user's cache.

The key is a hash of the sorted, normalized requirements (what the project declares,
plus the framework and what the checks need) and of the interpreter's version: variants
that declare the same set share one environment, and a second run installs nothing.
An environment is built in place under a lock (threads of one run, and runs side by
side, wait for each other), and is complete only once its marker is written last: a
build that was killed is removed and made again, never used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.errors import InstallError

#: The marker of a complete environment, written after its last package.
_COMPLETE = "thibaud-complete.json"
#: The longest an install may take (a cold resolution of a large set, downloads included).
INSTALL_TIMEOUT = 900.0
#: How much of the installer's output a report shows: its last lines say why.
_SHOWN_LINES = 15


@dataclass(frozen=True)
class InstallOptions:
    """Where packages come from, passed through to ``uv pip install`` (uv's own ``UV_*``
    variables, e.g. ``UV_INDEX_URL``, apply too)."""

    find_links: tuple[str, ...] = ()
    no_index: bool = False

    def __post_init__(self) -> None:
        # A relative directory is the user's, resolved now: uv runs later, from wherever
        # the process is then (copier changes it while it clones a git template).
        links = tuple(link if "://" in link else os.path.abspath(link) for link in self.find_links)
        object.__setattr__(self, "find_links", links)

    def arguments(self) -> list[str]:
        options = [argument for link in self.find_links for argument in ("--find-links", link)]
        return [*options, *(["--no-index"] if self.no_index else [])]


@dataclass(frozen=True)
class Environment:
    """An environment with a dependency set installed."""

    python: Path
    #: It was built by this call (False: it was in the cache).
    built: bool
    seconds: float


def cache_root() -> Path:
    """The user's cache directory for our environments (``$XDG_CACHE_HOME``, else
    ``~/.cache``; ``THIBAUD_CLI_CACHE_DIR`` moves it)."""
    chosen = os.environ.get("THIBAUD_CLI_CACHE_DIR")
    if chosen:
        return Path(chosen) / "environments"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "thibaud-cli" / "environments"


def environment_key(requirements: Sequence[str]) -> str:
    """The cache key of *requirements* installed for this interpreter."""
    interpreter = f"{platform.python_implementation()}-{platform.python_version()}"
    document = json.dumps({"requirements": sorted(set(requirements)), "python": interpreter})
    return hashlib.sha256(document.encode()).hexdigest()[:32]


def uv_binary() -> str:
    """The uv that ships with the ``uv`` distribution (a dependency of ours)."""
    try:
        from uv import find_uv_bin
    except ImportError as error:  # pragma: no cover - uv is a dependency
        raise InstallError("--install needs uv: pip install uv") from error
    return str(find_uv_bin())


def ensure_environment(
    requirements: Sequence[str],
    options: InstallOptions,
    *,
    root: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Environment:
    """The environment of *requirements*, from the cache or built now; a failed install
    raises :class:`InstallError` with the installer's message, and leaves nothing."""
    started = time.monotonic()
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = environment_key(requirements)
    directory = root / key
    python = directory / "bin" / "python"
    with _locked(root / f"{key}.lock"):
        if (directory / _COMPLETE).is_file():
            return Environment(python, False, time.monotonic() - started)
        shutil.rmtree(directory, ignore_errors=True)  # a build that was killed
        try:
            _build(directory, requirements, options, env)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        marker = {"requirements": sorted(set(requirements)), "python": sys.version}
        (directory / _COMPLETE).write_text(json.dumps(marker, indent=2), "utf-8")
    return Environment(python, True, time.monotonic() - started)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(
    directory: Path,
    requirements: Sequence[str],
    options: InstallOptions,
    env: Mapping[str, str] | None,
) -> None:
    uv = uv_binary()
    # The interpreter running thibaud-admin: the checks' framework import is the same.
    base = getattr(sys, "_base_executable", sys.executable)
    _run_uv([uv, "venv", "--quiet", "--no-project", "--python", base, str(directory)], env)
    listing = directory / "thibaud-requirements.txt"
    listing.write_text("".join(f"{line}\n" for line in requirements), "utf-8")
    python = str(directory / "bin" / "python")
    # Compiled once here: every variant's boot imports the project's packages afresh
    # (a fork of the zygote), and without bytecode each would compile them again.
    install = [uv, "pip", "install", "--compile-bytecode", "--python", python]
    _run_uv([*install, *options.arguments(), "-r", str(listing)], env)


def _run_uv(command: list[str], env: Mapping[str, str] | None) -> None:
    environment = dict(env if env is not None else os.environ)
    # Ours, not the caller's: an active virtual environment must not be the target.
    environment.pop("VIRTUAL_ENV", None)
    # uv gives bytecode compilation 60 s by default: a busy CI machine compiling a
    # framework took longer. The install as a whole has its own timeout.
    environment.setdefault("UV_COMPILE_BYTECODE_TIMEOUT", str(int(INSTALL_TIMEOUT)))
    from thibaud_cli.template.sandbox.memory import ceiling_lifted

    try:
        with ceiling_lifted():
            process = subprocess.Popen(
                command,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                stdin=subprocess.DEVNULL,
            )
    except OSError as error:
        raise InstallError(f"uv cannot be run: {error}") from error
    try:
        _, stderr = process.communicate(timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        process.kill()
        process.communicate()
        raise InstallError(f"uv did not finish in {INSTALL_TIMEOUT:.0f} s") from error
    completed = subprocess.CompletedProcess(command, process.returncode, "", stderr)
    if completed.returncode != 0:
        # The resolver's own words, less uv's line on which environment it used.
        lines = [
            line
            for line in completed.stderr.splitlines()
            if line.strip() and not line.startswith("Using ")
        ]
        raise InstallError("\n".join(lines[-_SHOWN_LINES:]) or f"uv exited {completed.returncode}")
