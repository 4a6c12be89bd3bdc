"""``list-asgi-middleware``: the recorded chain, and whether ``asgi.py`` still applies it.

Listing writes nothing, even to a project a killed command left half-changed: it
lists the chain that rolling the change back restores, with a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.asgi.drift import drift, still_wrapped
from thibaud_cli.asgi.spec import MiddlewareEntry
from thibaud_cli.errors import InterruptedChangeError, ThibaudCliError
from thibaud_cli.fs.journal import find_interrupted
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers, answers_path
from thibaud_cli.project.chain_record import RECORD_FILENAME, ChainHome, find_home, parse_record
from thibaud_cli.template.partial.entry_point import asgi_renderer, read_utf8


@dataclass(frozen=True)
class ChainListing:
    """The recorded middleware chain, innermost first."""

    chain: tuple[MiddlewareEntry, ...]
    #: Set when a killed command left the project half-changed: what was found, and
    #: the command that rolls it back. The chain is then the one from before it.
    recovery: str | None = None
    #: Set when ``asgi.py`` does not apply the chain as recorded: how it differs, and
    #: what to do (or why it could not be compared).
    drift: str | None = None


def list_asgi_middleware(
    project_dir: Path, *, trust: bool = False, asgi_module: str | None = None
) -> ChainListing:
    """The chain, innermost first, and how ``asgi.py`` departs from it, if it does.

    If a killed command left a change half-done, the chain listed is the one the
    project had before it (what rolling it back restores), with a notice; ``asgi.py``
    is then not compared (the rollback restores it too).
    """
    interrupted = find_interrupted(project_dir)
    if interrupted is None:
        home = find_home(project_dir, asgi_module=asgi_module)
        return ChainListing(chain=home.chain, drift=_drift(home, trust))
    original = interrupted.original(ANSWERS_FILENAME)
    if original is not None:
        answers = Answers.from_yaml(original.decode("utf-8"), source=answers_path(project_dir))
        return ChainListing(chain=answers.asgi_middleware, recovery=interrupted.message)
    if any(entry.path == ANSWERS_FILENAME for entry in interrupted.journal.entries):
        # The killed command (a startproject) was writing the answers file itself.
        raise InterruptedChangeError(interrupted.message)
    # A project without answers: its record as it was (none: the chain was empty).
    record = interrupted.original(RECORD_FILENAME)
    path = project_dir / RECORD_FILENAME
    chain = parse_record(record.decode("utf-8"), path)[1] if record is not None else ()
    return ChainListing(chain=chain, recovery=interrupted.message)


def _drift(home: ChainHome, trust: bool) -> str | None:
    """How ``asgi.py`` wraps ``application`` unlike the recorded chain, said for the user."""
    if home.modules.asgi is None:
        return None  # no ASGI module to compare: the chain is all there is
    relative = home.relative
    path = home.project_dir / relative
    if not path.is_file():
        how = "renders it again" if home.answers is not None else "cannot: restore it, then"
        return f"{relative} is missing: 'thibaud-cli regenerate-asgi' {how} with this chain."
    try:
        on_disk = read_utf8(path, relative)
        found = _compare(home, on_disk, trust)
    except ThibaudCliError as error:  # the template moved, went offline, needs --trust...
        return f"{relative} was not compared with the chain: {error}"
    if found is None:
        return None
    # regenerate-asgi puts back what the chain's own lines lack: any wrap where the chain
    # is edited in; a deleted one where the template renders it (an edited one is kept).
    restores = still_wrapped(on_disk, home.chain) != home.chain or _edited_as_source(home, trust)
    return (
        f"{relative} no longer applies the chain as recorded: {found}. Your edits stay "
        "(every command keeps them); to bring the two back in step, undo the edit, or make "
        "it with add-asgi-middleware or remove-asgi-middleware"
        + (", or run regenerate-asgi." if restores else ".")
    )


def _compare(home: ChainHome, on_disk: str, trust: bool) -> str | None:
    if home.answers is None:
        return _source_drift(home, on_disk)
    with asgi_renderer(home.answers, trust=trust) as renderer:
        rendered = renderer.render(home.chain)
        if home.chain and renderer.render(()) == rendered:
            # A template without hooks: the chain was edited into the file.
            return _source_drift(home, on_disk)
    return drift(on_disk, rendered)


def _source_drift(home: ChainHome, on_disk: str) -> str | None:
    """How a module whose chain is edited in departs from it, read as a syntax tree."""
    # libcst imported here only: a template that places the chain is compared with its
    # render (``asgi.drift``), without it.
    from thibaud_cli.asgi.source_edit import ModuleSource

    return ModuleSource(on_disk, home.relative).drift(home.chain)


def _edited_as_source(home: ChainHome, trust: bool) -> bool:
    if home.answers is None:
        return True
    with asgi_renderer(home.answers, trust=trust) as renderer:
        return bool(home.chain) and renderer.render(()) == renderer.render(home.chain)
