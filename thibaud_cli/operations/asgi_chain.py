"""The ASGI entry point: changing the middleware chain and regenerating ``asgi.py``.

Two ways to change the module, chosen per project (``project.chain_record``):

- A project whose template has the middleware hooks: ``asgi.py`` is rendered twice,
  with the old chain (base) and the new one (theirs), and that change is merged into
  the file on disk (ours): the user's own edits are never lost. A conflict writes
  nothing.
- Any other project (the framework's stock layout, a template without hooks, a
  router or a function bound to ``application``): the module is edited as a syntax
  tree (``asgi.source_edit``), one statement in or out.

A chain that holds a middleware editing response headers by name gets the header-name
adapter innermost, its module written beside ``asgi.py`` (``asgi.header_names``).

``asgi.py``, the record of the chain (the answers file, or ``.thibaud-middleware.yml``),
the adapter's module and ``pyproject.toml`` change together, in one transaction under
the project's lock (``fs.transaction``): a change killed half-way is rolled back by the
next command that writes the project. ``--dry-run`` writes nothing: it reports such a
change and how to roll it back (as ``list-asgi-middleware`` does, in ``asgi_listing``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from thibaud_cli.asgi.drift import restoring_sides
from thibaud_cli.asgi.header_names import SOURCE as HEADER_ADAPTER_SOURCE
from thibaud_cli.asgi.header_names import Adapter, rewriters
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
    OtherKindOfMiddleware,
    ProjectNotFoundError,
    TargetsDjangoError,
    ThibaudCliError,
)
from thibaud_cli.fs.journal import find_interrupted, refuse_interrupted
from thibaud_cli.fs.transaction import Transaction, change_project
from thibaud_cli.merge.text import merge_texts, unified_diff
from thibaud_cli.project.chain_record import ChainHome, find_home
from thibaud_cli.project.declared import PYPROJECT
from thibaud_cli.project.dependencies import DependencyChange, declare
from thibaud_cli.project.framework import sources_target_django
from thibaud_cli.template.data import regeneration_data
from thibaud_cli.template.partial.entry_point import (
    EntryPointRenderer,
    asgi_renderer,
    read_utf8,
)
from thibaud_cli.template.secrets import mask_diff, secrets_shown

if TYPE_CHECKING:
    from thibaud_cli.asgi.source_edit import ModuleSource  # at run time: _module_source

#: A change of the module's source, for the syntax-tree path: None when the module
#: already lacks what was to be taken out.
SourceEdit = Callable[["ModuleSource"], str | None]


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
    #: The file that records the chain: its name, its text before and after (None: absent).
    record: tuple[str, str | None, str | None] | None = None
    #: Something the user should know about the change (said on standard error).
    notice: str | None = None
    #: The header-name adapter's module (``asgi.header_names``), when it is written or
    #: removed: its path, its text before and after (None: absent).
    adapter: tuple[str, str | None, str | None] | None = None
    #: The project's secrets the diff may show (masked in it).
    secret_values: frozenset[str] = frozenset()

    @property
    def diff(self) -> str:
        """The change as a patch ``git apply`` takes: ``asgi.py``, the record of the
        chain, the header-name adapter's module, then ``pyproject.toml`` if it changed. The
        project's secrets in it are masked (a hunk holding one no longer applies: a secret
        is not for printing)."""
        patch = unified_diff(self.before, self.after, self.relative_path)
        for change in (self.record, self.adapter):
            if change is not None:
                name, before, after = change
                patch += unified_diff(before, after, name)
        if self.pyproject is not None:
            patch += unified_diff(*self.pyproject, PYPROJECT)
        return mask_diff(patch, self.secret_values)

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _read_entry_point(home: ChainHome) -> tuple[Path, str]:
    path = home.project_dir / home.relative
    if not path.is_file():
        how = (
            "or run 'thibaud-cli regenerate-asgi' to render it again"
            if home.answers is not None
            else "then run the command again"
        )
        raise ProjectNotFoundError(
            f"{home.relative} is missing in '{home.project_dir}': restore it from version "
            f"control, {how}."
        )
    try:
        # Exactly as it is (CRLF and all): the syntax-tree path gives back every byte.
        return path, path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return path, read_utf8(path, home.relative)  # which says where, in one line


def _rendered(
    home: ChainHome, ours: str, new_chain: Sequence[MiddlewareEntry], trust: bool
) -> tuple[tuple[str, str] | None, frozenset[str]]:
    """``asgi.py`` as the template renders it for the chain *ours* applies (base) and
    for *new_chain* (theirs), or None when the template renders the same file whatever
    the chain (it has no hooks: the chain is edited into the file); and the secrets a
    diff of *ours* may show (``secrets_shown``: the base beside the file on disk).

    On ``regenerate-asgi`` both sides keep the wraps whose options the file changed by
    hand, and the base lacks the chain's lines it lost (a wrap or an import deleted),
    so that the merge puts those back (``asgi.drift.restoring_sides``).
    """
    assert home.answers is not None
    with asgi_renderer(home.answers, trust=trust) as renderer:
        base = renderer.render(home.chain)
        stand_ins = renderer.secret_values
        secrets = secrets_shown([(base, _universal(ours))], stand_ins, stand_ins)
        return _sides(renderer, home, ours, new_chain, base), secrets


def _sides(
    renderer: EntryPointRenderer,
    home: ChainHome,
    ours: str,
    new_chain: Sequence[MiddlewareEntry],
    base: str,
) -> tuple[str, str] | None:
    assert home.answers is not None
    if tuple(new_chain) != home.chain:
        theirs = renderer.render(new_chain)
        return None if theirs == base else (base, theirs)
    if not home.chain:
        return base, base
    if renderer.render(()) == base:
        return None
    # regenerate-asgi: what was deleted of the chain's lines comes back.
    code = regeneration_data(home.answers, home.chain)
    return restoring_sides(base, ours, code)


def _universal(text: str) -> str:
    """*text* with universal newlines, as the renders are."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _new_text(
    home: ChainHome,
    ours: str,
    new_chain: tuple[MiddlewareEntry, ...],
    edit: SourceEdit,
    *,
    trust: bool,
) -> tuple[str | None, frozenset[str]]:
    """``asgi.py`` for *new_chain*: merged from the template's renders when the template
    places the chain, else edited as a syntax tree (None: nothing to change there);
    and the secrets a diff of it may show (found from the render, when there is one)."""
    renders: tuple[str, str] | None = None
    secrets: frozenset[str] = frozenset()
    if home.answers is not None:
        renders, secrets = _rendered(home, ours, new_chain, trust)
    if renders is None:
        # No template, or one that renders the same file whatever the chain: the chain
        # is edited into the file (``update`` merges that edit as the user's own).
        return edit(_module_source(ours, home.relative)), secrets
    base, theirs = renders
    # Merged as read with universal newlines, as the renders are.
    merged = merge_texts(base, _universal(ours), theirs)
    if not merged.clean:
        hunks = "\n".join(conflict.describe(home.relative) for conflict in merged.conflicts)
        raise MergeConflictError(
            f"{home.relative} conflicts with your edits where the middleware block "
            "goes; nothing was written. Move your edits out of that block (or undo "
            "them), then run the command again.",
            conflicts=mask_diff(hunks, secrets),
        )
    return merged.text, secrets


