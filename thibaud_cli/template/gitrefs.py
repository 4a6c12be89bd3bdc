"""What a git template's tags and commits say, asked of git itself, without rendering.

``update --check`` needs to know whether the template has a version newer than the
project's recorded commit: ``git ls-remote --tags`` answers that without cloning.
When it has, :func:`changed_sources` says which template files differ between the
two commits, so that an update renders only those (when that is provably the same).
copier picks the newest tag the same way (``copier._vcs.get_latest_tag``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from thibaud_cli.template.syntax import CONFIG_FILENAMES, DEFAULT_SUFFIX, TemplateSyntax
from thibaud_cli.vcs.git import run_git
from thibaud_cli.vcs.partial_clone import (
    fetch_blobs,
    git_dir_args,
    missing_objects,
    partial_clone,
)
from thibaud_cli.vcs.remote import read_git

#: copier's config files: a change to one may change every file's render.
_CONFIG_FILES = frozenset(CONFIG_FILENAMES)
#: What makes a file's render depend on more than its own source: Jinja tags that
#: read another file, and copier's variables that name the commit being rendered.
_CROSS_FILE_USES = r"\{%-?\s*(include|import|extends|from)\b|_copier_answers|_copier_conf"
#: copier settings that make a file's render depend on more than its own source.
_CROSS_FILE_SETTINGS = ("_subdirectory", "_external_data", "_preserve_symlinks")
_DESCRIBED = re.compile(r"-g([0-9a-f]{4,40})$")


def latest_tag(tags: Iterable[str]) -> str | None:
    """The newest release tag by PEP 440, prereleases aside, as copier chooses it."""
    from packaging.version import InvalidVersion, Version

    versions = []
    for tag in tags:
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            versions.append((version, tag))
    return max(versions)[1] if versions else None


def names_same_commit(recorded: str, sha: str, tags: dict[str, str]) -> bool:
    """Whether *recorded* (``git describe --tags --always`` form) names commit *sha*."""
    if recorded in tags:
        return tags[recorded] == sha
    match = _DESCRIBED.search(recorded)
    prefix = match.group(1) if match else recorded
    return bool(re.fullmatch(r"[0-9a-f]{4,40}", prefix)) and sha.startswith(prefix)


def changed_sources(template: str, current: str, target: str) -> frozenset[str] | None:
    """The template files that differ between commits *current* and *target*.

    None when rendering only those could differ from rendering everything: the
    template is neither a local repository nor at a git URL, its copier.yml changed or
    uses settings that reach across files, a file includes or imports another, or it
    holds symlinks. A template at a URL is read from its partial clone in the user's
    cache (``vcs.partial_clone``), with every blob of the two commits fetched at once:
    the check for includes reads every file.
    """
    path = Path(template).expanduser()
    bare = False
    if not (path / ".git").exists():
        found = _partial_clone_of(template, (current, target))
        if found is None:
            return None
        path, bare = found, True
    return _changed(path, current, target, bare=bare)


def _partial_clone_of(template: str, commits: tuple[str, ...]) -> Path | None:
    from thibaud_cli.template.source import SourceKind, resolve_template

    source = resolve_template(template, read_config=False)
    if source.kind is not SourceKind.GIT:
        return None
    repository = None
    for commit in commits:
        repository = partial_clone(source.git_url, commit)
        if repository is None:
            return None
    if repository is not None:
        # git grep reads them all: one transfer per commit, not one per blob.
        for commit in commits:
            fetch_blobs(repository, missing_objects(repository, commit))
    return repository


def _changed(path: Path, current: str, target: str, *, bare: bool) -> frozenset[str] | None:
    diff = read_git(
        "diff", "--no-renames", "--name-only", "-z", current, target, cwd=path, bare=bare
    )
    changed = set(diff.split("\0"))
    changed.discard("")
    if changed & _CONFIG_FILES:
        return None
    suffix = DEFAULT_SUFFIX
    for commit in (current, target):
        listing = read_git("ls-tree", "-r", "-z", commit, cwd=path, bare=bare).split("\0")
        if any(entry.startswith("120000 ") for entry in listing):
            return None
        config = "".join(
            read_git("show", f"{commit}:{name}", cwd=path, bare=bare)
            for name in _CONFIG_FILES
            if any(entry.endswith(f"\t{name}") for entry in listing)
        )
        if any(setting in config for setting in _CROSS_FILE_SETTINGS):
            return None
        found = _templates_suffix(config)
        if found is None:
            return None
        suffix = found
        grep_args = ("grep", "-q", "-E", _CROSS_FILE_USES, commit)
        grep = run_git(git_dir_args(path, *grep_args) if bare else grep_args, cwd=path)
        if grep.returncode != 1:  # 0: found; anything else: git could not tell
            return None
    # A templated file and a plain one of the same name: copier renders only the
    # templated one, so a change to either may change which one renders.
    siblings = {f"{name}{suffix}" for name in changed}
    siblings |= {name.removesuffix(suffix) for name in changed if name.endswith(suffix)}
    return frozenset(changed | siblings)


def _templates_suffix(config: str) -> str | None:
    from thibaud_cli.formats.yaml import YamlError, load

    try:
        data = load(config) if config else {}
    except YamlError:
        return None
    if not isinstance(data, dict):
        return None
    # "": every file is a template, so any change may change any file.
    return TemplateSyntax.of(data).suffix or None
