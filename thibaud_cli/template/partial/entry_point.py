"""The project's ASGI module as its template renders it: found through the answers
file, rendered alone (the one file the middleware commands change), from as little
of the template as renders it the same (``one_file``), once per chain: every chain
from one copy of the template (the first render's, kept open), its code compiled once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from thibaud_cli.asgi.spec import MiddlewareEntry
from thibaud_cli.errors import EntryPointError, ProjectNotFoundError, TemplateError
from thibaud_cli.fs.scratch import scratch_directory
from thibaud_cli.project.answers import Answers
from thibaud_cli.template.data import regeneration_data
from thibaud_cli.template.engine.compiled import CompiledCache
from thibaud_cli.template.engine.render import RenderOptions, RenderSession, open_render
from thibaud_cli.template.partial.one_file import one_file_source


def asgi_relative_path(answers: Answers) -> str:
    """Where the project's ASGI module is, as the answers file records it."""
    module = answers.modules.asgi
    if module is None:
        raise ProjectNotFoundError(
            "The project has no ASGI module: when it was generated, no module bound "
            "`application` with get_asgi_application(). Declare it in the template's "
            "copier.yml (_thibaud: {asgi: package.asgi}) and run 'thibaud-cli update'."
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


class EntryPointRenderer:
    """Renders the project's ``asgi.py`` for any chain, from one look at the template
    (``one_file``): a command renders it once per chain from the same copy. The first
    render's session stays open (*kept*) so that the next ones read its template (a
    clone, when copier made one) rather than fetching and parsing it again."""

    def __init__(
        self,
        answers: Answers,
        scratch: Path,
        *,
        trust: bool,
        kept: contextlib.ExitStack,
        relative: str | None = None,
    ) -> None:
        self.answers = answers
        #: The file rendered: the ASGI module, unless another of the project's is asked.
        self.relative = relative or asgi_relative_path(answers)
        self.trust = trust
        self.scratch = scratch
        self.source = one_file_source(
            answers.template,
            answers.template_commit,
            self.relative,
            scratch=scratch / "source",
            trust=trust,
        )
        self._renders = 0
        self._kept = kept
        self._first: RenderSession | None = None
        self._compiled = CompiledCache()

    @property
    def secret_values(self) -> tuple[str, ...]:
        """The answers to secret questions the renders had (defaults, generated ones):
        the stand-ins for the project's secrets in what they rendered."""
        return self._first.rendered.secret_values if self._first is not None else ()

    def render(self, chain: Sequence[MiddlewareEntry]) -> str:
        """``asgi.py`` (or the file asked) as the project's template renders it for
        *chain*."""
        try:
            return self._render(chain)
        except TemplateError as error:
            fallback = self.source.fallback
            if fallback is None or not _missing_template(error):
                raise
        # The copy lacks a template the render includes by a name we did not see.
        self.source = fallback
        self._first, self._compiled = None, CompiledCache()  # another template
        return self._render(chain)

    def _render(self, chain: Sequence[MiddlewareEntry]) -> str:
        self._renders += 1
        destination = self.scratch / f"project-{self._renders}"
        options = RenderOptions(
            trust=self.trust,
            vcs_ref=self.source.vcs_ref,
            exclude=only_path(self.relative),
            sources=self.source.sources,
            compiled=self._compiled,
            # Re-rendering one file must not run the template's tasks again.
            skip_tasks=True,
            template_of=self._first,
        )
        data = regeneration_data(self.answers, chain)
        session = self._kept.enter_context(
            open_render(self.source.template, destination, data=data, options=options)
        )
        self._first = self._first or session
        rendered = destination / self.relative
        if not rendered.is_file():
            raise TemplateError(
                f"The project's template does not render {self.relative}: it does not follow "
                "thibaud-admin's template contract."
            )
        return read_utf8(rendered, f"The project's template renders {self.relative}")


def _missing_template(error: TemplateError) -> bool:
    import jinja2

    return isinstance(error.__cause__, jinja2.TemplateNotFound)


@contextmanager
def asgi_renderer(
    answers: Answers, *, trust: bool = False, relative: str | None = None
) -> Iterator[EntryPointRenderer]:
    """An :class:`EntryPointRenderer` for the project of *answers* (of its file
    *relative*, when given), and its scratch directory, removed on exit."""
    with scratch_directory("render") as scratch, contextlib.ExitStack() as kept:
        yield EntryPointRenderer(answers, scratch, trust=trust, kept=kept, relative=relative)


def render_asgi(answers: Answers, chain: Sequence[MiddlewareEntry], *, trust: bool = False) -> str:
    """``asgi.py`` as the project's template renders it for *chain*."""
    with asgi_renderer(answers, trust=trust) as renderer:
        return renderer.render(chain)


def read_utf8(path: Path, what: str) -> str:
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as error:
        raise EntryPointError(
            f"{what} is not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start}): nothing was written. Save it as UTF-8, then run the command again."
        ) from error
