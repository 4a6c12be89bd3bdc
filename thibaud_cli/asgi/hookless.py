"""A template whose ``asgi.py`` has no middleware hooks: refused, never a fake success.

thibaud-admin places the middleware chain through two template variables,
``asgi_middleware_imports`` and ``asgi_middleware_wraps``. A template that does not
use them renders the same ``asgi.py`` whatever the chain: a change would be recorded
in the answers file while ``asgi.py`` stays as it was. Editing such a file behind the
template's back would also be undone by the next ``update``, so the change is
refused, with the two lines the template needs.
"""

from __future__ import annotations

from thibaud_cli.errors import TemplateError

#: What a template's ``asgi.py`` needs, after the statement that binds ``application``.
HOOK_LINES = (
    "{% for line in asgi_middleware_imports %}{{ line }}\n{% endfor %}",
    "{% for line in asgi_middleware_wraps %}{{ line }}\n{% endfor %}",
)


def refuse_hookless(relative_path: str, base: str, theirs: str, *, chain_changed: bool) -> None:
    """Raise :class:`TemplateError` when the chain changed but the render did not."""
    if chain_changed and base == theirs:
        raise TemplateError(
            f"{relative_path} cannot take middleware: its template does not use "
            "asgi_middleware_imports/asgi_middleware_wraps, so nothing was changed. Add "
            f"'{HOOK_LINES[0]!s}' and '{HOOK_LINES[1]!s}' after the line that binds "
            "`application` in the template's asgi.py (see 'The template contract' in "
            "docs/templates.md), then run 'thibaud-admin update'."
        )
