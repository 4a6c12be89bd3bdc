"""The copier Worker thibaud-admin renders with: copier's, adjusted.

- It never prompts unless asked to (:func:`interactive_worker` asks its questions
  before the render deadline starts), and an answer that does not fit its question
  is a usage error naming it.
- It skips work that cannot change a render into a new directory (git index
  executable bits, probing a plain directory for a repository), compiles literal
  path parts never and other strings once, renders the answers file's name once,
  walks no clone's ``.git``, and renders only *sources* when given.
- Every file, directory and symlink it writes is charged to the render's budget.
- Rendered in a staging directory, it shows the template the project's final
  directory (``_copier_conf.dst_path``, ``_folder_name``), as copier would.

Our callers always render into a new, empty directory, where copier spent its time on:

- 13 git subprocesses: after writing each file ``git config core.fileMode`` (and
  maybe ``git ls-files``) to fix the executable bit of files already tracked by git
  in the destination (in a new directory none is), and, to tell whether a local
  template is a git repository, ``git rev-parse`` then ``git init`` + ``git bundle
  verify`` (a directory without ``.git`` is neither);
- about 9 Jinja compiles per template file: every part of every path is compiled and
  rendered, literal or not, and the answers file's name again for each part. Literal
  parts are returned as they are, other strings compiled once, and the answers
  file's name rendered once per render;
- walking and rendering every path of a git template's ``.git`` before excluding it.

Like every module of the engine, it may import copier; the private names it uses are
listed in :mod:`~thibaud_cli.template.engine.copier_private`.
"""

from __future__ import annotations

import re
from functools import cache, cached_property
from pathlib import Path, PurePath
from typing import Any

from thibaud_cli.errors import InvalidDataError, MissingAnswerError, RefusedAnswerError
from thibaud_cli.template.engine.copier_private import require_copier_surface
from thibaud_cli.template.engine.origins import Origin
from thibaud_cli.template.engine.walk import (
    SKIPPED_DIRECTORY,
    is_git_checkout,
    walking_as_copier_without_skipped,
)
from thibaud_cli.template.messages import is_literal, one_line
from thibaud_cli.template.sandbox.limits import RenderBudget
from thibaud_cli.template.syntax import COPIER_FALSE, COPIER_TRUE


@cache
def _copier_worker_without_waste() -> type[Any]:
    """copier's Worker, minus work that cannot change what we render into a new directory
    (see the module's docstring for what copier spent its time on)."""
    from copier._main import Worker

    require_copier_surface()

    class WorkerWithoutWaste(Worker):
        _answers_relpath_cache: Path | None = None
        _rendering_tree = False
        #: Another open render's template (its clone, its parsed copier.yml), rendered
        #: from again rather than fetched and read a second time; its worker cleans it up.
        shared_template: Any = None

        def _sync_git_index_executable_bit(self, dst_relpath: Path, src_mode: int) -> None:
            return None

        @cached_property
        def template(self) -> Any:
            if self.shared_template is not None:
                return self.shared_template
            template = super().template
            local = Path(str(template.url)).expanduser()
            if local.is_dir() and not is_git_checkout(local):
                # Template.vcs is a cached_property: filling its cache skips the probe.
                template.__dict__["vcs"] = None
            return template

        @property
        def answers_relpath(self) -> Path:
            if not self._rendering_tree:
                return Path(super().answers_relpath)
            if self._answers_relpath_cache is None:
                self._answers_relpath_cache = Path(super().answers_relpath)
            else:
                # copier relies on the compile this replaces to forget a path's yield tag.
                _forget_yield(self.jinja_env)
            return self._answers_relpath_cache

        def _render_string(self, string: str, extra_context: Any = None) -> str:
            if type(string) is not str:  # copier relies on the TypeError this raises
                return str(super()._render_string(string, extra_context=extra_context))
            compiled = self._compiled.get(string)
            if compiled is None and not is_literal(
                string, self.jinja_env, self.template.templates_suffix
            ):
                compiled = self._compiled[string] = self.jinja_env.from_string(string)
            else:
                _forget_yield(self.jinja_env)
            if compiled is None:
                return string
            return str(compiled.render(**self._render_context(), **(extra_context or {})))

        @cached_property
        def _compiled(self) -> dict[str, Any]:
            # The same path part (``{{ project_name }}``) recurs in every path under it.
            return {}

        def _render_template(self) -> None:
            skipped = self.template_copy_root / ".git" if self._skips_git_directory else None
            token = SKIPPED_DIRECTORY.set(str(skipped) if skipped else None)
            # The answers are final once the tree renders: its file name cannot change.
            self._rendering_tree = True
            try:
                with walking_as_copier_without_skipped():
                    super()._render_template()
            finally:
                SKIPPED_DIRECTORY.reset(token)
                self._rendering_tree = False
                self._answers_relpath_cache = None

        @cached_property
        def _skips_git_directory(self) -> bool:
            # Excluded by name (copier's default), and no pattern lets part of it back.
            exclusions = [str(pattern).strip() for pattern in self.all_exclusions]
            return ".git" in exclusions and not any(
                pattern.startswith("!") and ".git" in pattern for pattern in exclusions
            )

    return WorkerWithoutWaste


