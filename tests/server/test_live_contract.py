"""The contract over a real uvicorn (the CLI's options) and the `websockets` sync client."""

from __future__ import annotations

import time

import numpy as np
import pytest
from websockets.exceptions import InvalidStatus

from tests.conftest import LiveServer
from tests.server.helpers import types
from tests.server.live import close_code, ws_peer


def test_connect_step_back_seek_configure(live_server: LiveServer) -> None:
    with ws_peer(live_server.ws_url) as peer:
        first = peer.welcome()
        assert first["hello"]["protocol"] == 1 and first["state"]["step"] == 0
        peer.send({"type": "step", "unit": "phase", "count": 8, "id": "w"})
        walk = peer.until("iteration")
        assert [(m["phase"], m["layer"]) for m in walk[:-1]] == [
            ("forward", 1), ("forward", 2), ("forward", 3), ("loss", None), ("backward", 3),
            ("backward", 2), ("backward", 1), ("update", None)]  # fmt: skip
        assert walk[0]["id"] == "w" and walk[-1]["step"] == 1
        records = [peer.request({"type": "step"}, "iteration")[-1] for _ in range(9)]
        back = peer.request({"type": "back", "unit": "iteration", "count": 4}, "series")
        assert back[0]["step"] == 6
        assert [l["W"] for l in back[0]["layers"]] == [l["W"] for l in records[5]["layers"]]
        assert peer.request({"type": "step"}, "iteration")[-1] == records[5]
        seek = peer.request({"type": "seek", "step": 2}, "series")
        assert types(seek) == ["state", "series"] and seek[0]["step"] == 2
        assert peer.error({"type": "seek", "step": 11})["code"] == "out_of_range"
        reply = peer.expect({"type": "configure", "config": {"learning_rate": 0.3}}, "config")
        assert reply["reset"] is False
        it = peer.request({"type": "step"}, "iteration")[-1]
        np.testing.assert_array_equal(
            np.array(it["layers"][0]["update_W"]), -0.3 * np.array(it["layers"][0]["dW"])
        )
        assert it["step"] == 3
        rebuilt = peer.request({"type": "configure", "config": {"hidden": [5]}}, "series")
        assert types(rebuilt) == ["config", "data", "state", "series"]


def test_play_keeps_one_frame_in_flight_and_sends_the_newest(live_server: LiveServer) -> None:
    with ws_peer(live_server.ws_url) as peer:
        peer.welcome()
        assert peer.expect({"type": "play"}, "status")["playing"] is True
        first = peer.recv()
        first_at = time.perf_counter()
        assert first["type"] == "frame"
        time.sleep(0.3)  # no ack: nothing more may arrive, training goes on
        with pytest.raises(TimeoutError):
            peer.ws.recv(timeout=0.2)  # type: ignore[attr-defined]
        peer.send({"type": "ack", "frame": first["frame"]})
        second = peer.recv()
        seconds = time.perf_counter() - first_at
        assert second["type"] == "frame" and second["frame"] == first["frame"] + 1
        # Training went on while the frame waited (one slice would be a few steps at most).
        assert second["step"] - first["step"] > 20, "training did not wait for the client"
        assert len(second["losses"]) <= 200 and second["losses"][-1][0] == second["step"]
        # The rate the server reports agrees with the steps seen here (same run, same machine).
        seen = (second["step"] - first["step"]) / seconds
        assert seen / 4 < second["steps_per_second"] < seen * 4, (second["steps_per_second"], seen)
        peer.send({"type": "pause"})
        state = next(m for m in peer.until("series") if m["type"] == "state")
        assert state["step"] >= second["step"] and state["playing"] is False


