"""Where one project file is rendered from: as little of the template as gives the
same bytes as rendering it whole.

- A local git template at a recorded commit: its tree is listed, and only
  ``copier.yml`` (with what it ``!include``\\ s), the files that could render to
  the wanted one (``renders_to``) and the templates those include by name are
  copied out of git into a scratch directory (``gitcopy``), which copier renders as
  a plain directory: no clone, no checkout of the other files.
- When a copy could render differently (symlinks or submodules in the tree, Jinja
  extensions, a computed include, ``_copier_conf``/``_copier_answers``, attributes
  or ``core.autocrlf`` that change a checkout), copier clones and checks out as
  before, and renders only the candidates (:attr:`OneFileSource.sources`).
- A git template at a URL (``https://``, ``git@``, ``gh:``, ``file://``) at a recorded
  commit: the same, from a bare clone without blobs kept in the user's cache
  (``vcs.partial_clone``: cloned once, fetched again only when the commit is missing),
  whose few blobs are fetched together; the same fallbacks to copier's clone.
- A plain directory (the bundled template): rendered in place, candidates only.
- A local git template's work tree (no recorded commit): as copier renders it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from thibaud_cli.errors import TemplateError
from thibaud_cli.fs.walk import walk_files_typed
from thibaud_cli.template.engine.config import read_template_config
from thibaud_cli.template.partial.gitcopy import GitCopyUnavailable, GitTree
from thibaud_cli.template.partial.renders_to import (
    READS_ITS_SOURCE,
    TemplateLayout,
    candidates,
    jinja_references,
    yaml_includes,
)
from thibaud_cli.template.source import SourceKind, TemplateSource, resolve_template
from thibaud_cli.template.syntax import CONFIG_FILENAMES
from thibaud_cli.vcs.git import refuse_unvetted_config
from thibaud_cli.vcs.partial_clone import TemplateFetchError, partial_clone


@dataclass(frozen=True)
class OneFileSource:
    """What ``render_template`` is given to render one file."""

    template: TemplateSource
    vcs_ref: str | None
    #: The template files to render (relative to its subdirectory); None: all.
    sources: frozenset[str] | None = None
    #: The files copied out of git when *template* is such a copy, else None.
    copied: frozenset[str] | None = None
    #: What to render instead if the copy lacks a template a render includes.
    fallback: OneFileSource | None = None


def one_file_source(
    template: str, commit: str | None, target: str, *, scratch: Path, trust: bool
) -> OneFileSource:
    """Where the project file *target* renders from, for the template recorded as
    *template* at *commit*. *scratch*: an empty directory that outlives the render."""
    resolved = resolve_template(template)
    whole = OneFileSource(resolved, commit)
    local = resolved.local_path
    if resolved.kind is SourceKind.GIT and commit is not None:
        return _from_url(resolved.git_url, commit, whole, target, scratch)
    if local is None or resolved.kind not in {SourceKind.BUNDLED, SourceKind.LOCAL}:
        return whole
    if "GIT_DIR" in os.environ:
        return whole  # git would read that repository, not the template's
    if (local / ".git").exists():
        if commit is None:
            return whole  # copier renders the work tree, uncommitted changes included
        if not trust:
            refuse_unvetted_config(local)  # before any git of ours runs there
        try:
            return _from_git(GitTree.at(local, commit), whole, target, scratch)
        except (GitCopyUnavailable, TemplateError, ValueError):
            return whole  # copier, checking out, says what is wrong in its own words
    layout = TemplateLayout.of(read_template_config(local))
    paths = _plain_files(local)
    if paths is None:
        return whole
    return replace(whole, sources=layout.sources(candidates(paths, target, layout)))


def _from_url(
    url: str, commit: str, whole: OneFileSource, target: str, scratch: Path
) -> OneFileSource:
    """From the cached partial clone of *url*; git's failure to reach it is reported
    (naming the URL), a commit it lacks left to copier to report."""
    repository = partial_clone(url, commit)
    if repository is None:
        return whole
    try:
        return _from_git(GitTree.at(repository, commit, partial=True), whole, target, scratch)
    except TemplateFetchError:
        raise
    except (GitCopyUnavailable, TemplateError, ValueError):
        return whole


def _from_git(tree: GitTree, whole: OneFileSource, target: str, scratch: Path) -> OneFileSource:
    copy = scratch / "template"
    copy.mkdir(parents=True)
    contents = tree.read(name for name in CONFIG_FILENAMES if name in tree.entries)
    if not contents:
        return whole
    pending = dict(contents)
    while pending:  # what the config includes, and what that includes
        found: set[str] = set()
        for text in pending.values():
            included = yaml_includes(text, tree.files, "")
            if included is None:
                return whole
            found |= included
        pending = tree.read(found - contents.keys())
        contents.update(pending)
    tree.copy(contents, copy)
    config = read_template_config(copy)
    layout = TemplateLayout.of(config)
    wanted = candidates(tree.files, target, layout)
    if tree.links:
        return whole  # copier's walk follows them: files the listing does not show
    narrowed = replace(whole, sources=layout.sources(wanted))
    if config.get("_jinja_extensions"):
        return narrowed  # extensions are code: they may read any file of the template
    pending = tree.read(wanted)
    rendered = dict(pending)
    while pending:  # the templates those include, import or extend, by name
        names: set[str] = set()
        for text in pending.values():
            referenced = jinja_references(text)
            if referenced is None:
                return narrowed
            names |= referenced
        pending = tree.read(names - rendered.keys() - contents.keys())
        rendered.update(pending)
    everything = {**contents, **rendered}
    if any(READS_ITS_SOURCE.search(text) for text in everything.values()):
        return narrowed
    if tree.checkout_converts(everything, scratch=scratch):
        return narrowed
    tree.copy(rendered, copy)
    sparse = TemplateSource(SourceKind.LOCAL, str(copy), whole.template.recorded_as, copy)
    return OneFileSource(
        sparse, None, narrowed.sources, copied=frozenset(everything), fallback=narrowed
    )


def _plain_files(root: Path) -> list[str] | None:
    """Every file under *root*, relative; None when a symlink is met (copier follows
    it, to files this walk would not name)."""
    found = []
    for path, is_link in walk_files_typed(root):
        if is_link:
            return None
        found.append(path.relative_to(root).as_posix())
    return found
