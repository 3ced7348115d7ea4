"""The connection's send path against a fake socket: send-after-close and stalled peers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected, WebSocketState

from app.server.connection import Closed, Connection
from app.server.hub import SessionHub
from app.server.settings import Settings


class FakeSocket:
    def __init__(
        self, fail: BaseException | None = None, hang: bool = False, hang_close: bool = False
    ) -> None:
        self.fail = fail
        self.hang = hang
        self.hang_close = hang_close
        self.sent: list[str] = []
        self.closed_with: tuple[int, str] | None = None
        self.application_state = WebSocketState.CONNECTED

    async def send_text(self, text: str) -> None:
        if self.fail is not None:
            raise self.fail
        if self.hang:
            await asyncio.sleep(3600)  # a peer that stopped reading: the send never completes
        self.sent.append(text)

    async def close(self, code: int, reason: str = "") -> None:
        if self.hang_close:  # the close frame cannot be written either
            await asyncio.sleep(3600)
        self.closed_with = (code, reason)
        self.application_state = WebSocketState.DISCONNECTED


def send_once(socket: Any, settings: Settings | None = None) -> Connection:
    async def main() -> Connection:
        conn = Connection(socket, SessionHub(settings or Settings()), "control")
        with pytest.raises(Closed):
            await conn.send_text('{"type": "pong"}')
        with pytest.raises(Closed):  # and every later send, without touching the socket
            await conn.send_text('{"type": "pong"}')
        return conn

    return asyncio.run(main())


@pytest.mark.parametrize(
    "failure",
    [WebSocketDisconnected('Cannot call "send" once a close message has been sent.'),
     WebSocketDisconnect(1006), RuntimeError("Unexpected ASGI message"), ConnectionResetError()],
    ids=["WebSocketDisconnected", "WebSocketDisconnect", "RuntimeError", "OSError"],
)  # fmt: skip
def test_a_send_after_close_ends_the_connection_quietly(failure: BaseException) -> None:
    """Trap: Starlette 1.10 raises WebSocketDisconnected (a RuntimeError) on send after close."""
    conn = send_once(FakeSocket(fail=failure))
    assert conn.closed


def test_a_send_that_misses_its_deadline_drops_the_connection() -> None:
    """Trap: a peer that stops reading; every send has a deadline, then the socket is closed."""
    socket = FakeSocket(hang=True)
    conn = send_once(socket, Settings(send_timeout_s=0.05))
    assert conn.closed and socket.closed_with == (1001, "send deadline missed")


def test_dropping_a_stalled_peer_does_not_wait_for_its_close_frame() -> None:
    socket = FakeSocket(hang=True, hang_close=True)
    conn = send_once(socket, Settings(send_timeout_s=0.05))
    assert conn.closed and conn.dropped and socket.closed_with is None
