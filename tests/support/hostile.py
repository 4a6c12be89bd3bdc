"""Raw HTTP/1.1 over a socket, for requests an HTTP client would normalise or refuse
to send (a malformed Host, raw non-UTF-8 bytes, a body cut off half-way)."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RawResponse:
    """What came back on the socket: the status line's code, and everything after it."""

    status: int
    raw: bytes

    @property
    def text(self) -> str:
        return self.raw.decode("latin-1")


def request_head(
    method: str, target: bytes | str, headers: dict[str, str] | list[tuple[str, str]]
) -> bytes:
    """An HTTP/1.1 request head; *target* is sent byte for byte."""
    if isinstance(target, str):
        target = target.encode("ascii")
    items = headers.items() if isinstance(headers, dict) else headers
    lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in items]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def exchange(port: int, *parts: bytes, timeout: float = 30.0) -> RawResponse:
    """Send *parts* on a fresh connection and read until the server closes it (the
    requests ask for ``Connection: close``) or *timeout* passes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            # A server may answer and close before the client has sent everything
            # (a refused body): its answer is read below.
            for part in parts:
                sock.sendall(part)
        received = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            received += chunk
    return parse_response(bytes(received))


def parse_response(received: bytes) -> RawResponse:
    """The status code of the first response in *received*; 0 when the server closed
    the connection without answering."""
    if not received:
        return RawResponse(status=0, raw=b"")
    status_line = received.split(b"\r\n", 1)[0]
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise AssertionError(f"not an HTTP response: {received[:200]!r}")
    return RawResponse(status=int(parts[1]), raw=received)


def chunked(body: bytes, chunk_size: int = 65536) -> bytes:
    """*body* in HTTP/1.1 chunked transfer encoding."""
    out = bytearray()
    for start in range(0, len(body), chunk_size):
        piece = body[start : start + chunk_size]
        out += f"{len(piece):x}\r\n".encode("ascii") + piece + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def abandon_mid_body(port: int, head: bytes, sent: bytes) -> None:
    """Send *head* and part of the body it announces, then vanish: a reset, not a
    polite close, as a client whose network dropped."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(head + sent)
        # Let the server start reading the body before the connection goes away.
        time.sleep(0.3)
        # SO_LINGER with a zero timeout makes close() send RST.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        with contextlib.suppress(OSError):
            sock.close()


@dataclass(frozen=True)
class Streamed:
    """How a request sent piece by piece went: the status (0 when the server never
    answered), how many bytes of it the client had sent when the answer's first byte
    arrived (or in all, without an answer), and whether the client sent all of it."""

    status: int
    sent_when_answered: int
    sent: int
    finished_sending: bool
    raw: bytes


