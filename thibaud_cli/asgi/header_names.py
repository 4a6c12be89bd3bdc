"""The header-name adapter: response header names lowercased, innermost in the chain.

The ASGI specification wants header names lowercased. Thibaud's ASGI handler (Django's)
sends them as the response spells them (``Content-Length``), and a middleware that
edits the response's headers by their lowercased name, as Starlette's
``MutableHeaders`` does, misses them: Starlette's ``GZipMiddleware`` deletes
``content-length`` and appends its own, the server then gets two Content-Length
headers and refuses the response (h11: "conflicting Content-Length headers").

So a chain that holds such a middleware gets, innermost (right around the framework's
application, under every middleware the commands add), a wrap in a small,
dependency-free module the command writes into the project beside its ASGI module:
the project never imports thibaud-cli when it runs. It is an ordinary entry of the
chain (``list-asgi-middleware`` shows it), added with the first middleware that needs
it and removed, module and all, with the last; a module the user changed is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from thibaud_cli.asgi.spec import MiddlewareEntry, ObjectPath

#: The middleware known to edit response headers by their lowercased name. Matched by
#: the object's path, as the chain records it.
REWRITE_HEADERS = frozenset(
    {
        ObjectPath("starlette.middleware.gzip", "GZipMiddleware"),
        ObjectPath("brotli_asgi", "BrotliMiddleware"),
    }
)

MODULE_NAME = "asgi_headers"
CLASS_NAME = "LowercaseHeaderNames"

#: The module written into the project (ruff-clean, typed, standard library only).
SOURCE = '''\
"""
Response header names lowercased, as the ASGI specification requires.

Written by thibaud-admin's add-asgi-middleware, which wraps application in it first,
right around the framework's ASGI handler. The handler sends header names as the
response spells them (Content-Length); a middleware that edits headers by their
lowercased name, such as Starlette's GZipMiddleware, would miss them and send a
second Content-Length, which the server refuses. remove-asgi-middleware deletes this
module with the last middleware that needs it (unless you changed it).
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LowercaseHeaderNames:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def lowercased(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                message = {
                    **message,
                    "headers": [(name.lower(), value) for name, value in headers],
                }
            await send(message)

        await self.app(scope, receive, lowercased)
'''


def rewriters(chain: Sequence[MiddlewareEntry]) -> list[ObjectPath]:
    """The middleware of *chain* that edit response headers by their lowercased name."""
    return [entry.target for entry in chain if entry.target in REWRITE_HEADERS]


@dataclass(frozen=True)
class Adapter:
    """The adapter of one project: its entry in the chain and its module's file."""

    entry: MiddlewareEntry
    #: The module's path, relative to the project.
    relative: str

    @classmethod
    def beside(cls, asgi_module: str, asgi_relative: str) -> Adapter:
        """The adapter in the package of the ASGI module *asgi_module* (at *asgi_relative*)."""
        package = asgi_module.rpartition(".")[0]
        module = f"{package}.{MODULE_NAME}" if package else MODULE_NAME
        directory = asgi_relative.rpartition("/")[0]
        relative = f"{directory}/{MODULE_NAME}.py" if directory else f"{MODULE_NAME}.py"
        return cls(MiddlewareEntry(target=ObjectPath(module, CLASS_NAME)), relative)

    def needed(self, chain: Sequence[MiddlewareEntry]) -> bool:
        """Whether *chain* holds a middleware that edits response headers by name."""
        return bool(rewriters(chain))

    def position(self, chain: Sequence[MiddlewareEntry]) -> int | None:
        """Where *chain* holds the adapter (None: it does not)."""
        return next((i for i, entry in enumerate(chain) if entry == self.entry), None)
