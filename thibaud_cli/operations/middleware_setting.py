"""``add-middleware``, ``remove-middleware``, ``list-middleware``: the ``MIDDLEWARE`` setting.

The setting is edited where its literal is written (``project.middleware_setting``),
comments kept, in one transaction under the project's lock with the middleware's
distribution in ``pyproject.toml``. The default place follows the framework's
documented order (``project.middleware_order``); ``--before``/``--after`` name
another. An ASGI middleware (one that takes the application, not ``get_response``)
is refused with :class:`OtherKindOfMiddleware`, naming ``add-asgi-middleware``, and
the reverse for a middleware found in the ASGI chain rather than the setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from thibaud_cli.asgi.spec import ObjectPath, find_in_chain
from thibaud_cli.asgi.verify import Distribution, verify_importable
from thibaud_cli.errors import (
    MiddlewareChainError,
    MiddlewareSpecError,
    OtherKindOfMiddleware,
    ThibaudCliError,
)
from thibaud_cli.fs.journal import find_interrupted, refuse_interrupted
from thibaud_cli.fs.transaction import Transaction, change_project
from thibaud_cli.merge.text import unified_diff
from thibaud_cli.project.answers import Answers
from thibaud_cli.project.chain_record import ChainHome, find_home
from thibaud_cli.project.declared import PYPROJECT
from thibaud_cli.project.dependencies import DependencyChange, declare
from thibaud_cli.project.middleware_order import default_position
from thibaud_cli.project.middleware_setting import MiddlewareSetting, find_setting
from thibaud_cli.template.partial.entry_point import asgi_renderer
from thibaud_cli.template.secrets import mask_diff, secrets_shown


@dataclass(frozen=True)
class SettingChange:
    """The outcome of a change to the ``MIDDLEWARE`` setting."""

    relative_path: str
    before: str
    after: str
    #: The setting after the change.
    entries: tuple[str, ...]
    middleware: str
    written: bool
    recovery: str | None = None
    dependencies: tuple[DependencyChange, ...] = ()
    pyproject: tuple[str, str] | None = None
    #: The project's answers, when thibaud-admin generated it: its template tells where
    #: the settings module holds secrets.
    answers: Answers | None = None

    @property
    def diff(self) -> str:
        """The settings module's change (and pyproject.toml's), the project's secrets
        masked (:attr:`secret_values`)."""
        patch = unified_diff(self.before, self.after, self.relative_path)
        if self.pyproject is not None:
            patch += unified_diff(*self.pyproject, PYPROJECT)
        return mask_diff(patch, self.secret_values)

    @cached_property
    def secret_values(self) -> frozenset[str]:
        """The secrets the diff may show, as ``update`` finds them (``secrets_shown``):
        the settings module rendered from the recorded answers, the key and the secret
        answers at their stand-ins, compared with the file on disk. Rendered only when
        the diff is shown. A template that cannot be rendered here (one that needs
        --trust, one out of reach) leaves the development keys alone masked."""
        if self.answers is None:
            return frozenset()
        try:
            with asgi_renderer(self.answers, relative=self.relative_path) as renderer:
                rendered = renderer.render(self.answers.asgi_middleware)
                stand_ins = renderer.secret_values
        except ThibaudCliError:
            return frozenset()
        return secrets_shown([(rendered, self.before)], stand_ins, stand_ins)


@dataclass(frozen=True)
class SettingListing:
    """The ``MIDDLEWARE`` setting as written, and the file it is written in."""

    relative_path: str
    line: int
    entries: tuple[str, ...]


def _home(project_dir: Path, asgi_module: str | None) -> ChainHome:
    """The project, found by its settings module (an ASGI module is not needed here)."""
    return find_home(project_dir, asgi_module=asgi_module, for_settings=True)


def _setting(home: ChainHome) -> MiddlewareSetting:
    root = home.modules.root_dir(home.project_dir)
    return find_setting(home.project_dir, root, home.settings_module)


def _dotted(spec: str) -> tuple[ObjectPath, str]:
    target = ObjectPath.parse(spec)
    return target, f"{target.module}.{target.attribute}"


def add_middleware(
    project_dir: Path,
    spec: str,
    *,
    before: str | None = None,
    after: str | None = None,
    dry_run: bool = False,
    verify: bool = True,
    declare_dependency: bool = True,
    asgi_module: str | None = None,
) -> SettingChange:
    """Put the framework middleware *spec* in ``MIDDLEWARE``: before *before*, after
    *after*, or where the framework's documented order puts it."""
    target, dotted = _dotted(spec)
    if before is not None and after is not None:
        raise MiddlewareSpecError("Give --before or --after, not both.")
    if dry_run:
        refuse_interrupted(project_dir)
        home = _home(project_dir, asgi_module)
        return _add(home, target, dotted, before, after, verify, declare_dependency, None)
    _check_home(project_dir, asgi_module)
    with change_project(
        project_dir, operation="add-middleware", repair=_repair(project_dir)
    ) as change:
        home = _home(project_dir, asgi_module)
        return _add(home, target, dotted, before, after, verify, declare_dependency, change)