def _module_source(code: str, relative: str) -> ModuleSource:
    """*code* as a syntax tree to edit.

    Imported here, when the edit path is taken: libcst costs about 0.15 s to import
    (more on a busy machine), and a project whose template places the chain merges
    the template's renders without it.
    """
    from thibaud_cli.asgi.source_edit import ModuleSource

    return ModuleSource(code, relative)


def _apply_chain(
    home: ChainHome,
    new_chain: tuple[MiddlewareEntry, ...],
    edit: SourceEdit,
    *,
    change: Transaction | None,
    trust: bool = False,
    dependencies: tuple[DependencyChange, ...] = (),
    pyproject: tuple[str, str] | None = None,
    notice_if_absent: str | None = None,
) -> EntryPointChange:
    """Change ``asgi.py`` from the recorded chain to *new_chain*; write it, the record,
    the header-name adapter's module if it comes or goes, and (if given) *pyproject*'s
    new text unless *change* is None."""
    path, ours = _read_entry_point(home)
    after, secrets = _new_text(home, ours, new_chain, edit, trust=trust)
    notice = None
    if after is None:
        after, notice = ours, notice_if_absent
    record = _record_change(home, new_chain)
    adapter = _adapter_change(home, new_chain)
    if change is not None:
        if after != ours:
            change.write(home.relative, after.encode("utf-8"))
        _write_record(change, record)
        _write_record(change, adapter)
        if pyproject is not None:
            change.write(PYPROJECT, pyproject[1].encode("utf-8"))
        change.commit()
    return EntryPointChange(
        path=path,
        relative_path=home.relative,
        before=ours,
        after=after,
        chain=new_chain,
        written=change is not None,
        recovery=change.recovered if change is not None else None,
        dependencies=dependencies,
        pyproject=pyproject,
        record=record,
        notice=notice,
        adapter=adapter,
        secret_values=secrets,
    )


