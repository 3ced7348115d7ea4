"""What release 1 wrote still works: its checkpoints resume, its exports import, and the
protocol says byte for byte what it said then.

The fixtures in tests/fixtures/release1 were written by release 1's own code (commit b5d8997,
before the restructuring) with `tests/fixtures/release1/record.py`; these tests never rewrite
them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.protocol import CLIENT_TYPES
from app.server.app import create_app
from app.server.settings import Settings
from tests.fixtures.release1.record import continue_training, drain

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "release1"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text())
# The client message types of release 1, as its `unknown_type` error lists them. Types added
# since come after them in that list; the comparison below leaves the additions out.
RELEASE1_TYPES = (
    "configure, step, back, seek, play, pause, ack, reset, set_weight, set_bias, follow, "
    "gradcheck, sync, ping"
)


@pytest.fixture
def restarted(tmp_path: Path) -> Any:
    """A server started on a copy of release 1's checkpoint folder (as after an upgrade)."""
    folder = tmp_path / "checkpoints"
    shutil.copytree(FIXTURES / "checkpoints", folder)
    with TestClient(create_app(Settings(checkpoint_dir=folder))) as client:
        yield client


@pytest.mark.parametrize("name", sorted(EXPECTED["sessions"]))
def test_a_release1_checkpoint_resumes_at_its_step_and_trains_on_bit_for_bit(
    restarted: TestClient, name: str
) -> None:
    want = EXPECTED["sessions"][name]
    url = f"/ws?session={want['session']}&token={want['token']}"
    with restarted.websocket_connect(url) as ws:
        hello = json.loads(ws.receive_text())
        assert hello["type"] == "hello" and hello["resumed"] is True, hello
        got = continue_training(ws)
    assert (got["step"], got["epoch"]) == (want["step"], want["epoch"]), "same step and epoch"
    assert got["layers"] == want["layers"], "bit-identical weights at the restored step"
    # The next losses and weights depend on the optimizer state, the data order and the
    # dropout generator: equal floats prove all of them were restored exactly.
    assert got["next_losses"] == want["next_losses"], "training continues bit for bit"
    assert got["after"] == want["after"], "bit-identical weights after five more steps"


def test_a_release1_export_imports_and_trains_on_bit_for_bit(restarted: TestClient) -> None:
    body = json.loads((FIXTURES / "export.json").read_text())
    assert body["format"] == "backprop-lab/session@1"
    response = restarted.post("/api/sessions/import", json=body)
    assert response.status_code == 201, response.text
    sid, token = response.json()["session"], response.json()["token"]
    with restarted.websocket_connect(f"/ws?session={sid}&token={token}") as ws:
        json.loads(ws.receive_text())
        got = continue_training(ws)
    assert got == EXPECTED["export"]


def test_the_protocol_says_byte_for_byte_what_release1_said(tmp_path: Path) -> None:
    exchanges = json.loads((FIXTURES / "transcript.json").read_text())
    with (
        TestClient(create_app(Settings(checkpoint_dir=tmp_path / "ck"))) as client,
        client.websocket_connect("/ws") as ws,
    ):
        first = ws.receive_text()
        hello = json.loads(first)
        secrets = {hello["session"]: "<session>", hello["token"]: "<token>"}
        if hello.get("watch_key"):
            secrets[hello["watch_key"]] = "<watch_key>"

        listed = ", ".join(CLIENT_TYPES)
        assert listed.startswith(RELEASE1_TYPES), "release 1's types first, in its order"

        def scrub(text: str) -> str:
            for value, placeholder in secrets.items():
                text = text.replace(value, placeholder)
            return text.replace(listed, RELEASE1_TYPES)

        got = [scrub(first), *map(scrub, drain(ws))]
        assert got == exchanges[0]["server"], "the welcome"
        for exchange in exchanges[1:]:
            ws.send_text(json.dumps(exchange["client"]))
            got = [scrub(t) for t in drain(ws)]
            assert got == exchange["server"], f"the reply to {exchange['client']}"
