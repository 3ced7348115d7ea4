"""Hostile input: every bad message gets an `error` and the session carries on."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketDisconnect

from app.server.app import create_app
from app.server.settings import Settings
from app.session import Session
from tests.server.conftest import Connect, make_connect
from tests.server.helpers import Peer

CODES = {"bad_json", "unknown_type", "invalid_message", "limit_exceeded", "out_of_range",
         "unknown_dataset", "busy", "read_only"}  # fmt: skip
QUIET = {"ack", "follow", "pause"}  # valid messages that may get no reply

TEMPLATES: list[dict[str, Any]] = [
    {"type": "configure", "config": {"learning_rate": 0.05}},
    {"type": "configure", "config": {"hidden": [3, 2], "activation": "relu"}},
    {"type": "step", "unit": "phase", "count": 2},
    {"type": "step", "unit": "iteration", "count": 3},
    {"type": "step", "unit": "epoch", "count": 1},
    {"type": "back", "unit": "iteration", "count": 1},
    {"type": "seek", "step": 0},
    {"type": "play", "speed": 10},
    {"type": "pause"},
    {"type": "ack", "frame": 1},
    {"type": "reset", "seed": 3},
    {"type": "set_weight", "layer": 1, "row": 0, "col": 0, "value": 0.5},
    {"type": "set_bias", "layer": 1, "row": 0, "value": 0.5},
    {"type": "follow", "index": 2, "split": "train"},
    {"type": "gradcheck", "layer": 1},
    {"type": "sync"},
]
ODD_VALUES = [True, False, None, 0, -1, 1, 2, 65, 101, 1001, 10**20, 2**63, -(2**63), 1.5, -0.0,
              1e308, -1e308, 1e-320, "", "x", "NaN", "Infinity", "1", [], [1], [True], {}, {"a": 1},
              "phase", "epoch", "circle", "custom", "ü" * 10, 4.5]  # fmt: skip
FIELDS = ["type", "config", "unit", "count", "step", "speed", "frame", "seed", "layer", "row",
          "col", "value", "index", "split", "id", "learning_rate", "hidden", "dataset", "extra"]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
)  # fmt: skip


@st.composite
def near_miss(draw: st.DrawFn) -> dict[str, Any]:
    message = json.loads(json.dumps(draw(st.sampled_from(TEMPLATES))))
    target = message["config"] if "config" in message and draw(st.booleans()) else message
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["set", "set", "drop", "add"]))
        if action == "drop" and target:
            target.pop(draw(st.sampled_from(sorted(target))))
        else:
            value = draw(st.sampled_from(ODD_VALUES) | json_values)
            target[draw(st.sampled_from(FIELDS))] = value
    return message


# The valid templates themselves are one branch: with near misses alone only ~20 of 1,100
# examples came out valid (18-21 from run to run), too close to the bound asserted below.
hostile = st.one_of(
    st.sampled_from(TEMPLATES).map(json.dumps),
    near_miss().map(json.dumps),
    near_miss().map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=60),
    st.sampled_from(['{"type": "step", "count": NaN}', '{"type": "seek", "step": Infinity}',
                     '{"type": "step"', "null", "[]", '"step"', '{"type": null}',
                     '{"type": "step", "count": 1e400}', "{}", '{"type": "ping", "id": [1]}']),
)  # fmt: skip


@pytest.fixture(scope="module")
def patient_client() -> Iterator[TestClient]:
    """No rate limit: the fuzz sends thousands of messages as fast as it can."""
    settings_ = Settings(rate_limit_per_s=1e9, rate_limit_burst=10**9)
    with TestClient(create_app(settings_)) as test_client:
        yield test_client


def roundtrip(peer: Peer, text: str, marker: int) -> list[dict[str, Any]]:
    """Send `text`, then a ping; the replies caused by `text` are those before the pong."""
    peer.send(text)
    peer.send({"type": "ping", "id": f"m{marker}"})
    replies = []
    while True:
        message = peer.recv()
        if message["type"] == "pong" and message.get("id") == f"m{marker}":
            return replies
        replies.append(message)


def test_fuzz_every_hostile_message_is_answered_and_the_session_survives(
    patient_client: TestClient,
) -> None:
    connect = make_connect(patient_client)
    counter = iter(range(10**9))
    seen: dict[str, int] = {}
    with connect() as peer:
        peer.welcome()

        @settings(max_examples=1100, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(hostile)
        def check(text: str) -> None:
            replies = roundtrip(peer, text, next(counter))
            errors = [m for m in replies if m["type"] == "error"]
            assert len(errors) <= 1, (text, replies)
            if errors:
                assert errors[0]["code"] in CODES, (text, errors)
                assert errors[0]["message"], "the message explains the error"
                seen[errors[0]["code"]] = seen.get(errors[0]["code"], 0) + 1
            else:
                try:
                    kind = json.loads(text).get("type")
                except (ValueError, AttributeError):
                    kind = None
                assert replies or kind in QUIET, (text, replies)
                seen["ok"] = seen.get("ok", 0) + 1

        started = time.monotonic()
        check()
        assert time.monotonic() - started < 120
        peer.send({"type": "pause"})
        peer.request({"type": "reset", "seed": 1}, "series")
        assert peer.request({"type": "step"}, "iteration")[-1]["step"] == 1
        assert peer.sync()["step"] == 1
    assert sum(seen.values()) >= 1000
    assert seen.get("invalid_message", 0) > 100 and seen.get("bad_json", 0) > 20, seen
    assert seen.get("unknown_type", 0) > 20 and seen.get("ok", 0) > 20, seen


@pytest.mark.parametrize(
    "message, field",
    [({"type": "step", "count": True}, "count"),
     ({"type": "seek", "step": False}, "step"),
     ({"type": "play", "speed": True}, "speed"),
     ({"type": "ack", "frame": True}, "frame"),
     ({"type": "set_weight", "layer": 1, "row": 0, "col": 0, "value": True}, "value"),
     ({"type": "set_bias", "layer": True, "row": 0, "value": 1.0}, "layer"),
     ({"type": "configure", "config": {"learning_rate": True}}, "learning_rate"),
     ({"type": "configure", "config": {"hidden": [True, 2]}}, "hidden"),
     ({"type": "configure", "config": {"batch_size": 10.0}}, "batch_size"),
     ({"type": "configure", "config": {"dropout": "0.5"}}, "dropout")],
)  # fmt: skip
def test_booleans_and_non_integers_are_not_numbers(
    connect: Connect, message: dict[str, Any], field: str
) -> None:
    with connect() as peer:
        peer.welcome()
        before = peer.sync()
        error = peer.error(message)
        assert error["code"] == "invalid_message" and field in error["message"], error
        assert peer.sync() == before


def test_unknown_and_extra_fields_are_refused(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        assert peer.error({"type": "step", "units": "phase"})["code"] == "invalid_message"
        assert peer.error({"type": "configure", "config": {"lr": 1}})["code"] == "invalid_message"
        assert peer.error({"type": "configure"})["code"] == "invalid_message"
        assert peer.error({"type": "explode"})["code"] == "unknown_type"
        assert peer.error({"no": "type"})["code"] == "unknown_type"
        assert peer.error("not json")["code"] == "bad_json"
        assert peer.error("[1, 2]")["code"] == "bad_json"
        assert peer.error('{"type": "step", "count": Infinity}')["code"] == "bad_json"
        assert peer.error('{"type": "step", "count": 1e400}')["code"] == "bad_json"
        assert peer.error({"type": "step", "count": 1001})["message"].startswith("step: count")
        assert peer.error({"type": "step", "unit": "epoch", "count": 101})["code"] in {
            "invalid_message", "busy"}  # fmt: skip
        assert peer.request({"type": "step"}, "iteration")[-1]["step"] == 1


def test_step_by_epoch_that_would_take_too_long_is_busy(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.request({"type": "configure", "config": {"samples": 5000, "batch_size": 1}}, "series")
        error = peer.error({"type": "step", "unit": "epoch", "count": 100})
        assert error["code"] == "busy" and "batch_size" in error["message"]
        assert peer.sync()["step"] == 0


def test_a_handler_exception_is_an_internal_error_not_a_dead_session(
    connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Session, index: int | None, split: str) -> list[dict[str, Any]]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Session, "set_follow", broken)
    with connect() as peer:
        peer.welcome()
        error = peer.error({"type": "follow", "index": 1, "id": 5})
        assert error["code"] == "internal_error" and error["id"] == 5
        assert peer.request({"type": "step"}, "iteration")[-1]["step"] == 1


def test_message_over_64_kib_is_too_large_and_closes_1009(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        peer.send({"type": "ping", "id": "x" * 60_000})  # under the limit: an ordinary error
        assert peer.recv()["code"] == "invalid_message"
        peer.send({"type": "ping", "pad": "é" * 33_000})  # 66,000 bytes in UTF-8
        error = peer.recv()
        assert error["type"] == "error" and error["code"] == "too_large"
        assert "65536" in error["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            peer.recv()
        assert closed.value.code == 1009


def test_rate_limit_errors_then_closes_1008_on_sustained_abuse() -> None:
    limited = Settings(rate_limit_per_s=20, rate_limit_burst=20, rate_abuse_after_s=0.5)
    with TestClient(create_app(limited)) as client:
        connect = make_connect(client)
        with connect() as peer:
            peer.welcome()
            for i in range(60):
                peer.send({"type": "ping", "id": i})
            replies = peer.until("error")
            pongs = [m["id"] for m in replies[:-1]]
            assert pongs == list(range(len(pongs))) and 20 <= len(pongs) < 60  # the burst
            assert replies[-1]["code"] == "rate_limited" and "20 messages" in replies[-1]["message"]
            deadline = time.monotonic() + 1.5  # limited for longer than rate_abuse_after_s
            while time.monotonic() < deadline:
                peer.send({"type": "ping"})
                time.sleep(0.002)
            later = []
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    later.append(peer.recv())
            assert closed.value.code == 1008
            assert {m["type"] for m in later} <= {"pong", "error"}
            warnings = [m for m in later if m["type"] == "error"]
            assert all(m["code"] == "rate_limited" for m in warnings)
            assert len(warnings) <= 3, "at most one rate_limited error per second"
        with connect() as peer:  # the next connection (or session) is not punished
            peer.welcome()
            assert peer.expect({"type": "ping"}, "pong")


def test_only_a_valid_id_is_echoed(connect: Connect) -> None:
    with connect() as peer:
        peer.welcome()
        assert peer.error({"type": "nope", "id": True})["id"] is None
        assert peer.error({"type": "nope", "id": "x" * 65})["id"] is None
        assert peer.error({"type": "nope", "id": 2**70})["id"] is None
        assert peer.error({"type": "nope", "id": -5})["id"] == -5
        assert peer.error({"type": "ping", "id": True})["code"] == "invalid_message"