def _record_change(
    home: ChainHome, chain: tuple[MiddlewareEntry, ...]
) -> tuple[str, str | None, str | None] | None:
    path = home.project_dir / home.record_filename
    before = path.read_text("utf-8") if path.is_file() else None
    content = home.record(chain)
    after = content.decode("utf-8") if content is not None else None
    return None if before == after else (home.record_filename, before, after)


def _write_record(change: Transaction, record: tuple[str, str | None, str | None] | None) -> None:
    if record is None:
        return
    name, _, after = record
    if after is None:
        change.remove(name)
    else:
        change.write(name, after.encode("utf-8"))


def _adapter_change(
    home: ChainHome, new_chain: tuple[MiddlewareEntry, ...]
) -> tuple[str, str | None, str | None] | None:
    """The header-name adapter's module written when *new_chain* holds the adapter and
    the project lacks it, removed when the adapter leaves the chain (unless the user
    changed it: theirs then); None when it stays as it is. A module of that name the
    user wrote is refused before the adapter is added."""
    adapter = Adapter.beside(home.asgi_module, home.relative)
    path = home.project_dir / adapter.relative
    # As bytes: a module of the user's own need not even be UTF-8.
    before = path.read_bytes() if path.is_file() or path.is_symlink() else None
    ours = before == HEADER_ADAPTER_SOURCE.encode("utf-8")
    wanted = adapter.position(new_chain) is not None
    if wanted and before is None:
        return adapter.relative, None, HEADER_ADAPTER_SOURCE
    if wanted and adapter.position(home.chain) is None and not ours:
        raise MiddlewareChainError(
            f"{adapter.relative} exists and is not thibaud-admin's header-name adapter, "
            f"which {', '.join(map(str, rewriters(new_chain)))} needs there: rename your "
            "module, then run the command again. Nothing was written."
        )
    if not wanted and adapter.position(home.chain) is not None and ours:
        return adapter.relative, HEADER_ADAPTER_SOURCE, None
    return None


def rewrap(
    source: ModuleSource,
    old_chain: Sequence[MiddlewareEntry],
    new_chain: Sequence[MiddlewareEntry],
    first_party: set[str],
    *,
    restoring: bool = False,
    allow_duplicate: bool = False,
) -> str:
    """*source* with every wrap of *old_chain* still there taken out (the imports only
    they used too), then *new_chain* wrapped in, innermost first."""
    text, remaining = source.code, list(old_chain)
    for position in range(len(old_chain) - 1, -1, -1):
        text = _module_source(text, source.relative).remove(remaining, position) or text
        remaining.pop(position)
    for position, entry in enumerate(new_chain):
        text = _module_source(text, source.relative).add(
            new_chain[:position],
            entry,
            first_party,
            restoring=restoring,
            allow_duplicate=allow_duplicate,
        )
    return text


