"""What goes wrong in a render, told in one line: copier's, jinja2's and git's errors,
and the template's own, as :class:`~thibaud_cli.errors.TemplateError` and its kin.

One context manager, :func:`translated_errors`, around a render; the template file and
line are given relative to the template's root, which is known only once copier has
the template (a clone's root is a temporary directory): the render sets
:attr:`RenderSite.root` as soon as it is.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.errors import (
    QuestionsInterrupted,
    TemplateError,
    TemplateSourceError,
    ThibaudCliError,
    UnsafeTemplateError,
)
from thibaud_cli.template.messages import (
    git_reason,
    one_line,
    template_location,
    undefined_location,
    where,
)
from thibaud_cli.template.sandbox.limits import RenderTimeout, timeout_error
from thibaud_cli.template.sandbox.memory import memory_error


@dataclass
class RenderSite:
    """Where error locations are relative to: the template's root."""

    root: str


@contextmanager
def translated_errors(site: RenderSite) -> Iterator[None]:
    """Turn what a render raises into one-line errors; a bug of ours is re-raised."""
    import jinja2
    from copier.errors import CopierAnswersInterrupt, CopierError, InteractiveSessionError
    from copier.errors import TaskError as CopierTaskError
    from copier.errors import UnsafeTemplateError as CopierUnsafeTemplateError
    from plumbum.commands.processes import ProcessExecutionError

    try:
        yield
    except CopierAnswersInterrupt as error:  # Ctrl-C at a question
        raise QuestionsInterrupted(
            f"Stopped at the question '{error.last_question.var_name}': nothing was written."
        ) from error
    except InteractiveSessionError as error:  # end of input (Ctrl-D) at a question
        raise QuestionsInterrupted(
            "The questions were left unanswered (end of input): nothing was written. "
            "Answer them with --data KEY=VALUE, or pass --defaults."
        ) from error
    except RenderTimeout:
        # Raised where the render ran out of time, past render_deadline's own handler.
        raise timeout_error() from None
    except CopierUnsafeTemplateError as error:
        features = str(error).split(":", 1)[-1].split(".", 1)[0].strip()
        raise UnsafeTemplateError(
            f"The template uses {features}, which can run code on this machine: "
            "nothing was written. If you trust the template, pass --trust."
        ) from error
    except jinja2.TemplateSyntaxError as error:
        file, line = template_location(error.filename, error.lineno, site.root)
        raise TemplateError(
            f"{where(file, line)}: Jinja syntax error: {error.message}",
            template_file=file,
            line=line,
        ) from error
    except jinja2.UndefinedError as error:
        file, line = undefined_location(error, site.root)
        raise TemplateError(
            f"{where(file, line)}: {error.message}", template_file=file, line=line
        ) from error
    except CopierTaskError as error:
        raise TemplateError(
            f"A task of the template failed: {one_line(error)}; what it printed is above "
            "(or in the report). Pass --skip-tasks to render without tasks."
        ) from error
    except (jinja2.TemplateError, CopierError, ValueError) as error:
        raise _render_failed(error, site) from error
    except MemoryError as error:
        raise memory_error() from error
    except (OverflowError, RecursionError) as error:
        # The sandbox's range() limit, or a computation too big for memory.
        raise TemplateError(
            f"The template computes something too large ({type(error).__name__}: "
            f"{one_line(error)}): refused, nothing was written."
        ) from error
    except ProcessExecutionError as error:
        reason = git_reason(error)
        # A remote template's clone is checked out at the version by git itself.
        unknown = re.fullmatch(r"fatal: invalid reference: (.+)", reason)
        if unknown is not None:
            raise unknown_revision(site.root, unknown.group(1)) from error
        raise TemplateError(
            f"git could not fetch the template: {reason}. Check the URL and "
            "your network, or give a local directory."
        ) from error
    except ThibaudCliError:
        raise
    except (ArithmeticError, LookupError, TypeError, AttributeError) as error:
        raise _template_code_failed(error, site) from error
    except Exception as error:
        # The template's own Python code (a Jinja extension loaded from the template)
        # raised: the template's failure. Anything else is a bug of ours: re-raised.
        raise _own_code_failed(error, site) from error


def _render_failed(error: Exception, site: RenderSite) -> TemplateError:
    # copier raises plain ValueError for e.g. a required question without default.
    unknown = re.fullmatch(r"Unknown revision: '(.*)'", str(error))
    if unknown is not None:
        return unknown_revision(site.root, unknown.group(1))
    hint = ""
    required = re.search(r'Question "(\w+)" is required', str(error))
    if required:
        hint = f": it has no default, answer it with --data {required.group(1)}=VALUE"
    return TemplateError(f"The template failed to render: {one_line(error)}{hint}")


def unknown_revision(template: str, ref: str) -> TemplateSourceError:
    """The usage error for a version (``--vcs-ref``, ``update --to``) the git *template*
    does not have, with the tags it has: *template* is where copier was to check it out
    (read before its clone: copier refuses the version before there is one)."""
    from thibaud_cli.vcs.remote import remote_tags

    try:
        tags = sorted(remote_tags(template))
    except TemplateError:
        tags = []  # git could not list them: the refusal stands without the list
    if not tags:
        known = "it has no tags: give a branch or a commit"
    else:
        shown = ", ".join(tags[-10:])
        known = f"its tags: {'..., ' if len(tags) > 10 else ''}{shown}"
    return TemplateSourceError(
        f"The template '{template}' has no tag, branch or commit '{ref}' ({known})."
    )


def _template_code_failed(error: Exception, site: RenderSite) -> TemplateError:
    """'{0}{1}'.format(1), 1/0, {}['x']|attr... in the template's own code: its failure,
    told in one line. The same exceptions from anywhere else are bugs: re-raised."""
    file, line = undefined_location(error, site.root)
    if file is None and not _raised_in_template_string(error):
        return _own_code_failed(error, site)
    return TemplateError(
        f"{where(file, line)}: {type(error).__name__}: {one_line(error)}: the template "
        "failed to render, nothing was written.",
        template_file=file,
        line=line,
    )


def _raised_in_template_string(error: BaseException) -> bool:
    """Whether *error* was raised by template code compiled from a string (a path)."""
    return any(
        frame.f_code.co_filename == "<template>"
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )


def _own_code_failed(error: Exception, site: RenderSite) -> TemplateError:
    """*error* as the template's if its own Python code raised it; else re-raised."""
    own = own_code_location(error, site.root)
    if own is None:
        raise error
    file, line = own
    return TemplateError(
        f"{where(file, line)}: the template's own code raised {type(error).__name__}: "
        f"{one_line(error)}. It is the template's error: nothing was written.",
        template_file=file,
        line=line,
    )


def own_code_location(error: BaseException, template_root: str) -> tuple[str, int] | None:
    """The innermost frame of *error* in a Python file of the template, if any."""
    root = Path(template_root).resolve()
    location = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        filename = frame.f_code.co_filename
        if not filename.endswith(".py"):
            continue
        path = Path(filename).resolve()
        if path.is_relative_to(root):
            location = (path.relative_to(root).as_posix(), lineno)
    return location
