"""The ceiling: a raw ASGI hello world, no framework at all."""

from __future__ import annotations

from typing import Any

_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"12")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        # uvicorn probes lifespan: acknowledge startup and shutdown.
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": b"Hello world!"})
