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