@contextmanager
def _opened(
    project_dir: Path, operation: str, *, dry_run: bool, asgi_module: str | None
) -> Iterator[tuple[ChainHome, Transaction | None]]:
    """The project's chain home, and (unless *dry_run*) a transaction under its lock.

    The home is read again under the lock, so a command that waited for another one
    sees its change. A dry run takes no lock, writes nothing, and refuses to work on
    a project a killed command left half-changed.
    """
    home = _checked_home(project_dir, asgi_module)
    if dry_run:
        refuse_interrupted(project_dir)
        yield home or _refuse_django(find_home(project_dir, asgi_module=asgi_module)), None
        return
    with change_project(
        project_dir, operation=operation, repair=repair_hint(project_dir)
    ) as change:
        yield _refuse_django(find_home(project_dir, asgi_module=asgi_module)), change


def _checked_home(project_dir: Path, asgi_module: str | None) -> ChainHome | None:
    """The project's chain home, found before the lock is taken: a directory that is no
    project gets nothing written (not even the lock). None when a killed command left
    a change to roll back: the lock's holder does that first."""
    if find_interrupted(project_dir) is not None:
        return None
    return _refuse_django(find_home(project_dir, asgi_module=asgi_module))


def _refuse_django(home: ChainHome) -> ChainHome:
    """*home*, unless its ``asgi.py`` targets Django: Thibaud cannot serve that module,
    and a middleware wrapped around it would not make it servable."""
    path = home.project_dir / home.relative
    try:
        code = path.read_bytes()
    except OSError:
        return home  # a missing asgi.py is told (or rendered again) where it is read
    found = sources_target_django([(home.relative, code)])
    # Only an import of django: a module that sets DJANGO_SETTINGS_MODULE alone may be
    # a port that missed one rename, which the settings check of validate-template names.
    if found is not None and found.imports:
        raise TargetsDjangoError(
            f"The project in '{home.project_dir}' {found.describe('project')}. Nothing was written."
        )
    return home


def repair_hint(project_dir: Path) -> str:
    """How to roll back a middleware change or an update that was killed."""
    return (
        f"Run 'thibaud-cli regenerate-asgi --project-dir {project_dir}' (or any command "
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
    asgi_module: str | None = None,
) -> EntryPointChange:
    """Wrap ``application`` in the middleware *spec* (outermost), with *options*.

    Once verified, the distribution that provides it (and its ``@`` references) is
    added to ``pyproject.toml``'s dependencies, unless *declare_dependency* is false.
    *trust* allows a template with Jinja extensions to be rendered again.
    A framework middleware (one that takes ``get_response``) is refused with
    :class:`OtherKindOfMiddleware`: ``add-middleware`` puts it in ``MIDDLEWARE``.
    """
    target = ObjectPath.parse(spec)
    parsed_options = parse_options(options)
    with _opened(project_dir, "add-asgi-middleware", dry_run=dry_run, asgi_module=asgi_module) as (
        home,
        change,
    ):
        chain = home.chain
        if find_in_chain(chain, target) and not allow_duplicate:
            raise MiddlewareChainError(
                f"{target} is already in the chain ({'; '.join(describe_chain(chain))}): "
                "pass --allow-duplicate to wrap it again."
            )
        if target == ObjectPath(home.asgi_module, "application"):
            raise MiddlewareSpecError(
                f"{target} is the project's own ASGI application, not a middleware: "
                "it cannot wrap itself."
            )
        entry = MiddlewareEntry(target=target, options=parsed_options)
        distributions: tuple[Distribution, ...] = ()
        if verify:
            verified = verify_importable(
                home.modules.root_dir(project_dir),
                home.settings_module,
                [target, *entry.references()],
                middleware=target,
                options=list(parsed_options),
                venv_dir=home.project_dir,
                application_module=home.asgi_module,
            )
            if verified.framework:
                raise OtherKindOfMiddleware(
                    f"{target} is a Thibaud middleware (it takes get_response), not an ASGI "
                    "one: it goes in the MIDDLEWARE setting, with 'thibaud-cli "
                    f"add-middleware {target.module}.{target.attribute}'.",
                    command="add-middleware",
                )
            distributions = verified.distributions
        dependencies, pyproject = declare(
            project_dir,
            [(found.name, found.version) for found in distributions if declare_dependency],
        )
        new_chain, edit, notice = _added(home, entry, allow_duplicate=allow_duplicate)
        result = _apply_chain(
            home,
            new_chain,
            edit,
            change=change,
            trust=trust,
            dependencies=dependencies,
            pyproject=pyproject,
        )
        return replace(result, notice=notice) if notice else result


