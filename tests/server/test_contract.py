"""The WebSocket contract of docs/protocol.md, message by message (in-process, TestClient)."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnect

from tests.server.conftest import Connect
from tests.server.helpers import Peer, arr, types

L = 3  # the default network: 2 inputs, hidden [4, 2], 2 outputs
PHASES = [("forward", 1), ("forward", 2), ("forward", 3), ("loss", None), ("backward", 3),
          ("backward", 2), ("backward", 1), ("update", None)]  # fmt: skip
STEPS_PER_EPOCH = 28  # circle, 400 samples, 30 % test → 280 train, batch 10


def step(peer: Peer, count: int = 1, unit: str = "iteration") -> list[dict]:
    return peer.request({"type": "step", "unit": unit, "count": count}, "iteration")


# -- connecting ------------------------------------------------------------------------------


def test_connect_sends_hello_data_state_series(connect: Connect) -> None:
    with connect() as peer:
        first = peer.welcome()
    hello = first["hello"]
    assert hello["protocol"] == 1 and hello["step"] == 0 and hello["role"] == "control"
    assert hello["resumed"] is False
    assert len(hello["session"]) >= 22 and len(hello["token"]) >= 22  # 128-bit, base64url
    assert hello["token"] != hello["session"] != hello["watch_key"]
    assert hello["config"]["dataset"] == "circle" and hello["config"]["hidden"] == [4, 2]
    assert hello["limits"]["max_message_bytes"] == 65536
    assert hello["limits"]["max_parameters"] == 20000
    data = first["data"]
    assert data["task"] == "classification" and data["n_classes"] == 2
    assert len(data["train"]["points"]) == 280 and len(data["test"]["y"]) == 120
    state = first["state"]
    assert state["step"] == 0 and state["epoch"] == 0 and state["revealed"] == 0
    assert state["phase"] == {"phase": "forward", "layer": 1}
    assert [arr(l["W"]).shape for l in state["layers"]] == [(4, 2), (2, 4), (2, 2)]
    assert state["metrics"]["step"] == 0 and 0 <= state["metrics"]["train_accuracy"] <= 1
    assert first["series"]["steps"] == []


def test_every_reply_echoes_the_id(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        assert peer.expect({"type": "ping", "id": "p1"}, "pong")["id"] == "p1"
        assert peer.expect({"type": "step", "id": 7}, "iteration")["id"] == 7
        assert peer.expect({"type": "seek", "step": 0, "id": "s"}, "state")["id"] == "s"
        peer.recv()
        assert peer.error({"type": "seek", "step": 99, "id": 8})["id"] == 8
        assert peer.error({"type": "nope", "id": "x"})["id"] == "x"
        assert peer.error({"type": "step", "count": "many", "id": 9})["id"] == 9
        reply = peer.expect({"type": "configure", "config": {"l2": 0.001}, "id": 10}, "config")
        assert reply["id"] == 10 and reply["reset"] is False


# -- stepping --------------------------------------------------------------------------------


def test_phase_walk_order_then_iteration(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.send({"type": "step", "unit": "phase", "count": 8})
        walk = peer.until("iteration")
    phases = [m for m in walk if m["type"] == "phase"]
    assert [(m["phase"], m["layer"]) for m in phases] == PHASES
    assert [m["index"] for m in phases] == list(range(8))
    assert all(m["step"] == 1 and m["count"] == 8 for m in phases)
    assert types(walk)[-1] == "iteration" and walk[-1]["step"] == 1
    forward1, loss, backward3 = phases[0], phases[3], phases[4]
    # A⁰ is the batch; Z¹ = A⁰·W¹ᵀ + b¹.
    assert forward1["A_prev"] == forward1["batch"]["x"]
    Z = arr(forward1["A_prev"]) @ arr(forward1["W"]).T + arr(forward1["b"])
    np.testing.assert_allclose(arr(forward1["Z"]), Z, rtol=1e-12, atol=1e-15)
    assert loss["loss"] > 0 and loss["y"] == forward1["batch"]["y"]
    assert backward3["dA"] is None  # softmax output: dZ straight from the loss
    update = phases[7]
    for layer, it_layer in zip(update["layers"], walk[-1]["layers"], strict=True):
        assert layer["W_next"] == it_layer["W_next"] and layer["update_W"] == it_layer["update_W"]


def test_iteration_message_fields_and_update_rule(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        it = step(peer)[-1]
    assert it["step"] == 1 and it["epoch"] == 0 and it["position"] == 10
    assert it["learning_rate"] == 0.03 and it["optimizer"] == "sgd"
    assert len(it["batch"]["indices"]) == 10 and arr(it["batch"]["x"]).shape == (10, 2)
    assert it["truncated"] is False and it["reg_loss"] == 0.0 and it["losses"] == [[1, it["loss"]]]
    for layer in it["layers"]:
        W, dW, update = arr(layer["W"]), arr(layer["dW"]), arr(layer["update_W"])
        np.testing.assert_array_equal(update, -0.03 * dW)  # sgd: ΔW = −lr·dW
        np.testing.assert_array_equal(arr(layer["W_next"]), W + update)
        assert "mask" not in layer
    assert arr(it["layers"][-1]["A"]).sum(axis=1) == pytest.approx(np.ones(10))  # softmax rows
    assert set(it["diagnostics"]) >= {"layers", "vanishing", "exploding"}
    assert it["metrics"]["step"] == 1


def test_step_by_iteration_mid_walk_completes_that_iteration(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        shown = peer.request({"type": "step", "unit": "phase", "count": 3}, "phase")
        shown += [peer.recv(), peer.recv()]
        assert [m["phase"] for m in shown] == ["forward"] * 3
        done = step(peer)
        assert types(done) == ["iteration"], "the remaining phases are not sent"
        assert done[0]["step"] == 1 and done[0]["layers"][0]["W"] == shown[0]["W"]
        assert peer.sync()["step"] == 1 and peer.received[-2]["revealed"] == 0


def test_back_by_iteration_mid_walk_returns_to_its_start(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        first = step(peer, 2)[-1]
        peer.send({"type": "step", "unit": "phase", "count": 5})
        for _ in range(5):
            peer.recv()
        back = peer.request({"type": "back", "unit": "iteration"}, "series")
        assert types(back) == ["state", "series"]
        state = back[0]
        assert state["step"] == 2 and state["revealed"] == 0
        assert [l["W"] for l in state["layers"]] == [l["W_next"] for l in first["layers"]]


def test_back_by_phase_resends_the_last_shown_phase_bit_for_bit(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.send({"type": "step", "unit": "phase", "count": 5})
        sent = [peer.recv() for _ in range(5)]
        back = peer.request({"type": "back", "unit": "phase", "count": 2}, "series")
        assert types(back) == ["state", "phase", "series"]
        assert back[0]["revealed"] == 3 and back[0]["step"] == 0
        assert back[0]["phase"] == {"phase": "loss", "layer": None}
        assert {k: v for k, v in back[1].items() if k != "id"} == sent[2]
        again = peer.request({"type": "step", "unit": "phase", "count": 2}, "phase")
        assert again[0] == sent[3]
        assert peer.recv() == sent[4]
        # Back across an iteration boundary: to the update phase of step 1.
        peer.send({"type": "step", "unit": "phase", "count": 3})
        finished = peer.until("iteration")
        back = peer.request({"type": "back", "unit": "phase", "count": 1}, "series")
        assert back[0]["step"] == 0 and back[0]["revealed"] == 7
        assert back[1] == [m for m in finished if m["type"] == "phase"][-2]


def test_back_before_step_zero_is_out_of_range_and_changes_nothing(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        step(peer, 2)
        before = peer.sync()
        for message in (
            {"type": "back", "unit": "iteration", "count": 3},
            {"type": "back", "unit": "phase", "count": 17},
            {"type": "back", "unit": "epoch", "count": 2},
        ):
            assert peer.error(message)["code"] == "out_of_range"
        assert peer.sync() == before


def test_back_by_epoch_goes_to_epoch_starts(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.send({"type": "step", "unit": "epoch"})
        reply = peer.until("state")
        assert types(reply) == ["iteration", "state"]
        assert reply[0]["step"] == STEPS_PER_EPOCH and reply[1]["epoch"] == 1
        assert len(reply[0]["losses"]) == STEPS_PER_EPOCH
        at_start = reply[1]
        step(peer, 5)
        back = peer.request({"type": "back", "unit": "epoch"}, "series")
        assert back[0]["step"] == STEPS_PER_EPOCH and back[0]["epoch"] == 1
        assert back[0]["layers"] == at_start["layers"]
        back = peer.request({"type": "back", "unit": "epoch"}, "series")
        assert back[0]["step"] == 0 and back[0]["epoch"] == 0
        assert peer.error({"type": "back", "unit": "epoch"})["code"] == "out_of_range"


def test_seek_is_exact_and_replay_reproduces_the_records(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        originals = [step(peer)[-1] for _ in range(60)]
        reply = peer.request({"type": "seek", "step": 17}, "series")
        state = reply[0]
        assert state["step"] == 17 and state["history"] == {"oldest": 0, "newest": 60}
        assert [l["W"] for l in state["layers"]] == [l["W"] for l in originals[17]["layers"]]
        replayed = [step(peer)[-1] for _ in range(20)]
        for again, first in zip(replayed, originals[17:37], strict=True):
            assert {k: v for k, v in again.items() if k != "losses"} == {
                k: v for k, v in first.items() if k != "losses"
            }
        # Seek forward along the kept timeline, then past its end.
        assert peer.request({"type": "seek", "step": 60}, "state")[0]["step"] == 60
        peer.recv()
        before = peer.sync()
        assert peer.error({"type": "seek", "step": 61})["code"] == "out_of_range"
        assert peer.sync() == before


def test_two_sessions_with_the_same_config_produce_identical_records(connect: Connect) -> None:
    config = {"dataset": "spiral", "hidden": [6, 6], "activation": "relu", "dropout": 0.2,
              "optimizer": "adam", "learning_rate": 0.01, "seed": 5}  # fmt: skip
    runs = []
    for _ in range(2):
        with connect() as peer:
            peer.welcome()
            peer.request({"type": "configure", "config": config}, "series")
            records = [step(peer)[-1] for _ in range(5)]
            peer.send({"type": "step", "unit": "phase", "count": 8})
            records += peer.until("iteration")
            runs.append(records)
    assert runs[0] == runs[1]


def test_dropout_mask_is_the_multiplier_and_a_is_after_dropout(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.request({"type": "configure", "config": {"dropout": 0.5}}, "config")
        it = step(peer)[-1]
    hidden = it["layers"][0]
    mask = arr(hidden["mask"])
    assert set(np.unique(mask)) <= {0.0, 2.0} and (mask == 0).any() and (mask == 2).any()
    np.testing.assert_allclose(arr(hidden["A"]), np.tanh(arr(hidden["Z"])) * mask, rtol=1e-12)
    assert "mask" not in it["layers"][-1]


# -- live configuration ----------------------------------------------------------------------


def test_learning_rate_change_applies_from_the_next_update_not_before(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        old = step(peer, 2)[-1]
        reply = peer.expect({"type": "configure", "config": {"learning_rate": 0.5}}, "config")
        assert reply["reset"] is False and reply["config"]["learning_rate"] == 0.5
        new = step(peer)[-1]
    assert old["learning_rate"] == 0.03 and new["learning_rate"] == 0.5 and new["step"] == 3
    for before, after in zip(old["layers"], new["layers"], strict=True):
        np.testing.assert_array_equal(arr(before["update_W"]), -0.03 * arr(before["dW"]))
        np.testing.assert_array_equal(arr(after["update_W"]), -0.5 * arr(after["dW"]))
        assert after["W"] == before["W_next"], "the change did not touch the weights"


def test_learning_rate_change_mid_walk_applies_to_the_update_on_screen(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.send({"type": "step", "unit": "phase", "count": 3})
        shown = [peer.recv() for _ in range(3)]
        peer.expect({"type": "configure", "config": {"learning_rate": 0.2}}, "config")
        assert peer.sync()["revealed"] == 3, "the phases on screen stay on screen"
        peer.send({"type": "step", "unit": "phase", "count": 5})
        rest = peer.until("iteration")
    update = [m for m in rest if m["type"] == "phase"][-1]
    assert update["phase"] == "update" and update["learning_rate"] == 0.2
    assert rest[-1]["layers"][0]["W"] == shown[0]["W"]
    for layer in update["layers"]:
        np.testing.assert_array_equal(arr(layer["update_W"]), -0.2 * arr(layer["dW"]))


def test_optimizer_change_resets_its_state(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.expect({"type": "configure", "config": {"optimizer": "momentum"}}, "config")
        first = step(peer)[-1]
        later = step(peer, 3)[-1]
        peer.expect({"type": "configure", "config": {"optimizer": "nesterov"}}, "config")
        fresh = step(peer)[-1]
    lr, mu = 0.03, 0.9
    for layer in first["layers"]:  # momentum from a zero buffer: ΔW = −lr·dW
        np.testing.assert_allclose(arr(layer["update_W"]), -lr * arr(layer["dW"]), rtol=1e-12)
    for layer in later["layers"]:  # the buffer is in play
        assert not np.allclose(arr(layer["update_W"]), -lr * arr(layer["dW"]), rtol=1e-6)
    for layer in fresh["layers"]:  # nesterov from a fresh buffer: ΔW = −lr·(1 + μ)·dW
        expected = -lr * (1 + mu) * arr(layer["dW"])
        np.testing.assert_allclose(arr(layer["update_W"]), expected, rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize(
    "change",
    [{"hidden": [3]}, {"activation": "relu"}, {"dataset": "xor"}, {"seed": 9},
     {"features": ["x1", "x2", "x1*x2"]}, {"samples": 100}, {"init": "he"}],
)  # fmt: skip
def test_rebuild_keys_reset_the_network(connect: Connect, change: dict) -> None:
    with connect() as peer:
        peer.welcome()
        step(peer, 3)
        reply = peer.request({"type": "configure", "config": change}, "series")
    assert types(reply) == ["config", "data", "state", "series"]
    assert reply[0]["reset"] is True
    for key, value in change.items():
        assert reply[0]["config"][key] == value
    assert reply[2]["step"] == 0 and reply[2]["history"] == {"oldest": 0, "newest": 0}
    assert reply[3]["steps"] == []


def test_refused_configure_changes_nothing(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        step(peer, 2)
        peer.send({"type": "step", "unit": "phase", "count": 2})
        peer.recv(), peer.recv()
        before = peer.sync()
        refusals = {
            "limit_exceeded": [{"hidden": [64] * 9}, {"hidden": [65]}, {"samples": 5001},
                               {"hidden": [64, 64, 64, 64, 64, 64]}, {"batch_size": 257}],
            "invalid_message": [{"learning_rate": 10.5}, {"learning_rate": 0},
                                {"momentum": 1.0}, {"hidden": [0]}, {"noise": True}],
            "unknown_dataset": [{"dataset": "custom"}, {"dataset": "custom", "dataset_id": "nope"}],
        }  # fmt: skip
        for code, patches in refusals.items():
            for patch in patches:
                reply = peer.error({"type": "configure", "config": patch})
                assert reply["code"] == code, (patch, reply)
                assert next(iter(patch)) in reply["message"] or code == "unknown_dataset", reply
        assert peer.sync() == before


def test_set_weight_and_set_bias_start_the_next_record(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        step(peer, 2)
        state = peer.expect(
            {"type": "set_weight", "layer": 1, "row": 0, "col": 1, "value": 2.5}, "state"
        )
        assert state["layers"][0]["W"][0][1] == 2.5 and state["step"] == 2
        state = peer.expect({"type": "set_bias", "layer": 3, "row": 1, "value": -1000.0}, "state")
        assert state["layers"][2]["b"][1] == -1000.0
        it = step(peer)[-1]
        assert it["layers"][0]["W"][0][1] == 2.5 and it["layers"][2]["b"][1] == -1000.0
        assert it["step"] == 3 and np.isfinite(it["loss"])
        for bad in ({"layer": 4, "row": 0, "col": 0}, {"layer": 1, "row": 4, "col": 0},
                    {"layer": 1, "row": 0, "col": 2}):  # fmt: skip
            reply = peer.error({"type": "set_weight", "value": 1.0, **bad})
            assert reply["code"] == "out_of_range"
        assert peer.error({"type": "set_weight", "layer": 1, "row": 0, "col": 0,
                           "value": "1e300"})["code"] == "invalid_message"  # fmt: skip


def test_extreme_values_never_crash_nor_produce_nan(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        state = peer.expect(
            {"type": "set_weight", "layer": 1, "row": 0, "col": 0, "value": 1e300}, "state"
        )
        assert state["layers"][0]["W"][0][0] == 1e300  # any finite magnitude is accepted
        after = step(peer, 5)[-1]  # tanh saturates: huge but finite, so training goes on
        assert after["step"] == 5 and np.isfinite(after["loss"])
        peer.request({"type": "configure", "config": {"activation": "linear"}}, "series")
        peer.expect({"type": "set_weight", "layer": 1, "row": 0, "col": 0, "value": 1e300},
                    "state")  # fmt: skip
        peer.send({"type": "step", "count": 5})  # linear: the logits overflow
        diverged = peer.until("diverged")[-1]
        assert diverged["step"] <= 5 and peer.sync()["step"] == diverged["step"] - 1
        peer.expect({"type": "follow", "index": 0}, "sample")
        peer.send({"type": "follow", "index": None})
        peer.request({"type": "reset"}, "series")
        peer.expect({"type": "configure", "config": {"learning_rate": 1e-300}}, "config")
        tiny = step(peer, 3)[-1]
        assert tiny["layers"][0]["W_next"] == tiny["layers"][0]["W"], "1e-300 changes nothing"
        peer.expect({"type": "set_bias", "layer": 2, "row": 0, "value": -1e308}, "state")
        peer.send({"type": "step"})
        assert types(peer.until("diverged"))[-1] == "diverged"
        assert peer.expect({"type": "gradcheck"}, "gradcheck")["type"] == "gradcheck"


def test_huge_logits_stay_finite(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        for row in range(2):
            for col in range(2):
                peer.expect({"type": "set_weight", "layer": 3, "row": row, "col": col,
                             "value": 1e6 if row == col else -1e6}, "state")  # fmt: skip
        it = step(peer)[-1]
        assert np.isfinite(it["loss"])
        assert np.isfinite(arr(it["layers"][-1]["A"])).all()


def test_edit_at_an_earlier_step_starts_a_new_branch(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        step(peer, 10)
        peer.request({"type": "seek", "step": 4}, "series")
        state = peer.expect({"type": "set_bias", "layer": 1, "row": 0, "value": 0.5}, "state")
        assert state["history"]["newest"] == 4
        assert peer.error({"type": "seek", "step": 5})["code"] == "out_of_range"


def test_follow_and_gradcheck(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        sample = peer.expect({"type": "follow", "index": 3, "id": 1}, "sample")
        assert sample["index"] == 3 and sample["split"] == "train" and sample["id"] == 1
        assert [len(l["Z"]) for l in sample["layers"]] == [4, 2, 2]
        after = step(peer)
        follow_up = peer.recv()
        assert follow_up["type"] == "sample" and follow_up["step"] == after[-1]["step"]
        assert peer.error({"type": "follow", "index": 280})["code"] == "out_of_range"
        test_sample = peer.expect({"type": "follow", "index": 119, "split": "test"}, "sample")
        assert test_sample["split"] == "test" and test_sample["step"] == 1
        assert peer.error({"type": "follow", "index": 120, "split": "test"})["code"] == (
            "out_of_range"
        )
        peer.send({"type": "follow", "index": None})
        check = peer.expect({"type": "gradcheck", "id": "g"}, "gradcheck")
        assert check["ok"] is True and check["id"] == "g" and check["step"] == 1
        assert [r["layer"] for r in check["layers"]] == [1, 2, 3]
        assert all(r["rel_error_W"] < 1e-5 for r in check["layers"])
        one = peer.expect({"type": "gradcheck", "layer": 2}, "gradcheck")
        assert [r["layer"] for r in one["layers"]] == [2]
        assert peer.error({"type": "gradcheck", "layer": 4})["code"] == "out_of_range"


def test_reset_returns_to_step_zero_with_the_same_or_a_new_seed(connect: Connect) -> None:
    with connect() as peer:
        start = peer.welcome()["state"]
        step(peer, 5)
        reply = peer.request({"type": "reset"}, "series")
        assert types(reply) == ["data", "state", "series"]
        assert reply[1]["step"] == 0 and reply[1]["layers"] == start["layers"]
        reply = peer.request({"type": "reset", "seed": 7}, "series")
        assert types(reply) == ["config", "data", "state", "series"]
        assert reply[0]["config"]["seed"] == 7 and reply[2]["layers"] != start["layers"]


# -- divergence ------------------------------------------------------------------------------


def test_divergence_is_reported_and_the_session_stays_usable(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.request({"type": "configure", "config": {"dataset": "plane", "learning_rate": 4.5}},
                     "series")  # fmt: skip
        peer.send({"type": "step", "count": 1000})
        reply = peer.until("diverged")
        diverged = reply[-1]
        assert types(reply) == ["iteration", "diverged"]
        assert 100 <= diverged["step"] <= 200 and diverged["quantity"] in {"loss", "Z", "A", "dZ",
                                                                          "dW", "W", "b"}  # fmt: skip
        assert "learning rate" in diverged["message"]
        last = reply[0]
        assert last["step"] == diverged["step"] - 1
        state = peer.sync()
        assert state["step"] == diverged["step"] - 1, "the offending update is not applied"
        assert [l["W"] for l in state["layers"]] == [l["W_next"] for l in last["layers"]]
        # Usable: step again (same verdict, nothing applied), go back, lower the rate, go on.
        assert peer.request({"type": "step"}, "diverged")[-1]["step"] == diverged["step"]
        back = peer.request({"type": "back", "unit": "iteration", "count": 100}, "series")
        assert back[0]["step"] == diverged["step"] - 101
        peer.expect({"type": "configure", "config": {"learning_rate": 0.01}}, "config")
        resumed = step(peer, 200)[-1]
        assert resumed["step"] == diverged["step"] + 99 and np.isfinite(resumed["loss"])
    assert all("NaN" not in raw and "Infinity" not in raw for raw in peer.raw)


def test_a_huge_learning_rate_on_circle_stays_finite(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.expect({"type": "configure", "config": {"learning_rate": 10}}, "config")
        peer.send({"type": "step", "unit": "epoch", "count": 50})
        reply = peer.until("state")
        assert reply[-1]["step"] == 50 * STEPS_PER_EPOCH
        assert all(v is None or np.isfinite(v) for v in reply[-1]["metrics"].values())


# -- play ------------------------------------------------------------------------------------


def test_play_sends_frames_and_pause_returns_state(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        status = peer.expect({"type": "play", "id": "go"}, "status")
        assert status["playing"] is True and status["id"] == "go"
        steps = []
        for _ in range(3):
            frame = peer.recv()
            assert frame["type"] == "frame"
            steps.append(frame["step"])
            assert frame["losses"] and frame["losses"][-1][0] == frame["step"]
            assert len(frame["losses"]) <= 200
            peer.send({"type": "ack", "frame": frame["frame"]})
        assert steps == sorted(steps) and steps[-1] > steps[0]
        peer.send({"type": "pause"})
        rest = peer.until("series")
        status = next(m for m in rest if m["type"] == "status")
        state = next(m for m in rest if m["type"] == "state")
        assert status["playing"] is False and status["reason"] == "paused"
        assert state["step"] >= steps[-1] and state["playing"] is False
        assert state["metrics"]["step"] == state["step"]


def test_a_command_while_playing_pauses_first(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.expect({"type": "play", "speed": 50}, "status")
        peer.send({"type": "step"})
        reply = peer.until("iteration")
        status = [m for m in reply if m["type"] == "status"]
        assert status and status[-1]["playing"] is False


def test_play_at_a_speed_runs_at_that_rate(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.expect({"type": "play", "speed": 1}, "status")
        frame = peer.recv()
        assert frame["type"] == "frame" and frame["step"] <= 1


# -- resume, takeover, spectators --------------------------------------------------------------


def test_resume_after_a_dropped_connection(connect: Connect) -> None:
    with connect() as peer:
        hello = peer.welcome()["hello"]
        last = step(peer, 7)[-1]
        before = peer.sync()
    url = f"/ws?session={hello['session']}&token={hello['token']}"
    with connect(url) as peer:
        first = peer.welcome()
    assert first["hello"]["resumed"] is True and first["hello"]["session"] == hello["session"]
    assert first["hello"]["token"] == hello["token"] and first["hello"]["step"] == 7
    assert first["state"]["layers"] == before["layers"]
    assert [l["W"] for l in first["state"]["layers"]] == [l["W_next"] for l in last["layers"]]
    assert first["series"]["steps"] == list(range(1, 8))


def test_wrong_token_gets_invalid_session_then_a_fresh_hello(connect: Connect) -> None:
    with connect() as peer:
        hello = peer.welcome()["hello"]
        step(peer, 3)
    for url in (f"/ws?session={hello['session']}&token=wrong", "/ws?session=nope&token=x",
                f"/ws?session={hello['session']}"):  # fmt: skip
        with connect(url) as peer:
            error = peer.recv()
            assert error["type"] == "error" and error["code"] == "invalid_session"
            fresh = peer.welcome()["hello"]
            assert fresh["session"] != hello["session"] and fresh["step"] == 0
            assert fresh["resumed"] is False


def test_takeover_tells_the_old_socket_and_closes_it_4001(connect: Connect) -> None:
    with connect() as old:
        hello = old.welcome()["hello"]
        step(old, 2)
        with connect(f"/ws?session={hello['session']}&token={hello['token']}") as new:
            assert new.welcome()["hello"]["step"] == 2
            assert old.recv() == {"type": "taken_over"}
            with pytest.raises(WebSocketDisconnect) as closed:
                old.recv()
            assert closed.value.code == 4001
            assert step(new)[-1]["step"] == 3


def test_spectator_sees_everything_and_controls_nothing(connect: Connect) -> None:
    with connect() as owner:
        hello = owner.welcome()["hello"]
        with connect(f"/ws?watch={hello['session']}&key={hello['watch_key']}") as watcher:
            first = watcher.welcome()
            assert first["hello"]["role"] == "watch" and "token" not in first["hello"]
            assert "watch_key" not in first["hello"]
            it = step(owner)[-1]
            assert watcher.until("iteration")[-1] == it
            for message in ({"type": "step"}, {"type": "configure", "config": {}},
                            {"type": "play"}, {"type": "reset"}):  # fmt: skip
                assert watcher.error(message)["code"] == "read_only"
            assert watcher.expect({"type": "ping"}, "pong")
            assert watcher.sync()["step"] == 1
        assert owner.sync()["step"] == 1
    with connect(f"/ws?watch={hello['session']}&key=wrong") as watcher:
        assert watcher.recv()["code"] == "invalid_session"
        with pytest.raises(WebSocketDisconnect) as closed:
            watcher.recv()
        assert closed.value.code == 4003


def test_spectators_per_session_are_capped() -> None:
    from fastapi.testclient import TestClient

    from app.server.app import create_app
    from app.server.settings import Settings
    from tests.server.conftest import make_connect

    with TestClient(create_app(Settings(max_watchers_per_session=2))) as client:
        connect = make_connect(client)
        with connect() as owner:
            hello = owner.welcome()["hello"]
            url = f"/ws?watch={hello['session']}&key={hello['watch_key']}"
            with connect(url) as w1, connect(url) as w2:
                w1.welcome(), w2.welcome()
                with connect(url) as w3, pytest.raises(WebSocketDisconnect) as closed:
                    w3.recv()
                assert closed.value.code == 1013


def test_a_resumed_session_that_follows_a_sample_gets_it_after_the_welcome(
    connect: Connect,
) -> None:
    with connect() as peer:
        hello = peer.welcome()["hello"]
        peer.expect({"type": "follow", "index": 5}, "sample")
    with connect(f"/ws?session={hello['session']}&token={hello['token']}") as peer:
        peer.welcome()
        sample = peer.recv()
        assert sample["type"] == "sample" and sample["index"] == 5 and sample["step"] == 0
