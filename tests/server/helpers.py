"""A small client for the WebSocket protocol over either transport used in the tests.

`Peer` wraps a Starlette TestClient socket or a `websockets.sync.client` connection: it sends
dicts, receives dicts, and checks every frame it receives against the contract's global rules
(a JSON object with a `type`, never `NaN` or `Infinity`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

Message = dict[str, Any]


def _no_constants(name: str) -> Any:
    raise AssertionError(f"a server message contained the JSON constant {name}")


def parse_server_text(text: str) -> Message:
    """Strict JSON: the constants NaN/Infinity are not JSON and must never be sent."""
    message = json.loads(text, parse_constant=_no_constants)
    assert isinstance(message, dict) and isinstance(message.get("type"), str), text[:200]
    return message


class Peer:
    def __init__(self, send_text: Callable[[str], None], recv_text: Callable[[], str]) -> None:
        self._send_text = send_text
        self._recv_text = recv_text
        self.received: list[Message] = []
        self.raw: list[str] = []

    def send(self, message: Message | str) -> None:
        self._send_text(message if isinstance(message, str) else json.dumps(message))

    def recv(self) -> Message:
        text = self._recv_text()
        self.raw.append(text)
        message = parse_server_text(text)
        self.received.append(message)
        return message

    def until(self, kind: str, limit: int = 10_000) -> list[Message]:
        """Messages up to and including the first of type `kind`."""
        out = []
        for _ in range(limit):
            message = self.recv()
            out.append(message)
            if message["type"] == kind:
                return out
        raise AssertionError(f"no {kind} within {limit} messages: {[m['type'] for m in out]}")

    def request(self, message: Message, kind: str) -> list[Message]:
        self.send(message)
        return self.until(kind)

    def expect(self, message: Message, kind: str) -> Message:
        """Send `message` and return the next message, which must be of type `kind`."""
        self.send(message)
        reply = self.recv()
        assert reply["type"] == kind, f"expected {kind}, got {reply}"
        return reply

    def error(self, message: Message | str) -> Message:
        self.send(message)
        reply = self.recv()
        assert reply["type"] == "error", f"expected an error, got {reply}"
        return reply

    def welcome(self) -> dict[str, Message]:
        """The four messages every connection starts with, by type, in the contract's order."""
        first = [self.recv() for _ in range(4)]
        assert [m["type"] for m in first] == ["hello", "data", "state", "series"], [
            m["type"] for m in first
        ]
        return {m["type"]: m for m in first}

    def sync(self) -> Message:
        self.send({"type": "sync"})
        state = self.recv()
        assert state["type"] == "state"
        assert self.recv()["type"] == "series"
        return state


def types(messages: list[Message]) -> list[str]:
    return [m["type"] for m in messages]


def arr(value: Any) -> np.ndarray:
    return np.array(value, dtype=np.float64)


def weights(state: Message) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(arr(layer["W"]), arr(layer["b"])) for layer in state["layers"]]
