"""deploy/nginx.conf paces a flood of cookie-less WebSocket handshakes; browsers never wait.

Each refused socket costs the app ~1 ms of its one core, so scripts that retry together stall
every student (BENCHMARKS.md §9). nginx lets 30 cookie-less handshakes per address through at
once, then 20 a second, holds up to 600 more in line and refuses the rest with 429; a handshake
with the `bpl_browser` cookie is never held.
"""

from __future__ import annotations

import base64
import os
import selectors
import socket
import time

from tests.scaleout.conftest import Cluster

FLOOD = 800  # over the 31 passed at once + 600 held in line


def upgrade_request(port: int, cookie: str | None = None) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /ws HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *([f"Cookie: bpl_browser={cookie}"] if cookie else []),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_lines(sockets: list[socket.socket], wait: float) -> dict[socket.socket, int]:
    """The HTTP status each socket got within `wait` seconds (sockets not answered are absent)."""
    answered: dict[socket.socket, int] = {}
    deadline = time.monotonic() + wait
    with selectors.DefaultSelector() as selector:  # epoll: no 1,024-descriptor limit
        for s in sockets:
            selector.register(s, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select(timeout=0.1):
                s = key.fileobj
                assert isinstance(s, socket.socket)
                head = s.recv(64)
                answered[s] = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1") else 0
                selector.unregister(s)
            if time.monotonic() >= deadline or len(answered) == len(sockets):
                return answered


def test_a_flood_of_cookie_less_handshakes_is_paced_and_capped_while_a_browser_passes(
    cluster: Cluster,
) -> None:
    cookie = cluster.browser_cookie()  # GET / first, as a browser does: not paced
    flood: list[socket.socket] = []
    try:
        started = time.monotonic()
        for _ in range(FLOOD):
            s = socket.create_connection(("127.0.0.1", cluster.port), timeout=10)
            s.sendall(upgrade_request(cluster.port))
            flood.append(s)
        sent = time.monotonic() - started
        answered = status_lines(flood, wait=2.0)
        elapsed = time.monotonic() - started

        refused = [s for s, code in answered.items() if code == 429]
        passed = [s for s, code in answered.items() if code == 101]
        assert set(answered.values()) <= {101, 429}, sorted(set(answered.values()))
        # Over 600 in line: refused at once by nginx, the app never sees them. (The line moves
        # on by 20 a second while the flood is being sent.)
        assert len(refused) >= FLOOD - 601 - 20 * sent - 2, (len(refused), sent)
        # Paced: 30 at once, then 20 a second at most, whatever this machine's speed.
        assert 30 <= len(passed) <= 31 + 20 * elapsed + 2, (len(passed), elapsed)
        waiting = [s for s in flood if s not in answered]
        assert len(waiting) > 400, "the rest wait in nginx's line"

        # A browser's handshake meanwhile: through at once, not behind the line.
        browser = cluster.ws(cookie=cookie, origin=f"http://127.0.0.1:{cluster.port}")
        assert browser.recv(timeout=10).startswith('{"type":"hello"')
        answered_since = status_lines(waiting, wait=0.0)
        assert len(waiting) - len(answered_since) > 300, "the line had not drained meanwhile"
    finally:
        for s in flood:
            s.close()