def test_divergence_over_the_wire_has_no_nan(live_server: LiveServer) -> None:
    with ws_peer(live_server.ws_url) as peer:
        peer.welcome()
        peer.request(
            {"type": "configure", "config": {"dataset": "plane", "learning_rate": 4.5}}, "series"
        )
        peer.expect({"type": "play"}, "status")
        while True:
            message = peer.recv()
            if message["type"] == "frame":
                peer.send({"type": "ack", "frame": message["frame"]})
            if message["type"] == "diverged":
                break
        assert 100 <= message["step"] <= 200
        rest = peer.until("state")
        assert rest[0] == {"type": "status", "playing": False, "speed": None, "reason": "diverged"}
        assert rest[-1]["step"] == message["step"] - 1
    assert not any("NaN" in raw or "Infinity" in raw for raw in peer.raw)


def test_resume_takeover_and_spectator(live_server: LiveServer) -> None:
    with ws_peer(live_server.ws_url) as peer:
        hello = peer.welcome()["hello"]
        peer.request({"type": "step", "count": 4}, "iteration")
        before = peer.sync()
        peer.ws.socket.close()  # type: ignore[attr-defined]  # dropped, no close frame
    resume = f"{live_server.ws_url}?session={hello['session']}&token={hello['token']}"
    with ws_peer(resume) as peer:
        first = peer.welcome()
        assert first["hello"]["resumed"] is True and first["state"]["layers"] == before["layers"]
        watch = f"{live_server.ws_url}?watch={hello['session']}&key={hello['watch_key']}"
        with ws_peer(watch) as watcher:
            assert watcher.welcome()["hello"]["role"] == "watch"
            it = peer.request({"type": "step"}, "iteration")[-1]
            assert watcher.until("iteration")[-1] == it
            assert watcher.error({"type": "reset"})["code"] == "read_only"
            with ws_peer(resume) as new:
                assert new.welcome()["hello"]["step"] == 5
                assert peer.recv() == {"type": "taken_over"}
                assert close_code(peer) == 4001
    with ws_peer(f"{live_server.ws_url}?session={hello['session']}&token=bad") as peer:
        assert peer.recv()["code"] == "invalid_session"
        assert peer.welcome()["hello"]["session"] != hello["session"]


def test_oversized_message_gets_too_large_then_closes_1009(live_server: LiveServer) -> None:
    with ws_peer(live_server.ws_url) as peer:
        peer.welcome()
        peer.send('{"type": "ping", "pad": "' + "x" * 70_000 + '"}')
        assert peer.recv()["code"] == "too_large", "a clear error before the close"
        assert close_code(peer) == 1009
    with ws_peer(live_server.ws_url) as peer:  # over the transport's cap: closed by uvicorn
        peer.welcome()
        peer.send('{"type": "ping", "pad": "' + "x" * 200_000 + '"}')
        assert close_code(peer) == 1009
    with ws_peer(live_server.ws_url) as peer:  # the server is fine
        peer.welcome()


def test_origin_allowlist(live_server: LiveServer) -> None:
    with (
        pytest.raises(InvalidStatus) as refused,
        ws_peer(live_server.ws_url, origin="http://evil.example"),
    ):
        pass
    assert refused.value.response.status_code == 403
    with ws_peer(live_server.ws_url, origin=live_server.url) as peer:  # the page's own origin
        assert peer.welcome()["hello"]["step"] == 0
    with ws_peer(live_server.ws_url) as peer:  # no Origin: a script
        assert peer.welcome()["hello"]["step"] == 0


def test_a_command_under_way_stops_when_the_session_is_taken_over(live_server: LiveServer) -> None:
    """Never two controllers: the old socket's long step must not go on training."""
    with ws_peer(live_server.ws_url) as old:
        hello = old.welcome()["hello"]
        old.request({"type": "configure", "config": {"samples": 5000, "batch_size": 1}}, "series")
        old.send({"type": "step", "unit": "epoch", "count": 10})  # ~35,000 updates, seconds
        time.sleep(0.1)
        resume = f"{live_server.ws_url}?session={hello['session']}&token={hello['token']}"
        with ws_peer(resume) as new:
            new.welcome()
            first = new.sync()
            time.sleep(0.5)
            assert new.sync()["step"] == first["step"], "the old socket's command went on"
            assert first["step"] < 30_000
