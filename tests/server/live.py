"""Helpers for tests against a real uvicorn: websockets clients, raw sockets, /proc figures."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import struct
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.server.helpers import Peer


@contextmanager
def ws_peer(url: str, timeout: float = 10, **kwargs: Any) -> Iterator[Peer]:
    """A `Peer` over `websockets.sync.client` (no compression, like the page)."""
    with connect(url, compression=None, open_timeout=timeout, max_size=None, **kwargs) as ws:
        peer = Peer(ws.send, lambda: _recv_text(ws, timeout))
        peer.ws = ws  # type: ignore[attr-defined]
        yield peer


def _recv_text(ws: ClientConnection, timeout: float) -> str:
    message = ws.recv(timeout=timeout)
    assert isinstance(message, str), "the server sends text frames only"
    return message


def close_code(peer: Peer, timeout: float = 10) -> int | None:
    """Read until the server closes; the close code it sent."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            peer.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError("the server did not close the socket")


def close_reason(peer: Peer) -> str:
    ws: ClientConnection = peer.ws  # type: ignore[attr-defined]
    return ws.close_reason or ""


def healthz_seconds(base: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        assert response.status == 200
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class RawSocket:
    """A WebSocket client by hand on a plain socket: it sends, and reads only when told."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        header = bytearray([0x81])
        if len(payload) < 126:
            header.append(0x80 | len(payload))
        else:
            header.append(0x80 | 126)
            header += len(payload).to_bytes(2, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(header) + mask + masked)

    def abort(self) -> None:
        """Vanish without a close frame (RST), like a laptop lid closing mid-stream."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