def _added(
    home: ChainHome, entry: MiddlewareEntry, *, allow_duplicate: bool
) -> tuple[tuple[MiddlewareEntry, ...], SourceEdit, str | None]:
    """The chain with *entry* added outermost, the edit that adds it on the syntax-tree
    path, and a notice: with the header-name adapter put innermost when the chain
    lacks it and needs it (*entry*, or a middleware added before the adapter was)."""
    chain, first_party = home.chain, home.first_party()
    adapter = Adapter.beside(home.asgi_module, home.relative)
    if not adapter.needed((*chain, entry)) or adapter.position(chain) is not None:
        return (
            (*chain, entry),
            lambda source: source.add(chain, entry, first_party, allow_duplicate=allow_duplicate),
            None,
        )
    # Innermost, under every wrap of the chain: they are all wrapped again.
    new_chain = (adapter.entry, *chain, entry)
    return (
        new_chain,
        lambda source: rewrap(
            source, chain, new_chain, first_party, allow_duplicate=allow_duplicate
        ),
        f"{rewriters(new_chain)[0]} edits response headers by their lowercased name, which "
        f"Thibaud's handler does not send: {adapter.entry.target} ({adapter.relative}) "
        "lowercases them, innermost.",
    )


def remove_asgi_middleware(
    project_dir: Path,
    spec: str,
    *,
    dry_run: bool = False,
    trust: bool = False,
    asgi_module: str | None = None,
) -> EntryPointChange:
    """Unwrap the middleware *spec* (its outermost occurrence if it is there twice).

    A middleware that is not in the chain but in ``MIDDLEWARE`` is refused with
    :class:`OtherKindOfMiddleware`: ``remove-middleware`` takes it out.
    """
    target = ObjectPath.parse(spec)
    with _opened(
        project_dir, "remove-asgi-middleware", dry_run=dry_run, asgi_module=asgi_module
    ) as (home, change):
        chain = home.chain
        positions = find_in_chain(chain, target)
        if not positions:
            _refuse_absent(home, target)
        position = positions[-1]
        removed = [position]
        adapter = Adapter.beside(home.asgi_module, home.relative)
        inner = adapter.position(chain)
        rest = chain[:position] + chain[position + 1 :]
        if inner is not None and inner != position and not adapter.needed(rest):
            # The last middleware that needed the header-name adapter: it goes too.
            removed.append(inner)
        new_chain = tuple(entry for i, entry in enumerate(chain) if i not in removed)
        return _apply_chain(
            home,
            new_chain,
            lambda source: _without(source, chain, removed),
            change=change,
            trust=trust,
            notice_if_absent=(
                f"{home.relative} no longer wrapped application in {target} (an edit by "
                "hand?): it is taken out of the recorded chain only."
            ),
        )


