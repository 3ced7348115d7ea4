"""Compared runs (app/session/compare.py, docs/protocol.md "Compared runs") through the server:
a run with nothing changed is the original bit for bit; a run with a new learning rate is a
session imported from an export of the same moment, configured with that learning rate; back,
seek, reset and play apply to every run; the limits."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.server.settings import Settings
from app.session import Session
from tests.server.conftest import Connect
from tests.server.helpers import Peer
from tests.server.test_experiments import send

SMALL = {"dataset": "circle", "samples": 200, "hidden": [5, 3], "batch_size": 8, "seed": 4}


def runs_of(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    last = [m for m in messages if m["type"] == "runs"][-1]
    return {r["run"]: r for r in last["runs"]}


def start(peer: Peer, **config: Any) -> dict[str, Any]:
    hello = peer.welcome()["hello"]
    peer.request({"type": "configure", "config": {**SMALL, **config}}, "series")
    return hello


def test_a_run_with_nothing_changed_is_the_original_bit_for_bit_for_200_steps(
    connect: Connect,
) -> None:
    with connect() as peer:
        start(peer, optimizer="adam", learning_rate=0.01, dropout=0.2)
        for _ in range(3):
            peer.request({"type": "step"}, "iteration")
        got = runs_of(peer.request({"type": "compare", "config": {}, "id": 1}, "runs"))
        assert got["B"]["label"] == "B: same settings" and got["B"]["step"] == 3
        its = []
        for _ in range(200):
            its.append(peer.request({"type": "step"}, "iteration")[-1])
            peer.until("runs")
        runs = runs_of(peer.request({"type": "sync"}, "runs"))
        a, b = runs["A"], runs["B"]
        assert a["step"] == b["step"] == 203
        assert b["series"]["steps"] == list(range(4, 204))
        assert b["series"]["loss"] == [it["loss"] for it in its], "every batch loss, bit for bit"
        assert b["series"]["train_loss"] == a["series"]["train_loss"][3:]
        assert (
            b["layers"]
            == a["layers"]
            == [{"W": l["W_next"], "b": l["b_next"]} for l in its[-1]["layers"]]
        ), "the same weights after 200 steps"
        # Shown, run B is the same moment, optimizer state included.
        state = next(
            m
            for m in peer.request({"type": "show_run", "run": "B"}, "series")
            if m["type"] == "state"
        )
        assert state["step"] == 203 and state["optimizer_t"] == 203
        assert [l["opt"] for l in state["layers"]] == [l["opt"] for l in its[-1]["layers"]]


@pytest.mark.parametrize("moment", [0, 37])
def test_a_new_learning_rate_equals_a_session_imported_from_an_export_of_the_same_moment(
    client: TestClient, connect: Connect, moment: int
) -> None:
    """The export carries the whole trainer state (Adam's slots and t, the data order and
    position, the dropout generator), so from any step, step 37 in the middle of the third
    epoch too, the imported session is that moment."""
    with connect() as peer:
        hello = start(peer, optimizer="adam", learning_rate=0.02, dropout=0.1)
        if moment:
            peer.request({"type": "step", "count": moment}, "iteration")
        exported = client.get(
            f"/api/sessions/{hello['session']}/export", params={"token": hello["token"]}
        ).json()
        runs = runs_of(
            peer.request({"type": "compare", "config": {"learning_rate": 0.005}}, "runs")
        )
        assert runs["B"]["label"] == "B: η 0.005" and runs["B"]["step"] == moment
        peer.request({"type": "step", "count": 200}, "runs")
        b = runs_of(peer.request({"type": "sync"}, "runs"))["B"]
    imported = client.post("/api/sessions/import", json=exported).json()
    with connect(f"/ws?session={imported['session']}&token={imported['token']}") as other:
        assert other.welcome()["state"]["optimizer_t"] == moment
        other.expect({"type": "configure", "config": {"learning_rate": 0.005}}, "config")
        it = other.request({"type": "step", "count": 200}, "iteration")[-1]
    assert (
        b["series"]["steps"]
        == [s for s, _ in it["losses"]]
        == list(range(moment + 1, moment + 201))
    )
    assert b["series"]["loss"] == [loss for _, loss in it["losses"]], (
        "the same records, bit for bit"
    )
    assert b["layers"] == [{"W": l["W_next"], "b": l["b_next"]} for l in it["layers"]]


def test_back_seek_reset_and_play_apply_to_every_run(connect: Connect) -> None:
    with connect() as peer:
        start(peer)
        peer.request({"type": "step", "count": 10}, "iteration")
        peer.request(
            {"type": "compare", "config": {"optimizer": "adam", "learning_rate": 0.01}}, "runs"
        )
        peer.request({"type": "compare", "seed": 99}, "runs")
        msgs = peer.request({"type": "step", "count": 20}, "runs")
        assert msgs[-1]["append"] is True, "after a step: only the new rows"
        got = runs_of(msgs)
        assert {r: v["step"] for r, v in got.items()} == {"A": 30, "B": 30, "C": 30}
        assert got["B"]["series"]["steps"] == list(range(11, 31))
        assert got["C"]["label"] == "C: seed 99" and got["B"]["label"] == "B: Adam, η 0.01"
        b30 = got["B"]["layers"]
        got = runs_of(peer.request({"type": "back", "count": 5}, "runs"))
        assert {v["step"] for v in got.values()} == {25}
        got = runs_of(peer.request({"type": "step", "count": 5}, "runs"))
        assert got["B"]["layers"] == b30, "back then forward again: the same weights exactly"
        got = runs_of(peer.request({"type": "seek", "step": 4}, "runs"))
        assert {v["step"] for v in got.values()} == {4}, (
            "before its start a run is made again there"
        )
        assert got["B"]["config"]["optimizer"] == "adam" and got["C"]["seed"] == 99
        got = runs_of(peer.request({"type": "reset"}, "runs"))
        assert {v["step"] for v in got.values()} == {0}
        assert got["B"]["label"] == "B: Adam, η 0.01"
        peer.expect({"type": "play"}, "status")
        frames = [m for m in peer.until("frame") if m["type"] == "frame"]
        peer.send({"type": "ack", "frame": frames[-1]["frame"]})
        frame = peer.until("frame")[-1]
        assert [r["run"] for r in frame["runs"]] == ["B", "C"]
        assert all(r["step"] == frame["step"] for r in frame["runs"]), "in step while playing"
        got = runs_of(peer.request({"type": "pause"}, "runs"))
        assert len({v["step"] for v in got.values()}) == 1


def test_limits_and_refusals(connect: Connect) -> None:
    with connect() as peer:
        start(peer)
        assert peer.error({"type": "show_run", "run": "B"})["code"] == "out_of_range"
        bad = peer.error({"type": "compare", "config": {"hidden": [3]}})
        assert bad["code"] == "invalid_message" and "live settings" in bad["message"]
        for _ in range(3):
            peer.request({"type": "compare", "config": {"l2": 0.01}}, "runs")
        assert peer.error({"type": "compare"})["code"] == "limit_exceeded", "at most 4 runs"
        assert peer.error({"type": "compare_remove", "run": "A"})["code"] == "invalid_message"
        got = runs_of(peer.request({"type": "compare_remove", "run": "C"}, "runs"))
        assert sorted(got) == ["A", "B", "D"]
        # A rebuild ends the comparison.
        ended = peer.request({"type": "configure", "config": {"hidden": [4]}}, "runs")[-1]
        assert ended == {"type": "runs", "shown": None, "runs": []}
        # The largest network: two runs fill the budget of 2 × max_parameters.
        peer.request(
            {"type": "configure", "config": {"dataset": "digits", "hidden": [64, 64, 64, 64]}},
            "series",
        )
        peer.request({"type": "compare"}, "runs")
        err = peer.error({"type": "compare"})
        assert err["code"] == "limit_exceeded" and "budget" in err["message"]


def test_after_a_long_step_every_run_comes_whole_and_nothing_is_appended(
    connect: Connect,
) -> None:
    """More than 2,000 steps since the last `runs`: the series are downsampled wholes, and a
    client appending them would draw the history twice."""
    with connect() as peer:
        start(peer, batch_size=4)
        peer.request({"type": "compare", "config": {"learning_rate": 0.05}}, "runs")
        msgs = peer.request({"type": "step", "unit": "epoch", "count": 60}, "runs")
        last = [m for m in msgs if m["type"] == "runs"][-1]
        end = last["runs"][0]["step"]
        assert end > 2000, end  # 60 epochs of the 180 training samples in batches of 4
        assert "append" not in last
        assert all(r["series"]["steps"][0] <= 5 for r in last["runs"]), "from the start"
        short = peer.request({"type": "step", "count": 3}, "runs")[-1]
        assert short["append"] is True
        assert all(r["series"]["steps"] == [end + 1, end + 2, end + 3] for r in short["runs"])


def test_an_experiment_ends_the_comparison_like_a_rebuilding_configure(
    connect: Connect,
) -> None:
    with connect() as peer:
        start(peer)
        peer.request({"type": "compare", "config": {"learning_rate": 0.05}}, "runs")
        msgs = peer.request({"type": "experiment", "experiment": "vanishing"}, "runs")
        assert msgs[-1] == {"type": "runs", "shown": None, "runs": []}
        reply = peer.request({"type": "sync"}, "series")
        assert not [m for m in reply if m["type"] == "runs"], "no comparison any more"


def test_after_show_run_the_experiment_describes_the_shown_run() -> None:
    """Its check reads the shown run's network: here run B diverges (η 8) while A does not."""
    session = Session(Settings().limits, lambda _: None)
    send(session, {"type": "experiment", "experiment": "lr-too-high"})
    send(session, {"type": "configure", "config": {"learning_rate": 0.01}})
    send(session, {"type": "compare", "config": {"learning_rate": 8.0}})
    send(session, {"type": "step", "count": 200})
    shown = send(session, {"type": "show_run", "run": "B"})
    assert session.experiment.tl is session.timeline
    news = [m for m in shown if m["type"] == "experiment"]
    assert news and news[-1]["step"] == session.timeline.step


def test_a_frame_after_back_carries_no_diagnostics_of_a_later_step(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.request({"type": "step", "count": 40}, "iteration")
        peer.request({"type": "back", "count": 10}, "series")
        peer.expect({"type": "play", "speed": 1}, "status")
        frame = next(m for m in peer.until("frame") if m["type"] == "frame")
        d = frame["diagnostics"]
        assert d is None or (d["units"] is None or d["units"]["step"] <= frame["step"]), d
        peer.send({"type": "pause"})
        peer.until("series")
