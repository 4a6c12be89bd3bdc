"""The project's ASGI module as its template renders it: found through the answers
file, rendered alone (the one file the middleware commands change)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from thibaud_cli.asgi.spec import MiddlewareEntry
from thibaud_cli.errors import EntryPointError, ProjectNotFoundError, TemplateError
from thibaud_cli.fs.scratch import scratch_directory
from thibaud_cli.project.answers import Answers
from thibaud_cli.template.data import regeneration_data
from thibaud_cli.template.render import render_template


def asgi_relative_path(answers: Answers) -> str:
    """Where the project's ASGI module is, as the answers file records it."""
    module = answers.modules.asgi
    if module is None:
        raise ProjectNotFoundError(
            "The project has no ASGI module: when it was generated, no module bound "
            "`application` with get_asgi_application(). Declare it in the template's "
            "copier.yml (_thibaud: {asgi: package.asgi}) and run 'thibaud-admin update'."
        )
    return answers.modules.relpath(module)


def only_path(relative: str) -> tuple[str, ...]:
    """copier exclusions (gitignore patterns) that leave the file *relative* alone.

    ``!dir`` lets a directory back in, and with it everything under it: ``/dir/**``
    excludes that again before the next part is let back in. Anchored (leading
    ``/``), so that a ``docs/<dir>/`` elsewhere stays excluded.
    """
    parts = relative.split("/")
    patterns = ["*"]
    for depth in range(1, len(parts)):
        directory = "/" + "/".join(parts[:depth])
        patterns += [f"!{directory}", f"{directory}/**"]
    patterns.append(f"!/{relative}")
    return tuple(patterns)


def render_asgi(answers: Answers, chain: Sequence[MiddlewareEntry], *, trust: bool = False) -> str:
    """``asgi.py`` as the project's template renders it for *chain*."""
    data = regeneration_data(answers, chain)
    relative = asgi_relative_path(answers)
    with scratch_directory("render") as scratch:
        destination = scratch / "project"
        render_template(
            answers.template,  # "bundled" names the bundled template
            destination,
            data=data,
            # Re-rendering one file must not run the template's tasks again.
            run_tasks=False,
            trust=trust,
            vcs_ref=answers.template_commit,
            exclude=only_path(relative),
        )
        rendered = destination / relative
        if not rendered.is_file():
            raise TemplateError(
                f"The project's template does not render {relative}: it does not follow "
                "thibaud-admin's template contract."
            )
        return read_utf8(rendered, f"The project's template renders {relative}")


def read_utf8(path: Path, what: str) -> str:
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as error:
        raise EntryPointError(
            f"{what} is not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start}): nothing was written. Save it as UTF-8, then run the command again."
        ) from error
