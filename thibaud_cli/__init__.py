"""thibaud-cli: project scaffolding and ASGI deployment for the Thibaud web framework.

The command line is ``thibaud-admin``; this package is its library. The public
surface is what ``__all__`` lists.
"""

from .checks import CheckResult, ValidationReport, VariantResult
from .entrypoint import (
    ChainListing,
    EntryPointChange,
    add_asgi_middleware,
    list_asgi_middleware,
    regenerate_asgi,
    remove_asgi_middleware,
)
from .errors import ThibaudCliError, UsageError
from .project import StartedProject, start_project
from .update import UpdatePlan, UpdateResult, check_for_update, update_project
from .validation import validate_template

__all__ = [
    "ChainListing",
    "CheckResult",
    "EntryPointChange",
    "StartedProject",
    "ThibaudCliError",
    "UpdatePlan",
    "UpdateResult",
    "UsageError",
    "ValidationReport",
    "VariantResult",
    "add_asgi_middleware",
    "check_for_update",
    "list_asgi_middleware",
    "regenerate_asgi",
    "remove_asgi_middleware",
    "start_project",
    "update_project",
    "validate_template",
]
