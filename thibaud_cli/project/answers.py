"""The answers file: what a project was generated from, so it can be regenerated.

It lives at the project root, is committed with the project, and records the
template source and versions and every non-secret answer, including the ordered
ASGI middleware chain. SECRET_KEY is never written to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from thibaud_cli.asgi.spec import MiddlewareEntry
from thibaud_cli.errors import AnswersFileError, InvalidDataError, ProjectNotFoundError
from thibaud_cli.project.contract import EntryPoints

ANSWERS_FILENAME = ".thibaud-answers.yml"

_HEADER = """\
# Written by thibaud-admin when it generated this project; commit it.
# add-asgi-middleware, remove-asgi-middleware and regenerate-asgi render files
# again from these answers. Change it with those commands, not by hand.
"""

# Keys of the file that are thibaud-admin's own, not the template's answers.
_META_KEYS = (
    "_template",
    "_template_version",
    "_template_commit",
    "_thibaud_cli_version",
    "_thibaud_version",
    # Written by thibaud-admin 0.1 while a middleware change was under way; a
    # change is now one transaction (fs.transaction), and the key is dropped.
    "_pending_asgi_middleware",
    "_name_question",
    "_project_name",
    "_entry_points",
)
#: The question the project's name answers unless the template names another.
DEFAULT_NAME_QUESTION = "project_name"


@dataclass(frozen=True)
class Answers:
    """The contents of a project's answers file."""

    template: str
    project_name: str
    template_version: str | None = None
    template_commit: str | None = None
    thibaud_cli_version: str | None = None
    thibaud_version: str | None = None
    #: The template's own answers (questions it declares), ``project_name`` aside.
    template_answers: Mapping[str, Any] = field(default_factory=dict)
    asgi_middleware: tuple[MiddlewareEntry, ...] = ()
    #: The question *project_name* answers (declared by the template, or found in its
    #: file names); None when no question names the package: the name is recorded
    #: as ``_project_name`` and answers nothing.
    name_question: str | None = DEFAULT_NAME_QUESTION
    #: Where the project keeps its settings, ASGI and WSGI modules, as found when it
    #: was generated; None for projects of the first contract (all in *project_name*).
    entry_points: EntryPoints | None = None

    @property
    def modules(self) -> EntryPoints:
        """The project's entry points: the recorded ones, else the first contract's."""
        legacy = EntryPoints.legacy(self.project_name)
        recorded = self.entry_points or legacy
        return EntryPoints(
            settings=recorded.settings or legacy.settings,
            asgi=recorded.asgi,
            wsgi=recorded.wsgi,
            root=recorded.root,
        )

    def with_chain(self, chain: tuple[MiddlewareEntry, ...]) -> Answers:
        return replace(self, asgi_middleware=chain)

    def to_yaml(self) -> str:
        from thibaud_cli.formats.yaml import dump

        document: dict[str, Any] = {"_template": self.template}
        optional = {
            "_template_version": self.template_version,
            "_template_commit": self.template_commit,
            "_thibaud_cli_version": self.thibaud_cli_version,
            "_thibaud_version": self.thibaud_version,
        }
        document.update({key: value for key, value in optional.items() if value is not None})
        if self.name_question != DEFAULT_NAME_QUESTION:
            document["_name_question"] = self.name_question
        if self.entry_points is not None:
            document["_entry_points"] = self.entry_points.to_data()
        document[self.name_question or "_project_name"] = self.project_name
        document["asgi_middleware"] = [entry.to_data() for entry in self.asgi_middleware]
        document.update(
            (key, value)
            for key, value in sorted(self.template_answers.items())
            if key not in document
        )
        body = dump(document)
        return _HEADER + body

    @classmethod
    def from_yaml(cls, text: str, *, source: Path) -> Answers:
        from thibaud_cli.formats.yaml import YamlError, load

        try:
            # No aliases: an answers file never needs them (and they make YAML bombs).
            document = load(text, aliases=False)
        except YamlError as error:
            where = f"{source}:{error.line}" if error.line is not None else str(source)
            problem = error.problem or "not valid YAML"
            raise AnswersFileError(
                f"{where}: the answers file is not valid YAML ({problem}). Restore it from "
                "version control (git checkout -- " + source.name + ")."
            ) from error
        if not isinstance(document, dict):
            raise AnswersFileError(
                f"{source}: the answers file must be a YAML mapping. Restore it from "
                "version control."
            )
        template = document.get("_template")
        question = document.get("_name_question", DEFAULT_NAME_QUESTION)
        if question is not None and (not isinstance(question, str) or not question.isidentifier()):
            raise AnswersFileError(f"{source}: '_name_question' must be a question name.")
        name_key = question or "_project_name"
        project_name = document.get(name_key)
        if not isinstance(template, str) or not template:
            raise AnswersFileError(f"{source}: '_template' is missing or not a string.")
        if not isinstance(project_name, str) or not project_name.isidentifier():
            raise AnswersFileError(f"{source}: '{name_key}' is missing or not a Python identifier.")
        entry_points = document.get("_entry_points")
        if entry_points is not None and not isinstance(entry_points, dict):
            raise AnswersFileError(f"{source}: '_entry_points' must be a mapping.")
        internal = sorted(
            str(key) for key in document if str(key).startswith("_") and key not in _META_KEYS
        )
        if internal:
            # copier's own variables (_copier_conf, _folder_name...) are not answers.
            raise InvalidDataError(
                f"{source}: '{internal[0]}' is not an answer: names starting with '_' are "
                "copier's own variables and settings. Remove it from the answers file."
            )
        chain = _parse_chain(document.get("asgi_middleware", []), source, "asgi_middleware")
        return cls(
            template=template,
            project_name=project_name,
            template_version=_recorded_version(document, source),
            template_commit=_recorded_commit(document, source),
            thibaud_cli_version=_optional_str(document, "_thibaud_cli_version", source),
            thibaud_version=_optional_str(document, "_thibaud_version", source),
            template_answers={
                str(key): value
                for key, value in document.items()
                if key not in _META_KEYS and key not in {question, "asgi_middleware"}
            },
            asgi_middleware=chain,
            name_question=question,
            entry_points=EntryPoints.from_data(entry_points) if entry_points else None,
        )


