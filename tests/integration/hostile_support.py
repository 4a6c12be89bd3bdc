"""Raw HTTP/1.1 over a socket, for requests an HTTP client would normalise or refuse
to send (a malformed Host, raw non-UTF-8 bytes, a body cut off half-way)."""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from dataclasses import dataclass


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