def _without(
    source: ModuleSource, chain: tuple[MiddlewareEntry, ...], positions: Sequence[int]
) -> str | None:
    """*source* without the wraps of the entries of *chain* at *positions*; None when it
    has none of them any more."""
    text, remaining, changed = source.code, list(chain), False
    for position in sorted(positions, reverse=True):
        removed = _module_source(text, source.relative).remove(remaining, position)
        remaining.pop(position)
        if removed is not None:
            text, changed = removed, True
    return text if changed else None


def _refuse_absent(home: ChainHome, target: ObjectPath) -> None:
    # Imported here: the setting is read with libcst, which only this refusal needs.
    from thibaud_cli.project.middleware_setting import find_setting

    dotted = f"{target.module}.{target.attribute}"
    try:
        setting = find_setting(
            home.project_dir, home.modules.root_dir(home.project_dir), home.settings_module
        )
    except (ThibaudCliError, OSError, UnicodeDecodeError):
        setting = None  # no setting to read: the chain's refusal says it all
    if setting is not None and dotted in setting.entries:
        raise OtherKindOfMiddleware(
            f"{target} is not an ASGI middleware of the chain but in MIDDLEWARE "
            f"({setting.relative}): 'thibaud-cli remove-middleware {dotted}' takes it out.",
            command="remove-middleware",
        )
    listing = "; ".join(describe_chain(home.chain)) or "it is empty"
    raise MiddlewareChainError(
        f"{target} is not in the chain ({listing}): nothing to remove. "
        "'thibaud-cli list-asgi-middleware' shows it."
    )


def regenerate_asgi(
    project_dir: Path,
    *,
    dry_run: bool = False,
    trust: bool = False,
    asgi_module: str | None = None,
) -> EntryPointChange:
    """Render ``asgi.py`` again from the recorded answers, or put the recorded chain back.

    A template project's missing ``asgi.py`` is written afresh. An existing one is
    merged three ways: theirs the render of the recorded answers, base the same without
    the chain's lines the file lost (a wrap or an import deleted by hand), which puts
    those back and keeps every other edit (an option changed by hand too). A newer
    version of the template reaches ``asgi.py`` through ``update``. In a module whose
    chain is edited as a syntax tree, wraps of the recorded chain deleted or changed by
    hand are put back as recorded, the rest of the file kept.
    """
    with _opened(project_dir, "regenerate-asgi", dry_run=dry_run, asgi_module=asgi_module) as (
        home,
        change,
    ):
        path = project_dir / home.relative
        if path.exists() or home.answers is None:
            first_party = home.first_party()
            return _apply_chain(
                home,
                home.chain,
                lambda source: reapply(source, home.chain, first_party),
                change=change,
                trust=trust,
            )
        theirs = _fresh_render(home, trust)
        if change is not None:
            change.write(home.relative, theirs.encode("utf-8"))
            change.commit()
        return EntryPointChange(
            path=path,
            relative_path=home.relative,
            before="",
            after=theirs,
            chain=home.chain,
            written=change is not None,
            recovery=change.recovered if change is not None else None,
        )


def _fresh_render(home: ChainHome, trust: bool) -> str:
    """A missing ``asgi.py`` rendered from the template, with the chain (edited in, for a
    template without hooks)."""
    assert home.answers is not None
    with asgi_renderer(home.answers, trust=trust) as renderer:
        rendered = renderer.render(home.chain)
        if not home.chain or renderer.render(()) != rendered:
            return rendered
    source = _module_source(rendered, home.relative)
    return reapply(source, home.chain, home.first_party()) or rendered


def reapply(
    source: ModuleSource, chain: Sequence[MiddlewareEntry], first_party: set[str]
) -> str | None:
    """*source* applying *chain* as recorded: None if it does already; else every wrap
    of it that is still there taken out, and the whole chain wrapped again."""
    if source.drift(chain) is None:
        return None
    return rewrap(source, chain, chain, first_party, restoring=True)