class _ShownDestination:
    """A render in a staging directory shows the template the project's final directory
    (``_copier_conf.dst_path``, ``_folder_name``), as copier rendering there would."""

    #: Where the project will be once published, if not where it renders.
    shown_destination: Path | None = None

    def _render_context(self) -> Any:
        context = super()._render_context()  # type: ignore[misc]
        if self.shown_destination is not None:
            context["_folder_name"] = Path(self.shown_destination).absolute().name
            context["_copier_conf"]["dst_path"] = PurePath(self.shown_destination)
        return context


def refuse_unreadable_booleans(questions: dict[str, Any], given: dict[str, Any]) -> None:
    """Raise :class:`InvalidDataError` for a given answer to a ``bool`` question that
    copier could read only by Python's truth of a string (``nope`` is true to it)."""
    for name, question in questions.items():
        value = given.get(name)
        if not isinstance(question, dict) or question.get("type") != "bool":
            continue
        if not isinstance(value, str):
            continue
        text = value.strip().lower()
        if not text or text in COPIER_TRUE or text in COPIER_FALSE:
            continue
        try:
            float(text)
        except ValueError:
            raise InvalidDataError(
                f"--data {name}={value}: '{name}' is a yes/no question; give true or false "
                "(also yes/no, y/n, on/off, 1/0). Nothing was written."
            ) from None


@cache
def fresh_destination_worker() -> type[Any]:
    """The Worker we render with: :func:`_copier_worker_without_waste`, never prompting
    (an answer that does not fit its question is a usage error), every file, directory and
    symlink written charged to the render's budget, only ``sources`` (and their directories)
    rendered when given. A copier whose methods were renamed is refused
    (:mod:`.copier_private`): an override no longer called would leave files uncharged."""
    from copier.errors import CopierError, InvalidTypeError

    class FreshDestinationWorker(_ShownDestination, _copier_worker_without_waste()):  # type: ignore[misc]
        budget: RenderBudget  # set by render_template before anything renders
        sources: frozenset[str] | None = None
        #: Where each rendered Python file came from, when the caller asks.
        origins: dict[str, Origin] | None = None

        def _ask(self) -> None:
            # Answers are never prompted for: one that does not fit its question (a choice
            # not offered, a failed validator, a value of the wrong type) was given on the
            # command line or in the answers file, and a required question without a
            # default needs one there: usage errors. A default that fails is the template's.
            refuse_unreadable_booleans(self.template.questions_data, self.data)
            try:
                super()._ask()
            except (ValueError, InvalidTypeError) as error:
                if isinstance(error, CopierError) and not isinstance(error, InvalidTypeError):
                    raise
                question = self._failed_question(str(error))
                message = one_line(error).removesuffix(" Nothing was written.").rstrip(".")
                if question is None:
                    raise
                if question not in self.answers.init:
                    raise _missing_answers(question, _missing_after(self, question)) from error
                raise _refused_answer(question, message) from error

        def _failed_question(self, message: str) -> str | None:
            """The question whose answer copier refused: named in *message* (in quotes),
            else the first given answer it had not taken yet (it asks in order)."""
            questions = [str(name) for name in self.template.questions_data]
            named = re.search(r"['\"]([A-Za-z_]\w*)['\"]", message)
            if named is not None and named.group(1) in questions:
                name = named.group(1)
                if name in self.answers.init or "required" in message:
                    return name
                return None  # its default failed: the template's error
            pending = [
                name
                for name in questions
                if name in self.answers.init and name not in self.answers.user
            ]
            return pending[0] if pending else None

        def _render_path(self, relpath: Path) -> Any:
            if self.sources is not None:
                name = relpath.as_posix()
                if name not in self.sources and name not in self._source_directories:
                    return iter(())
            return super()._render_path(relpath)

        @cached_property
        def _source_directories(self) -> frozenset[str]:
            sources = self.sources or frozenset()
            return frozenset(parent.as_posix() for name in sources for parent in Path(name).parents)

        def _render_file(
            self, src_relpath: Path, dst_relpath: Path, extra_context: Any = None
        ) -> None:
            self.budget.charge_entry()
            super()._render_file(src_relpath, dst_relpath, extra_context=extra_context)
            if self.origins is not None and dst_relpath.suffix == ".py":
                self.origins[dst_relpath.as_posix()] = _origin(self, src_relpath)

        def _render_folder(self, dst_relpath: Path) -> None:
            self.budget.charge_entry()
            super()._render_folder(dst_relpath)

        def _render_symlink(self, src_relpath: Path, dst_relpath: Path) -> None:
            self.budget.charge_entry()
            super()._render_symlink(src_relpath, dst_relpath)

    return FreshDestinationWorker


