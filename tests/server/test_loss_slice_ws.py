"""`loss_slice` through the server (docs/protocol.md, "The loss along the last step"): the loss
along the update that produced the current step, at α = 0 and 1 against the step's own figures,
its slope against a finite difference, overshoot at a large learning rate, and the refusals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.activations import ACTIVATIONS
from app.engine.losses import softmax_cross_entropy
from app.engine.network import forward
from app.protocol import parse_client_message
from app.server.settings import Settings
from app.session import Session
from tests.server.conftest import Connect
from tests.server.helpers import Peer

CONFIG = {"dataset": "circle", "samples": 200, "hidden": [6, 4], "batch_size": 16, "seed": 2}


def setup(peer: Peer, **config: Any) -> None:
    peer.welcome()
    peer.request({"type": "configure", "config": {**CONFIG, **config}}, "series")


def ask(peer: Peer, **fields: Any) -> dict[str, Any]:
    return peer.expect({"type": "loss_slice", **fields}, "loss_slice")


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


def batch_loss_at(it: dict[str, Any], key_W: str, key_b: str) -> float:
    """The data loss of the iteration's batch at its `W`/`b` (before) or `W_next`/`b_next`."""
    W = [np.array(l[key_W]) for l in it["layers"]]
    b = [np.array(l[key_b]) for l in it["layers"]]
    Zs, _, _ = forward(W, b, np.array(it["batch"]["x"]), ACTIVATIONS["tanh"])
    loss, _ = softmax_cross_entropy(Zs[-1], np.array(it["batch"]["y"]))
    return loss


def test_alpha_0_and_1_are_the_steps_own_losses_and_the_slope_is_the_derivative(
    connect: Connect,
) -> None:
    with connect() as peer:
        setup(peer, optimizer="adam", learning_rate=0.05)
        for _ in range(6):
            it = peer.request({"type": "step"}, "iteration")[-1]
        got = ask(peer, points=21, range=[-0.5, 1.5])
        assert got["step"] == it["step"] == 6
        alphas = got["alphas"]
        assert alphas == sorted(alphas) and 0.0 in alphas and 1.0 in alphas
        assert len(alphas) == len(got["batch_loss"]) == len(got["train_loss"])
        at0, at1 = alphas.index(0.0), alphas.index(1.0)
        assert rel(got["batch_loss"][at0], it["loss"]) <= 1e-12, "α = 0: the step's batch loss"
        assert rel(got["batch_loss"][at0], batch_loss_at(it, "W", "b")) <= 1e-12
        assert rel(got["batch_loss"][at1], batch_loss_at(it, "W_next", "b_next")) <= 1e-12, (
            "α = 1: the same batch at the weights the step produced"
        )
        state = peer.request({"type": "sync"}, "series")[0]
        assert rel(got["train_loss"][at1], state["metrics"]["train_loss"]) <= 1e-12, (
            "α = 1 on the training set: the step's whole-set metric"
        )
        h = 1e-4
        near = ask(peer, points=3, range=[-h, h])
        assert near["alphas"] == [-h, 0.0, h]
        fd = (near["batch_loss"][2] - near["batch_loss"][0]) / (2 * h)
        assert rel(got["slope"], fd) <= 1e-5, (got["slope"], fd)
        assert near["slope"] == got["slope"]
        assert got["slope"] < 0, "the optimizer's step goes downhill at first"


def test_sgd_slope_is_minus_eta_times_the_squared_gradient(connect: Connect) -> None:
    with connect() as peer:
        setup(peer, optimizer="sgd", learning_rate=0.1)
        it = peer.request({"type": "step"}, "iteration")[-1]
        got = ask(peer)
        g2 = sum(
            float(np.sum(np.square(l["dW"])) + np.sum(np.square(l["db"]))) for l in it["layers"]
        )
        assert rel(got["slope"], -0.1 * g2) <= 1e-12
        assert len(got["alphas"]) == 41 and got["alphas"][0] == -0.5 and got["alphas"][-1] == 1.5


def test_a_large_learning_rate_lands_past_the_bottom(connect: Connect) -> None:
    with connect() as peer:
        setup(peer, optimizer="sgd", learning_rate=8.0)
        for _ in range(3):
            peer.request({"type": "step"}, "iteration")
        got = ask(peer, points=51, range=[0, 1])
        inside = [l for a, l in zip(got["alphas"], got["batch_loss"], strict=True) if 0 < a < 1]
        assert min(inside) < got["batch_loss"][-1], "batch_loss(1) > batch_loss(α*), α* in (0, 1)"


def test_after_back_and_mid_walk_the_slice_is_replayed_exactly(connect: Connect) -> None:
    with connect() as peer:
        setup(peer, optimizer="momentum", dropout=0.3)
        for _ in range(5):
            peer.request({"type": "step"}, "iteration")
        at3 = None
        peer.request({"type": "back", "unit": "iteration", "count": 2}, "series")
        at3 = ask(peer)
        assert at3["step"] == 3
        peer.request({"type": "step"}, "iteration")
        peer.request({"type": "step"}, "iteration")
        peer.request({"type": "seek", "step": 3}, "series")
        assert ask(peer) == at3, "seek: the same numbers, bit for bit"
        # Mid-walk: the moment is step 3 plus two phases; the slice is step 3's, the walk stays.
        peer.send({"type": "step", "unit": "phase", "count": 2})
        peer.until("phase")
        peer.until("phase")
        assert ask(peer) == at3
        rest = peer.request({"type": "step", "unit": "phase", "count": 6}, "iteration")
        assert [m["index"] for m in rest if m["type"] == "phase"] == [2, 3, 4, 5, 6, 7]
        assert rest[-1]["step"] == 4


def test_refused_at_step_0_while_playing_and_out_of_range(connect: Connect) -> None:
    with connect() as peer:
        setup(peer)
        assert peer.error({"type": "loss_slice"})["code"] == "out_of_range"
        peer.request({"type": "step"}, "iteration")
        bad = peer.error({"type": "loss_slice", "range": [1, 0]})
        assert bad["code"] == "invalid_message" and "range" in bad["message"]
        assert peer.error({"type": "loss_slice", "points": 1})["code"] == "invalid_message"
        peer.expect({"type": "play", "speed": 5}, "status")
        err = peer.request({"type": "loss_slice", "id": 7}, "error")[-1]
        assert (err["code"], err["id"]) == ("busy", 7), err
        peer.send({"type": "pause"})
        peer.until("series")


def test_the_largest_training_set_is_computed_in_slices() -> None:
    session = Session(Settings().limits, lambda _: None, {"samples": 5000, "hidden": [64, 64]})
    list(session.handle(parse_client_message('{"type": "step"}')))
    items = list(session.handle(parse_client_message('{"type": "loss_slice", "points": 11}')))
    last = items[-1]
    assert isinstance(last, list) and last[0]["type"] == "loss_slice"
    assert sum(1 for i in items if i == []) >= 5, "the event loop turns between slices"
