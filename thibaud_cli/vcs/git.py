"""git, run so that no repository can make it run a program.

A template repository (or a project) is data, but a repository's own
``.git/config`` can name programs that git runs as a side effect of ordinary
commands: ``core.fsmonitor`` on ``git status``, hooks (``core.hooksPath``),
``filter.<driver>.clean`` and ``.smudge`` on files with that attribute,
``diff.<driver>.textconv``, ``core.sshCommand``... copier runs ``git status`` in a
local template repository with uncommitted changes, so a template could run code
on ``startproject`` without ``--trust``.

Two defences, for every git process we and copier start:

- :func:`git_environment`: configuration given through ``GIT_CONFIG_COUNT`` /
  ``GIT_CONFIG_KEY_<n>`` / ``GIT_CONFIG_VALUE_<n>``, which git reads as command-line
  (``-c``) configuration. That scope takes precedence over every configuration
  file, the repository's included, so ``core.fsmonitor``, ``core.hooksPath`` and
  ``protocol.ext.allow`` are ours whatever the repository says (a test proves it).
  The user's own global and system configuration still apply: they hold
  credentials helpers and ``url.<base>.insteadOf`` that private templates need, and
  they are the user's, not the template's.
- :func:`refuse_unvetted_config`: settings that cannot be overridden by name
  (``filter.<any name>.clean``...) or that pull in files we have not read
  (``include.path``) are refused in a template repository's configuration unless
  the user passes ``--trust``.

``safe.directory`` is deliberately left alone: git honours it only from protected
configuration, and we never widen it, so a repository owned by another user is
refused by git itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from thibaud_cli.errors import UnsafeTemplateError

#: Configuration every git process runs with, above any repository's.
SAFE_GIT_CONFIG: tuple[tuple[str, str], ...] = (
    # git status would run the repository's file-system monitor program.
    ("core.fsmonitor", "false"),
    # No hook of the repository (or of the user's hooks directory) runs.
    ("core.hooksPath", os.devnull),
    # ext:: URLs (in --template or a template's .gitmodules) run a command.
    ("protocol.ext.allow", "never"),
    # Submodules are checked out only where copier asks for them, never implicitly.
    ("submodule.recurse", "false"),
)

#: How long a git command that reaches another machine (``clone``, ``ls-remote``) may
#: take: a host that accepts the connection and never answers must not hang a command.
NETWORK_TIMEOUT = 300.0
#: How long a git command on a repository or files on this machine may take.
LOCAL_TIMEOUT = 120.0
#: copier clones through its own runner, which takes no timeout: git itself gives up
#: a transfer that stays under :data:`_STALLED_BYTES_PER_SECOND` for this long (http).
STALLED_TRANSFER_SECONDS = 60
_STALLED_BYTES_PER_SECOND = 1000


# The names (last part, lowercased) of settings whose value is a program git runs,
# or which make git read files or directories the repository chooses.
_PROGRAM_SETTINGS = frozenset(
    {
        "clean",  # filter.<driver>.clean
        "smudge",  # filter.<driver>.smudge
        "process",  # filter.<driver>.process
        "textconv",  # diff.<driver>.textconv
        "command",  # diff.<driver>.command
        "external",  # diff.external
        "driver",  # merge.<driver>.driver
        "cmd",  # mergetool/difftool.<tool>.cmd
        "sshcommand",  # core.sshCommand
        "gitproxy",  # core.gitProxy
        "askpass",  # core.askPass
        "helper",  # credential.helper
        "uploadpack",  # remote.<name>.uploadpack
        "receivepack",  # remote.<name>.receivepack
        "editor",  # core.editor, sequence.editor
        "pager",  # core.pager, pager.<cmd>
        "program",  # gpg.program, gpg.<format>.program
        "alternaterefscommand",  # core.alternateRefsCommand
        "packobjectshook",  # uploadpack.packObjectsHook
        "worktree",  # core.worktree: another directory as the work tree
        "hookspath",  # overridden, but a sign of intent
    }
)
_INCLUDE_SECTIONS = ("include.", "includeif.")


def git_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables to add to *environ* (default: ``os.environ``) so that every git
    process started with them runs with :data:`SAFE_GIT_CONFIG`.

    Settings the user already passes through ``GIT_CONFIG_COUNT`` are kept; ours
    come after them, so ours win.
    """
    environ = os.environ if environ is None else environ
    try:
        start = max(int(environ.get("GIT_CONFIG_COUNT", "0")), 0)
    except ValueError:
        start = 0
    variables = {"GIT_CONFIG_COUNT": str(start + len(SAFE_GIT_CONFIG))}
    stall = {
        "GIT_HTTP_LOW_SPEED_LIMIT": str(_STALLED_BYTES_PER_SECOND),
        "GIT_HTTP_LOW_SPEED_TIME": str(STALLED_TRANSFER_SECONDS),
    }
    # The user's own limits, when set, are theirs to choose.
    variables.update({key: value for key, value in stall.items() if key not in environ})
    for offset, (key, value) in enumerate(SAFE_GIT_CONFIG):
        variables[f"GIT_CONFIG_KEY_{start + offset}"] = key
        variables[f"GIT_CONFIG_VALUE_{start + offset}"] = value
    return variables


_environment_lock = threading.Lock()
_environment_users = 0
_environment_saved: dict[str, str | None] = {}


