"""A git template at a URL, kept in the user's cache as a partial clone.

Re-rendering one file of a template that lives at a URL (``https://``, ``git@``,
``gh:``, ``file://``) needs its tree at one commit and a few blobs, never a checkout
of the rest. :func:`partial_clone` keeps, per URL, a bare clone without blobs
(``git clone --bare --filter=blob:none``: commits and trees only) under the user's
cache directory (:func:`cache_root`), and fetches again only when the commit asked
for is not in it. The blobs a render needs are fetched together, once, when first
read (:func:`fetch_blobs`); a server that ignores the filter sends them all at clone
time, which costs a transfer, never a wrong byte.

Every network operation runs with :data:`~thibaud_cli.vcs.git.NETWORK_TIMEOUT` and no
credentials prompt, and its failure names the URL (credentials left out).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from thibaud_cli.errors import TemplateError
from thibaud_cli.vcs.git import run_git

#: The cache directory's name under the user's cache directory.
CACHE_NAME = "thibaud-cli"
#: Where the clones are, under it: ``<sha256 of the URL>.git``.
_CLONES = "templates"


class TemplateFetchError(TemplateError):
    """git could not fetch from the template's URL (named in the message)."""


def cache_root() -> Path:
    """The user's cache directory for thibaud-cli, as platformdirs places it:
    ``$XDG_CACHE_HOME/thibaud-cli`` (an absolute one, as the XDG specification asks),
    else ``~/.cache/thibaud-cli``; ``~/Library/Caches/thibaud-cli`` on macOS."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / CACHE_NAME
    configured = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(configured) if os.path.isabs(configured) else Path.home() / ".cache"
    return base / CACHE_NAME


def shown_url(url: str) -> str:
    """*url* without the ``user:password@`` it may carry: for messages and cache keys."""
    parts = urllib.parse.urlsplit(url)
    if parts.netloc and "@" in parts.netloc and parts.scheme:
        return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url


def clone_path(url: str) -> Path:
    """Where the cached clone of *url* is (whether or not it exists yet)."""
    digest = hashlib.sha256(shown_url(url).encode("utf-8")).hexdigest()
    return cache_root() / _CLONES / f"{digest}.git"


def git_dir_args(repository: Path, *args: str) -> list[str]:
    """``git *args`` run on the bare repository *repository*, named explicitly (a user's
    ``safe.bareRepository=explicit`` refuses one found from the working directory)."""
    return [f"--git-dir={repository}", *args]


def partial_clone(url: str, commit: str) -> Path | None:
    """The cached bare, blob-less clone of *url*, holding *commit* (a tag, a commit,
    ``git describe`` output). None when *url*'s repository has no such commit.

    Cloned when absent, fetched when the commit is missing; one process at a time per
    URL. Raises :class:`TemplateFetchError`, naming *url*, when git cannot reach it.
    """
    if commit.startswith("-"):
        return None
    repository = clone_path(url)
    repository.parent.mkdir(parents=True, exist_ok=True)
    with _locked(repository.with_suffix(".lock")):
        if not _is_bare_repository(repository):
            shutil.rmtree(repository, ignore_errors=True)  # a remnant nothing can use
            _clone(url, repository)
        elif not has_commit(repository, commit):
            _fetch(url, repository)
    return repository if has_commit(repository, commit) else None


def has_commit(repository: Path, ref: str) -> bool:
    found = run_git(
        git_dir_args(repository, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    )
    return found.returncode == 0 and bool(found.stdout.strip())


def missing_objects(repository: Path, commit: str) -> frozenset[str]:
    """The objects of *commit*'s tree the partial clone does not hold (its blobs, until
    fetched), listed without fetching them."""
    listing = run_git(
        git_dir_args(repository, "rev-list", "--objects", "--no-walk", "--missing=print", commit)
    )
    if listing.returncode != 0:
        return frozenset()
    return frozenset(line[1:] for line in listing.stdout.splitlines() if line.startswith("?"))


def fetch_blobs(repository: Path, objects: Iterable[str]) -> None:
    """Fetch *objects* (blob ids) from the clone's origin, all in one transfer, as git
    itself fetches a missing object of a partial clone."""
    wanted = sorted(set(objects))
    if not wanted:
        return
    url = _origin(repository)
    _network(
        url,
        git_dir_args(
            repository,
            # Nothing to negotiate: only these objects are asked for.
            "-c",
            "fetch.negotiationAlgorithm=noop",
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--recurse-submodules=no",
            "--filter=blob:none",
            "--stdin",
            "origin",
        ),
        stdin="".join(f"{sha}\n" for sha in wanted),
    )


def _clone(url: str, repository: Path) -> None:
    # Cloned beside its place and renamed into it: a killed clone leaves no half
    # repository where the next command looks.
    staging = Path(tempfile.mkdtemp(prefix=".clone-", dir=repository.parent))
    try:
        partial = staging / "repo.git"
        _network(
            url,
            ["clone", "--quiet", "--bare", "--filter=blob:none", "--", url, str(partial)],
        )
        partial.rename(repository)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fetch(url: str, repository: Path) -> None:
    # A bare clone maps the remote's branches and tags onto its own (no remote
    # refspec of its own): fetch them the same way.
    _network(
        url,
        git_dir_args(
            repository,
            "fetch",
            "--quiet",
            "--force",
            "--filter=blob:none",
            "origin",
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
        ),
    )


def _network(url: str, args: Sequence[str], *, stdin: str | None = None) -> None:
    shown = shown_url(url)
    try:
        completed = run_git(args, network=True, stdin=stdin)
    except subprocess.TimeoutExpired as error:
        raise TemplateFetchError(
            f"git could not fetch the template from {shown}: no answer within "
            f"{error.timeout:g} seconds. Check the URL and your network."
        ) from error
    except OSError as error:
        raise TemplateFetchError(
            f"git could not fetch the template from {shown}: {error}. Check that git is installed."
        ) from error
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"git exited with {completed.returncode}"
        raise TemplateFetchError(
            f"git could not fetch the template from {shown}: {reason}. Check the URL and "
            "your network."
        )


def _origin(repository: Path) -> str:
    found = run_git(git_dir_args(repository, "config", "--get", "remote.origin.url"))
    return found.stdout.strip() or str(repository)


def _is_bare_repository(repository: Path) -> bool:
    if not (repository / "objects").is_dir():
        return False
    found = run_git(git_dir_args(repository, "rev-parse", "--is-bare-repository"))
    return found.returncode == 0 and found.stdout.strip() == "true"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time clones or fetches a URL (git's own ref locks would make
    the second one fail rather than wait)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