def stream_request(
    port: int,
    head: bytes,
    body: Iterator[bytes],
    *,
    pace: float = 0.0,
    timeout: float = 60.0,
    linger: float = 2.0,
) -> Streamed:
    """Send *head*, then the pieces of *body* (*pace* seconds apart), reading the
    socket all along, so that an answer is seen the moment it arrives however much
    is still to send. Sending stops when the server answers or stops reading; the
    answer is read until the server closes, until *linger* seconds pass without a
    byte of it, or *linger* seconds after the last piece without one. Everything
    is bounded by *timeout*."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    # A small send buffer: what the client counts as sent is then close to what
    # reached the server, not what waits in the client's kernel.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    received = bytearray()
    sent = 0
    sent_when_answered: int | None = None
    finished = False
    pending = memoryview(head)
    deadline = time.monotonic() + timeout
    next_piece_at = time.monotonic()
    quiet_until: float | None = None
    # When the last byte of the answer arrived: a server that answers early and keeps
    # the connection open (waiting for the rest of the body, or a next request) would
    # otherwise hold the read until *timeout*.
    last_answer_at: float | None = None
    try:
        sock.setblocking(False)
        while time.monotonic() < deadline:
            sending = not finished and sent_when_answered is None
            if sending and not pending and time.monotonic() >= next_piece_at:
                piece = next(body, None)
                if piece is None:
                    finished = True
                    quiet_until = time.monotonic() + linger
                else:
                    pending = memoryview(piece)
                    next_piece_at = time.monotonic() + pace
            sending = not finished and sent_when_answered is None
            wait = 0.01 if sending and not pending else 0.1
            readable, writable, _ = select.select(
                [sock], [sock] if sending and pending else [], [], wait
            )
            if readable:
                try:
                    chunk = sock.recv(65536)
                except (ConnectionResetError, TimeoutError, BlockingIOError):
                    break
                if not chunk:
                    break
                if sent_when_answered is None:
                    sent_when_answered = sent
                received += chunk
                last_answer_at = time.monotonic()
            if writable and pending:
                try:
                    count = sock.send(pending)
                except BlockingIOError:
                    count = 0
                except (BrokenPipeError, ConnectionResetError):
                    # The server closed without answering, or answered and the
                    # reset overtook it: what came back is read below.
                    break
                sent += count
                pending = pending[count:]
            if quiet_until is not None and time.monotonic() > quiet_until and not received:
                break
            if last_answer_at is not None and time.monotonic() > last_answer_at + linger:
                break
        with contextlib.suppress(OSError):
            sock.settimeout(1.0)
            while chunk := sock.recv(65536):
                received += chunk
    finally:
        with contextlib.suppress(OSError):
            sock.close()
    response = parse_response(bytes(received))
    return Streamed(
        status=response.status,
        sent_when_answered=sent if sent_when_answered is None else sent_when_answered,
        sent=sent,
        finished_sending=finished,
        raw=bytes(received),
    )


def repeated(piece: bytes, total: int) -> Iterator[bytes]:
    """*total* bytes as pieces of *piece* (the last one cut short)."""
    left = total
    while left > 0:
        yield piece[:left]
        left -= len(piece)


def chunked_pieces(total: int, chunk_size: int = 65536) -> Iterator[bytes]:
    """A body of *total* bytes in chunked transfer encoding, one chunk a piece."""
    for piece in repeated(b"x" * chunk_size, total):
        yield f"{len(piece):x}\r\n".encode("ascii") + piece + b"\r\n"
    yield b"0\r\n\r\n"


class TempSpace(threading.Thread):
    """Polls how many bytes a server's processes hold in *directory* (its TMPDIR):
    the files in it, and the unnamed or deleted ones its processes still have open
    there (``tempfile.TemporaryFile`` leaves no name). ``peak`` is the most seen."""

    def __init__(self, directory: Path, session: int, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.directory = str(directory)
        self.session = session
        self.interval = interval
        self.peak = 0
        self._done = threading.Event()

    def __enter__(self) -> TempSpace:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self.join(timeout=10)
        self.peak = max(self.peak, self.measure())

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.peak = max(self.peak, self.measure())

    def measure(self) -> int:
        sizes: dict[tuple[int, int], int] = {}
        for root, _, files in os.walk(self.directory):
            for name in files:
                with contextlib.suppress(OSError):
                    info = os.stat(os.path.join(root, name))
                    sizes[(info.st_dev, info.st_ino)] = info.st_size
        for pid in self.processes():
            fd_dir = f"/proc/{pid}/fd"
            with contextlib.suppress(OSError):
                for fd in os.listdir(fd_dir):
                    with contextlib.suppress(OSError):
                        if os.readlink(f"{fd_dir}/{fd}").startswith(self.directory + "/"):
                            info = os.stat(f"{fd_dir}/{fd}")
                            sizes[(info.st_dev, info.st_ino)] = info.st_size
        return sum(sizes.values())

    def processes(self) -> list[int]:
        """The processes of the server's session (it was started in a new one)."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    with open(f"/proc/{entry}/stat", "rb") as stat:
                        fields = stat.read().rsplit(b")", 1)[1].split()
                    # After the name: state, ppid, pgrp, session.
                    if int(fields[3]) == self.session:
                        found.append(int(entry))
        return found