def _origin(worker: Any, src_relpath: Path) -> Origin:
    """The template file *src_relpath* (relative to the template's root), read now: the
    template may be a clone that is gone once the render ends."""
    path = Path(worker.template.local_abspath) / src_relpath
    return Origin(
        src_relpath.as_posix(),
        src_relpath.name.endswith(worker.template.templates_suffix),
        path.read_text("utf-8", errors="replace"),
    )


def _refusal(message: str) -> str | None:
    """What the template's own validator said, when *message* is copier's refusal of an
    answer by one (a question's ``validator``, or a choice's, which disables it)."""
    validator = re.match(r"Validation error for question '[^']*': (.+)", message)
    if validator is not None:
        return validator.group(1)
    choice = re.match(r"Invalid choice for '[^']*': (.+)", message)
    if choice is not None and not re.match(r".* is not in \[", choice.group(1)):
        return choice.group(1)
    return None


def _refused_answer(question: str, message: str) -> InvalidDataError:
    """The usage error for a given answer copier refused (*message*: why)."""
    refused = _refusal(message)
    if not re.search(rf"\b{re.escape(question)}\b", message):
        message = f"--data {question}: {message}"
    if refused is not None:
        return RefusedAnswerError(
            f"{message}: nothing was written.", question=question, reason=refused
        )
    return InvalidDataError(f"{message}: nothing was written.")


def _missing_answers(first: str, others: list[str]) -> MissingAnswerError:
    """One error for every question without a default left unanswered, *first* first."""
    names = [first, *others]
    give = " ".join(f"--data {name}=VALUE" for name in names)
    if len(names) == 1:
        what = f'Question "{first}" is required'
    else:
        what = f"Questions {', '.join(names)} are required (no default)"
    return MissingAnswerError(
        f"{what}: give {'it' if len(names) == 1 else 'them'} with {give}. Nothing was written.",
        question=first,
        questions=tuple(names),
    )


def _missing_after(worker: Any, first: str) -> list[str]:
    """The questions after *first* that copier would also find unanswered and without a
    default, asked in copier's order with the answers known so far (a question whose
    condition or default cannot be told without *first*'s answer is left out)."""
    from copier._types import MISSING
    from copier._user_data import Question

    names = [str(name) for name in worker.template.questions_data]
    missing: list[str] = []
    for name in names[names.index(first) + 1 :]:
        try:
            question = Question(
                answers=worker.answers,
                context=worker._render_context(),
                jinja_env=worker.jinja_env,
                settings=worker.settings,
                var_name=name,
                **worker.template.questions_data[name],
            )
            if name in worker.answers.init:
                worker.answers.user[name] = question.parse_answer(worker.answers.init[name])
                continue
            default = question.get_default()
            if default is not MISSING:
                worker.answers.user[name] = default
            elif question.get_when() and question.get_ask():
                missing.append(name)
        except Exception:  # noqa: BLE001, S112 - depends on what is missing: not told here
            continue
    return missing


@cache
def interactive_worker() -> type[Any]:
    """The Worker of :func:`_fresh_destination_worker`, asking its questions first.

    copier asks inside ``run_copy()``, which runs under the render deadline; a person
    thinking over a question is not a template computing, so ``ask_questions()`` asks
    them before the deadline starts (after copier's check for unsafe features, as
    ``run_copy()`` does), and ``run_copy()`` then keeps those answers.
    """

    class InteractiveWorker(fresh_destination_worker()):  # type: ignore[misc]
        def ask_questions(self) -> None:
            self._check_unsafe("copy")
            self._ask()
            self.__dict__["_asked"] = True

        def _ask(self) -> None:
            if not self.__dict__.get("_asked"):
                super()._ask()

    return InteractiveWorker


def _forget_yield(jinja_env: Any) -> None:
    """What compiling any string does to copier's yield state: reset it."""
    from copier._jinja_ext import get_yield_context

    context = get_yield_context(jinja_env)
    context.yield_name = None
    context.yield_iterable = None