@contextlib.contextmanager
def hardened_git_environment() -> Iterator[dict[str, str]]:
    """Set :func:`git_environment` in ``os.environ`` for the duration; yield it.

    Processes started with the inherited environment (``subprocess``, dunamai) get
    it; callers using a library with its own copy of the environment (plumbum) pass
    the yielded variables to it as well. Renders run in several threads at once
    (validate-template): the first to enter sets the variables, the last to leave
    restores what was there, so no thread ever sees them half set.
    """
    global _environment_users
    with _environment_lock:
        if _environment_users == 0:
            variables = git_environment()
            _environment_saved.clear()
            _environment_saved.update({key: os.environ.get(key) for key in variables})
            os.environ.update(variables)
        _environment_users += 1
        current = {key: os.environ[key] for key in _environment_saved}
    try:
        yield current
    finally:
        with _environment_lock:
            _environment_users -= 1
            if _environment_users == 0:
                for key, value in _environment_saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value


def unhardened_environment() -> dict[str, str]:
    """The environment as it is without :func:`hardened_git_environment`'s variables:
    what the template's own trusted code (its tasks) runs with, as under copier."""
    with _environment_lock:
        environment = dict(os.environ)
        if _environment_users:
            for key, value in _environment_saved.items():
                if value is None:
                    environment.pop(key, None)
                else:
                    environment[key] = value
    return environment


def git_program() -> str | None:
    """Where git is on ``PATH``, if it is installed."""
    return shutil.which("git")


def isolated_git_environment(home: Path) -> dict[str, str]:
    """What git runs with where nothing of the user's may change its output (a merge):
    no configuration file, and no repository.

    No configuration (``diff.algorithm``, ``diff.indentHeuristic``,
    ``diff.suppressBlankEmpty``, ``merge.conflictStyle``...) may change a merge or
    the diffs read there, and no repository around *home* (a private temporary
    directory) is opened, so neither its configuration nor its hooks or fsmonitor can
    run: no ``GIT_*`` variable is passed on, the system and global files are off, and
    discovery stops at *home* (its parent is a ceiling). With no configuration read,
    ``-c core.hooksPath=...``-style overrides would have nothing to override.
    """
    env = {name: value for name, value in os.environ.items() if name in ("PATH", "SYSTEMROOT")}
    env.update(
        HOME=str(home),
        LC_ALL="C",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CEILING_DIRECTORIES=str(home.parent),
    )
    return env


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    check: bool = False,
    network: bool = False,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``git *args`` in *cwd* with :data:`SAFE_GIT_CONFIG`; capture its output as text.

    *network*: the command may reach another machine (:data:`NETWORK_TIMEOUT`, and
    never a credentials prompt: there is no terminal to answer it on); else
    :data:`LOCAL_TIMEOUT`. Past it, :class:`subprocess.TimeoutExpired` is raised.
    *stdin*: what git reads (else nothing).
    """
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=_hardened(network),
        capture_output=True,
        text=True,
        check=check,
        input=stdin if stdin is not None else "",
        timeout=NETWORK_TIMEOUT if network else LOCAL_TIMEOUT,
    )


def run_git_bytes(
    args: Sequence[str],
    *,
    cwd: Path,
    stdin: bytes = b"",
    env: Mapping[str, str] | None = None,
    isolated: bool = False,
    network: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """:func:`run_git` for bytes: *stdin* given, output as git wrote it (blobs, ``-z``
    listings); *env* adds variables. *isolated*: with :func:`isolated_git_environment`
    (*cwd* its private directory) instead. *network*: as for :func:`run_git` (a
    partial clone may fetch an object it lacks)."""
    base = isolated_git_environment(cwd) if isolated else _hardened(network)
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**base, **(env or {})} if not isolated else base,
        input=stdin,
        capture_output=True,
        check=False,
        timeout=NETWORK_TIMEOUT if network else LOCAL_TIMEOUT,
    )


def _hardened(network: bool) -> dict[str, str]:
    env = {**os.environ, **git_environment()}
    if network:
        env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _config_files(repository: Path) -> list[Path]:
    """The configuration files of the repository whose work tree is *repository*."""
    try:
        found = run_git(["rev-parse", "--absolute-git-dir", "--git-common-dir"], cwd=repository)
    except OSError:
        return []
    lines = found.stdout.splitlines()
    if found.returncode != 0 or len(lines) != 2:
        return []
    git_dir = Path(lines[0])
    common_dir = Path(lines[1]) if Path(lines[1]).is_absolute() else repository / lines[1]
    candidates = [common_dir / "config", git_dir / "config", git_dir / "config.worktree"]
    return list(dict.fromkeys(path for path in candidates if path.is_file()))


def unvetted_settings(repository: Path) -> list[str]:
    """The settings of *repository*'s own git configuration that could run a program
    or read files we have not vetted (``name=value``), in file order."""
    found: list[str] = []
    for config in _config_files(repository):
        listing = run_git(["config", "--file", str(config), "--null", "--list"], cwd=repository)
        if listing.returncode != 0:
            # git itself cannot read it; neither can it act on it.
            continue
        for entry in filter(None, listing.stdout.split("\0")):
            key, _, value = entry.partition("\n")
            lowered = key.lower()
            name = lowered.rpartition(".")[2]
            if lowered.startswith(_INCLUDE_SECTIONS) or name in _PROGRAM_SETTINGS:
                found.append(f"{key}={value}")
            elif lowered == "core.fsmonitor" and value.lower() not in {"true", "false", ""}:
                found.append(f"{key}={value}")  # overridden, but a sign of intent
    return found


def refuse_unvetted_config(repository: Path) -> None:
    """Raise :class:`UnsafeTemplateError` if the template repository at *repository*
    configures git to run programs (``--trust`` skips this check)."""
    settings = unvetted_settings(repository)
    if settings:
        shown = ", ".join(settings[:3]) + (
            f" and {len(settings) - 3} more" if len(settings) > 3 else ""
        )
        raise UnsafeTemplateError(
            f"The template repository's git configuration ({repository / '.git'}) sets "
            f"{shown}, which can run programs or read other files when git runs there: "
            "nothing was written. If you trust the template, pass --trust."
        )
