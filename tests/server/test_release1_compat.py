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


def contains(old: Any, new: Any, where: str = "") -> None:
    """`new` says everything `old` said, with the same values (floats exactly); it may add keys."""
    if isinstance(old, dict):
        assert isinstance(new, dict), f"{where}: {new!r} is not an object"
        for key, value in old.items():
            assert key in new, f"{where}.{key} is missing"
            contains(value, new[key], f"{where}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), f"{where}: {new!r} != {old!r}"
        for k, (a, b) in enumerate(zip(old, new, strict=True)):
            contains(a, b, f"{where}[{k}]")
    else:
        assert type(new) is type(old) and new == old, f"{where}: {new!r} != {old!r}"


def test_the_protocol_says_everything_release1_said(tmp_path: Path) -> None:
    """Release 1's fields keep their names and values for the same inputs; later releases only
    add fields (the restructuring itself, commit 'Merge branch session', replayed these frames
    byte for byte)."""
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

        def scrub(text: str) -> Any:
            for value, placeholder in secrets.items():
                text = text.replace(value, placeholder)
            return json.loads(text.replace(listed, RELEASE1_TYPES))

        for k, exchange in enumerate(exchanges):
            if k == 0:
                got = [scrub(first), *map(scrub, drain(ws))]
            else:
                ws.send_text(json.dumps(exchange["client"]))
                got = [scrub(t) for t in drain(ws)]
            want = [json.loads(t) for t in exchange["server"]]
            what = "the welcome" if k == 0 else f"the reply to {exchange['client']}"
            assert [m["type"] for m in got] == [m["type"] for m in want], what
            for n, (old, new) in enumerate(zip(want, got, strict=True)):
                if old["type"] == "error" and "expected one of" in old["message"]:
                    # The one text listing the client messages: release 1's list, then those
                    # added since (loss_slice, compare, …).
                    assert new["message"].startswith(old["message"]), f"{what}: {new['message']}"
                    old, new = {**old, "message": None}, {**new, "message": None}
                contains(old, new, f"{what} #{n} {old['type']}")
