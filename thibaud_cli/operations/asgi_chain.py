"""The ASGI entry point: changing the middleware chain and regenerating ``asgi.py``.

A change renders ``asgi.py`` from the project's template twice, with the old chain
(base) and the new one (theirs), and merges that change into the file on disk
(ours): the user's own edits are never lost. A conflict writes nothing.

``asgi.py`` and the answers file are two writes. The answers file is written first
with the new chain marked pending, then ``asgi.py``, then the answers file again;
an interrupted change is found by the next command and finished or rolled back
according to what ``asgi.py`` holds.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.asgi.spec import (
    MiddlewareEntry,
    ObjectPath,
    describe_chain,
    find_in_chain,
    parse_options,
)
from thibaud_cli.asgi.verify import verify_importable
from thibaud_cli.errors import (
    MergeConflictError,
    MiddlewareChainError,
    ProjectNotFoundError,
    TemplateError,
)
from thibaud_cli.fs.atomic import remove_stale_temporaries, write_text_atomic
from thibaud_cli.merge.text import merge_texts, unified_diff
from thibaud_cli.project.answers import Answers, load_answers, save_answers
from thibaud_cli.template.data import regeneration_data
from thibaud_cli.template.render import render_template


@dataclass(frozen=True)
class EntryPointChange:
    """The outcome of a change to ``asgi.py``."""

    path: Path
    relative_path: str
    before: str
    after: str
    chain: tuple[MiddlewareEntry, ...]
    written: bool
    #: Set when an earlier, interrupted change was finished or rolled back first.
    recovery: str | None = None

    @property
    def diff(self) -> str:
        return unified_diff(self.before, self.after, self.relative_path)

    @property
    def changed(self) -> bool:
        return self.before != self.after


def asgi_relative_path(answers: Answers) -> str:
    return f"{answers.project_name}/asgi.py"


def asgi_only(project_name: str) -> tuple[str, ...]:
    """copier exclusions (gitignore patterns) that leave ``<project_name>/asgi.py`` alone.

    ``!name`` lets the package directory back in, and with it everything under it:
    ``/name/**`` excludes that again before ``asgi.py`` is let back in. Anchored
    (leading ``/``), so that a ``docs/<name>/`` elsewhere stays excluded.
    """
    name = f"/{project_name}"
    return ("*", f"!{name}", f"{name}/**", f"!{name}/asgi.py")


def render_asgi(answers: Answers, chain: Sequence[MiddlewareEntry], *, trust: bool = False) -> str:
    """``asgi.py`` as the project's template renders it for *chain*."""
    data = regeneration_data(answers, chain)
    relative = asgi_relative_path(answers)
    with tempfile.TemporaryDirectory(prefix="thibaud-render-") as scratch:
        destination = Path(scratch) / "project"
        render_template(
            answers.template,  # "bundled" names the bundled template
            destination,
            data=data,
            # Re-rendering one file must not run the template's tasks again.
            run_tasks=False,
            trust=trust,
            vcs_ref=answers.template_commit,
            exclude=asgi_only(answers.project_name),
        )
        rendered = destination / relative
        if not rendered.is_file():
            raise TemplateError(
                f"The project's template does not render {relative}: it does not follow "
                "thibaud-admin's template contract."
            )
        return rendered.read_text("utf-8")


def _read_entry_point(project_dir: Path, answers: Answers) -> tuple[Path, str]:
    path = project_dir / asgi_relative_path(answers)
    if not path.is_file():
        raise ProjectNotFoundError(
            f"{asgi_relative_path(answers)} is missing in '{project_dir}': restore it from "
            "version control, or run 'thibaud-admin regenerate-asgi' to render it again."
        )
    return path, path.read_text("utf-8")


def recover_interrupted_change(
    project_dir: Path, answers: Answers, *, trust: bool = False
) -> tuple[Answers, str | None]:
    """Finish or roll back a chain change that was interrupted between its writes."""
    pending = answers.pending_asgi_middleware
    if pending is None:
        return answers, None
    path, ours = _read_entry_point(project_dir, answers)
    old = render_asgi(answers, answers.asgi_middleware, trust=trust)
    new = render_asgi(answers, pending, trust=trust)
    # If asgi.py already holds the new chain, merging the change in again changes
    # nothing: the write happened, only the answers file is behind.
    applied = merge_texts(old, ours, new)
    if applied.clean and applied.text == ours and old != new:
        repaired = answers.with_chain(pending)
        message = (
            "An interrupted middleware change was completed: the answers file now matches asgi.py."
        )
    else:
        repaired = answers.with_chain(answers.asgi_middleware)
        message = "An interrupted middleware change was rolled back: asgi.py was never changed."
    save_answers(project_dir, repaired)
    return repaired, message


def _apply_chain(
    project_dir: Path,
    answers: Answers,
    new_chain: tuple[MiddlewareEntry, ...],
    *,
    dry_run: bool,
    recovery: str | None,
    trust: bool = False,
    base: str | None = None,
) -> EntryPointChange:
    """Merge the change from the recorded chain to *new_chain* into ``asgi.py``.

    *base*: ``asgi.py`` as rendered for the recorded chain, if the caller has it.
    """
    path, ours = _read_entry_point(project_dir, answers)
    if base is None:
        base = render_asgi(answers, answers.asgi_middleware, trust=trust)
    if new_chain == answers.asgi_middleware:
        theirs = base  # the same chain renders the same file
    else:
        theirs = render_asgi(answers, new_chain, trust=trust)
    merged = merge_texts(base, ours, theirs)
    relative = asgi_relative_path(answers)
    if not merged.clean:
        hunks = "\n".join(conflict.describe(relative) for conflict in merged.conflicts)
        raise MergeConflictError(
            f"{relative} conflicts with your edits where the middleware block goes; "
            "nothing was written. Move your edits out of that block (or undo them), "
            "then run the command again.",
            conflicts=hunks,
        )
    change = EntryPointChange(
        path=path,
        relative_path=relative,
        before=ours,
        after=merged.text,
        chain=new_chain,
        written=not dry_run,
        recovery=recovery,
    )
    if dry_run:
        return change
    save_answers(project_dir, answers.with_pending(new_chain))
    write_text_atomic(path, merged.text)
    save_answers(project_dir, answers.with_chain(new_chain))
    return change


def _load(project_dir: Path, *, trust: bool = False) -> tuple[Answers, str | None]:
    answers = load_answers(project_dir)
    # Temporary files of a killed run (named after its pid) are of no use now.
    remove_stale_temporaries(project_dir)
    remove_stale_temporaries(project_dir / answers.project_name)
    return recover_interrupted_change(project_dir, answers, trust=trust)


def add_asgi_middleware(
    project_dir: Path,
    spec: str,
    *,
    options: Sequence[str] = (),
    dry_run: bool = False,
    verify: bool = True,
    allow_duplicate: bool = False,
    trust: bool = False,
) -> EntryPointChange:
    """Wrap ``application`` in the middleware *spec* (outermost), with *options*.

    *trust* allows a template with Jinja extensions to be rendered again.
    """
    target = ObjectPath.parse(spec)
    parsed_options = parse_options(options)
    answers, recovery = _load(project_dir, trust=trust)
    chain = answers.asgi_middleware
    if find_in_chain(chain, target) and not allow_duplicate:
        raise MiddlewareChainError(
            f"{target} is already in the chain ({'; '.join(describe_chain(chain))}): "
            "pass --allow-duplicate to wrap it again."
        )
    entry = MiddlewareEntry(target=target, options=parsed_options)
    if verify:
        verify_importable(project_dir, answers.project_name, [target, *entry.references()])
    return _apply_chain(
        project_dir, answers, (*chain, entry), dry_run=dry_run, recovery=recovery, trust=trust
    )


def remove_asgi_middleware(
    project_dir: Path, spec: str, *, dry_run: bool = False, trust: bool = False
) -> EntryPointChange:
    """Unwrap the middleware *spec* (its outermost occurrence if it is there twice)."""
    target = ObjectPath.parse(spec)
    answers, recovery = _load(project_dir, trust=trust)
    chain = answers.asgi_middleware
    positions = find_in_chain(chain, target)
    if not positions:
        listing = "; ".join(describe_chain(chain)) or "it is empty"
        raise MiddlewareChainError(
            f"{target} is not in the chain ({listing}): nothing to remove. "
            "'thibaud-admin list-asgi-middleware' shows it."
        )
    new_chain = chain[: positions[-1]] + chain[positions[-1] + 1 :]
    return _apply_chain(
        project_dir, answers, new_chain, dry_run=dry_run, recovery=recovery, trust=trust
    )


@dataclass(frozen=True)
class ChainListing:
    """The recorded middleware chain, innermost first."""

    chain: tuple[MiddlewareEntry, ...]
    #: Set when an earlier, interrupted change was finished or rolled back first.
    recovery: str | None = None


def list_asgi_middleware(project_dir: Path, *, trust: bool = False) -> ChainListing:
    """The chain, innermost first (repairing an interrupted change first)."""
    answers, recovery = _load(project_dir, trust=trust)
    return ChainListing(chain=answers.asgi_middleware, recovery=recovery)


def regenerate_asgi(
    project_dir: Path, *, dry_run: bool = False, trust: bool = False
) -> EntryPointChange:
    """Render ``asgi.py`` again from the recorded answers.

    A missing ``asgi.py`` is written afresh. An existing one is merged three ways
    with the render of the recorded answers (both base and theirs), which restores
    nothing the user changed: it reports the file as up to date. A newer version of
    the template reaches ``asgi.py`` through ``update``.
    """
    answers, recovery = _load(project_dir, trust=trust)
    relative = asgi_relative_path(answers)
    path = project_dir / relative
    theirs = render_asgi(answers, answers.asgi_middleware, trust=trust)
    if not path.exists():
        change = EntryPointChange(
            path=path,
            relative_path=relative,
            before="",
            after=theirs,
            chain=answers.asgi_middleware,
            written=not dry_run,
            recovery=recovery,
        )
        if not dry_run:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path, theirs)
        return change
    return _apply_chain(
        project_dir,
        answers,
        answers.asgi_middleware,
        dry_run=dry_run,
        recovery=recovery,
        trust=trust,
        base=theirs,
    )
