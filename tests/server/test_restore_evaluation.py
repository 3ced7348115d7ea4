"""A session restored from a checkpoint or an import gets its whole-set metrics in slices.

Loading used to evaluate the whole training and test sets twice on the event loop (step 0's
for the network built from the config, then the restored step's): ~46 ms each for the
largest network allowed, during which no other session was served. Now the load evaluates
nothing, and the hub evaluates the restored step in slices before the socket's welcome (or
the HTTP answer), so the numbers a client sees are the same as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from app.evaluation import Evaluation
from app.protocol import parse_client_message
from app.server.app import create_app
from app.server.hub import SessionHub
from app.server.settings import Settings
from tests.server.conftest import make_connect, settled

LARGE = {"dataset": "spiral", "samples": 5000, "hidden": [64, 64, 64], "batch_size": 256}


def stepped_hub(
    tmp_path: Path, config: dict[str, object], steps: int
) -> tuple[SessionHub, str, str]:
    """A hub with one session stepped `steps` times and checkpointed, then gone from memory."""
    hub = SessionHub(Settings(checkpoint_dir=tmp_path))
    entry = hub.new_session("alice", config)
    step = parse_client_message(orjson.dumps({"type": "step", "unit": "iteration", "count": steps}))
    for _ in entry.session.handle(step):
        pass
    assert hub.save(entry)
    hub.entries.clear()
    return hub, entry.session.id, entry.session.token


def test_a_checkpoint_loads_without_evaluating_and_the_hub_evaluates_it_in_slices(
    tmp_path: Path,
) -> None:
    hub, sid, token = stepped_hub(tmp_path, LARGE, 3)
    entry = hub.find(sid, token)
    assert entry is not None
    session = entry.session
    assert session.step == 3 and session.metrics_due
    assert session.log.metrics_at(3) is None and session.timeline.latest_units is None

    # The largest training set does not fit in one slice: the evaluation yields in between.
    slices = sum(1 for _ in session.timeline.evaluate_sliced())
    assert slices > 1
    expected = Evaluation(session.trainer).result()
    assert session.log.metrics_at(3) == expected
    assert not session.metrics_due

    # The hub's own entry point: nothing to do once evaluated, and it yields to the loop.
    hub.entries.clear()
    again = hub.find(sid, token)
    assert again is not None and again.session.metrics_due
    asyncio.run(hub.evaluate_restored(again))
    assert again.session.log.metrics_at(3) == expected
    assert again.session.timeline.units_at(3) is not None, "unit health comes with the metrics"
    assert not hub.busy, "the evaluation left the hub's busy set"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(checkpoint_dir=tmp_path))) as c:
        yield c


def test_a_resume_from_disk_is_welcomed_with_the_metrics_of_its_step(client: TestClient) -> None:
    connect = make_connect(client)
    with connect("/ws", headers={"cookie": "bpl_browser=alice"}) as peer:
        hello = peer.welcome()["hello"]
        done = peer.request({"type": "step", "count": 5}, "iteration")[-1]
    settled(client)
    before = done["metrics"]
    assert before["step"] == 5
    client.app.state.hub.entries.clear()  # as after a restart: only the checkpoint is left

    resume = f"/ws?session={hello['session']}&token={hello['token']}"
    with connect(resume, headers={"cookie": "bpl_browser=alice"}) as peer:
        welcome = peer.welcome()
    assert welcome["hello"]["resumed"] is True
    assert welcome["state"]["step"] == 5
    assert welcome["state"]["metrics"] == before


def test_an_import_answers_with_the_metrics_of_the_imported_step(client: TestClient) -> None:
    connect = make_connect(client)
    with connect("/ws", headers={"cookie": "bpl_browser=alice"}) as peer:
        hello = peer.welcome()["hello"]
        done = peer.request({"type": "step", "count": 7}, "iteration")[-1]
    exported = client.get(
        f"/api/sessions/{hello['session']}/export", params={"token": hello["token"]}
    ).json()
    answer = client.post("/api/sessions/import", json=exported)
    assert answer.status_code == 201, answer.text
    imported = answer.json()

    resume = f"/ws?session={imported['session']}&token={imported['token']}"
    with connect(resume) as peer:
        welcome = peer.welcome()
    assert welcome["state"]["step"] == 7
    assert welcome["state"]["metrics"] == done["metrics"]


def test_metrics_are_due_only_for_a_restored_moment_never_mid_walk(tmp_path: Path) -> None:
    """A phase walk's trainer is a step ahead of the moment shown: metrics evaluated then would
    belong to another step, so a walk under way is never "due"."""
    assert not SessionHub(Settings(checkpoint_dir=tmp_path)).new_session("a").session.metrics_due
    hub, sid, token = stepped_hub(tmp_path, {}, 2)
    entry = hub.find(sid, token)
    assert entry is not None and entry.session.metrics_due
    phase = parse_client_message(orjson.dumps({"type": "step", "unit": "phase"}))
    for _ in entry.session.handle(phase):
        pass
    assert entry.session.timeline.pending is not None and entry.session.step == 2
    assert entry.session.log.metrics_at(2) is None
    assert not entry.session.metrics_due
