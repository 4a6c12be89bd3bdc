"""thibaud-cli: project scaffolding and ASGI deployment for the Thibaud web framework.

The command line is ``thibaud-admin``; this package is its library. The public
surface is what ``__all__`` lists.
"""

from .checks import CheckResult, ValidationReport, VariantResult
from .entrypoint import (
    EntryPointChange,
    add_asgi_middleware,
    list_asgi_middleware,
    regenerate_asgi,
    remove_asgi_middleware,
)
from .errors import ThibaudCliError, UsageError
from .project import StartedProject, start_project
from .validation import validate_template

__all__ = [
    "CheckResult",
    "EntryPointChange",
    "StartedProject",
    "ThibaudCliError",
    "UsageError",
    "ValidationReport",
    "VariantResult",
    "add_asgi_middleware",
    "list_asgi_middleware",
    "regenerate_asgi",
    "remove_asgi_middleware",
    "start_project",
    "validate_template",
]
