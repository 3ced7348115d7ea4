"""Gradient health through the session's messages (issue 11): what the page is sent.

The engine's rules are tested in tests/engine/test_diagnostics.py; here the same textbook nets are
configured and stepped over the WebSocket, and every ``iteration``'s ``diagnostics`` is checked
as the page reads it (docs/protocol.md, "Gradient health: the rules").
"""

from __future__ import annotations

from typing import Any

from tests.server.conftest import Connect
from tests.server.helpers import Peer

DEEP = [8] * 6


def _iterations(peer: Peer, config: dict[str, Any], steps: int) -> list[dict[str, Any]]:
    peer.welcome()
    reply = peer.request({"type": "configure", "config": config}, "config")[-1]
    assert reply["config"]["hidden"] == DEEP
    out = []
    for _ in range(steps):
        out.append(peer.request({"type": "step", "unit": "iteration"}, "iteration")[-1])
    return out


def test_deep_sigmoid_is_sent_vanishing_at_layer_1_and_exploding_nowhere(connect: Connect) -> None:
    config = {
        "dataset": "circle",
        "hidden": DEEP,
        "activation": "sigmoid",
        "init": "xavier",
        "learning_rate": 0.1,
    }
    with connect() as peer:
        iterations = _iterations(peer, config, 30)
    for it in iterations:
        d = it["diagnostics"]
        assert 1 in d["vanishing"] and d["exploding"] == [], it["step"]
    d = iterations[-1]["diagnostics"]
    rho = [layer["dz_rms"] for layer in d["layers"]]
    assert all(a < b for a, b in zip(rho, rho[1:], strict=False)), (
        f"ρ decreases toward the input: {rho}"
    )
    assert all(0 < layer["fprime_mean"] <= 0.25 for layer in d["layers"][:-1])
    codes = [a["code"] for a in d["advice"]]
    assert "vanishing" in codes and "exploding" not in codes and "large_updates" not in codes
    vanishing = next(a for a in d["advice"] if a["code"] == "vanishing")
    assert vanishing["fixes"][0] == "relu_activation" and "learning rate" not in vanishing["text"]


def test_deep_relu_he_is_sent_no_flag_after_30_steps(connect: Connect) -> None:
    config = {
        "dataset": "circle",
        "hidden": DEEP,
        "activation": "relu",
        "init": "he",
        "learning_rate": 0.1,
    }
    with connect() as peer:
        iterations = _iterations(peer, config, 30)
    for it in iterations:
        d = it["diagnostics"]
        assert d["vanishing"] == [] and d["exploding"] == [], it["step"]
        assert not {"vanishing", "exploding", "large_updates"} & {a["code"] for a in d["advice"]}


DEAD_RELU = {  # the catalogue's `dead-relu` experiment: ReLU at η = 2 kills layer 1's units
    "dataset": "circle",
    "samples": 400,
    "noise": 0.1,
    "data_seed": 1,
    "hidden": [8],
    "activation": "relu",
    "init": "he",
    "learning_rate": 2.0,
    "seed": 1,
}


def test_dead_relus_are_sent_dead_on_the_whole_training_set_with_their_advice(
    connect: Connect,
) -> None:
    with connect() as peer:
        peer.welcome()
        peer.request({"type": "configure", "config": DEAD_RELU}, "config")
        last = peer.request({"type": "step", "count": 200}, "iteration")[-1]
        d = last["diagnostics"]
        units = d["units"]
        assert units is not None and units["step"] == last["step"] == 200
        assert units["rows"] == 280, "every training row (400 samples, 30 % held out)"
        layer1 = units["layers"][0]
        assert layer1["layer"] == 1 and layer1["dead_fraction"] >= 0.5
        assert layer1["saturated_fraction"] is None
        assert d["dead"] == [1] and d["saturated"] == []
        dead = next(a for a in d["advice"] if a["code"] == "dead")
        assert "leaky" in " ".join(dead["fixes"]) or "leaky" in dead["text"].lower(), dead
        # Back at a step before the measurement, those units are not the ones on screen.
        back = peer.request({"type": "seek", "step": 5}, "state")[-1]
        assert back["step"] == 5
        again = peer.request({"type": "step", "unit": "iteration"}, "iteration")[-1]
        assert again["step"] == 6
        units6 = again["diagnostics"]["units"]
        assert units6 is None or units6["step"] <= 6


def test_a_healthy_net_has_units_measured_and_nothing_flagged(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        it = peer.request({"type": "step", "count": 20}, "iteration")[-1]
    d = it["diagnostics"]
    assert d["units"]["step"] == 20 and d["dead"] == [] and d["saturated"] == []
    assert all(0 <= u["saturated_fraction"] < 0.5 for u in d["units"]["layers"])
