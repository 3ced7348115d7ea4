"""Fixtures for the server tests: an in-process app (TestClient) and protocol peers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.server.settings import Settings
from tests.server.helpers import Peer

Connect = Callable[..., AbstractContextManager[Peer]]


def make_connect(client: TestClient) -> Connect:
    @contextmanager
    def connect(path: str = "/ws", **kwargs: Any) -> Iterator[Peer]:
        with client.websocket_connect(path, **kwargs) as ws:
            yield Peer(ws.send_text, ws.receive_text)

    return connect


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


@pytest.fixture
def connect(client: TestClient) -> Connect:
    return make_connect(client)


def settled(client: TestClient) -> None:
    """Wait until the app's checkpoint writes are done: a disconnect or a new session starts
    one in a worker thread, and a test that reads or damages the file must not race it."""
    deadline = time.monotonic() + 10
    while client.app.state.hub.writing:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "a checkpoint write never finished"
        time.sleep(0.01)
