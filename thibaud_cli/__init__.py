"""thibaud-cli: project scaffolding and ASGI deployment for the Thibaud web framework.

The command line is ``thibaud-admin``; this package is its library. The public
surface is what ``__all__`` lists.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thibaud_cli.checks.results import CheckResult, ValidationReport, VariantResult
    from thibaud_cli.errors import ThibaudCliError, UsageError
    from thibaud_cli.operations.asgi_chain import (
        EntryPointChange,
        add_asgi_middleware,
        regenerate_asgi,
        remove_asgi_middleware,
    )
    from thibaud_cli.operations.asgi_listing import ChainListing, list_asgi_middleware
    from thibaud_cli.operations.startproject import StartedProject, start_project
    from thibaud_cli.operations.update import (
        UpdatePlan,
        UpdateResult,
        check_for_update,
        update_project,
    )
    from thibaud_cli.operations.validate import validate_template

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

#: Where each public name lives. They are imported on first use (PEP 562), not
#: here: every ``thibaud-admin`` run imports this package first, and importing
#: all the modules eagerly made ``thibaud-admin --help`` pay for the whole library.
_HOMES = {
    "CheckResult": "checks.results",
    "ValidationReport": "checks.results",
    "VariantResult": "checks.results",
    "ChainListing": "operations.asgi_listing",
    "EntryPointChange": "operations.asgi_chain",
    "add_asgi_middleware": "operations.asgi_chain",
    "list_asgi_middleware": "operations.asgi_listing",
    "regenerate_asgi": "operations.asgi_chain",
    "remove_asgi_middleware": "operations.asgi_chain",
    "ThibaudCliError": "errors",
    "UsageError": "errors",
    "StartedProject": "operations.startproject",
    "start_project": "operations.startproject",
    "UpdatePlan": "operations.update",
    "UpdateResult": "operations.update",
    "check_for_update": "operations.update",
    "update_project": "operations.update",
    "validate_template": "operations.validate",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
