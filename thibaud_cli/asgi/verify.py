"""Checking that middleware exist, in a subprocess of the project's interpreter.

The CLI itself executes nothing from the project: the import happens in a child
process, with the project directory on ``sys.path`` and its settings module set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from thibaud_cli.asgi.spec import ObjectPath
from thibaud_cli.errors import MiddlewareNotFoundError, MiddlewareSpecError
from thibaud_cli.fs.scratch import scratch_directory

_CHECK_SCRIPT = r"""
import importlib, importlib.util, inspect, json, os, sys
project_dir, settings_module, targets = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
results_path, option_names, application_module = sys.argv[4], json.loads(sys.argv[5]), sys.argv[6]


def contract(middleware):
    # The options must bind to its signature: a misspelt one fails the server at start.
    try:
        signature = inspect.signature(middleware)
    except (TypeError, ValueError):
        return {"problem": None, "detail": ""}  # a builtin or C type: nothing to read
    parameters = list(signature.parameters.values())
    if parameters and parameters[0].name == "get_response":
        return {"problem": None, "detail": "", "framework": True}
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = [p.name for p in parameters[1:] if p.kind in keyword]
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        unknown = [name for name in option_names if name not in accepted]
        if unknown:
            return {"problem": "option", "detail": unknown[0], "accepted": accepted}
    try:
        signature.bind(object(), **{name: None for name in option_names})
    except TypeError as error:
        return {"problem": "bind", "detail": str(error)}
    return {"problem": None, "detail": ""}


def distribution(module):
    # The installed distribution whose files include *module*'s: what the project must
    # depend on. None for the standard library and for the project's own code (an
    # editable install lists a path hook, not the files), wherever the venv is.
    from importlib import metadata

    where = getattr(module, "__file__", None)
    if not where:
        return None
    where = os.path.realpath(where)
    top = module.__name__.partition(".")[0]
    for name in metadata.packages_distributions().get(top, []):
        found = metadata.distribution(name)
        # A namespace package (google, zope...) spans several: the one with the file.
        if any(os.path.realpath(found.locate_file(file)) == where for file in found.files or ()):
            return {"name": found.metadata["Name"], "version": found.version}
    return None


sys.path.insert(0, project_dir)
os.environ.setdefault("THIBAUD_SETTINGS_MODULE", settings_module)
results = []
for module_name, attribute, middleware in targets:
    try:
        found = importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):
        found = False
    except BaseException as error:  # the parent package itself failed to import
        results.append({"problem": "import", "detail": f"{type(error).__name__}: {error}"})
        continue
    if not found:
        results.append({"problem": "module", "detail": ""})
        continue
    try:
        module = importlib.import_module(module_name)
    except BaseException as error:
        results.append({"problem": "import", "detail": f"{type(error).__name__}: {error}"})
        continue
    if not hasattr(module, attribute):
        results.append({"problem": "attribute", "detail": ""})
        continue
    found = getattr(module, attribute)
    # Only if the target imported it: the project's application is never imported for this.
    project_asgi = sys.modules.get(application_module)
    if middleware and found is getattr(project_asgi, "application", object()):
        results.append({"problem": "application", "detail": ""})
    elif middleware and not callable(found):
        results.append({"problem": "not-callable", "detail": type(found).__name__})
    elif middleware:
        results.append(contract(found))
    else:
        results.append({"problem": None, "detail": ""})
    results[-1]["distribution"] = distribution(module)
# A file, not stdout: whatever the imported modules print cannot garble the results.
with open(results_path, "w", encoding="utf-8") as handle:
    json.dump(results, handle)
