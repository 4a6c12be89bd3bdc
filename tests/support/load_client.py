"""A bounded HTTP/1.1 load client: a fixed number of requests over a fixed number of
keep-alive connections, parsed with h11 (the parser Uvicorn itself uses), counting
every response so that none can go missing unnoticed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field

import h11


@dataclass
class LoadResult:
    """What a run sent and got back."""

    requests: int
    concurrency: int
    #: Requests actually sent: fewer than *requests* when the time limit ran out.
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    #: Responses carrying the header the caller asked to count (see :func:`run_load`).
    marked: int = 0
    duration: float = 0.0

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    @property
    def per_second(self) -> float:
        return self.answered / self.duration if self.duration else 0.0


class _Connection:
    """One keep-alive connection; reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.h11 = h11.Connection(h11.CLIENT)

    async def open(self) -> None:
        await self.close()
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.h11 = h11.Connection(h11.CLIENT)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def get(self, target: str, headers: list[tuple[str, str]]) -> h11.Response:
        if self.writer is None:
            await self.open()
        elif self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
        else:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(self.h11.send(h11.Request(method="GET", target=target, headers=headers)))
        self.writer.write(self.h11.send(h11.EndOfMessage()))
        await self.writer.drain()
        response: h11.Response | None = None
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                self.h11.receive_data(await self.reader.read(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the server closed the connection before answering")
        if response is None:
            raise ConnectionError("a message ended without a response")
        if self.h11.our_state is h11.MUST_CLOSE or self.h11.their_state is h11.MUST_CLOSE:
            await self.close()
        return response


async def _run(
    port: int,
    target: str,
    headers: list[tuple[str, str]],
    result: LoadResult,
    count_header: bytes | None,
    request_timeout: float,
    time_limit: float,
) -> None:
    stop_at = time.monotonic() + time_limit

    def take() -> bool:
        if result.sent == result.requests or time.monotonic() > stop_at:
            return False
        result.sent += 1
        return True

    async def worker() -> None:
        connection = _Connection(port)
        try:
            while take():
                try:
                    response = await asyncio.wait_for(
                        connection.get(target, headers), request_timeout
                    )
                except (OSError, h11.ProtocolError, TimeoutError) as exc:
                    result.errors.append(f"{type(exc).__name__}: {exc}")
                    await connection.close()
                    continue
                result.statuses[response.status_code] += 1
                if count_header is not None and any(
                    name == count_header for name, _ in response.headers
                ):
                    result.marked += 1
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(result.concurrency)))


def run_load(
    port: int,
    *,
    requests: int,
    concurrency: int,
    target: str = "/",
    headers: list[tuple[str, str]] | None = None,
    count_header: str | None = None,
    request_timeout: float = 30.0,
    time_limit: float = 300.0,
) -> LoadResult:
    """Send *requests* GETs for *target* over *concurrency* connections; never more
    than *concurrency* in flight, and no new one after *time_limit* seconds.
    *count_header* names a response header to count."""
    result = LoadResult(requests=requests, concurrency=concurrency)
    start = time.perf_counter()
    asyncio.run(
        _run(
            port,
            target,
            headers or [],
            result,
            count_header.lower().encode("ascii") if count_header else None,
            request_timeout,
            time_limit,
        )
    )
    result.duration = time.perf_counter() - start
    return result
