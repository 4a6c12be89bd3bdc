"""The ASGI entry point: changing the middleware chain and regenerating ``asgi.py``.

A change renders ``asgi.py`` from the project's template twice, with the old chain
(base) and the new one (theirs), and merges that change into the file on disk
(ours): the user's own edits are never lost. A conflict writes nothing.

``asgi.py`` and the answers file change together, in one transaction under the
project's lock (``fs.transaction``): a change killed half-way is rolled back by the
next command that writes the project. ``--dry-run`` writes nothing: it reports such
a change and how to roll it back (as ``list-asgi-middleware`` does, in ``asgi_listing``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.asgi.hookless import refuse_hookless
from thibaud_cli.asgi.spec import (
    MiddlewareEntry,
    ObjectPath,
    describe_chain,
    find_in_chain,
    parse_options,
)
from thibaud_cli.asgi.verify import Distribution, verify_importable
from thibaud_cli.errors import (
    MergeConflictError,
    MiddlewareChainError,
    MiddlewareSpecError,
    ProjectNotFoundError,
)
from thibaud_cli.fs.journal import refuse_interrupted
from thibaud_cli.fs.transaction import Transaction, change_project
from thibaud_cli.merge.text import merge_texts, unified_diff
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers, load_answers
from thibaud_cli.project.dependencies import PYPROJECT, DependencyChange, declare
from thibaud_cli.template.partial.entry_point import (
    asgi_relative_path,
    asgi_renderer,
    read_utf8,
    render_asgi,
)


@dataclass(frozen=True)
class EntryPointChange:
    """The outcome of a change to ``asgi.py``."""

    path: Path
    relative_path: str
    before: str
    after: str
    chain: tuple[MiddlewareEntry, ...]
    written: bool
    #: Set when a change a killed command left was rolled back first.
    recovery: str | None = None
    #: The middleware's distributions added to (or to add to) the project's dependencies.
    dependencies: tuple[DependencyChange, ...] = ()
    #: ``pyproject.toml`` before and after the dependencies were added, when they were.
    pyproject: tuple[str, str] | None = None

    @property
    def diff(self) -> str:
        """The change as a patch: ``asgi.py``, then ``pyproject.toml`` if it changed."""
        patch = unified_diff(self.before, self.after, self.relative_path)
        if self.pyproject is not None:
            patch += unified_diff(*self.pyproject, PYPROJECT)
        return patch

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _read_entry_point(project_dir: Path, answers: Answers) -> tuple[Path, str]:
    path = project_dir / asgi_relative_path(answers)
    if not path.is_file():
        raise ProjectNotFoundError(
            f"{asgi_relative_path(answers)} is missing in '{project_dir}': restore it from "
            "version control, or run 'thibaud-admin regenerate-asgi' to render it again."
        )
    return path, read_utf8(path, asgi_relative_path(answers))


def _apply_chain(
    project_dir: Path,
    answers: Answers,
    new_chain: tuple[MiddlewareEntry, ...],
    *,
    change: Transaction | None,
    trust: bool = False,
    base: str | None = None,
    dependencies: tuple[DependencyChange, ...] = (),
    pyproject: tuple[str, str] | None = None,
) -> EntryPointChange:
    """Merge the change from the recorded chain to *new_chain* into ``asgi.py``; write it
    and the answers (and *pyproject*'s new text, if given) unless *change* is None.

    *base*: ``asgi.py`` as rendered for the recorded chain, if the caller has it.
    """
    path, ours = _read_entry_point(project_dir, answers)
    # Both chains render from one look at the template (one copy of its files).
    with asgi_renderer(answers, trust=trust) as renderer:
        if base is None:
            base = renderer.render(answers.asgi_middleware)
        if new_chain == answers.asgi_middleware:
            theirs = base  # the same chain renders the same file
        else:
            theirs = renderer.render(new_chain)
    relative = asgi_relative_path(answers)
    refuse_hookless(relative, base, theirs, chain_changed=new_chain != answers.asgi_middleware)
    merged = merge_texts(base, ours, theirs)
    if not merged.clean:
        hunks = "\n".join(conflict.describe(relative) for conflict in merged.conflicts)
        raise MergeConflictError(
            f"{relative} conflicts with your edits where the middleware block goes; "
            "nothing was written. Move your edits out of that block (or undo them), "
            "then run the command again.",
            conflicts=hunks,
        )
    if change is not None:
        change.write(relative, merged.text.encode("utf-8"))
        change.write(ANSWERS_FILENAME, answers.with_chain(new_chain).to_yaml().encode("utf-8"))
        if pyproject is not None:
            change.write(PYPROJECT, pyproject[1].encode("utf-8"))
        change.commit()
    return EntryPointChange(
        path=path,
        relative_path=relative,
        before=ours,
        after=merged.text,
        chain=new_chain,
        written=change is not None,
        recovery=change.recovered if change is not None else None,
        dependencies=dependencies,
        pyproject=pyproject,
    )


@contextmanager
def _opened(
    project_dir: Path, operation: str, *, dry_run: bool
) -> Iterator[tuple[Answers, Transaction | None]]:
    """The project's answers, and (unless *dry_run*) a transaction under its lock.

    The answers are read under the lock, so a command that waited for another one
    sees its change. A dry run takes no lock, writes nothing, and refuses to work
    on a project a killed command left half-changed.
    """
    if dry_run:
        refuse_interrupted(project_dir)
        yield load_answers(project_dir), None
        return
    with change_project(
        project_dir, operation=operation, repair=repair_hint(project_dir)
    ) as change:
        yield load_answers(project_dir), change


def repair_hint(project_dir: Path) -> str:
    """How to roll back a middleware change or an update that was killed."""
    return (
        f"Run 'thibaud-admin regenerate-asgi --project-dir {project_dir}' (or any command "
        "that changes the project) to roll it back."
    )


def add_asgi_middleware(
    project_dir: Path,
    spec: str,
    *,
    options: Sequence[str] = (),
    dry_run: bool = False,
    verify: bool = True,
    allow_duplicate: bool = False,
    trust: bool = False,
    declare_dependency: bool = True,
) -> EntryPointChange:
    """Wrap ``application`` in the middleware *spec* (outermost), with *options*.

    Once verified, the distribution that provides it (and its ``@`` references) is
    added to ``pyproject.toml``'s dependencies, unless *declare_dependency* is false.
    *trust* allows a template with Jinja extensions to be rendered again.
    """
    target = ObjectPath.parse(spec)
    parsed_options = parse_options(options)
    with _opened(project_dir, "add-asgi-middleware", dry_run=dry_run) as (answers, change):
        chain = answers.asgi_middleware
        if find_in_chain(chain, target) and not allow_duplicate:
            raise MiddlewareChainError(
                f"{target} is already in the chain ({'; '.join(describe_chain(chain))}): "
                "pass --allow-duplicate to wrap it again."
            )
        if answers.modules.asgi and target == ObjectPath(answers.modules.asgi, "application"):
            raise MiddlewareSpecError(
                f"{target} is the project's own ASGI application, not a middleware: "
                "it cannot wrap itself."
            )
        entry = MiddlewareEntry(target=target, options=parsed_options)
        distributions: tuple[Distribution, ...] = ()
        if verify:
            distributions = verify_importable(
                answers.modules.root_dir(project_dir),
                answers.modules.settings or f"{answers.project_name}.settings",
                [target, *entry.references()],
                middleware=target,
                options=list(parsed_options),
            )
        dependencies, pyproject = declare(
            project_dir,
            [(found.name, found.version) for found in distributions if declare_dependency],
        )
        return _apply_chain(
            project_dir,
            answers,
            (*chain, entry),
            change=change,
            trust=trust,
            dependencies=dependencies,
            pyproject=pyproject,
        )


def remove_asgi_middleware(
    project_dir: Path, spec: str, *, dry_run: bool = False, trust: bool = False
) -> EntryPointChange:
    """Unwrap the middleware *spec* (its outermost occurrence if it is there twice)."""
    target = ObjectPath.parse(spec)
    with _opened(project_dir, "remove-asgi-middleware", dry_run=dry_run) as (answers, change):
        chain = answers.asgi_middleware
        positions = find_in_chain(chain, target)
        if not positions:
            listing = "; ".join(describe_chain(chain)) or "it is empty"
            raise MiddlewareChainError(
                f"{target} is not in the chain ({listing}): nothing to remove. "
                "'thibaud-admin list-asgi-middleware' shows it."
            )
        new_chain = chain[: positions[-1]] + chain[positions[-1] + 1 :]
        return _apply_chain(project_dir, answers, new_chain, change=change, trust=trust)


def regenerate_asgi(
    project_dir: Path, *, dry_run: bool = False, trust: bool = False
) -> EntryPointChange:
    """Render ``asgi.py`` again from the recorded answers.

    A missing ``asgi.py`` is written afresh. An existing one is merged three ways
    with the render of the recorded answers (both base and theirs), which restores
    nothing the user changed: it reports the file as up to date. A newer version of
    the template reaches ``asgi.py`` through ``update``.
    """
    with _opened(project_dir, "regenerate-asgi", dry_run=dry_run) as (answers, change):
        relative = asgi_relative_path(answers)
        path = project_dir / relative
        if path.exists():
            return _apply_chain(
                project_dir, answers, answers.asgi_middleware, change=change, trust=trust
            )
        theirs = render_asgi(answers, answers.asgi_middleware, trust=trust)
        if change is not None:
            change.write(relative, theirs.encode("utf-8"))
            change.commit()
        return EntryPointChange(
            path=path,
            relative_path=relative,
            before="",
            after=theirs,
            chain=answers.asgi_middleware,
            written=change is not None,
            recovery=change.recovered if change is not None else None,
        )
