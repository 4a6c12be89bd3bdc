"""``list-asgi-middleware``: the recorded chain, and whether ``asgi.py`` still applies it.

Listing writes nothing, even to a project a killed command left half-changed: it
lists the chain that rolling the change back restores, with a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.asgi.drift import drift
from thibaud_cli.asgi.spec import MiddlewareEntry
from thibaud_cli.errors import InterruptedChangeError, ThibaudCliError
from thibaud_cli.fs.journal import find_interrupted
from thibaud_cli.project.answers import ANSWERS_FILENAME, Answers, answers_path, load_answers
from thibaud_cli.template.partial.entry_point import asgi_relative_path, read_utf8, render_asgi


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


def list_asgi_middleware(project_dir: Path, *, trust: bool = False) -> ChainListing:
    """The chain, innermost first, and how ``asgi.py`` departs from it, if it does.

    If a killed command left a change half-done, the chain listed is the one the
    project had before it (what rolling it back restores), with a notice; ``asgi.py``
    is then not compared (the rollback restores it too).
    """
    interrupted = find_interrupted(project_dir)
    if interrupted is None:
        answers = load_answers(project_dir)
        return ChainListing(
            chain=answers.asgi_middleware, drift=_drift(project_dir, answers, trust)
        )
    original = interrupted.original(ANSWERS_FILENAME)
    if original is None:
        # The killed command (a startproject) was writing the answers file itself.
        raise InterruptedChangeError(interrupted.message)
    answers = Answers.from_yaml(original.decode("utf-8"), source=answers_path(project_dir))
    return ChainListing(chain=answers.asgi_middleware, recovery=interrupted.message)


def _drift(project_dir: Path, answers: Answers, trust: bool) -> str | None:
    """How ``asgi.py`` wraps ``application`` unlike the recorded chain, said for the user."""
    if answers.modules.asgi is None:
        return None  # no ASGI module to compare: the chain is all there is
    relative = asgi_relative_path(answers)
    path = project_dir / relative
    if not path.is_file():
        return (
            f"{relative} is missing: 'thibaud-admin regenerate-asgi' renders it again "
            "with this chain."
        )
    try:
        found = drift(
            read_utf8(path, relative),
            render_asgi(answers, answers.asgi_middleware, trust=trust),
        )
    except ThibaudCliError as error:  # the template moved, went offline, needs --trust...
        return f"{relative} was not compared with the chain: {error}"
    if found is None:
        return None
    return (
        f"{relative} no longer applies the chain as recorded: {found}. Your edits stay "
        "(every command keeps them); to bring the two back in step, undo the edit, or make "
        "it with add-asgi-middleware or remove-asgi-middleware."
    )
