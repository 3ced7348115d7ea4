"""Every guided experiment run through the server's own code path: `Session.handle` with the
client's `experiment` message, then `step` messages in chunks of 10 iterations (the page's
"Run"), and the server's `experiment` message says the effect was seen, with the numbers the
catalogue claims. One run also goes over the WebSocket (TestClient), and `GET /api/experiments`
serves the catalogue.

The bounds are those of the engine-level tests (tests/experiments/test_catalogue.py).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.experiments import experiment, load_catalogue
from app.protocol import dumps, parse_client_message
from app.server.settings import Settings
from app.session import Session
from tests.experiments.test_catalogue import (
    DEAD_MIN_FRACTION,
    DIGITS_MIN_ACCURACY,
    FEATURES_MIN_ACCURACY,
    FIXED_MIN_RATIO,
    LINEAR_MAX_ACCURACY,
    OPTIMIZER_TARGET,
    OVERFIT_MIN_GAP,
    OVERFIT_MIN_RISE,
    TANH_MIN_ACCURACY,
    VANISHING_MAX_RATIO,
)
from tests.server.conftest import Connect
from tests.server.helpers import parse_server_text

CHUNK = 10  # iterations per `step` message: whole-set metrics every 10 updates
IDS = [e["id"] for e in load_catalogue()]
Message = dict[str, Any]


def send(session: Session, message: Message) -> list[Message]:
    """One client message through `Session.handle`, every reply as the socket would send it."""
    out: list[Message] = []
    for item in session.handle(parse_client_message(dumps(message))):
        if isinstance(item, list):
            out += [parse_server_text(dumps(m)) for m in item]
    return out


@cache
def run(experiment_id: str) -> tuple[list[Message], list[Message]]:
    """(all replies, the `experiment` messages) of a whole run of the experiment."""
    entry = experiment(experiment_id)
    session = Session(Settings().limits, lambda _: None)
    replies = send(session, {"type": "experiment", "experiment": experiment_id})
    unit, left = entry.get("unit", "iteration"), int(entry["steps"])
    while left > 0:
        count = 1 if unit == "phase" else min(CHUNK, left)
        batch = send(session, {"type": "step", "unit": unit, "count": count})
        replies += batch
        left -= count
        if any(m["type"] == "diverged" for m in batch):
            break
    return replies, [m for m in replies if m["type"] == "experiment"]


def final(experiment_id: str) -> Message:
    return run(experiment_id)[1][-1]


@pytest.mark.parametrize("experiment_id", IDS)
def test_the_server_says_the_effect_was_seen(experiment_id: str) -> None:
    replies, said = run(experiment_id)
    assert replies[0]["type"] == "config" and replies[0]["reset"] is True
    assert said[0]["experiment"] == experiment_id and said[0]["step"] == 0
    assert not said[0]["seen"], "no effect is seen at step 0"
    last = said[-1]
    assert last["seen"], (experiment_id, last["detail"])
    assert len({(m["seen"], m["detail"]) for m in said}) == len(said), "sent only on a change"


def test_first_backprop_answers_the_prediction_from_the_real_step() -> None:
    replies, said = run("first-backprop")
    assert [m["step"] for m in said] == [0, 1]  # evaluated at iteration boundaries only
    answer = said[-1]["answer"]
    assert answer["step"] == 1 and answer["value"] == "down"
    numbers = answer["numbers"]
    assert numbers["dw"] == pytest.approx(0.122, abs=5e-4)  # "dw = +0.122"
    assert numbers["delta"] == pytest.approx(-0.037, abs=5e-4)  # "moves by −0.037"
    assert (numbers["w"], numbers["w_next"]) == pytest.approx((0.955, 0.918), abs=5e-4)
    update = next(m for m in replies if m["type"] == "phase" and m["phase"] == "update")
    assert update["layers"][0]["update_W"][0][0] == pytest.approx(numbers["delta"])


def test_vanishing_and_its_fix() -> None:
    ratio, flagged = final("vanishing")["values"]["0"], final("vanishing")["values"]["1"]
    assert ratio["ratio"] < VANISHING_MAX_RATIO and 1 in flagged["layers"]
    answer = final("vanishing")["answer"]
    assert answer["value"] == "7"  # the output layer's ‖dW‖ is the largest
    assert max(answer["numbers"]["sizes"]) == answer["numbers"]["sizes"][6]
    fixed = final("vanishing-fixed")["values"]
    assert fixed["0"]["ratio"] > FIXED_MIN_RATIO and fixed["1"]["layers"] == []


def test_lr_too_high_diverges_and_answers_the_loss_question() -> None:
    replies, said = run("lr-too-high")
    assert said[-1]["values"]["diverged"] is True
    assert any(m["type"] == "diverged" for m in replies)
    answer = said[-1]["answer"]
    assert answer["value"] == "up"  # the loss grows step after step
    assert answer["numbers"]["loss"] > answer["numbers"]["loss_before"]


def test_dead_relu_and_leaky_relu() -> None:
    assert final("dead-relu")["values"]["fraction"] >= DEAD_MIN_FRACTION
    assert final("dead-relu-leaky")["values"]["accuracy"] >= 0.9


def test_overfitting_and_regularisation() -> None:
    over = final("overfitting")["values"]
    assert over["gap"] >= OVERFIT_MIN_GAP and over["rise"] >= OVERFIT_MIN_RISE
    assert final("regularisation")["values"]["gap"] < over["gap"] / 2


def test_optimizers_reach_the_target_in_the_claimed_order() -> None:
    steps = [final(f"optimizers-{o}")["values"]["step"] for o in ("sgd", "momentum", "adam")]
    assert all(s is not None for s in steps)
    assert steps[0] > steps[1] > steps[2], steps  # Adam fastest, plain SGD slowest
    assert experiment("optimizers-adam")["check"]["at_most"] == OPTIMIZER_TARGET


def test_accuracy_claims() -> None:
    assert final("linear-xor")["values"]["accuracy"] <= LINEAR_MAX_ACCURACY
    assert final("linear-xor-tanh")["values"]["accuracy"] >= TANH_MIN_ACCURACY
    assert final("features")["values"]["accuracy"] >= FEATURES_MIN_ACCURACY
    assert final("digits")["values"]["accuracy"] >= DIGITS_MIN_ACCURACY


def test_an_unknown_experiment_is_refused_and_changes_nothing() -> None:
    session = Session(Settings().limits, lambda _: None)
    before = session.config_dict()
    with pytest.raises(Exception, match="no experiment"):
        send(session, {"type": "experiment", "experiment": "no-such-thing"})
    assert session.config_dict() == before and session.experiment.entry is None


def test_api_and_websocket(client: TestClient, connect: Connect) -> None:
    listed = client.get("/api/experiments").json()
    assert [e["id"] for e in listed] == IDS
    assert all({"title", "question", "config", "check", "watch"} <= set(e) for e in listed)
    with connect() as peer:
        hello = peer.welcome()["hello"]
        assert "experiment" not in hello  # a session that follows none: release 1's hello
        peer.send({"type": "experiment", "experiment": "features", "id": 7})
        first = peer.recv()
        assert first["type"] == "config" and first["id"] == 7
        said = peer.until("experiment")[-1]
        assert said["experiment"] == "features" and not said["seen"]
        for _ in range(20):
            peer.send({"type": "step", "unit": "iteration", "count": CHUNK})
            peer.until("iteration")
        said = peer.until("experiment")[-1]
        assert said["seen"] and said["step"] == 200, said
    # Resumed (a dropped socket): the session still follows it, and its welcome says so.
    with connect(f"/ws?session={hello['session']}&token={hello['token']}") as peer:
        welcome = [peer.recv() for _ in range(5)]
        assert welcome[0]["resumed"] and welcome[0]["experiment"] == "features"
        assert welcome[4]["type"] == "experiment" and welcome[4]["seen"]
        peer.send({"type": "experiment", "experiment": None})
        cleared = peer.until("experiment")[-1]
        assert cleared["experiment"] is None