"""


@dataclass(frozen=True)
class Distribution:
    """An installed distribution (as pip names it) that provides a checked object."""

    name: str
    version: str


@dataclass(frozen=True)
class Verified:
    """What the check found: the distributions that provide the targets, and whether
    the middleware is a framework one (it takes ``get_response``: it goes in the
    ``MIDDLEWARE`` setting) rather than an ASGI one (it takes the application)."""

    distributions: tuple[Distribution, ...] = ()
    framework: bool = False


def project_interpreter(*directories: Path) -> str:
    """The Python of the first of *directories* that has a virtual environment (``.venv``
    or ``venv``), else ours."""
    for directory in directories:
        for candidate in (
            directory / ".venv" / "bin" / "python",
            directory / "venv" / "bin" / "python",
        ):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return sys.executable


def verify_importable(
    project_dir: Path,
    settings_module: str,
    targets: Iterable[ObjectPath],
    *,
    middleware: ObjectPath | None = None,
    options: Collection[str] = (),
    application_module: str | None = None,
    venv_dir: Path | None = None,
) -> Verified:
    """Raise :class:`MiddlewareNotFoundError` naming the first target that is missing.

    *middleware* (one of *targets*) must also be callable (a class or a function
    taking the application or ``get_response``), not the project's own
    ``application`` (in *application_module*), and accept the *options* by name.

    Returns the distributions installed in the project's interpreter that provide
    the targets (neither the project's own code nor the standard library), once each,
    and whether *middleware* is a framework middleware. The interpreter is the one of
    the virtual environment in *project_dir*, else in *venv_dir*, else ours.
    """
    targets = list(targets)
    if not targets:
        return Verified()
    if application_module is None:
        application_module = settings_module.rpartition(".")[0] + ".asgi"
    # The project's venv is at its root, which may be above the directory Python
    # imports it from (a src/ layout, a template that renders into a subdirectory).
    interpreter = project_interpreter(project_dir, *([venv_dir] if venv_dir else []))
    results = _run_check(
        interpreter, project_dir, settings_module, targets, middleware, options, application_module
    )
    # What cannot be found first (the middleware, then its references), then what the
    # middleware is: a missing reference is the first thing to fix.
    found_first = sorted(
        zip(targets, results, strict=True),
        key=lambda pair: pair[1]["problem"] not in ("module", "import", "attribute"),
    )
    for target, result in found_first:
        _refuse_problem(target, result, interpreter)
    provided = (result.get("distribution") for result in results)
    distributions = tuple(
        dict.fromkeys(Distribution(found["name"], found["version"]) for found in provided if found)
    )
    framework = any(
        result.get("framework")
        for target, result in zip(targets, results, strict=True)
        if target == middleware
    )
    return Verified(distributions, framework)


def _run_check(
    interpreter: str,
    project_dir: Path,
    settings_module: str,
    targets: list[ObjectPath],
    middleware: ObjectPath | None,
    options: Collection[str],
    application_module: str,
) -> list[dict[str, Any]]:
    """What the check script found of each target, run in the project's *interpreter*."""
    with scratch_directory("verify") as scratch:
        results_path = scratch / "results.json"
        try:
            completed = subprocess.run(
                [
                    interpreter,
                    "-c",
                    _CHECK_SCRIPT,
                    str(project_dir.resolve()),
                    settings_module,
                    json.dumps([[t.module, t.attribute, t == middleware] for t in targets]),
                    str(results_path),
                    json.dumps(list(options)),
                    application_module,
                ],
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
                cwd=project_dir,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise MiddlewareNotFoundError(
                f"Could not check the middleware with {interpreter}: {error}. "
                "Pass --no-verify to skip the check."
            ) from error
        try:
            results = json.loads(results_path.read_text("utf-8"))
        except (OSError, ValueError):
            last_words = completed.stderr.strip().splitlines()
            raise MiddlewareNotFoundError(
                f"Could not check the middleware with {interpreter}: "
                f"{last_words[-1] if last_words else 'it exited without a result'}. "
                "Pass --no-verify to skip the check."
            ) from None
    return list(results)


def _refuse_problem(target: ObjectPath, result: dict[str, Any], interpreter: str) -> None:
    """Raise the one-line error for what the check found wrong with *target*, if anything."""
    problem = result["problem"]
    if problem == "module":
        top = target.module.split(".")[0]
        raise MiddlewareNotFoundError(
            f"Module '{target.module}' was not found by {interpreter}: install the "
            f"package that provides it (e.g. pip install {top.replace('_', '-')}), "
            "or check the spelling."
        )
    if problem == "import":
        raise MiddlewareNotFoundError(
            f"Module '{target.module}' failed to import: {result['detail']}."
        )
    if problem == "application":
        raise MiddlewareSpecError(
            f"{target} is the project's own ASGI application, not a middleware: "
            "it cannot wrap itself."
        )
    if problem == "not-callable":
        raise MiddlewareSpecError(
            f"{target} is a {result['detail']}, not a middleware: give a class or a "
            "function that takes the application (e.g. pkg.module.Middleware)."
        )
    if problem == "option":
        accepted = get_close_matches(result["detail"], result["accepted"], n=99, cutoff=0)
        takes = ", ".join(accepted) if accepted else "no options"
        raise MiddlewareSpecError(
            f"--option {result['detail']}: {target} has no such option (it takes: "
            f"{takes}). Nothing was written."
        )
    if problem == "bind":
        raise MiddlewareSpecError(
            f"{target} cannot be called with these options: {result['detail']}. "
            "Nothing was written."
        )
    if problem == "attribute":
        raise MiddlewareNotFoundError(
            f"Module '{target.module}' has no attribute '{target.attribute}': check the "
            "name (it is case-sensitive) or the installed version of its package."
        )