def _optional_str(document: Mapping[str, Any], key: str, source: Path) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise AnswersFileError(f"{source}: '{key}' must be a string.")
    return str(value)


#: What a ``_template_commit`` may be: what copier records (``git describe --tags
#: --always``: a tag, ``TAG-N-gHASH``, a hash, ``-dirty`` appended), a name git accepts
#: as a revision. Not an option (a leading ``-``), no space, control character or the
#: characters git refuses in a ref name.
_COMMIT = re.compile(r"[^\s\x00-\x1f\x7f~^:?*\[\\-][^\s\x00-\x1f\x7f~^:?*\[\\]*")


def _restore(source: Path) -> str:
    return f"Restore it from version control (git checkout -- {source.name})."


def _scalar(value: Any, key: str, source: Path) -> str | None:
    """A recorded string, or the integer YAML made of one left unquoted (``3``).

    A float is refused: it is not what was written (YAML reads ``3.10`` as 3.1), and a
    version read wrong would name another version, or none."""
    if isinstance(value, float):
        raise AnswersFileError(
            f"{source}: '{key}' is the number {value!r}, not a version as written: YAML "
            f"reads one left unquoted as a number (3.10 as 3.1); quote it, as thibaud-admin "
            f"writes it ('{key}: \"3.10\"'). {_restore(source)}"
        )
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def _recorded_version(document: Mapping[str, Any], source: Path) -> str | None:
    """``_template_version``: a version, as copier records it (PEP 440: ``3``, ``1.2.0``).

    Anything else is refused here, once for every command: a version that is not one
    must never read as "up to date", nor name a directory to render. Which versions the
    bundled template has is decided where its versions are
    (:meth:`~thibaud_cli.template.bundled.BundledTemplates.recorded`)."""
    from packaging.version import InvalidVersion, Version

    value = document.get("_template_version")
    if value is None:
        return None
    text = _scalar(value, "_template_version", source)
    valid = text is not None and text == text.strip()
    if valid:
        try:
            Version(str(text))
        except InvalidVersion:
            valid = False
    if not valid or text is None:
        raise AnswersFileError(
            f"{source}: '_template_version' is {_shown(value)}, not a template version "
            f"(e.g. '3' or '1.2.0'). {_restore(source)}"
        )
    return text


def _recorded_commit(document: Mapping[str, Any], source: Path) -> str | None:
    """``_template_commit``: the tag or commit copier checked out, as git describes it."""
    value = document.get("_template_commit")
    if value is None:
        return None
    text = _scalar(value, "_template_commit", source)
    if text is None or not _COMMIT.fullmatch(text) or ".." in text or "@{" in text:
        raise AnswersFileError(
            f"{source}: '_template_commit' is {_shown(value)}, not a git tag or commit "
            f"(e.g. '1.2.0' or '1.2.0-3-g1a2b3c4'). {_restore(source)}"
        )
    return text


def _shown(value: Any) -> str:
    """A recorded value for a one-line message: its type when not a string, cut short."""
    if not isinstance(value, str):
        return f"a {type(value).__name__}" if isinstance(value, list | dict) else repr(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _parse_chain(value: Any, source: Path, key: str) -> tuple[MiddlewareEntry, ...]:
    from thibaud_cli.errors import MiddlewareSpecError

    if not isinstance(value, list):
        raise AnswersFileError(f"{source}: '{key}' must be a list of middleware.")
    chain = []
    for index, item in enumerate(value):
        try:
            chain.append(MiddlewareEntry.from_data(item))
        except MiddlewareSpecError as error:
            raise AnswersFileError(f"{source}: {key}[{index}]: {error}") from error
    return tuple(chain)


def answers_path(project_dir: Path) -> Path:
    return project_dir / ANSWERS_FILENAME


def load_answers(project_dir: Path) -> Answers:
    """Read the answers file of the project in *project_dir*."""
    path = answers_path(project_dir)
    if not project_dir.is_dir():
        raise ProjectNotFoundError(f"'{project_dir}' is not a directory.")
    if not path.is_file():
        raise ProjectNotFoundError(
            f"'{project_dir}' is not a project generated by thibaud-admin: it has no "
            f"{ANSWERS_FILENAME}. Run the command in the project's root directory, or "
            "pass --project-dir."
        )
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AnswersFileError(f"{path}: cannot be read: {error}") from error
    return Answers.from_yaml(text, source=path)
