"""What release 1 wrote still works: its checkpoints resume, its exports import, and the
protocol still says everything it said then (same messages in the same order, every field
with the identical value; fields added since are allowed).

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

from app.server.app import create_app
from app.server.settings import Settings
from tests.fixtures.release1.record import continue_training, drain

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "release1"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text())


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


def contains(got: Any, want: Any, where: str = "") -> None:
    """Every field release 1 sent is in `got` with an identical value (floats compared
    exactly, lists element by element and of the same length); `got` may carry added keys."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: expected an object, got {got!r:.80}"
        for key, value in want.items():
            assert key in got, f"{where}.{key}: missing"
            contains(got[key], value, f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: list differs"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            contains(g, w, f"{where}[{i}]")
    else:
        same_type = type(got) is type(want)
        assert same_type and got == want, f"{where}: {got!r:.80} != {want!r:.80}"


def same_messages(got: list[str], want: list[str], what: str) -> None:
    """The same message types in the same order, each holding all of release 1's fields."""
    got_parsed = [json.loads(t) for t in got]
    want_parsed = [json.loads(t) for t in want]
    assert [m["type"] for m in got_parsed] == [m["type"] for m in want_parsed], what
    for i, (g, w) in enumerate(zip(got_parsed, want_parsed, strict=True)):
        where = f"{what}: message {i} ({w['type']})"
        if w["type"] == "error" and "expected one of" in w["message"]:
            # The one text that lists the client messages: release 1's list, then those added.
            assert g["message"].startswith(w["message"]), f"{where}: {g['message']!r}"
            g, w = {**g, "message": None}, {**w, "message": None}
        contains(g, w, where)


def test_the_protocol_says_what_release1_said(tmp_path: Path) -> None:
    """Release 1's transcript replayed: every message type in the same order, every field it
    had with the identical value. Fields may be added (docs/protocol.md: never renamed)."""
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

        def scrub(text: str) -> str:
            for value, placeholder in secrets.items():
                text = text.replace(value, placeholder)
            return text

        got = [scrub(first), *map(scrub, drain(ws))]
        same_messages(got, exchanges[0]["server"], "the welcome")
        for exchange in exchanges[1:]:
            ws.send_text(json.dumps(exchange["client"]))
            got = [scrub(t) for t in drain(ws)]
            same_messages(got, exchange["server"], f"the reply to {exchange['client']}")