def _add(
    home: ChainHome,
    target: ObjectPath,
    dotted: str,
    before: str | None,
    after: str | None,
    verify: bool,
    declare_dependency: bool,
    change: Transaction | None,
) -> SettingChange:
    setting = _setting(home)
    if dotted in setting.entries:
        raise MiddlewareChainError(
            f"{dotted} is already in MIDDLEWARE ({setting.relative}): nothing to add."
        )
    index = _position(setting, dotted, before, after)
    distributions: tuple[Distribution, ...] = ()
    if verify:
        verified = verify_importable(
            home.modules.root_dir(home.project_dir),
            home.settings_module,
            [target],
            middleware=target,
            venv_dir=home.project_dir,
            application_module=home.asgi_module if home.modules.asgi else None,
        )
        if not verified.framework:
            raise OtherKindOfMiddleware(
                f"{target} is an ASGI middleware (it takes the application, not "
                "get_response): it wraps application in the ASGI module, with "
                f"'thibaud-cli add-asgi-middleware {target}'.",
                command="add-asgi-middleware",
            )
        distributions = verified.distributions
    # The framework's own middleware add nothing: a project depends on the framework.
    wanted = [(found.name, found.version) for found in distributions if declare_dependency]
    dependencies, pyproject = declare(
        home.project_dir, [(name, version) for name, version in wanted if name.lower() != "thibaud"]
    )
    text = setting.added(dotted, index)
    if change is not None:
        change.write(setting.relative, text.encode("utf-8"))
        if pyproject is not None:
            change.write(PYPROJECT, pyproject[1].encode("utf-8"))
        change.commit()
    entries = (*setting.entries[:index], dotted, *setting.entries[index:])
    return SettingChange(
        relative_path=setting.relative,
        before=setting.source,
        after=text,
        entries=entries,
        middleware=dotted,
        written=change is not None,
        recovery=change.recovered if change is not None else None,
        dependencies=dependencies,
        pyproject=pyproject,
        answers=home.answers,
    )


def _position(
    setting: MiddlewareSetting, dotted: str, before: str | None, after: str | None
) -> int:
    for option, name in (("--before", before), ("--after", after)):
        if name is None:
            continue
        _, wanted = _dotted(name)
        if wanted not in setting.entries:
            listed = ", ".join(setting.entries) or "it is empty"
            raise MiddlewareSpecError(
                f"{option} {name}: not in MIDDLEWARE ({setting.relative}: {listed})."
            )
        index = setting.entries.index(wanted)
        return index if option == "--before" else index + 1
    return default_position(setting.entries, dotted)


def remove_middleware(
    project_dir: Path,
    spec: str,
    *,
    dry_run: bool = False,
    asgi_module: str | None = None,
) -> SettingChange:
    """Take *spec* out of ``MIDDLEWARE``."""
    target, dotted = _dotted(spec)
    if dry_run:
        refuse_interrupted(project_dir)
        return _remove(_home(project_dir, asgi_module), target, dotted, None)
    _check_home(project_dir, asgi_module)
    with change_project(
        project_dir, operation="remove-middleware", repair=_repair(project_dir)
    ) as change:
        return _remove(
            _home(project_dir, asgi_module),
            target,
            dotted,
            change,
        )


def _remove(
    home: ChainHome, target: ObjectPath, dotted: str, change: Transaction | None
) -> SettingChange:
    setting = _setting(home)
    if dotted not in setting.entries:
        if find_in_chain(home.chain, target):
            raise OtherKindOfMiddleware(
                f"{target} is not in MIDDLEWARE but in the ASGI chain: 'thibaud-cli "
                f"remove-asgi-middleware {target}' takes it out.",
                command="remove-asgi-middleware",
            )
        listed = ", ".join(setting.entries) or "it is empty"
        raise MiddlewareChainError(
            f"{dotted} is not in MIDDLEWARE ({setting.relative}: {listed}): nothing to remove."
        )
    text = setting.removed(dotted)
    if change is not None:
        change.write(setting.relative, text.encode("utf-8"))
        change.commit()
    entries = list(setting.entries)
    del entries[len(entries) - 1 - entries[::-1].index(dotted)]
    return SettingChange(
        relative_path=setting.relative,
        before=setting.source,
        after=text,
        entries=tuple(entries),
        middleware=dotted,
        written=change is not None,
        recovery=change.recovered if change is not None else None,
        answers=home.answers,
    )


def list_middleware(project_dir: Path, *, asgi_module: str | None = None) -> SettingListing:
    """``MIDDLEWARE`` as the settings write it, in order (the request goes down it)."""
    setting = _setting(_home(project_dir, asgi_module))
    return SettingListing(setting.relative, setting.line, setting.entries)


def _check_home(project_dir: Path, asgi_module: str | None) -> None:
    """Refuse a directory that is no project before the lock is taken (nothing written
    there), unless a killed command left a change that the lock's holder rolls back."""
    if find_interrupted(project_dir) is None:
        _home(project_dir, asgi_module)


def _repair(project_dir: Path) -> str:
    return (
        f"Run 'thibaud-cli regenerate-asgi --project-dir {project_dir}' (or any command "
        "that changes the project) to roll it back."
    )
